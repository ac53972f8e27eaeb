// `jianguan admin-password ROLE`: how a production installation (migrate, no demo data) gets its
// 三员 accounts, and the break-glass reset no API offers for them.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startServer, runVerb } from './lib/harness.mjs';
import { dbExec } from './lib/checks.mjs';
import { login, session, as } from './lib/auth.mjs';

let srv;
before(async () => { srv = await startServer({ seed: false, env: { JIANGUAN_CAPTCHA: 'off' } }); });
after(async () => { assert.equal(await srv.stop(), 0); });

const oneTime = (r) => /one-time password (\S+)/.exec(r.stdout)?.[1];

test('a migrated database has no account; admin-password creates each 三员 account with a one-time password', async () => {
  assert.equal(dbExec(srv.env.JIANGUAN_DATABASE, 'SELECT count(*) FROM app_user').trim(), '0');
  for (const [role, name] of [['platform_admin', 'admin'], ['security_admin', 'secadmin'], ['auditor', 'auditor']]) {
    const r = runVerb(srv.env, 'admin-password', role);
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stdout, new RegExp(`^account ${name} \\(${role}\\)`));
    const pw = oneTime(r);
    assert.match(pw, /^\S{12}$/);
    const s = await session(srv, name, pw);
    assert.equal(s.user.role, role);
    assert.equal(s.user.must_change_password, true);
  }
});

test('running it again resets the password: the old one and the account\'s sessions end, the lock is lifted', async () => {
  const first = oneTime(runVerb(srv.env, 'admin-password', 'security_admin'));
  const s = await session(srv, 'secadmin', first);
  for (let i = 0; i < 5; i++) await login(srv, 'secadmin', 'Wrong#pass' + i);
  assert.equal((await login(srv, 'secadmin', first)).status, 423);
  const r = runVerb(srv.env, 'admin-password', 'security_admin');
  assert.equal(r.status, 0, r.stderr);
  const second = oneTime(r);
  assert.notEqual(second, first);
  assert.equal((await as(srv, s, '/api/v1/auth/me')).status, 401);
  assert.equal((await login(srv, 'secadmin', first)).status, 401);
  assert.equal((await login(srv, 'secadmin', second)).status, 200);
  assert.equal(dbExec(srv.env.JIANGUAN_DATABASE, "SELECT count(*) FROM app_user WHERE role = 'security_admin'").trim(), '1');
});

test('every use is in the audit chain, which stays intact', () => {
  const rows = dbExec(srv.env.JIANGUAN_DATABASE, "SELECT username, detail FROM audit_log WHERE action = 'admin_password' ORDER BY id");
  assert.ok(rows.split('\n').filter(Boolean).length >= 5, rows);
  assert.match(rows, /"role":"platform_admin","created":true/);
  assert.match(rows, /"role":"security_admin","created":false/);
  assert.doesNotMatch(rows, /password_hash|pbkdf2/);
  const v = runVerb(srv.env, 'audit-verify');
  assert.equal(v.status, 0, v.stdout + v.stderr);
});

test('only the 三员 roles: anything else, or no role, exits 2 and changes nothing', () => {
  const before = dbExec(srv.env.JIANGUAN_DATABASE, 'SELECT count(*) FROM app_user').trim();
  for (const args of [['inspector'], [], ['auditor', 'extra'], ['--role']]) {
    const r = runVerb(srv.env, 'admin-password', ...args);
    assert.equal(r.status, 2, args.join(' '));
  }
  assert.equal(dbExec(srv.env.JIANGUAN_DATABASE, 'SELECT count(*) FROM app_user').trim(), before);
});
