// 公示: the public project list, detail and JSON query.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startServer, dbKind } from './lib/harness.mjs';
import { assertError, req, dbExec, createPgDatabase } from './lib/checks.mjs';

const PROJECTS = 60;
const MAX_PAGE = 200; // max_page_size default
const LIST = '/api/v1/public/projects';
const STATUSES = ['registered', 'under_construction', 'suspended', 'completed'];
const KEYS = ['id', 'code', 'name', 'org_code', 'address', 'owner_name', 'contractor_name', 'supervisor_firm_name',
  'status', 'registered_on', 'area_m2', 'cost_wan', 'updated_at', 'version'];

let srv;
let all; // every project, sort=id
before(async () => {
  srv = await startServer({ projects: PROJECTS });
  const r = await get(`?size=${MAX_PAGE}&sort=id`);
  assert.equal(r.status, 200);
  all = r.json.items;
});
after(async () => { assert.equal(await srv.stop(), 0); });

async function get(query, base = srv.url) {
  return req(base + LIST + query);
}
async function post(body, base = srv.url) {
  return req(base + LIST + '/query', { method: 'POST', headers: { 'content-type': 'application/json' }, body: typeof body === 'string' ? body : JSON.stringify(body) });
}
const ids = (items) => items.map((p) => p.id);
const byRegisteredDesc = (a, b) => (a.registered_on < b.registered_on ? 1 : a.registered_on > b.registered_on ? -1 : b.id - a.id);
const qs = (o) => '?' + new URLSearchParams(o).toString();

function assertProject(p) {
  assert.deepEqual(Object.keys(p).sort(), [...KEYS].sort());
  assert.ok(Number.isInteger(p.id) && p.id > 0);
  assert.ok(Number.isInteger(p.version) && p.version >= 1);
  for (const k of ['area_m2', 'cost_wan']) assert.equal(typeof p[k], 'number', k);
  for (const k of ['code', 'name', 'org_code', 'address', 'owner_name', 'contractor_name', 'supervisor_firm_name', 'status', 'registered_on', 'updated_at'])
    assert.equal(typeof p[k], 'string', k);
  assert.ok(STATUSES.includes(p.status));
  assert.match(p.org_code, /^35(\d\d){0,2}$/);
  assert.match(p.registered_on, /^\d{4}-\d\d-\d\d$/);
}

test('the seed is all there', () => {
  assert.equal(all.length, PROJECTS);
  assert.deepEqual(ids(all), [...ids(all)].sort((a, b) => a - b));
  assert.equal(new Set(ids(all)).size, PROJECTS);
  for (const p of all) assertProject(p);
});

test('default listing: page 1 of 20, newest registration first, has_more', async () => {
  const r = await get('');
  assert.equal(r.status, 200);
  assert.deepEqual(Object.keys(r.json).sort(), ['has_more', 'items', 'page', 'size']);
  assert.equal(r.json.page, 1);
  assert.equal(r.json.size, 20);
  assert.equal(r.json.has_more, true);
  assert.deepEqual(ids(r.json.items), ids([...all].sort(byRegisteredDesc).slice(0, 20)));
  assert.equal(r.headers.get('cache-control'), 'no-store');
  assert.match(r.headers.get('content-type'), /^application\/json; charset=utf-8/);
});

test('has_more is false exactly on the last page', async () => {
  let r = await get('?page=3&size=20');
  assert.equal(r.json.items.length, 20);
  assert.equal(r.json.has_more, false);
  r = await get('?page=2&size=29');
  assert.equal(r.json.items.length, 29);
  assert.equal(r.json.has_more, true);
  r = await get('?page=4&size=20');
  assert.deepEqual(r.json.items, []);
  assert.equal(r.json.has_more, false);
  r = await get(`?size=${MAX_PAGE}`);
  assert.equal(r.json.items.length, PROJECTS);
  assert.equal(r.json.has_more, false);
});

test('size must be 1..max_page_size', async () => {
  for (const size of ['0', '-1', String(MAX_PAGE + 1), '1000000', 'abc', '1.5', '', ' 5']) {
    const r = await get(qs({ size }));
    assert.equal(r.status, 400, `size=${size}`);
    const e = assertError(r.json, 'invalid');
    assert.deepEqual(Object.keys(e.fields), ['size'], `size=${size}`);
  }
  for (const size of [1, 7, MAX_PAGE]) {
    const r = await get(`?size=${size}`);
    assert.equal(r.status, 200);
    assert.equal(r.json.size, size);
    assert.equal(r.json.items.length, Math.min(size, PROJECTS));
  }
});

test('page must be positive and not too deep', async () => {
  for (const page of ['0', '-3', 'x', '1000001']) {
    const r = await get(qs({ page }));
    assert.equal(r.status, 400, `page=${page}`);
    assert.deepEqual(Object.keys(assertError(r.json, 'invalid').fields), ['page']);
  }
  // (page-1)*size at most 10,000
  for (const [page, size, ok] of [[501, 20, true], [502, 20, false], [51, 200, true], [52, 200, false], [10001, 1, true], [10002, 1, false]]) {
    const r = await get(qs({ page, size }));
    assert.equal(r.status, ok ? 200 : 400, `page=${page}&size=${size}`);
    if (ok) assert.deepEqual(r.json.items, []);
    else assert.ok(assertError(r.json, 'invalid').fields.page);
  }
});

test('status filter', async () => {
  let total = 0;
  for (const status of STATUSES) {
    const r = await get(qs({ status, size: MAX_PAGE, sort: 'id' }));
    assert.equal(r.status, 200);
    for (const p of r.json.items) assert.equal(p.status, status);
    assert.deepEqual(ids(r.json.items), ids(all.filter((p) => p.status === status)));
    total += r.json.items.length;
  }
  assert.equal(total, PROJECTS);
  assert.ok(all.filter((p) => p.status === 'under_construction').length > 0);
  for (const status of ['bogus', 'Completed', '', 'completed,suspended']) {
    const r = await get(qs({ status }));
    assert.equal(r.status, 400, `status=${status}`);
    assert.ok(assertError(r.json, 'invalid').fields.status);
  }
});

test('org_code is a region prefix', async () => {
  let total = 0;
  for (let city = 1; city <= 9; city++) {
    const org = `350${city}`;
    const r = await get(qs({ org_code: org, size: MAX_PAGE, sort: 'id' }));
    assert.equal(r.status, 200);
    for (const p of r.json.items) assert.ok(p.org_code.startsWith(org), `${p.org_code} under ${org}`);
    assert.deepEqual(ids(r.json.items), ids(all.filter((p) => p.org_code.startsWith(org))));
    total += r.json.items.length;
  }
  assert.equal(total, PROJECTS, 'every project is under one of the nine cities');
  assert.ok(all.some((p) => p.org_code.startsWith('3501')), 'Fuzhou has projects');
  let r = await get(qs({ org_code: '35', size: MAX_PAGE }));
  assert.equal(r.json.items.length, PROJECTS);
  const county = all[0].org_code;
  r = await get(qs({ org_code: county, size: MAX_PAGE, sort: 'id' }));
  assert.deepEqual(ids(r.json.items), ids(all.filter((p) => p.org_code === county)));
  r = await get(qs({ org_code: '36' }));
  assert.deepEqual(r.json.items, []);
  for (const org_code of ['35x', '3', '350', '3501021', '35010200', '', 'ab', '%', '35%']) {
    const res = await get(qs({ org_code }));
    assert.equal(res.status, 400, `org_code=${org_code}`);
    assert.deepEqual(Object.keys(assertError(res.json, 'invalid').fields), ['org_code']);
  }
});

test('keyword is a substring of the name', async () => {
  for (const keyword of ['区', '跨江大桥', '（一期）', all[5].name, all[5].name.slice(1, 4)]) {
    const r = await get(qs({ keyword, size: MAX_PAGE, sort: 'id' }));
    assert.equal(r.status, 200);
    const want = all.filter((p) => p.name.includes(keyword));
    assert.ok(want.length > 0, keyword);
    assert.deepEqual(ids(r.json.items), ids(want), `keyword ${keyword}`);
  }
  let r = await get(qs({ keyword: '' , size: MAX_PAGE }));
  assert.equal(r.json.items.length, PROJECTS, 'an empty keyword does not filter');
  for (const keyword of ['%', '_', '%%', '\\', '区%', '_区']) {
    r = await get(qs({ keyword }));
    assert.equal(r.status, 200);
    assert.deepEqual(r.json.items, [], `keyword ${keyword} matches literally`);
  }
  r = await get(qs({ keyword: '建'.repeat(20) }));
  assert.equal(r.status, 200, 'twenty Chinese characters are allowed');
  r = await get(qs({ keyword: '建'.repeat(21) }));
  assert.equal(r.status, 400);
  assert.deepEqual(Object.keys(assertError(r.json, 'invalid').fields), ['keyword']);
});

test('query text that is not UTF-8 is a 400 on every backend', async () => {
  for (const q of ['?keyword=%ff', '?keyword=%C0%AF', '?keyword=%e5%8c', '?org_code=%ff', '?sort=%ed%a0%80', '?x%ff=1']) {
    const r = await req(`${srv.url}${LIST}${q}`);
    assert.equal(r.status, 400, `${q}: ${r.text}`);
    assertError(r.json, 'invalid');
  }
});

test('sort orders', async () => {
  const check = async (sort, cmp) => {
    const r = await get(qs({ sort, size: MAX_PAGE }));
    assert.equal(r.status, 200, sort);
    const items = r.json.items;
    assert.equal(items.length, PROJECTS);
    for (let i = 1; i < items.length; i++) assert.ok(cmp(items[i - 1], items[i]), `${sort} at ${i}`);
  };
  await check('-registered_on', (a, b) => a.registered_on > b.registered_on || (a.registered_on === b.registered_on && a.id > b.id));
  await check('registered_on', (a, b) => a.registered_on < b.registered_on || (a.registered_on === b.registered_on && a.id < b.id));
  await check('id', (a, b) => a.id < b.id);
  await check('-id', (a, b) => a.id > b.id);
  for (const sort of ['name', '', '+id', 'ID', 'id desc', 'id;drop table project', '--id']) {
    const r = await get(qs({ sort }));
    assert.equal(r.status, 400, `sort=${sort}`);
    assert.deepEqual(Object.keys(assertError(r.json, 'invalid').fields), ['sort']);
  }
});

test('pages do not overlap and leave no gaps, for every sort and filter', async () => {
  for (const extra of [{}, { sort: 'id' }, { sort: '-id' }, { sort: 'registered_on' }, { status: 'under_construction' }, { org_code: '3501', sort: '-registered_on' }]) {
    const whole = (await get(qs({ ...extra, size: MAX_PAGE }))).json.items;
    const walked = [];
    for (let page = 1; ; page++) {
      const r = await get(qs({ ...extra, page, size: 7 }));
      assert.equal(r.status, 200);
      walked.push(...r.json.items);
      assert.equal(r.json.has_more, walked.length < whole.length, `has_more on page ${page}`);
      if (!r.json.has_more) break;
    }
    assert.deepEqual(ids(walked), ids(whole), JSON.stringify(extra));
    assert.equal(new Set(ids(walked)).size, walked.length);
  }
});

test('filters combine', async () => {
  const r = await get(qs({ status: 'under_construction', org_code: '35', keyword: '区', sort: 'id', size: MAX_PAGE }));
  assert.equal(r.status, 200);
  assert.deepEqual(ids(r.json.items), ids(all.filter((p) => p.status === 'under_construction' && p.name.includes('区'))));
  // several errors at once are all named
  const bad = await get(qs({ status: 'x', org_code: 'y', sort: 'z' }));
  assert.equal(bad.status, 400);
  assert.deepEqual(Object.keys(assertError(bad.json, 'invalid').fields).sort(), ['org_code', 'sort', 'status']);
});

test('detail: GET /api/v1/public/projects/{id}', async () => {
  for (const p of [all[0], all[17], all[PROJECTS - 1]]) {
    const r = await req(`${srv.url}${LIST}/${p.id}`);
    assert.equal(r.status, 200);
    assertProject(r.json);
    assert.deepEqual(r.json, p, 'the detail is the list item');
  }
  const maxId = Math.max(...ids(all));
  for (const id of [String(maxId + 1), '0', '-1', 'abc', '99999999999999999999', '9223372036854775807', '9223372036854775808', '1.0', '1e3', '0x1', '%20' + all[0].id]) {
    const r = await req(`${srv.url}${LIST}/${id}`);
    assert.equal(r.status, 404, `id ${id}`);
    assertError(r.json, 'not_found');
  }
});

test('POST /query gives the same items as the equivalent GET', async () => {
  const cases = [
    [{}, ''],
    [{ status: ['completed'], sort: 'id', size: 50 }, '?status=completed&sort=id&size=50'],
    [{ status: 'suspended', page: 1, size: 3 }, '?status=suspended&page=1&size=3'],
    [{ org_code: '3501', keyword: '区', sort: '-registered_on', page: 2, size: 4 }, '?org_code=3501&keyword=%E5%8C%BA&sort=-registered_on&page=2&size=4'],
    [{ keyword: '%', size: 10 }, '?keyword=%25&size=10'],
    [{ status: [], sort: 'registered_on', page: 3, size: 10 }, '?sort=registered_on&page=3&size=10'],
  ];
  for (const [body, query] of cases) {
    const p = await post(body);
    const g = await get(query);
    assert.equal(p.status, 200, JSON.stringify(body) + ' ' + p.text);
    assert.equal(g.status, 200, query);
    assert.deepEqual(p.json, g.json, JSON.stringify(body));
  }
  // several statuses at once: their union, in order
  const r = await post({ status: ['completed', 'suspended'], sort: 'id', size: MAX_PAGE });
  assert.equal(r.status, 200);
  assert.deepEqual(ids(r.json.items), ids(all.filter((p) => p.status === 'completed' || p.status === 'suspended')));
  const four = await post({ status: STATUSES, size: MAX_PAGE });
  assert.equal(four.json.items.length, PROJECTS);
});

test('POST /query: unknown keys and bad types are 400 naming them', async () => {
  const cases = [
    [{ nope: 1 }, ['nope']],
    [{ nope: 1, other: 'x', size: 5 }, ['nope', 'other']],
    [{ Status: ['completed'] }, ['Status']],
    [{ page: '1' }, ['page']],
    [{ page: 1.5 }, ['page']],
    [{ page: 0 }, ['page']],
    [{ page: null }, ['page']],
    [{ size: '20' }, ['size']],
    [{ size: true }, ['size']],
    [{ size: MAX_PAGE + 1 }, ['size']],
    [{ size: 0 }, ['size']],
    [{ page: 9007199254740991, size: 1 }, ['page']],
    [{ status: 5 }, ['status']],
    [{ status: 'bogus' }, ['status']],
    [{ status: ['completed', 5] }, ['status']],
    [{ status: ['completed', 'completed', 'completed', 'completed', 'completed'] }, ['status']],
    [{ status: {} }, ['status']],
    [{ org_code: 3501 }, ['org_code']],
    [{ org_code: '35x' }, ['org_code']],
    [{ keyword: 1 }, ['keyword']],
    [{ keyword: null }, ['keyword']],
    [{ keyword: '建'.repeat(21) }, ['keyword']],
    [{ sort: ['id'] }, ['sort']],
    [{ sort: 'name' }, ['sort']],
    [{ status: 'x', org_code: 1, keyword: [], sort: null }, ['keyword', 'org_code', 'sort', 'status']],
  ];
  for (const [body, named] of cases) {
    const r = await post(body);
    assert.equal(r.status, 400, JSON.stringify(body) + ' ' + r.text);
    const e = assertError(r.json, 'invalid');
    assert.deepEqual(Object.keys(e.fields ?? {}).sort(), named, JSON.stringify(body) + ' ' + r.text);
  }
  for (const body of ['[]', '[{"size":1}]']) {
    const r = await post(body);
    assert.equal(r.status, 400, body);
    assert.deepEqual(Object.keys(assertError(r.json, 'invalid').fields), ['body'], body);
  }
  for (const body of ['"x"', '1', 'null', 'true']) { // not a JSON document for the parser, or not an object
    const r = await post(body);
    assert.equal(r.status, 400, body);
    assertError(r.json, 'invalid');
  }
});

// SQLite and PostgreSQL must answer the same for the same seed. The suite runs on one backend at a
// time; with a PostgreSQL test cluster available, this starts the other backend too and compares.
const pgAdmin = process.env.JIANGUAN_TEST_PG;
test('the other backend answers identically for the same seed', { skip: pgAdmin ? false : 'JIANGUAN_TEST_PG not set' }, async () => {
  const other = dbKind === 'sqlite' ? createPgDatabase(pgAdmin) : null;
  let twin;
  try {
    twin = await startServer({ projects: PROJECTS, env: { JIANGUAN_DATABASE: other ? other.url : `sqlite:${srv.dir}/twin.db` } });
    const strip = (j) => JSON.parse(JSON.stringify(j, (k, v) => (k === 'updated_at' ? undefined : v)));
    const queries = ['', `?size=${MAX_PAGE}`, `?size=${MAX_PAGE}&sort=registered_on`, `?size=${MAX_PAGE}&sort=-id`, '?status=completed&size=7&page=2',
      '?org_code=3501&size=50', '?org_code=3505&sort=registered_on', '?keyword=%E5%8C%BA&size=50', '?keyword=%25', '?size=0', '?org_code=35x', '?sort=name'];
    for (const q of queries) {
      const a = await get(q);
      const b = await get(q, twin.url);
      assert.equal(a.status, b.status, q);
      assert.deepEqual(strip(a.json), strip(b.json), q);
    }
    for (const id of [1, 30, PROJECTS, PROJECTS + 1]) {
      const a = await req(`${srv.url}${LIST}/${id}`);
      const b = await req(`${twin.url}${LIST}/${id}`);
      assert.equal(a.status, b.status);
      assert.deepEqual(strip(a.json), strip(b.json));
    }
    const body = { status: ['completed', 'registered'], org_code: '35', sort: '-registered_on', size: 30 };
    assert.deepEqual(strip((await post(body)).json), strip((await post(body, twin.url)).json));
  } finally {
    if (twin) await twin.stop();
    if (other) other.drop();
  }
});

// Last: it adds a row the tests above do not expect.
test('% and _ and \\ in a keyword match literally', async () => {
  dbExec(srv.db.url, "INSERT INTO project (code, name, org_code, status, registered_on, created_at, updated_at)" +
    " VALUES ('TEST-LITERAL', '测试100%_项目\\备份', '350102', 'registered', '2000-01-01', '2026-01-01T00:00:00Z', '2026-01-01T00:00:00Z')");
  for (const keyword of ['%', '_', '100%_', '\\', '%_项目\\', '\\备']) {
    const r = await get(qs({ keyword }));
    assert.equal(r.status, 200);
    assert.deepEqual(r.json.items.map((p) => p.code), ['TEST-LITERAL'], `keyword ${keyword}`);
  }
  for (const keyword of ['_%', '0_1', '测试_', '%\\', '\\\\', '测%目']) {
    const r = await get(qs({ keyword }));
    assert.deepEqual(r.json.items, [], `keyword ${keyword}`);
  }
});
