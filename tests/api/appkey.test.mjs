// App keys for other systems: HMAC-SM3 signed requests (X-App-Key, X-Timestamp, X-Nonce,
// X-Signature) in place of a session, replay protection, and their administration by the
// security administrator. The signing below follows docs/api/README.md, independently of the C code.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createHash, createHmac, randomBytes } from 'node:crypto';
import { createRequire } from 'node:module';
import { startServer } from './lib/harness.mjs';
import { req, assertError, dbExec } from './lib/checks.mjs';

const { sm2 } = createRequire(import.meta.url)('sm-crypto');
const PASSWORD = 'Jg@demo2026';

let srv;
let publicKey;
const sessions = {};
let client; // { id, app_key, secret } of the 厦门 inspector client
const secrets = []; // every secret the server showed

// ---- signing, as a client would write it ----

/** RFC 3986 percent-encoding of the UTF-8 bytes; keepSlash for the path. */
function enc(s, keepSlash = false) {
  let out = '';
  for (const b of Buffer.from(s, 'utf8')) {
    const c = String.fromCharCode(b);
    if (/[A-Za-z0-9\-._~]/.test(c) || (keepSlash && c === '/')) out += c;
    else out += '%' + b.toString(16).toUpperCase().padStart(2, '0');
  }
  return out;
}

/** Canonical query: decoded pairs, encoded, sorted by encoded key (stable), joined by '&'. */
function canonicalQuery(rawQuery) {
  const pairs = [...new URLSearchParams(rawQuery)].map(([k, v], i) => ({ k: enc(k), v: enc(v), i }));
  pairs.sort((a, b) => (a.k < b.k ? -1 : a.k > b.k ? 1 : a.i - b.i));
  return pairs.map((p) => `${p.k}=${p.v}`).join('&');
}

function canonical({ method, path, query, timestamp, nonce, body }) {
  const bodyHash = createHash('sm3').update(body ?? '').digest('hex');
  return [method, enc(decodeURIComponent(path), true), canonicalQuery(query), timestamp, nonce, bodyHash].join('\n');
}

function signHeaders({ key, secret, method, path, query = '', body, timestamp, nonce }) {
  timestamp = String(timestamp ?? Math.floor(Date.now() / 1000));
  nonce = nonce ?? randomBytes(16).toString('hex');
  const signature = createHmac('sm3', secret).update(canonical({ method, path, query, timestamp, nonce, body })).digest('hex');
  return { 'x-app-key': key, 'x-timestamp': timestamp, 'x-nonce': nonce, 'x-signature': signature };
}

/**
 * Send a signed request. target is "/path?query". sign (optional) overrides what is signed
 * ({path, query, body, ...}) so that a test can send something else than it signed.
 */
async function signed(target, { method = 'GET', body, key = client.app_key, secret = client.secret, sign = {}, headers = {} } = {}) {
  const [path, query = ''] = target.split('?');
  const h = signHeaders({ key, secret, method, path, query, body, ...sign });
  if (body !== undefined) h['content-type'] = 'application/json';
  const r = await req(srv.url + target, { method, headers: { ...h, ...headers }, body });
  r.sent = h;
  return r;
}

// ---- sessions ----

async function session(username) {
  const r = await req(srv.url + '/api/v1/auth/login', {
    method: 'POST', headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ username, password: sm2.doEncrypt(PASSWORD, publicKey, 1) }),
  });
  assert.equal(r.status, 200, r.text);
  return { cookie: r.headers.get('set-cookie').split(';')[0], csrf: r.json.csrf_token };
}

function asUser(s, path, { method = 'GET', body } = {}) {
  const headers = { cookie: s.cookie };
  if (method !== 'GET') headers['x-csrf-token'] = s.csrf;
  if (body !== undefined) headers['content-type'] = 'application/json';
  return req(srv.url + path, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
}

/** Every project a session lists. */
async function allProjects(list) {
  const items = [];
  for (let page = 1; page < 50; page++) {
    const r = await list(`/api/v1/projects?size=200&page=${page}`);
    assert.equal(r.status, 200, r.text);
    items.push(...r.json.items);
    if (!r.json.has_more) break;
  }
  return items;
}

before(async () => {
  srv = await startServer({ projects: 120 });
  publicKey = (await req(srv.url + '/api/v1/auth/login-key')).json.public_key;
  for (const u of ['secadmin', 'admin', 'auditor', 'gulou', 'xiamen']) sessions[u] = await session(u);
  // A nonce from long ago: the first signed request purges it.
  dbExec(srv.env.JIANGUAN_DATABASE, "INSERT INTO request_nonce (app_key, nonce, at) VALUES ('ak_old', 'n0000000000000000', '2020-01-01T00:00:00.000Z')");
});
after(async () => { assert.equal(await srv.stop(), 0); });

test('the security administrator creates a client: 201 with the secret shown once', async () => {
  const r = await asUser(sessions.secadmin, '/api/v1/app-clients', {
    method: 'POST', body: { name: '厦门市数据共享平台', role: 'inspector', org_code: '3502' },
  });
  assert.equal(r.status, 201, r.text);
  assert.match(r.json.app_key, /^ak_[0-9a-f]{24}$/);
  assert.match(r.json.secret, /^[0-9a-f]{64}$/);
  assert.equal(r.json.role, 'inspector');
  assert.equal(r.json.org_code, '3502');
  assert.equal(r.json.status, 'active');
  assert.equal(r.json.enterprise_id, null);
  client = { id: r.json.id, app_key: r.json.app_key, secret: r.json.secret };
  secrets.push(r.json.secret);
  const stored = dbExec(srv.env.JIANGUAN_DATABASE, `SELECT secret_enc FROM app_client WHERE id = ${client.id}`).trim();
  assert.match(stored, /^v1\./, 'the secret is kept SM4-sealed');
  assert.ok(!stored.includes(client.secret));
});

test('a signed GET lists exactly the 厦门 projects, as the 厦门 inspector sees them', async () => {
  const mine = await allProjects((p) => signed(p));
  assert.ok(mine.length > 0, 'the seed has 厦门 projects');
  assert.ok(mine.every((p) => p.org_code.startsWith('3502')), 'only 厦门');
  const person = await allProjects((p) => asUser(sessions.xiamen, p));
  assert.deepEqual(mine.map((p) => p.id).sort((a, b) => a - b), person.map((p) => p.id).sort((a, b) => a - b));
  const count = dbExec(srv.env.JIANGUAN_DATABASE, "SELECT count(*) FROM request_nonce WHERE app_key = 'ak_old'").trim();
  assert.equal(count, '0', 'old nonces are purged');
});

test('a 福州 project by id is 404 for the 厦门 client; a 厦门 one is 200', async () => {
  const fz = await req(srv.url + '/api/v1/public/projects?org_code=3501&size=1');
  const id = fz.json.items[0].id;
  const r = await signed(`/api/v1/projects/${id}`);
  assert.equal(r.status, 404);
  assertError(r.json, 'not_found');
  const xm = await req(srv.url + '/api/v1/public/projects?org_code=3502&size=1');
  const ok = await signed(`/api/v1/projects/${xm.json.items[0].id}`);
  assert.equal(ok.status, 200, ok.text);
  assert.equal(ok.json.id, xm.json.items[0].id);
});

test('the same request sent twice: the second is 401 replayed', async () => {
  const first = await signed('/api/v1/projects?size=1');
  assert.equal(first.status, 200, first.text);
  const again = await req(srv.url + '/api/v1/projects?size=1', { headers: first.sent });
  assert.equal(again.status, 401);
  assertError(again.json, 'replayed');
  // The same nonce with a fresh signature over another request is a replay too.
  const other = await signed('/api/v1/projects?size=2', { sign: { nonce: first.sent['x-nonce'] } });
  assertError(other.json, 'replayed');
});

test('a tampered path, query or body: 401 signature_invalid', async () => {
  const xm = (await req(srv.url + '/api/v1/public/projects?org_code=3502&size=2')).json.items;
  let r = await signed(`/api/v1/projects/${xm[1].id}`, { sign: { path: `/api/v1/projects/${xm[0].id}` } });
  assert.equal(r.status, 401);
  assertError(r.json, 'signature_invalid');
  r = await signed('/api/v1/projects?size=6', { sign: { query: 'size=5' } });
  assertError(r.json, 'signature_invalid');
  r = await signed('/api/v1/projects?size=5&status=completed', { sign: { query: 'size=5' } });
  assertError(r.json, 'signature_invalid');
  r = await signed('/api/v1/projects/query', {
    method: 'POST', body: '{"size":50}', sign: { body: '{"size":5}' },
  });
  assertError(r.json, 'signature_invalid');
  r = await signed('/api/v1/projects?size=5', { sign: { method: 'POST' } });
  assertError(r.json, 'signature_invalid');
  // A signature under another secret: the same answer as a key that does not exist.
  const wrong = await signed('/api/v1/projects', { secret: '0'.repeat(64) });
  const unknown = await signed('/api/v1/projects', { key: 'ak_000000000000000000000000' });
  assert.equal(wrong.status, 401);
  assert.deepEqual(wrong.json, unknown.json);
});

test('the query is taken as decoded pairs: order of keys and URL encoding do not matter', async () => {
  // Sent in another order than the canonical (sorted) form, with '+' for a space and UTF-8 text.
  let r = await signed('/api/v1/projects?status=under_construction&size=3&keyword=%E5%8E%A6%E9%97%A8');
  assert.equal(r.status, 200, r.text);
  r = await signed('/api/v1/projects?size=3&keyword=a+b', { sign: { query: 'keyword=a%20b&size=3' } });
  assert.equal(r.status, 200, r.text);
  // Two values of one key are signed in the order sent: swapping them is a different request.
  r = await signed('/api/v1/projects?status=completed&status=suspended', { sign: { query: 'status=suspended&status=completed' } });
  assertError(r.json, 'signature_invalid');
});

test('timestamps outside the window are refused, inside it accepted', async () => {
  const now = Math.floor(Date.now() / 1000);
  for (const ts of [now - 400, now + 400, 0]) {
    const r = await signed('/api/v1/projects?size=1', { sign: { timestamp: ts } });
    assert.equal(r.status, 401, String(ts));
    assertError(r.json, 'timestamp_out_of_window');
  }
  const r = await signed('/api/v1/projects?size=1', { sign: { timestamp: now - 200 } });
  assert.equal(r.status, 200, r.text);
});

test('malformed signature headers: 401 signature_invalid', async () => {
  const cases = [
    { 'x-nonce': 'short' },
    { 'x-nonce': 'has spaces in it!!!!' },
    { 'x-timestamp': '12ab' },
    { 'x-timestamp': '-5' },
    { 'x-signature': 'zz' },
    { 'x-app-key': 'bad key' },
  ];
  for (const headers of cases) {
    const r = await signed('/api/v1/projects?size=1', { headers });
    assert.equal(r.status, 401, JSON.stringify(headers));
    assertError(r.json, 'signature_invalid');
  }
  const { 'x-signature': _drop, ...rest } = signHeaders({ key: client.app_key, secret: client.secret, method: 'GET', path: '/api/v1/projects' });
  const r = await req(srv.url + '/api/v1/projects', { headers: rest });
  assertError(r.json, 'signature_invalid');
});

test('a signed POST needs no CSRF token; who the client is shows in /auth/me', async () => {
  const r = await signed('/api/v1/projects/query', { method: 'POST', body: '{"size":3,"status":["under_construction"]}' });
  assert.equal(r.status, 200, r.text);
  assert.ok(r.json.items.every((p) => p.org_code.startsWith('3502')));
  const me = await signed('/api/v1/auth/me');
  assert.equal(me.status, 200, me.text);
  assert.equal(me.json.user.username, 'app:' + client.app_key);
  assert.equal(me.json.user.role, 'inspector');
  assert.equal(me.json.user.org_code, '3502');
  assert.equal(me.json.user.kind, 'app');
  // Session routes are not for clients.
  const out = await signed('/api/v1/auth/logout', { method: 'POST' });
  assert.equal(out.status, 403);
  assertError(out.json, 'forbidden');
  // Nor are the security administrator's routes: the inspector role lacks app_client.manage.
  assertError((await signed('/api/v1/app-clients')).json, 'forbidden');
});

test('rotation: the old secret stops working, the new one works', async () => {
  const r = await asUser(sessions.secadmin, `/api/v1/app-clients/${client.id}/rotate`, { method: 'POST' });
  assert.equal(r.status, 200, r.text);
  assert.match(r.json.secret, /^[0-9a-f]{64}$/);
  assert.notEqual(r.json.secret, client.secret);
  assert.equal(r.json.app_key, client.app_key);
  const old = await signed('/api/v1/projects?size=1');
  assertError(old.json, 'signature_invalid');
  client.secret = r.json.secret;
  secrets.push(r.json.secret);
  assert.equal((await signed('/api/v1/projects?size=1')).status, 200);
});

test('a disabled client is refused like an unknown key', async () => {
  const other = await asUser(sessions.secadmin, '/api/v1/app-clients', {
    method: 'POST', body: { name: '省一体化平台', role: 'province_admin', org_code: '35' },
  });
  assert.equal(other.status, 201, other.text);
  secrets.push(other.json.secret);
  const as = { key: other.json.app_key, secret: other.json.secret };
  assert.equal((await signed('/api/v1/projects?size=1', as)).status, 200);
  const d = await asUser(sessions.secadmin, `/api/v1/app-clients/${other.json.id}/disable`, { method: 'POST' });
  assert.equal(d.status, 200, d.text);
  assert.equal(d.json.status, 'disabled');
  assert.equal(d.json.secret, undefined);
  const r = await signed('/api/v1/projects?size=1', as);
  assert.equal(r.status, 401);
  assertError(r.json, 'signature_invalid');
  const again = await asUser(sessions.secadmin, `/api/v1/app-clients/${other.json.id}/disable`, { method: 'POST' });
  assert.equal(again.status, 200, 'disabling twice changes nothing');
  assert.equal((await asUser(sessions.secadmin, '/api/v1/app-clients/999999/disable', { method: 'POST' })).status, 404);
  assert.equal((await asUser(sessions.secadmin, '/api/v1/app-clients/999999/rotate', { method: 'POST' })).status, 404);
});

test('the 三员 roles, unknown roles and regions, and bad input: 400 with fields', async () => {
  const post = (body) => asUser(sessions.secadmin, '/api/v1/app-clients', { method: 'POST', body });
  for (const role of ['auditor', 'security_admin', 'platform_admin', 'no_such_role']) {
    const r = await post({ name: '测试系统', role, org_code: '3502' });
    assert.equal(r.status, 400, role);
    assert.ok(assertError(r.json, 'invalid').fields.role, role);
  }
  let r = await post({ name: '测试系统', role: 'inspector', org_code: '9999' });
  assert.ok(assertError(r.json, 'invalid').fields.org_code);
  r = await post({ role: 'inspector', org_code: '3502', secret: 'mine' });
  const f = assertError(r.json, 'invalid').fields;
  assert.ok(f.name && f.secret);
  r = await post({ name: '企业系统', role: 'enterprise_admin', org_code: '3502' });
  assert.ok(assertError(r.json, 'invalid').fields.enterprise_id, 'an enterprise-scoped role needs an enterprise');
  r = await post({ name: '企业系统', role: 'enterprise_admin', org_code: '3502', enterprise_id: 99999999 });
  assert.ok(assertError(r.json, 'invalid').fields.enterprise_id);
  const count = dbExec(srv.env.JIANGUAN_DATABASE, "SELECT count(*) FROM app_client WHERE name = '测试系统'").trim();
  assert.equal(count, '0');
});

test('only the security administrator may administer clients (403 for others)', async () => {
  for (const u of ['admin', 'auditor', 'gulou', 'xiamen']) {
    assertError((await asUser(sessions[u], '/api/v1/app-clients')).json, 'forbidden');
    const r = await asUser(sessions[u], '/api/v1/app-clients', {
      method: 'POST', body: { name: '越权', role: 'inspector', org_code: '3502' },
    });
    assert.equal(r.status, 403, u);
    assert.equal((await asUser(sessions[u], `/api/v1/app-clients/${client.id}/rotate`, { method: 'POST' })).status, 403, u);
    assert.equal((await asUser(sessions[u], `/api/v1/app-clients/${client.id}/disable`, { method: 'POST' })).status, 403, u);
  }
  assert.equal((await req(srv.url + '/api/v1/app-clients')).status, 401);
});

test('the list shows clients without secrets; the audit log has every change and no secret', async () => {
  const list = await asUser(sessions.secadmin, '/api/v1/app-clients?size=50');
  assert.equal(list.status, 200, list.text);
  assert.ok(list.json.items.length >= 2);
  const mine = list.json.items.find((c) => c.id === client.id);
  assert.equal(mine.app_key, client.app_key);
  for (const c of list.json.items) assert.ok(!('secret' in c) && !('secret_enc' in c));
  for (const s of secrets) assert.ok(!list.text.includes(s));
  assert.ok(!list.text.includes('v1.'), 'not even the sealed form');
  const disabled = await asUser(sessions.secadmin, '/api/v1/app-clients?status=disabled');
  assert.ok(disabled.json.items.every((c) => c.status === 'disabled') && disabled.json.items.length === 1);

  const audit = await asUser(sessions.auditor, '/api/v1/audit?size=200');
  assert.equal(audit.status, 200, audit.text);
  const actions = audit.json.items.map((e) => e.action);
  for (const a of ['app_client_create', 'app_client_rotate', 'app_client_disable']) assert.ok(actions.includes(a), a);
  assert.equal(actions.filter((a) => a === 'app_client_disable').length, 1, 'a no-op disable is not audited');
  const rotate = audit.json.items.find((e) => e.action === 'app_client_rotate');
  assert.equal(rotate.username, 'secadmin');
  assert.equal(rotate.record_id, String(client.id));
  assert.equal(secrets.length, 3);
  for (const s of secrets) assert.ok(!audit.text.includes(s), 'no secret in the audit log');
  const details = audit.json.items.filter((e) => e.action.startsWith('app_client_')).map((e) => e.detail).join(' ');
  assert.ok(!/secret/.test(details));
  assert.ok(!/\b[0-9a-f]{64}\b/.test(details), 'no 64-digit secret in any detail');
});
