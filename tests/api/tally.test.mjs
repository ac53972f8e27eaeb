// Grouped counts (GET /api/v1/records/{entity}/tally) over the registration entity, whose definition
// declares a tally by state, org_code and project_kind with the month of planned_start_on: exact
// after a create, an update of a counted field, a state change by the workflow, a delete, an import
// and a bulk load in SQL; inside the data scope (county, city, province, enterprise); checked against
// COUNT … GROUP BY over the records themselves (the answer without the tally table, forced by a
// filter the table cannot serve); bad parameters answered 400 in Chinese.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startServer } from './lib/harness.mjs';
import { assertError, dbExec, req } from './lib/checks.mjs';
import { session, as } from './lib/auth.mjs';

let srv;
const s = {};
const sql = (q) => dbExec(srv.env.JIANGUAN_DATABASE, q).trim();
let own, owner;

before(async () => {
  srv = await startServer({ projects: 5, env: { JIANGUAN_CAPTCHA: 'off', JIANGUAN_AUTH_RATE_PER_MINUTE: '100000' } });
  for (const u of ['contractor', 'gulou', 'fuzhou', 'xiamen', 'province']) s[u] = await session(srv, u);
  own = s.contractor.user.enterprise_id;
  owner = Number(sql(`SELECT id FROM enterprise WHERE id <> ${own} ORDER BY id LIMIT 1`));
});
after(async () => { assert.equal(await srv.stop(), 0); });

/** GET …/tally as who with these query parameters; returns the response. */
function tally(who, params = {}, entity = 'registration') {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) q.set(k, typeof v === 'string' ? v : JSON.stringify(v));
  return as(srv, s[who], `/api/v1/records/${entity}/tally?${q}`);
}
/** The groups as "dim1|dim2=n" strings, sorted, and the total; asserts the source. */
async function groups(who, params, source) {
  const r = await tally(who, params);
  assert.equal(r.status, 200, r.text);
  if (source) assert.equal(r.json.source, source, `${who} ${JSON.stringify(params)}`);
  const dims = params.by.split(',').map((d) => d.split(':')[0]);
  const out = r.json.groups.map((g) => `${dims.map((d) => g[d]).join('|')}=${g.n}`).sort();
  assert.equal(r.json.total, r.json.groups.reduce((a, g) => a + g.n, 0));
  return { list: out, total: r.json.total };
}
/** A filter the tally cannot serve that every record matches: the answer is a COUNT over the records. */
const EVERY = { field: 'id', op: 'ge', value: 1 };
/** The tally answer equals the count over the records, for who and these parameters. */
async function exact(who, params) {
  const fromTally = await groups(who, params, who === 'contractor' ? 'count' : 'tally');
  const filter = params.filter ? { and: [params.filter, EVERY] } : EVERY;
  const counted = await groups(who, { ...params, filter }, 'count');
  assert.deepEqual(fromTally.list, counted.list, `${who} ${JSON.stringify(params)}`);
  return fromTally;
}
const n = (g, key) => Number((g.list.find((x) => x.startsWith(key + '=')) || '=0').split('=')[1]);

async function create(name, over = {}) {
  const r = await as(srv, s.contractor, '/api/v1/records/registration', {
    method: 'POST',
    body: {
      project_name: name, project_kind: 'building', org_code: '350102', address: '福州市鼓楼区统计路 1 号',
      applicant_id: own, owner_id: owner, contractor_id: own, total_area: '100.00', cost: '1000000.00',
      planned_start_on: '2026-12-01', contact_name: '王五', ...over,
    },
  });
  assert.equal(r.status, 201, r.text);
  return r.json;
}

const BY = { by: 'state,org_code,project_kind' };

test('the counts follow create, update, workflow, delete and bulk SQL, exactly', async () => {
  const start = await exact('gulou', BY);
  const a = await create('统计测试一');
  const b = await create('统计测试二', { project_kind: 'municipal' });
  await create('统计测试三', { planned_start_on: '2027-01-15' });
  let g = await exact('gulou', BY);
  assert.equal(g.total, start.total + 3);
  assert.equal(n(g, 'draft|350102|building'), n(start, 'draft|350102|building') + 2);
  assert.equal(n(g, 'draft|350102|municipal'), n(start, 'draft|350102|municipal') + 1);

  // an update that changes a counted field moves the record between groups
  let r = await as(srv, s.contractor, `/api/v1/records/registration/${a.id}`, { method: 'PUT', body: { version: a.version, project_kind: 'municipal' } });
  assert.equal(r.status, 200, r.text);
  g = await exact('gulou', BY);
  assert.equal(n(g, 'draft|350102|building'), n(start, 'draft|350102|building') + 1);
  assert.equal(n(g, 'draft|350102|municipal'), n(start, 'draft|350102|municipal') + 2);

  // the workflow moves the state
  r = await as(srv, s.contractor, '/api/v1/flow/instances', { method: 'POST', body: { key: 'registration', entity: 'registration', record_id: b.id } });
  assert.equal(r.status, 201, r.text);
  g = await exact('gulou', BY);
  assert.equal(n(g, 'submitted|350102|municipal'), n(start, 'submitted|350102|municipal') + 1);
  assert.equal(n(g, 'draft|350102|municipal'), n(start, 'draft|350102|municipal') + 1);

  // a delete (state deleted) leaves the counts
  r = await as(srv, s.contractor, `/api/v1/records/registration/${a.id}`, { method: 'DELETE' });
  assert.ok(r.status === 200 || r.status === 204, r.text);
  g = await exact('gulou', BY);
  assert.equal(g.total, start.total + 2);
  assert.equal(n(g, 'draft|350102|municipal'), n(start, 'draft|350102|municipal'));

  // a bulk load and a bulk update in plain SQL
  sql(`INSERT INTO e_registration (state, version, created_by, created_at, updated_by, updated_at, project_name, project_kind,
    org_code, address, applicant_id, owner_id, contractor_id, total_area, cost, planned_start_on, contact_name)
    SELECT 'registered', 1, 1, created_at, 1, updated_at, project_name || '（复制）', project_kind, '350103', address,
      applicant_id, owner_id, contractor_id, total_area, cost, planned_start_on, contact_name FROM e_registration
    WHERE project_name LIKE '统计测试%'`);
  sql(`UPDATE e_registration SET project_kind = 'road' WHERE project_name = '统计测试三（复制）'`);
  g = await exact('fuzhou', BY);
  assert.equal(n(g, 'registered|350103|road'), 1);
  await exact('province', BY);
  // and the table itself holds what the records hold
  assert.equal(sql(`SELECT sum(n__) FROM e_registration__tally`), sql('SELECT count(*) FROM e_registration'));
});

test('an import is counted', async () => {
  const before1 = await exact('gulou', { by: 'project_kind', filter: { field: 'state', op: 'eq', value: 'draft' } });
  const boundary = 'jgTallyBoundary7';
  const head = ['项目名称', '工程类别', '项目所在地', '工程地址', '申报单位', '建设单位', '工程造价（元）', '计划开工日期'];
  const rows = [1, 2].map((i) => [`统计导入${i}`, 'road', '350102', '福州市鼓楼区导入路 1 号', own, owner, '1200.50', '2026-12-01']);
  const csv = [head, ...rows].map((r) => r.join(',')).join('\r\n') + '\r\n';
  const body = Buffer.from(`--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="a.csv"\r\n\r\n${csv}\r\n--${boundary}--\r\n`);
  const r = await req(`${srv.url}/api/v1/records/registration/import`, {
    method: 'POST',
    headers: { cookie: s.contractor.cookie, 'x-csrf-token': s.contractor.csrf, 'content-type': `multipart/form-data; boundary=${boundary}` },
    body,
  });
  assert.equal(r.status, 200, r.text);
  const after1 = await exact('gulou', { by: 'project_kind', filter: { field: 'state', op: 'eq', value: 'draft' } });
  assert.equal(n(after1, 'road'), n(before1, 'road') + 2);
});

test('scope: each user counts what they may list, no more', async () => {
  await create('统计范围一', { org_code: '350203', planned_start_on: '2026-06-01' }); // 厦门
  for (const who of ['gulou', 'fuzhou', 'xiamen', 'province', 'contractor']) {
    const g = await exact(who, { by: 'org_code' });
    const codes = g.list.map((x) => x.split('=')[0]);
    if (who === 'gulou') assert.ok(codes.every((c) => c === '350102'), codes.join());
    if (who === 'fuzhou') assert.ok(codes.every((c) => c.startsWith('3501') && c !== '350128'), codes.join());
    if (who === 'xiamen') assert.ok(codes.includes('350203') && codes.every((c) => c.startsWith('3502')), codes.join());
    // the total is what the list says (below its exact-count cap)
    const filter = encodeURIComponent(JSON.stringify(EVERY));
    const l = await as(srv, s[who], `/api/v1/records/registration?size=1&filter=${filter}`);
    if (l.json.total_exact) assert.equal(g.total, l.json.total, who);
  }
  // the enterprise user is answered by a count over its own records
  const c = await groups('contractor', { by: 'state' }, 'count');
  assert.equal(c.total, Number(sql(`SELECT count(*) FROM e_registration WHERE state <> 'deleted' AND applicant_id = ${own}`)));
  // region levels: the province by city, 平潭 a unit of its own
  sql(`INSERT INTO e_registration (state, version, created_by, created_at, updated_by, updated_at, project_name, project_kind,
    org_code, address, applicant_id, owner_id, contractor_id, total_area, cost, planned_start_on, contact_name)
    VALUES ('draft', 1, 1, '2026-01-01T00:00:00Z', 1, '2026-01-01T00:00:00Z', '平潭项目', 'building', '350128', '平潭', ${own},
      ${owner}, ${own}, 1, 1, '2026-12-01', '张三')`);
  const byCity = await exact('province', { by: 'org_code:city' });
  const cities = byCity.list.map((x) => x.split('=')[0]);
  assert.ok(cities.includes('3501') && cities.includes('3502') && cities.includes('350128'), cities.join());
  assert.ok(cities.every((x) => x.length === 4 || x === '350128'), cities.join());
  const prov = await exact('province', { by: 'org_code:province' });
  assert.deepEqual(prov.list.map((x) => x.split('=')[0]), ['35']);
  assert.equal(prov.total, byCity.total);
  const fz = await groups('fuzhou', { by: 'org_code:city' }, 'tally');
  assert.deepEqual(fz.list.map((x) => x.split('=')[0]), ['3501']);
});

test('months, filters and the fallback', async () => {
  const all = await exact('fuzhou', { by: 'month' });
  const dec = await exact('fuzhou', { by: 'state', month: '2026-12' });
  assert.equal(dec.total, n(all, '2026-12'));
  const later = await exact('fuzhou', { by: 'project_kind,month', month: '2027-01..' });
  assert.ok(later.list.every((x) => x.split('|')[1].split('=')[0] >= '2027-01'), later.list.join());
  assert.ok(later.total >= 1);
  await exact('fuzhou', { by: 'state,project_kind', month: '..2026-12', filter: { field: 'project_kind', op: 'in', value: ['road', 'building'] } });
  // a text filter: counted over the records with the same scope
  const f = await groups('fuzhou', { by: 'state', filter: { field: 'project_name', op: 'like', value: '统计测试%' } }, 'count');
  assert.equal(f.total, Number(sql(`SELECT count(*) FROM e_registration WHERE state <> 'deleted' AND project_name LIKE '统计测试%'
    AND org_code LIKE '3501%' AND org_code NOT LIKE '350128%'`)));
  // a field the tally does not hold: counted too
  const ct = await groups('gulou', { by: 'state' }, 'tally');
  assert.deepEqual((await groups('gulou', { by: 'state', filter: { field: 'org_code', op: 'like', value: '35%' } }, 'count')).list, ct.list);
});

test('bad parameters are refused with 400 in Chinese', async () => {
  for (const [params, field] of [
    [{}, 'by'],
    [{ by: 'project_name' }, 'by'],
    [{ by: 'nope' }, 'by'],
    [{ by: 'state,state' }, 'by'],
    [{ by: 'project_kind:city' }, 'by'],
    [{ by: 'org_code:street' }, 'by'],
    [{ by: 'state,org_code,project_kind,month,applicant_id' }, 'by'],
    [{ by: 'state', month: '2026-13' }, 'month'],
    [{ by: 'state', month: '2026-12..2026-01' }, 'month'],
    [{ by: 'state', filter: '{"field":' }, 'filter'],
    [{ by: 'state', filter: { field: 'nope', op: 'eq', value: 1 } }, 'filter'],
  ]) {
    const r = await tally('fuzhou', params);
    assert.equal(r.status, 400, `${JSON.stringify(params)}: ${r.text}`);
    const e = assertError(r.json, 'invalid');
    assert.ok(e.fields && e.fields[field], `${JSON.stringify(params)}: ${r.text}`);
  }
  assert.equal((await tally('fuzhou', { by: 'state' }, 'nothing')).status, 404);
  const anon = await req(`${srv.url}/api/v1/records/registration/tally?by=state`);
  assert.equal(anon.status, 401);
});
