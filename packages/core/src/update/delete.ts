import { InvalidInputError } from "../errors.js";
import { compileFilter, type SearchFilter } from "../search/filter.js";
import type { IndexState } from "../state.js";
import { retire } from "./retire.js";

/** Deletes the passages with these ids (unknown ones ignored); returns how many were live. */
export function deleteIds(state: IndexState, ids: string[]): number {
  const map = state.ids.get();
  const internal = [...new Set(ids)].map((id) => map.get(id)).filter((x): x is number => x !== undefined);
  for (const id of ids) map.delete(id);
  if (internal.length) retire(state, internal);
  return internal.length;
}

/**
 * Internal ids of the live passages that pass `filter`, in node order. A filter with no
 * conditions (`{ filters: [] }`) passes every passage, as it does in a search.
 * @throws InvalidInputError when no filter is given
 * @throws InvalidOptionsError when the filter is malformed
 */
export function matchingNodes(state: IndexState, filter: SearchFilter, where: string): number[] {
  if (filter === undefined || filter === null) {
    throw new InvalidInputError(`${where}: a filter is required: a predicate (metadata, id) => boolean or { filters: [{ key, operator, value }] }.`);
  }
  const predicate = compileFilter(filter);
  const out: number[] = [];
  for (let i = 0; i < state.passages.count; i++) {
    if (state.deleted[i]) continue;
    if (!predicate) out.push(i);
    else {
      if (predicate(state.passages.metadata(i), state.passages.id(i)) === true) out.push(i);
    }
  }
  return out;
}

/**
 * Deletes every live passage that passes `filter`; returns their ids. A filter with no
 * conditions is refused rather than read as "delete everything".
 * @throws InvalidInputError when the filter is missing or has no conditions
 * @throws InvalidOptionsError when the filter is malformed
 */
export function deleteMatching(state: IndexState, filter: SearchFilter): string[] {
  const where = "LeannIndex.deleteWhere(filter)";
  if (filter !== null && typeof filter === "object" && Array.isArray(filter.filters) && filter.filters.length === 0) {
    throw new InvalidInputError(`${where}: the filter has no conditions, which would delete every passage. Give at least one condition, or delete by ids with delete(listIds()).`);
  }
  const nodes = matchingNodes(state, filter, where);
  const ids = nodes.map((i) => state.passages.id(i));
  const map = state.ids.get();
  for (const id of ids) map.delete(id);
  if (nodes.length) retire(state, nodes);
  return ids;
}
