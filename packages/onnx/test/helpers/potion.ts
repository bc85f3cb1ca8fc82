import { existsSync } from "node:fs";
import { EMBEDDED_MODEL_DIR } from "../../src/embedded.js";

/** The potion-base-2M (int8) folder shipped in this package: the repository alone is enough to test on it. */
export const POTION_DIR = EMBEDDED_MODEL_DIR;

/** The shipped potion folder; fails (never skips) when its files are missing, since they belong to the repository. */
export function requirePotion(): string {
  if (!existsSync(`${POTION_DIR}/tokenizer.json`) || !existsSync(`${POTION_DIR}/model.int8.safetensors`)) {
    throw new Error(
      `The shipped model folder ${POTION_DIR} is missing (expected tokenizer.json and model.int8.safetensors). ` +
        `It is part of the repository (packages/onnx/models): restore it with git checkout.`,
    );
  }
  return POTION_DIR;
}
