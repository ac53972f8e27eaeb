// Login with an SM2-encrypted password (as sm-crypto in the browser does it), sessions, CSRF,
// lockout, rate limits, and the audit log's hash chain with `jianguan audit-verify`.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import { startServer, runVerb } from './lib/harness.mjs';
import { req, assertError, dbExec } from './lib/checks.mjs';

const { sm2 } = createRequire(import.meta.url)('sm-crypto');
const PASSWORD = 'Jg@demo2026';

let srv;
let publicKey;
before(async () => {
  // The captcha is off so that repeated wrong passwords reach the lockout (captcha.test.mjs covers it).
  srv = await startServer({ projects: 5, env: { JIANGUAN_LOGIN_MAX_FAILURES: '3', JIANGUAN_AUTH_RATE_PER_MINUTE: '40', JIANGUAN_CAPTCHA: 'off' } });
  const r = await req(srv.url + '/api/v1/auth/login-key');
  assert.equal(r.status, 200);
  publicKey = r.json.public_key;
});
after(async () => { assert.equal(await srv.stop(), 0); });

async function login(username, password, extra = {}) {
  const body = { username, password: sm2.doEncrypt(password, publicKey, 1), ...extra };
  return req(srv.url + '/api/v1/auth/login', {
    method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body),
  });
}

test('the login key is an uncompressed SM2 point', () => {
  assert.match(publicKey, /^04[0-9a-f]{128}$/);
});

test('login sets an HttpOnly SameSite=Strict cookie and returns the user and a CSRF token', async () => {
  const r = await login('gulou', PASSWORD);
  assert.equal(r.status, 200, r.text);
  const cookie = r.headers.get('set-cookie');
  assert.match(cookie, /^jg_session=[A-Za-z0-9_-]{43}; /);
  assert.match(cookie, /HttpOnly/);
  assert.match(cookie, /SameSite=Strict/);
  assert.equal(r.json.user.username, 'gulou');
  assert.equal(r.json.user.org_code, '350102');
  assert.match(r.json.csrf_token, /^[0-9a-f]{64}$/);
  const me = await req(srv.url + '/api/v1/auth/me', { headers: { cookie: cookie.split(';')[0] } });
  assert.equal(me.status, 200);
  assert.equal(me.json.user.username, 'gulou');
  assert.equal(me.json.csrf_token, r.json.csrf_token);
});

test('the database keeps only a hash of the session token', async () => {
  const r = await login('province', PASSWORD);
  const token = r.headers.get('set-cookie').split(';')[0].split('=')[1];
  const stored = dbExec(srv.env.JIANGUAN_DATABASE, 'SELECT token_hash FROM login_session');
  assert.ok(!stored.includes(token));
  assert.match(stored, /[0-9a-f]{64}/);
});

test('without a session: 401; writes without the CSRF token: 403; logout ends the session', async () => {
  assertError((await req(srv.url + '/api/v1/auth/me')).json, 'unauthorized');
  assertError((await req(srv.url + '/api/v1/auth/me', { headers: { cookie: 'jg_session=' + 'A'.repeat(43) } })).json,
    'unauthorized');
  const r = await login('admin', PASSWORD);
  const cookie = r.headers.get('set-cookie').split(';')[0];
  let out = await req(srv.url + '/api/v1/auth/logout', { method: 'POST', headers: { cookie } });
  assert.equal(out.status, 403);
  assertError(out.json, 'csrf');
  out = await req(srv.url + '/api/v1/auth/logout', { method: 'POST', headers: { cookie, 'x-csrf-token': '0'.repeat(64) } });
  assert.equal(out.status, 403);
  out = await req(srv.url + '/api/v1/auth/logout', { method: 'POST', headers: { cookie, 'x-csrf-token': r.json.csrf_token } });
  assert.equal(out.status, 200);
  assert.match(out.headers.get('set-cookie'), /Max-Age=0/);
  assert.equal((await req(srv.url + '/api/v1/auth/me', { headers: { cookie } })).status, 401);
});

test('a wrong user and a wrong password get the same answer', async () => {
  const a = await login('gulou', 'not-the-password');
  const b = await login('no-such-user', 'not-the-password');
  assert.equal(a.status, 401);
  assert.equal(b.status, 401);
  assert.deepEqual(a.json, b.json);
  assertError(a.json, 'unauthorized');
});

test('bad input: missing fields, a ciphertext that is not SM2, a foreign key', async () => {
  const post = (body) => req(srv.url + '/api/v1/auth/login', {
    method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body),
  });
  let r = await post({});
  assert.equal(r.status, 400);
  assert.ok(assertError(r.json, 'invalid').fields.username);
  r = await post({ username: 'gulou', password: 'abcdef' });
  assert.equal(r.status, 400);
  const other = sm2.generateKeyPairHex();
  r = await post({ username: 'gulou', password: sm2.doEncrypt(PASSWORD, other.publicKey, 1) });
  assert.equal(r.status, 400);
  assertError(r.json, 'invalid');
});

test('after the limit of failures the account locks (423), even for the right password', async () => {
  for (let i = 0; i < 3; i++) assert.equal((await login('contractor', 'wrong' + i)).status, 401);
  const r = await login('contractor', PASSWORD);
  assert.equal(r.status, 423);
  assertError(r.json, 'account_locked');
});

test('every login, failure and logout is audited, and audit-verify notices tampering', async () => {
  const rows = dbExec(srv.env.JIANGUAN_DATABASE, "SELECT action FROM audit_log ORDER BY id").trim().split('\n');
  for (const a of ['login', 'logout', 'login_failed', 'login_locked']) assert.ok(rows.includes(a), a);
  let v = runVerb(srv.env, 'audit-verify');
  assert.equal(v.status, 0, v.stderr);
  assert.match(v.stdout, /intact: \d+ rows/);
  dbExec(srv.env.JIANGUAN_DATABASE, "UPDATE audit_log SET username = 'someone' WHERE id = 2");
  v = runVerb(srv.env, 'audit-verify');
  assert.equal(v.status, 1);
  assert.match(v.stdout, /BROKEN at row 2/);
});

async function session(username, password) {
  const r = await login(username, password);
  assert.equal(r.status, 200, r.text);
  return { cookie: r.headers.get('set-cookie').split(';')[0], csrf: r.json.csrf_token, user: r.json.user };
}

function changePassword(s, oldPassword, newPassword) {
  return req(srv.url + '/api/v1/auth/password', {
    method: 'POST',
    headers: { 'content-type': 'application/json', cookie: s.cookie, 'x-csrf-token': s.csrf },
    body: JSON.stringify({
      old_password: sm2.doEncrypt(oldPassword, publicKey, 1),
      new_password: sm2.doEncrypt(newPassword, publicKey, 1),
    }),
  });
}

test('password change: policy, old password, reuse of recent ones, then the new one logs in', async () => {
  const s = await session('fuzhou', PASSWORD);
  let r = await changePassword(s, PASSWORD, 'short1A');
  assert.equal(r.status, 400);
  assert.ok(assertError(r.json, 'invalid').fields.new_password);
  r = await changePassword(s, PASSWORD, 'alllowercase123');  /* two classes only */
  assert.equal(r.status, 400);
  r = await changePassword(s, 'Wrong@pass1', 'Fresh@2026pw');
  assert.equal(r.status, 400);
  assert.ok(assertError(r.json, 'invalid').fields.old_password);
  r = await changePassword(s, PASSWORD, PASSWORD);  /* the current one is "recent" too */
  assert.equal(r.status, 400);
  r = await changePassword(s, PASSWORD, 'Fresh@2026pw');
  assert.equal(r.status, 200, r.text);
  assert.equal((await login('fuzhou', PASSWORD)).status, 401);
  const again = await session('fuzhou', 'Fresh@2026pw');
  r = await changePassword(again, 'Fresh@2026pw', PASSWORD);  /* back to an earlier one */
  assert.equal(r.status, 400);
  assert.match(r.json.error.message, /最近/);
  const rows = dbExec(srv.env.JIANGUAN_DATABASE, "SELECT count(*) FROM audit_log WHERE action = 'password_change'");
  assert.equal(rows.trim(), '1');
});

test('a password older than the policy allows must be changed at the next login', async () => {
  dbExec(srv.env.JIANGUAN_DATABASE, "UPDATE app_user SET password_changed_at = '2020-01-01T00:00:00.000Z' WHERE username = 'province'");
  const s = await session('province', PASSWORD);
  assert.equal(s.user.must_change_password, true);
});

test('too many login requests from one address: 429', async () => {
  let last;
  for (let i = 0; i < 45; i++) {
    last = await req(srv.url + '/api/v1/auth/login', {
      method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"username":"x","password":"00"}',
    });
    if (last.status === 429) break;
  }
  assert.equal(last.status, 429);
  assertError(last.json, 'rate_limited');
});
