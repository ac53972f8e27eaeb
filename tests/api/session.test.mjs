// Sessions: idle and absolute expiry, one session per user when configured, lockout that treats
// unknown names like known ones, and the department scope of a role.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { startServer } from './lib/harness.mjs';
import { req, assertError, dbExec } from './lib/checks.mjs';
import { login, session, as, encrypt, DEMO_PASSWORD } from './lib/auth.mjs';

const servers = [];
async function server(env = {}) {
  const srv = await startServer({ projects: 80, env: { JIANGUAN_CAPTCHA: 'off', ...env } });
  servers.push(srv);
  return srv;
}
after(async () => { for (const s of servers) assert.equal(await s.stop(), 0); });

const lastSessionId = (srv) => dbExec(srv.env.JIANGUAN_DATABASE,
  'SELECT id FROM login_session ORDER BY id DESC LIMIT 1').trim();

test('a session unused for longer than session_idle_s ends, and so does one past session_absolute_s', async () => {
  const srv = await server();
  const idle = await session(srv, 'gulou');
  assert.equal((await as(srv, idle, '/api/v1/auth/me')).status, 200);
  // Time passes: the last use moves back beyond the idle limit (1800 s by default).
  dbExec(srv.env.JIANGUAN_DATABASE, `UPDATE login_session SET last_seen_at = '2000-01-01T00:00:00Z' WHERE id = ${lastSessionId(srv)}`);
  let r = await as(srv, idle, '/api/v1/auth/me');
  assert.equal(r.status, 401);
  assertError(r.json, 'unauthorized');

  const old = await session(srv, 'gulou');
  assert.equal((await as(srv, old, '/api/v1/auth/me')).status, 200);
  dbExec(srv.env.JIANGUAN_DATABASE, `UPDATE login_session SET expires_at = '2000-01-01T00:00:00Z' WHERE id = ${lastSessionId(srv)}`);
  r = await as(srv, old, '/api/v1/auth/me');
  assert.equal(r.status, 401);
});

test('sessions are independent by default; with single_session a new login ends the others', async () => {
  const many = await server();
  const a = await session(many, 'fuzhou');
  const b = await session(many, 'fuzhou');
  assert.equal((await as(many, a, '/api/v1/auth/me')).status, 200);
  assert.equal((await as(many, b, '/api/v1/auth/me')).status, 200);

  const single = await server({ JIANGUAN_SINGLE_SESSION: '1' });
  const first = await session(single, 'fuzhou');
  const other = await session(single, 'xiamen');
  const second = await session(single, 'fuzhou');
  assert.equal((await as(single, first, '/api/v1/auth/me')).status, 401);
  assert.equal((await as(single, second, '/api/v1/auth/me')).status, 200);
  assert.equal((await as(single, other, '/api/v1/auth/me')).status, 200, 'other users keep their sessions');
});

test('an unknown name locks like a known one, so lockout does not reveal which accounts exist', async () => {
  const srv = await server({ JIANGUAN_LOGIN_MAX_FAILURES: '2' });
  for (const name of ['gulou', 'nosuchuser']) {
    assert.equal((await login(srv, name, 'Wrong#pass1')).status, 401);
    assert.equal((await login(srv, name, 'Wrong#pass2')).status, 401);
    const r = await login(srv, name, 'Wrong#pass3');
    assert.equal(r.status, 423, name);
    assertError(r.json, 'account_locked');
  }
  // Names are compared without case, so a capitalised name does not get a fresh count.
  assert.equal((await login(srv, 'GuLou')).status, 423);
  // When the lock runs out the count starts again, and the right password logs in.
  dbExec(srv.env.JIANGUAN_DATABASE, "UPDATE login_attempt SET locked_until = '2000-01-01T00:00:00Z'");
  assert.equal((await login(srv, 'gulou')).status, 200);
  assert.equal(dbExec(srv.env.JIANGUAN_DATABASE, 'SELECT count(*) FROM login_attempt WHERE failures > 0').trim(), '1',
    'the known name is forgotten after its successful login; the unknown one stays counted');
});

test('me names the role\'s scope and permissions', async () => {
  const srv = await server();
  const s = await session(srv, 'gulou');
  assert.equal(s.user.scope, 'region');
  assert.ok(s.user.permissions.includes('project.read'));
  assert.ok(!s.user.permissions.includes('person.reveal'));
  const admin = await session(srv, 'auditor');
  assert.equal(admin.user.scope, 'none');
  assert.deepEqual(admin.user.permissions.sort(), ['audit.export', 'audit.read']);
});

test('a role with department scope sees its own region only, not the counties below it', async () => {
  const srv = await server();
  const db = srv.env.JIANGUAN_DATABASE;
  dbExec(db, "INSERT INTO project (code, name, org_code, status, registered_on, created_at, updated_at) VALUES" +
    " ('BJ-CITY-1', '福州市本级项目', '3501', 'under_construction', '2026-02-01', '2026-02-01T00:00:00Z', '2026-02-01T00:00:00Z')");
  const before = await session(srv, 'fuzhou');
  const list = async (s) => (await as(srv, s, '/api/v1/projects?size=200')).json;
  const wide = await list(before);
  assert.ok(wide.items.some((p) => p.org_code !== '3501'), 'the region scope includes the districts');
  // The security administrator's change of a role takes effect on the next request.
  dbExec(db, "UPDATE role SET scope = 'department' WHERE code = 'inspector'");
  const narrow = await list(before);
  assert.deepEqual([...new Set(narrow.items.map((p) => p.org_code))], ['3501']);
  dbExec(db, "UPDATE role SET scope = 'none' WHERE code = 'inspector'");
  const none = await list(before);
  assert.equal(none.items.length, 0);
  const r = await as(srv, before, `/api/v1/projects/${wide.items[0].id}`);
  assert.equal(r.status, 404);
});

test('a user whose role no longer exists can log in but sees and does nothing', async () => {
  const srv = await server();
  dbExec(srv.env.JIANGUAN_DATABASE, "UPDATE app_user SET role = 'gone' WHERE username = 'xiamen'");
  const s = await session(srv, 'xiamen');
  assert.equal(s.user.scope, 'none');
  const r = await as(srv, s, '/api/v1/projects');
  assert.equal(r.status, 403);
  assertError(r.json, 'forbidden');
});

test('audited writes at the same time all succeed: writers queue for the audit chain instead of failing', async () => {
  // No retries: a transaction that failed to serialize would answer 503 at once.
  const srv = await server({ JIANGUAN_THREADS: '8', JIANGUAN_DB_POOL_SIZE: '8', JIANGUAN_DB_BUSY_RETRIES: '0' });
  const users = ['province', 'fuzhou', 'gulou', 'xiamen'];
  const sessions = [];
  for (let i = 0; i < 3; i++) for (const u of users) sessions.push(await session(srv, u));
  // Each logout revokes its session and appends to the chain, all at once.
  const answers = await Promise.all(sessions.map((s) => as(srv, s, '/api/v1/auth/logout', { method: 'POST' })));
  assert.deepEqual(answers.map((r) => r.status), Array(answers.length).fill(200));
});

test('changing the password ends the user\'s other sessions, not the one that changed it', async () => {
  const srv = await server();
  const here = await session(srv, 'xiamen');
  const elsewhere = await session(srv, 'xiamen');
  const r = await as(srv, here, '/api/v1/auth/password', {
    method: 'POST',
    body: { old_password: await encrypt(srv, DEMO_PASSWORD), new_password: await encrypt(srv, 'Xm#new-pass-2026') },
  });
  assert.equal(r.status, 200, r.text);
  assert.equal((await as(srv, here, '/api/v1/auth/me')).status, 200);
  assert.equal((await as(srv, elsewhere, '/api/v1/auth/me')).status, 401);
});
