// Caches of what pages look up often: entity definitions, dictionaries, regions, enterprise names.
// Definitions are also kept in the tab's sessionStorage: a full load of a record page starts from
// that copy (its list asked for at once, alongside /auth/me: lib/prefetch.js) while the fresh
// definition is fetched once per page load; a copy that turns out stale is replaced (RecordList).
// clearMeta (login, logout, 业务定制 publishing) forgets both.
import { api } from '@/api';
import { reactive } from 'vue';

const STORE = 'jianguan.meta.';
function stored(key) {
  try {
    const s = sessionStorage.getItem(STORE + key);
    return s ? JSON.parse(s) : null;
  } catch { return null; }
}
function store(key, value) {
  try { sessionStorage.setItem(STORE + key, JSON.stringify(value)); } catch { /* full or private mode */ }
}
function forgetStored() {
  try {
    for (const k of Object.keys(sessionStorage)) if (k.startsWith(STORE)) sessionStorage.removeItem(k);
  } catch { /* private mode */ }
}

const defs = new Map();
const known = new Map(); // definitions fetched in this page load, by name
/** GET /api/v1/entities/{name}, once per name and page load (cleared at logout and by 业务定制).
 * quiet: errors are not shown (a prefetch: the page asks again and shows them). */
export function entityDef(name, { quiet = false } = {}) {
  if (!defs.has(name)) {
    const p = api.get(`/api/v1/entities/${encodeURIComponent(name)}`, { quiet });
    p.then((d) => {
      if (defs.get(name) !== p) return; // cleared meanwhile
      known.set(name, d);
      store(`def.${name}`, d);
    }, () => { if (defs.get(name) === p) defs.delete(name); });
    defs.set(name, p);
  }
  return defs.get(name);
}
/** The definition as last known, without waiting: this page load's answer, else the tab's stored
 * copy (maybe stale: entityDef(name) tells), else null. */
export function knownEntityDef(name) {
  return known.get(name) || stored(`def.${name}`);
}

let entityList = null;
/** GET /api/v1/entities: the kinds the user may read. */
export function entities() {
  if (!entityList) {
    entityList = api.get('/api/v1/entities').then((r) => r.items);
    entityList.catch(() => { entityList = null; });
  }
  return entityList;
}

const dicts = new Map();
/** The items of a dictionary: all of them (labels of stored values) or only enabled ones (pickers). */
export function dictItems(code, enabledOnly = false, { quiet = false } = {}) {
  const key = code + (enabledOnly ? '?1' : '');
  if (!dicts.has(key)) {
    const p = api.get(`/api/v1/dictionaries/${encodeURIComponent(code)}`, { query: enabledOnly ? { enabled: 1 } : {}, quiet })
      .then((d) => d.items);
    p.catch(() => { if (dicts.get(key) === p) dicts.delete(key); });
    dicts.set(key, p);
  }
  return dicts.get(key);
}

let orgs = null;
/** GET /api/v1/orgs: regions (parents first) with their departments. */
export function regions() {
  if (!orgs) {
    orgs = api.get('/api/v1/orgs').then((r) => r.items);
    orgs.catch(() => { orgs = null; });
  }
  return orgs;
}

/** Regions as a tree for el-cascader: [{value, label, children}]. */
export async function regionTree() {
  const items = await regions();
  const byCode = new Map();
  const roots = [];
  for (const o of items) {
    const node = { value: o.code, label: o.name, level: o.level };
    byCode.set(o.code, node);
    const parent = o.parent_code && byCode.get(o.parent_code);
    if (parent) (parent.children ||= []).push(node);
    else roots.push(node);
  }
  return roots;
}

/** The chain of codes from the province down to code (for the cascader's value). */
export async function regionPath(code) {
  const items = await regions();
  const byCode = new Map(items.map((o) => [o.code, o]));
  const path = [];
  for (let c = code; c && byCode.has(c); c = byCode.get(c).parent_code) path.unshift(c);
  return path.length ? path : [code];
}

/** Region names by code, filled as regions() resolves. */
export const regionNames = reactive({});
regions.load = () => regions().then((items) => { for (const o of items) regionNames[o.code] = o.name; }).catch(() => {});

/** Enterprise names by id, looked up once each (an enterprise outside the user's view stays "#id"). */
export const enterpriseNames = reactive({});
const asked = new Set();
let onlyEnterprise = null;
const may = { enterprise: false, person: false };
/** What the user may read of the registry; enterprise users see only their own enterprise: ask
 * for nothing else (no 403 or 404 answers). */
export function setRegistryAccess(user) {
  if (user && stored('owner') !== user.id) { // stored copies of another user (the cookie changed in another tab)
    forgetStored();
    store('owner', user.id);
  }
  onlyEnterprise = user && user.kind === 'enterprise' ? user.enterprise_id : null;
  may.enterprise = !!user && user.permissions.includes('enterprise.read');
  may.person = !!user && user.permissions.includes('person.read');
}
/** Ask the registry for the names of ids not asked for yet, 100 at a time (?ids=): one request
 * for a page of records rather than one per reference. What the answer lacks (outside the
 * caller's scope, deleted) shows as #id. */
function loadNames(path, ids, asked, names, allowed) {
  const missing = [];
  for (const id of ids) {
    if (id == null || asked.has(id)) continue;
    asked.add(id);
    if (allowed(id)) missing.push(id);
    else names[id] = `#${id}`;
  }
  for (let i = 0; i < missing.length; i += 100) {
    const chunk = missing.slice(i, i + 100);
    api.get(`${path}?ids=${chunk.join(',')}&size=100`, { quiet: true })
      .then((r) => { for (const x of r.items) names[x.id] = x.name; })
      .catch(() => {})
      .finally(() => { for (const id of chunk) if (!(id in names)) names[id] = `#${id}`; });
  }
}

export function loadEnterpriseNames(ids) {
  loadNames('/api/v1/enterprises', ids, asked, enterpriseNames,
    (id) => may.enterprise && (onlyEnterprise === null || id === onlyEnterprise));
}

/** Person names by id (the registry shows enterprise users their own enterprise's persons only). */
export const personNames = reactive({});
const askedPersons = new Set();
export function loadPersonNames(ids) {
  loadNames('/api/v1/persons', ids, askedPersons, personNames, () => may.person);
}

/** Forget everything cached for the user (logout, user switch). */
export function clearMeta() {
  defs.clear();
  known.clear();
  forgetStored();
  dicts.clear();
  entityList = null;
  orgs = null;
  asked.clear();
  askedPersons.clear();
  for (const k of Object.keys(enterpriseNames)) delete enterpriseNames[k];
  for (const k of Object.keys(personNames)) delete personNames[k];
}
