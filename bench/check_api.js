'use strict';
// Correctness check run by bench/api_read.sh before any timing: asks every
// server the same questions and verifies that the answers follow the contract
// and are identical (after JSON.parse, so key order and number spelling do not
// matter, but values, types, nulls and the key set do).
//
// usage: node bench/check_api.js MAX_PAGE NAME=URL [NAME=URL ...]
// The first server is the one under test; every other one is compared to it.
// Exits 1 on any mismatch.

const FIELDS = ['id', 'code', 'name', 'org_code', 'address', 'owner_name', 'contractor_name',
  'supervisor_firm_name', 'status', 'registered_on', 'area_m2', 'cost_wan', 'updated_at', 'version'];
const NUMERIC = new Set(['id', 'area_m2', 'cost_wan', 'version']);
const NOT_FOUND = { error: { code: 'not_found', message: '记录不存在' } };

const maxPage = parseInt(process.argv[2], 10);
const servers = process.argv.slice(3).map((a) => {
  const i = a.indexOf('=');
  return { name: a.slice(0, i), base: a.slice(i + 1) };
});

const listPath = (p) => `/api/v1/public/projects?status=under_construction&sort=-registered_on&page=${p}&size=20`;
const cases = [
  { path: '/api/v1/public/projects/1', status: 200, kind: 'project' },
  { path: '/api/v1/public/projects/2', status: 200, kind: 'project' },
  { path: listPath(1), status: 200, kind: 'list', page: 1 },
  { path: listPath(maxPage), status: 200, kind: 'list', page: maxPage },
  { path: '/api/v1/public/projects/0', status: 404, kind: 'notfound' },
  { path: '/api/v1/public/projects/999999999999', status: 404, kind: 'notfound' },
  { path: '/api/v1/public/projects/abc', status: 404, kind: 'notfound' },
];

function checkProject(o, where, problems) {
  if (o === null || typeof o !== 'object' || Array.isArray(o)) {
    problems.push(`${where}: not an object`);
    return;
  }
  const keys = Object.keys(o).sort();
  const want = [...FIELDS].sort();
  const missing = want.filter((k) => !keys.includes(k));
  const extra = keys.filter((k) => !want.includes(k));
  if (missing.length) problems.push(`${where}: missing keys ${missing.join(',')}`);
  if (extra.length) problems.push(`${where}: unexpected keys ${extra.join(',')}`);
  for (const k of FIELDS) {
    if (!(k in o)) continue;
    const v = o[k];
    if (NUMERIC.has(k)) {
      if (!(typeof v === 'number' || (v === null && (k === 'area_m2' || k === 'cost_wan')))) {
        problems.push(`${where}.${k}: expected a JSON number, got ${JSON.stringify(v)}`);
      }
    } else if (typeof v !== 'string') {
      problems.push(`${where}.${k}: expected a string, got ${JSON.stringify(v)}`);
    }
  }
}

function checkShape(c, body, problems, who) {
  const where = `${who} ${c.path}`;
  if (c.kind === 'project') checkProject(body, where, problems);
  else if (c.kind === 'notfound') {
    if (JSON.stringify(body) !== JSON.stringify(NOT_FOUND)) {
      problems.push(`${where}: 404 body is ${JSON.stringify(body)}, expected ${JSON.stringify(NOT_FOUND)}`);
    }
  } else if (c.kind === 'list') {
    if (!body || !Array.isArray(body.items)) {
      problems.push(`${where}: no items array`);
      return;
    }
    if (body.items.length !== 20) problems.push(`${where}: ${body.items.length} items, expected 20`);
    if (body.page !== c.page) problems.push(`${where}: page=${JSON.stringify(body.page)}, expected ${c.page}`);
    if (body.size !== 20) problems.push(`${where}: size=${JSON.stringify(body.size)}, expected 20`);
    if (typeof body.has_more !== 'boolean') problems.push(`${where}: has_more is not a boolean`);
    const extra = Object.keys(body).filter((k) => !['items', 'page', 'size', 'has_more'].includes(k));
    if (extra.length) problems.push(`${where}: unexpected keys ${extra.join(',')}`);
    body.items.forEach((it, i) => checkProject(it, `${where} items[${i}]`, problems));
    for (let i = 1; i < body.items.length; i++) {
      const a = body.items[i - 1];
      const b = body.items[i];
      if (a.status !== 'under_construction') problems.push(`${where} items[${i - 1}]: status ${a.status}`);
      if (a.registered_on < b.registered_on || (a.registered_on === b.registered_on && a.id < b.id)) {
        problems.push(`${where}: items[${i - 1}], items[${i}] not sorted by registered_on DESC, id DESC`);
      }
    }
  }
}

function short(v) {
  const t = v === undefined ? 'missing' : JSON.stringify(v);
  return t.length > 80 ? `${t.slice(0, 77)}...` : t;
}

function diff(a, b, path, out) {
  if (out.length >= 5) return;
  if (typeof a !== typeof b || Array.isArray(a) !== Array.isArray(b) || (a === null) !== (b === null)) {
    out.push(`${path}: ${short(a)} vs ${short(b)}`);
  } else if (a && typeof a === 'object') {
    const keys = new Set([...Object.keys(a), ...Object.keys(b)]);
    for (const k of keys) diff(a[k], b[k], `${path}.${k}`, out);
  } else if (a !== b) {
    out.push(`${path}: ${short(a)} vs ${short(b)}`);
  }
}

async function get(base, path) {
  const res = await fetch(base + path);
  const text = await res.text();
  let body;
  try { body = JSON.parse(text); } catch { body = undefined; }
  return { status: res.status, ctype: res.headers.get('content-type') || '', text, body };
}

(async () => {
  const problems = [];
  for (const c of cases) {
    const answers = [];
    for (const s of servers) {
      let r;
      try { r = await get(s.base, c.path); } catch (e) {
        problems.push(`${s.name} ${c.path}: request failed: ${e.message}`);
        continue;
      }
      answers.push({ s, r });
      if (r.status !== c.status) problems.push(`${s.name} ${c.path}: HTTP ${r.status}, expected ${c.status}`);
      if (!/^application\/json/i.test(r.ctype)) problems.push(`${s.name} ${c.path}: Content-Type "${r.ctype}"`);
      if (r.body === undefined) {
        problems.push(`${s.name} ${c.path}: body is not JSON: ${r.text.slice(0, 200)}`);
        continue;
      }
      checkShape(c, r.body, problems, s.name);
    }
    const ref = answers[0];
    for (const other of answers.slice(1)) {
      if (!ref || ref.r.body === undefined || other.r.body === undefined) continue;
      const d = [];
      diff(ref.r.body, other.r.body, '$', d);
      if (d.length) problems.push(`${ref.s.name} vs ${other.s.name} ${c.path} differ: ${d.join('; ')}`);
    }
    if (answers.length === servers.length) {
      console.log(`  GET ${c.path} -> ${answers.map((a) => `${a.s.name}:${a.r.status}/${Buffer.byteLength(a.r.text)}B`).join(' ')}`);
    }
  }
  if (problems.length) {
    console.log('  CORRECTNESS PROBLEMS:');
    for (const p of problems) console.log(`   - ${p}`);
    process.exit(1);
  }
  console.log('  correctness: all servers agree and follow the contract');
})();
