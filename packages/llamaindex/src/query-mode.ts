/**
 * How a LlamaIndex query mode maps onto a LEANN search: which form of the query it needs (the vector or the
 * text) and which dense share (`alpha`) it runs with.
 *
 * LlamaIndex 0.12's VectorIndexRetriever sends every query with both `queryStr` and `queryEmbedding` and the
 * retriever's `mode`, but never `alpha` (and never consults `isEmbeddingQuery`), so the dense share of a
 * retriever's hybrid queries comes from its `customParams.alpha` or the store's `alpha` option.
 */
import { DEFAULTS, InvalidInputError, InvalidOptionsError, UnsupportedError } from "@leann/core";
import { VectorStoreQueryMode, type VectorStoreQuery } from "llamaindex";

/**
 * Python LlamaIndex's `VectorStoreQueryMode.TEXT_SEARCH` value: keyword search. LlamaIndex.TS 0.12's enum has no
 * such member, so a caller passes the string; it means the same as `sparse` here.
 */
export const TEXT_SEARCH_MODE = "text_search";

/** What a query asks the index for. */
export type QueryPlan =
  /** `default`: dense search only (alpha 1), with the query vector, else the text embedded by the store. */
  | { kind: "dense" }
  /** `mmr`: dense candidates with their vectors, re-ranked by LlamaIndex's MMR. */
  | { kind: "mmr" }
  /**
   * `hybrid` (alpha: the query's, else customParams', else the store's, else the core's default) and `sparse` /
   * `text_search` (alpha 0: keyword only, no embedding): searched by the query text. Always an explicit alpha,
   * so that an index without a keyword index refuses instead of quietly searching dense only.
   */
  | { kind: "text"; text: string; alpha: number };

const SUPPORTED = [VectorStoreQueryMode.DEFAULT, VectorStoreQueryMode.MMR, VectorStoreQueryMode.HYBRID, VectorStoreQueryMode.SPARSE, TEXT_SEARCH_MODE];

/**
 * The plan of `query` for a store whose HYBRID queries default to `storeAlpha`.
 * @throws UnsupportedError (code UNSUPPORTED) for modes other than default, mmr, hybrid, sparse and text_search
 * @throws InvalidInputError for a hybrid or keyword query without `queryStr`
 * @throws InvalidOptionsError for an alpha outside [0, 1]
 */
export function planQuery(query: VectorStoreQuery<{ alpha?: number }>, storeAlpha: number | undefined): QueryPlan {
  const mode: string = query.mode ?? VectorStoreQueryMode.DEFAULT;
  if (mode === VectorStoreQueryMode.DEFAULT) return { kind: "dense" };
  if (mode === VectorStoreQueryMode.MMR) return { kind: "mmr" };
  if (mode !== VectorStoreQueryMode.HYBRID && mode !== VectorStoreQueryMode.SPARSE && mode !== TEXT_SEARCH_MODE) {
    throw new UnsupportedError(`LeannVectorStore.query: mode "${mode}" is not supported; use one of ${SUPPORTED.map((m) => `"${m}"`).join(", ")}.`);
  }
  const text = query.queryStr;
  if (typeof text !== "string" || text.trim().length === 0) {
    throw new InvalidInputError(
      `LeannVectorStore.query: mode "${mode}" matches the query's words, so it needs queryStr (the query text), but the query has ${
        typeof text === "string" ? "an empty one" : "none"
      }. Pass queryStr (VectorStoreIndex's retrievers do), or use mode "${VectorStoreQueryMode.DEFAULT}" with a queryEmbedding.`,
    );
  }
  if (mode !== VectorStoreQueryMode.HYBRID) return { kind: "text", text, alpha: 0 };
  const alpha = query.alpha ?? query.customParams?.alpha ?? storeAlpha;
  return { kind: "text", text, alpha: alpha === undefined ? DEFAULTS.alpha : checkAlpha(alpha, alphaSource(query)) };
}

function alphaSource(query: VectorStoreQuery<{ alpha?: number }>): string {
  if (query.alpha !== undefined) return "query.alpha";
  return query.customParams?.alpha !== undefined ? "query.customParams.alpha" : "options.alpha";
}

/**
 * `value` when it is a dense share the core accepts.
 * @throws InvalidOptionsError naming `name` otherwise
 */
export function checkAlpha(value: unknown, name: string): number {
  if (typeof value !== "number" || !(value >= 0 && value <= 1)) {
    throw new InvalidOptionsError(
      `${name} must be a number from 0 (keyword only) to 1 (dense only), received ${typeof value === "number" ? String(value) : JSON.stringify(value)}. ` +
        "Omit it for the default hybrid fusion.",
    );
  }
  return value;
}
