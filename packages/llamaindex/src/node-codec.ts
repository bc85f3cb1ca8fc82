import type { Metadata, PassageInput } from "@leann/core";
import { jsonToNode, MetadataMode, metadataDictToNode, nodeToMetadata, ObjectType, TextNode, type BaseNode } from "llamaindex";

/** Metadata keys LlamaIndex's vector-store convention adds beside the user's keys. */
export const NODE_CONTENT_KEY = "_node_content";
export const REF_DOC_ID_KEY = "ref_doc_id";
/** What `nodeToMetadata` writes for a node without a SOURCE relationship. */
const NO_SOURCE = "None";

/**
 * A node as a LEANN passage, in the form every LlamaIndex vector store uses
 * (`nodeToMetadata`): the user's metadata keys stay at the top level, where filters
 * see them, beside `_node_content` (the node serialised without its text),
 * `_node_type`, `document_id`, `doc_id` and `ref_doc_id`.
 *
 * The passage text is what LlamaIndex embeds, `getContent(MetadataMode.EMBED)` (the
 * text after the metadata not excluded from embedding), so the embeddings LEANN
 * recomputes are the ones LlamaIndex computed. The node's own text is recovered from it
 * by removing that metadata header; when that would not give back the exact text
 * (trimmed whitespace, a custom getContent), the text stays in `_node_content` as well.
 */
export function nodeToPassage(node: BaseNode): PassageInput & { id: string; metadata: Metadata } {
  const text = node.getContent(MetadataMode.EMBED);
  const lean = nodeToMetadata(node, true) as Metadata;
  const restored = passageToNode({ id: node.id_, text, metadata: lean });
  const exact = node instanceof TextNode ? restored instanceof TextNode && restored.text === node.text : restored.getContent(MetadataMode.NONE) === node.getContent(MetadataMode.NONE);
  return { id: node.id_, text, metadata: exact ? lean : (nodeToMetadata(node, false) as Metadata) };
}

/**
 * The node a passage was made from (inverse of `nodeToPassage`). Passages written
 * without LlamaIndex (no `_node_content`) come back as plain TextNodes.
 */
export function passageToNode(passage: { id: string; text: string; metadata: Metadata }): BaseNode {
  const { id, text, metadata } = passage;
  if (typeof metadata[NODE_CONTENT_KEY] !== "string") {
    return new TextNode({ id_: id, text, metadata: { ...metadata } });
  }
  let node = metadataDictToNode(metadata);
  const stored = JSON.parse(metadata[NODE_CONTENT_KEY] as string) as { type?: unknown; hash?: unknown };
  // metadataDictToNode builds a TextNode (or IndexNode) whatever the stored class; restore Documents.
  if (stored.type === ObjectType.DOCUMENT && node.type !== ObjectType.DOCUMENT) node = jsonToNode(node.toMutableJSON(), ObjectType.DOCUMENT);
  if (node instanceof TextNode && node.text === "") node.setContent(withoutHeader(text, node.getMetadataStr(MetadataMode.EMBED).trim()));
  // Node constructors ignore a given hash and compute one from the restored content, which differs
  // whenever the node changed after its hash was first read (splitters copy metadata in afterwards).
  // Docstores compare the hash a node went in with, so it comes back as stored.
  if (typeof stored.hash === "string" && stored.hash !== "") node.hash = stored.hash;
  return node;
}

/** Inverse of TextNode.getContent: `${header}\n\n${text}`, trimmed. */
function withoutHeader(content: string, header: string): string {
  if (header === "") return content;
  if (content === header) return "";
  return content.startsWith(`${header}\n\n`) ? content.slice(header.length + 2) : content;
}

/**
 * The source document a stored passage belongs to, or undefined for a node without a
 * SOURCE relationship (which `nodeToMetadata` records as "None").
 */
export function refDocIdOf(metadata: Metadata): string | undefined {
  const ref = metadata[REF_DOC_ID_KEY];
  if (typeof ref !== "string") return undefined;
  if (ref !== NO_SOURCE) return ref;
  // "None" is also a legal document id: the serialised node says which it is.
  const content = metadata[NODE_CONTENT_KEY];
  if (typeof content !== "string") return undefined;
  try {
    const source = (JSON.parse(content) as { relationships?: Record<string, { nodeId?: unknown }> }).relationships?.SOURCE;
    return source && source.nodeId === NO_SOURCE ? NO_SOURCE : undefined;
  } catch {
    return undefined;
  }
}
