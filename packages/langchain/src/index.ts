export { LeannVectorStore } from "./leann-vector-store.js";
export type { LeannAddOptions, LeannDocumentFilter, LeannFilter, LeannVectorStoreArgs } from "./leann-vector-store.js";
