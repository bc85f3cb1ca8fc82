import { DEFAULT_COLLECTION, SimpleKVStore } from "llamaindex";

/** Marks the guarded prototype, shared by every copy of this package in the app. */
const GUARDED = Symbol.for("leann.llamaindex.simple-kv-store-delete-guard");

type Delete = (key: string, collection?: string) => Promise<boolean>;

/**
 * Makes `SimpleKVStore.delete` report "not found" for a collection that was never written,
 * as its own `get` and `getAll` do, instead of throwing `TypeError: Cannot use 'in' operator`.
 *
 * Why the store needs it: `VectorStoreIndex.deleteRefDoc(id)` deletes from the vector store, then
 * from the docstore. A store that keeps the node text (`storesText`, like this one) gets no nodes
 * copied into the docstore, so after `VectorStoreIndex.init({ nodes })` the docstore's collections
 * do not exist and llamaindex 0.12.1 throws after the nodes are already gone (a later LlamaIndexTS
 * source read on 2026-11-29 still lacks the check). SimpleVectorStore escapes only because
 * LlamaIndex copies its nodes into the docstore. The guard changes nothing but that throw;
 * remove it once llamaindex checks the collection.
 */
export function guardKvStoreDelete(): void {
  const proto = SimpleKVStore.prototype as unknown as { delete: Delete; [GUARDED]?: true };
  if (proto[GUARDED]) return;
  const original = proto.delete;
  proto.delete = function (this: SimpleKVStore, key: string, collection?: string): Promise<boolean> {
    if (this.toDict()[collection ?? DEFAULT_COLLECTION] == null) return Promise.resolve(false);
    return original.call(this, key, collection);
  };
  Object.defineProperty(proto, GUARDED, { value: true });
}
