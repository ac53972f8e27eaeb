// Data scope: supervisors see the projects of their region and below, nothing else — absent
// from lists and 404 by id, exactly like a project that does not exist.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import { startServer } from './lib/harness.mjs';
import { req, assertError, dbExec } from './lib/checks.mjs';

const { sm2 } = createRequire(import.meta.url)('sm-crypto');
const PASSWORD = 'Jg@demo2026';
let srv;
let publicKey;
const sessions = {};

async function session(username) {
  const r = await req(srv.url + '/api/v1/auth/login', {
    method: 'POST', headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ username, password: sm2.doEncrypt(PASSWORD, publicKey, 1) }),
  });
  assert.equal(r.status, 200, r.text);
  return { cookie: r.headers.get('set-cookie').split(';')[0], csrf: r.json.csrf_token };
}

/** Every project the user can list, page by page. */
async function all(s) {
  const items = [];
  for (let page = 1; page < 100; page++) {
    const r = await req(`${srv.url}/api/v1/projects?size=200&page=${page}`, { headers: { cookie: s.cookie } });
    assert.equal(r.status, 200, r.text);
    items.push(...r.json.items);
    if (!r.json.has_more) break;
  }
  return items;
}

before(async () => {
  srv = await startServer({ projects: 300 });
  // 平潭 is run as a city of its own: a project there belongs to no 福州 supervisor.
  dbExec(srv.env.JIANGUAN_DATABASE, "INSERT INTO project (code, name, org_code, status, registered_on, created_at, updated_at)" +
    " VALUES ('BJ-PT-1', '平潭综合实验区测试项目', '350128', 'under_construction', '2026-01-05', '2026-01-05T00:00:00Z', '2026-01-05T00:00:00Z')");
  publicKey = (await req(srv.url + '/api/v1/auth/login-key')).json.public_key;
  for (const u of ['province', 'fuzhou', 'gulou', 'xiamen', 'contractor']) sessions[u] = await session(u);
});
after(async () => { assert.equal(await srv.stop(), 0); });

test('without a login the supervisors\' view is closed', async () => {
  assertError((await req(srv.url + '/api/v1/projects')).json, 'unauthorized');
  assertError((await req(srv.url + '/api/v1/projects/1')).json, 'unauthorized');
});

test('each supervisor lists exactly the projects under their region', async () => {
  const everything = await all(sessions.province);
  assert.equal(everything.length, 301, 'the province sees every project, 平潭 included');
  for (const [user, prefix] of [['fuzhou', '3501'], ['gulou', '350102'], ['xiamen', '3502']]) {
    const mine = await all(sessions[user]);
    const expected = everything.filter((p) => p.org_code.startsWith(prefix) && !(prefix === '3501' && p.org_code === '350128'));
    assert.ok(expected.length > 0, `the seed has projects under ${prefix}`);
    assert.deepEqual(mine.map((p) => p.id).sort((a, b) => a - b), expected.map((p) => p.id).sort((a, b) => a - b), user);
  }
  assert.ok(!(await all(sessions.fuzhou)).some((p) => p.org_code === '350128'), '福州 does not see 平潭');
});

test('outside the scope a project is 404, inside it is 200', async () => {
  const everything = await all(sessions.province);
  const fuzhou = everything.find((p) => p.org_code.startsWith('3501') && p.org_code !== '350128');
  const xiamen = everything.find((p) => p.org_code.startsWith('3502'));
  const get = (s, id) => req(`${srv.url}/api/v1/projects/${id}`, { headers: { cookie: s.cookie } });
  let r = await get(sessions.xiamen, fuzhou.id);
  assert.equal(r.status, 404);
  assertError(r.json, 'not_found');
  const missing = await get(sessions.xiamen, 99999999);
  assert.deepEqual(r.json, missing.json, 'out of scope looks exactly like not existing');
  r = await get(sessions.xiamen, xiamen.id);
  assert.equal(r.status, 200);
  assert.equal(r.json.id, xiamen.id);
  assert.equal((await get(sessions.fuzhou, xiamen.id)).status, 404);
});

test('filters cannot widen the scope', async () => {
  const r = await req(`${srv.url}/api/v1/projects?org_code=35&size=200`, { headers: { cookie: sessions.gulou.cookie } });
  assert.equal(r.status, 200);
  assert.ok(r.json.items.length > 0);
  assert.ok(r.json.items.every((p) => p.org_code === '350102'));
  const q = await req(`${srv.url}/api/v1/projects/query`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', cookie: sessions.xiamen.cookie, 'x-csrf-token': sessions.xiamen.csrf },
    body: JSON.stringify({ org_code: '3501', size: 200 }),
  });
  assert.equal(q.status, 200);
  assert.deepEqual(q.json.items, [], 'a 厦门 supervisor asking for 福州 gets nothing');
});

test('an enterprise account sees only the projects its enterprise takes part in, no region\'s', async () => {
  const everything = await all(sessions.province);
  const mine = await all(sessions.contractor);
  // The demo contractor (福建榕建工程有限公司) builds a few 鼓楼 projects (project_party), nothing else.
  const expected = everything.filter((p) => p.contractor_name === '福建榕建工程有限公司');
  assert.ok(expected.length > 0);
  assert.deepEqual(mine.map((p) => p.id).sort((a, b) => a - b), expected.map((p) => p.id).sort((a, b) => a - b));
  assert.ok(mine.every((p) => p.org_code === '350102'));
  const other = everything.find((p) => p.org_code === '350102' && p.contractor_name !== '福建榕建工程有限公司');
  const get = (id) => req(`${srv.url}/api/v1/projects/${id}`, { headers: { cookie: sessions.contractor.cookie } });
  assert.equal((await get(other.id)).status, 404, 'another contractor\'s project in the same district');
  assert.equal((await get(mine[0].id)).status, 200);
  // Filters cannot widen it.
  const r = await req(`${srv.url}/api/v1/projects?org_code=35&size=200`, { headers: { cookie: sessions.contractor.cookie } });
  assert.deepEqual(r.json.items.map((p) => p.id).sort((a, b) => a - b), mine.map((p) => p.id).sort((a, b) => a - b));
});

test('the JSON query needs the CSRF token', async () => {
  const r = await req(`${srv.url}/api/v1/projects/query`, {
    method: 'POST', headers: { 'content-type': 'application/json', cookie: sessions.province.cookie }, body: '{}',
  });
  assert.equal(r.status, 403);
  assertError(r.json, 'csrf');
});

test('the 三员 do not do each other\'s work, nor see business data', async () => {
  for (const u of ['admin', 'secadmin', 'auditor']) sessions[u] = await session(u);
  const get = (u, path) => req(srv.url + path, { headers: { cookie: sessions[u].cookie } });
  for (const u of ['admin', 'secadmin', 'auditor']) {
    const r = await get(u, '/api/v1/projects');
    assert.equal(r.status, 403, `${u} may not list projects`);
    assertError(r.json, 'forbidden');
  }
  for (const u of ['admin', 'secadmin', 'province', 'contractor']) {
    assert.equal((await get(u, '/api/v1/audit')).status, 403, `${u} may not read the audit log`);
  }
  const log = await get('auditor', '/api/v1/audit?size=5');
  assert.equal(log.status, 200, log.text);
  assert.equal(log.json.items.length, 5);
  assert.ok(log.json.items.every((e) => typeof e.action === 'string' && /^[0-9a-f]{64}$/.test(e.hash)));
  assert.ok(log.json.items[0].id > log.json.items[1].id, 'newest first');
  const logins = await get('auditor', '/api/v1/audit?action=login&size=200');
  assert.ok(logins.json.items.length >= 8);
  assert.ok(logins.json.items.every((e) => e.action === 'login'));
  // No one can change the log through the API.
  const del = await req(srv.url + '/api/v1/audit', { method: 'DELETE', headers: { cookie: sessions.auditor.cookie, 'x-csrf-token': sessions.auditor.csrf } });
  assert.equal(del.status, 405);
});
