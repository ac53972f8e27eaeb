// A record list's first page asked for at once: router.js calls prefetchRoute(to) before it waits
// for /auth/me (a full load) or for the page's code (a chunk not loaded yet), so the route's code,
// the definition, the dictionaries of its columns and the first page of records travel together
// instead of one after another. RecordList takes the first page with takeFirstPage; an answer for
// another query (the definition changed since it was stored) is simply not used.
import { api, withQuery } from '@/api';
import { dictItems, entityDef, knownEntityDef } from '@/lib/meta';

/** The query of a list's first page before the user filters or sorts (RecordList's query()). */
export function firstPageQuery(def) {
  return { sort: def.list?.sort || '', page: 1, size: def.list?.size || 20 };
}

/** The list's columns as RecordList shows them by default (no saved choice): names. */
export function listColumnNames(def) {
  return def.list?.columns?.length ? def.list.columns : def.fields.filter((f) => f.list).map((f) => f.name);
}

/** The dictionaries the list's columns show labels from (asked for with the first page). */
export function prefetchDicts(def, quiet = false) {
  const byName = new Map(def.fields.map((f) => [f.name, f]));
  for (const n of listColumnNames(def)) {
    const f = byName.get(n);
    if (f && f.type === 'enum' && f.dict) dictItems(f.dict, false, { quiet }).catch(() => {});
  }
}

const firstPages = new Map(); // entity → { url, at, answer }
const FRESH_MS = 10000;

function listUrl(entity, query) { return withQuery(`/api/v1/records/${encodeURIComponent(entity)}`, query); }

/** Starts what a route needs: its components' code and, for a record list, the rest. Before
 * /auth/me has answered (loggedIn false), the API is asked only when this tab holds a stored
 * definition of the entity (it had a session: no 401 answers for a visitor who never logged in). */
export function prefetchRoute(to, loggedIn) {
  for (const r of to.matched) {
    const c = r.components && r.components.default;
    if (typeof c === 'function') Promise.resolve().then(c).catch(() => {}); // the router loads it again from the module cache
  }
  if (to.name !== 'records' || typeof to.params.entity !== 'string') return;
  const entity = to.params.entity;
  const def = knownEntityDef(entity);
  if (!def && !loggedIn) return;
  entityDef(entity, { quiet: true }).catch(() => {}); // the fresh definition (once per page load)
  if (!def) return; // never seen in this tab: the page asks once the definition is there
  prefetchDicts(def, true);
  const url = listUrl(entity, firstPageQuery(def));
  const answer = api.get(url, { quiet: true });
  answer.catch(() => {});
  firstPages.set(entity, { url, at: Date.now(), answer });
}

/** The prefetched answer for this query, once, or null (none, another query, too old). */
export function takeFirstPage(entity, query) {
  const f = firstPages.get(entity);
  if (!f) return null;
  firstPages.delete(entity);
  return f.url === listUrl(entity, query) && Date.now() - f.at < FRESH_MS ? f.answer : null;
}
