/**
 * The embedding model of a command: --model, else the one the index was built with,
 * else $LEANN_MODEL, else LocalEmbeddings' default (minishlab/potion-base-2M from the
 * Hugging Face hub or its cache, with the offline USE-lite fallback).
 */
import { existsSync } from "node:fs";
import { homedir } from "node:os";
import { isAbsolute, join, resolve } from "node:path";
import { DEFAULT_MODEL, LocalEmbeddings } from "@leann/onnx";
import type { TextSink } from "./progress.js";

/** A model argument as LocalEmbeddings should get it: folders become absolute paths, hub ids stay as they are. */
export function normalizeModel(spec: string, cwd: string, env: Record<string, string | undefined>): string {
  if (spec === "~" || spec.startsWith("~/")) return join(env.HOME || homedir(), spec.slice(1));
  if (isAbsolute(spec)) return spec;
  const local = resolve(cwd, spec);
  // "owner/name" is a hub id unless such a folder exists here; "./x", "../x" and "a/b/c" are paths.
  if (/^\.{1,2}([/\\]|$)/.test(spec) || spec.split("/").length > 2 || existsSync(local)) return local;
  return spec;
}

export function modelSpec(flag: string | undefined, recorded: string | undefined, env: Record<string, string | undefined>, cwd: string): string {
  if (flag) return normalizeModel(flag, cwd, env);
  if (recorded) return recorded;
  if (env.LEANN_MODEL) return normalizeModel(env.LEANN_MODEL, cwd, env);
  return DEFAULT_MODEL;
}

export function createEmbedder(model: string, env: Record<string, string | undefined>, stderr: TextSink): LocalEmbeddings {
  return new LocalEmbeddings({ model, env, onWarning: (m) => stderr.write(`leann: ${m}\n`) });
}
