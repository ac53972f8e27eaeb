// 业务定制: runtime editing of entity definitions — drafts, validation with a dry run of the schema
// sync, activation without a restart (and under load), refusals of destructive changes, entities
// created at run time, rollback, permissions and CSRF, and the custom versions surviving a
// restart and `migrate`.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startServer, runVerb, dbKind } from './lib/harness.mjs';
import { assertError, dbExec, spawnServe, until, waitFor, CJK } from './lib/checks.mjs';
import { session, as } from './lib/auth.mjs';

let srv;
let url; // the server answering now (replaced by the restart test)
const s = {};
const sql = (q) => dbExec(srv.env.JIANGUAN_DATABASE, q).trim();
const api = (who, path, opt) => as({ url }, s[who], path, opt);
const admin = (path, opt) => api('province', '/api/v1/admin/definitions' + path, opt);
const hasColumn = (table, col) => sql(dbKind === 'sqlite'
  ? `SELECT count(*) FROM pragma_table_info('${table}') WHERE name = '${col}'`
  : `SELECT count(*) FROM information_schema.columns WHERE table_schema = current_schema() AND table_name = '${table}' AND column_name = '${col}'`) === '1';
const activeVersion = (name) => sql(`SELECT version FROM entity_def WHERE name = '${name}'`);

before(async () => {
  srv = await startServer({ projects: 10, env: { JIANGUAN_CAPTCHA: 'off' } });
  url = srv.url;
  for (const u of ['province', 'gulou', 'contractor', 'auditor', 'secadmin']) s[u] = await session(srv, u);
});
after(async () => { assert.equal(await srv.stop(), 0); });

/** The active document of an entity, as the editor starts from it. */
async function activeDoc(name) {
  const r = await admin('/' + name);
  assert.equal(r.status, 200, r.text);
  return r.json.active.doc;
}
let base; // registration's shipped version

test('the list shows every entity with its active version and source', async () => {
  const r = await admin('');
  assert.equal(r.status, 200, r.text);
  const reg = r.json.items.find((x) => x.name === 'registration');
  assert.ok(reg, 'registration is listed');
  assert.equal(reg.label, '项目报监');
  assert.equal(reg.source, 'shipped');
  assert.equal(reg.has_draft, false);
  assert.equal(reg.version, reg.shipped_version);
  base = reg.version;
  assert.equal(String(base), activeVersion('registration'));
});

test('only the province administrator customises; writes need the CSRF token', async () => {
  for (const who of ['gulou', 'contractor', 'auditor', 'secadmin']) {
    const r = await api(who, '/api/v1/admin/definitions');
    assert.equal(r.status, 403, `${who}: ${r.text}`);
    const w = await api(who, '/api/v1/admin/definitions/registration/activate', { method: 'POST' });
    assert.equal(w.status, 403, `${who}: ${w.text}`);
  }
  assert.ok(s.province.user.permissions.includes('platform.customize'));
  const doc = await activeDoc('registration');
  const r = await as({ url }, { cookie: s.province.cookie, csrf: 'wrong' }, '/api/v1/admin/definitions/registration/draft',
    { method: 'PUT', body: { doc } });
  assert.equal(r.status, 403, r.text);
  assert.equal(r.json.error.code, 'csrf');
  assert.equal(sql("SELECT count(*) FROM entity_def_version WHERE status = 'draft'"), '0', 'nothing saved');
});

test('invalid drafts are refused with a Chinese message and the loader detail', async () => {
  const doc = await activeDoc('registration');
  let r = await admin('/registration/draft', { method: 'PUT', body: { doc: 'not an object' } });
  assert.equal(r.status, 400);
  assertError(r.json, 'invalid');
  const bad = structuredClone(doc);
  bad.fields.push({ name: 'oops', label: '错误字段', type: 'strng' });
  r = await admin('/registration/draft', { method: 'PUT', body: { doc: bad } });
  assert.equal(r.status, 400, r.text);
  assert.match(r.json.error.message, CJK);
  assert.match(r.json.error.fields.doc, /^定义有误：.*strng/);
  const ref = structuredClone(doc);
  ref.fields.push({ name: 'previous_id', label: '上次申报', type: 'ref', ref: 'no_such_entity' });
  r = await admin('/registration/draft', { method: 'PUT', body: { doc: ref } });
  assert.equal(r.status, 400, r.text);
  assert.match(r.json.error.fields.doc, /no_such_entity/);
  r = await admin('/registration/draft', { method: 'PUT', body: { doc: { ...doc, name: 'other' } } });
  assert.equal(r.status, 400);
  assert.match(r.json.error.fields.doc, /名称/);
  r = await admin('/registration/draft', { method: 'PUT', body: { doc, colour: 'red' } });
  assert.equal(r.status, 400);
  assert.equal(r.json.error.fields.colour, '不支持的字段');
  r = await fetch(url + '/api/v1/admin/definitions/registration/draft', {
    method: 'PUT', headers: { cookie: s.province.cookie, 'x-csrf-token': s.province.csrf, 'content-type': 'application/json' },
    body: '{"doc": {',
  });
  assert.equal(r.status, 400);
  r = await admin('/Bad-Name/draft', { method: 'PUT', body: { doc } });
  assert.equal(r.status, 400);
  assert.equal(sql("SELECT count(*) FROM entity_def_version WHERE status = 'draft'"), '0', 'nothing saved');
  r = await admin('/registration/activate', { method: 'POST' });
  assert.equal(r.status, 404, 'no draft to activate');
});

test('a draft adding a field: validated with a plan, activated live, used by the records API', async () => {
  const doc = await activeDoc('registration');
  doc.version = 1; // whatever the editor sends, the server numbers versions
  doc.fields.push({ name: 'green_code', label: '绿色建筑标识', type: 'string', max_length: 50 });
  let r = await admin('/registration/draft', { method: 'PUT', body: { doc, note: '增加绿色建筑标识' } });
  assert.equal(r.status, 200, r.text);
  assert.equal(r.json.version, base + 1);
  r = await admin('');
  const reg = r.json.items.find((x) => x.name === 'registration');
  assert.equal(reg.has_draft, true);
  assert.equal(reg.draft_version, base + 1);
  assert.equal(reg.version, base);

  r = await admin('/registration/validate', { method: 'POST' });
  assert.equal(r.status, 200, r.text);
  assert.equal(r.json.ok, true, r.text);
  assert.ok(r.json.changes.some((c) => /新增字段“绿色建筑标识”/.test(c.text) && !c.destructive), r.text);
  assert.ok(r.json.statements.some((x) => /ALTER TABLE e_registration ADD COLUMN green_code TEXT/.test(x)), r.text);
  assert.deepEqual(r.json.warnings, []);
  assert.equal(hasColumn('e_registration', 'green_code'), false, 'a dry run changes nothing');
  assert.equal(activeVersion('registration'), String(base));

  r = await admin('/registration/activate', { method: 'POST' });
  assert.equal(r.status, 200, r.text);
  assert.equal(r.json.version, base + 1);
  assert.equal(r.json.previous_version, base);
  assert.equal(hasColumn('e_registration', 'green_code'), true);
  assert.equal(activeVersion('registration'), String(base + 1));
  assert.equal(sql(`SELECT status || ',' || source FROM entity_def_version WHERE name = 'registration' AND version = ${base + 1}`), 'active,custom');
  assert.equal(sql(`SELECT status FROM entity_def_version WHERE name = 'registration' AND version = ${base}`), 'superseded');
  const audit = sql("SELECT detail FROM audit_log WHERE action = 'definition_activate' ORDER BY id DESC LIMIT 1");
  assert.equal(JSON.parse(audit).before.version, base);
  assert.equal(JSON.parse(audit).after.version, base + 1);

  // Without a restart: the definition and the records API know the field.
  r = await api('contractor', '/api/v1/entities/registration');
  assert.equal(r.status, 200);
  assert.equal(r.json.version, base + 1);
  assert.ok(r.json.fields.some((f) => f.name === 'green_code'));
  const own = s.contractor.user.enterprise_id;
  const other = Number(sql(`SELECT id FROM enterprise WHERE id <> ${own} ORDER BY id LIMIT 1`));
  r = await api('contractor', '/api/v1/records/registration', { method: 'POST', body: {
    project_name: '定制字段测试项目', project_kind: 'building', org_code: '350102', address: '福州市鼓楼区测试路 9 号',
    applicant_id: own, owner_id: other, green_code: 'LS-2026-001',
  } });
  assert.equal(r.status, 201, r.text);
  assert.equal(r.json.green_code, 'LS-2026-001');
  r = await api('contractor', `/api/v1/records/registration/${r.json.id}`);
  assert.equal(r.json.green_code, 'LS-2026-001');
  r = await api('contractor', '/api/v1/records/registration?filter=' + encodeURIComponent(JSON.stringify({ field: 'green_code', op: 'eq', value: 'LS-2026-001' })));
  assert.equal(r.status, 200, r.text);
  assert.equal(r.json.total, 1);
});

test('requests running during an activation all succeed', async () => {
  const doc = await activeDoc('registration');
  doc.label = '项目报监（定制）';
  let r = await admin('/registration/draft', { method: 'PUT', body: { doc } });
  assert.equal(r.status, 200, r.text);
  const load = [];
  for (let i = 0; i < 200; i++) {
    const path = i % 2 ? '/api/v1/records/registration?size=5&sort=-id' : '/api/v1/entities/registration';
    load.push(api('gulou', path));
    if (i === 60) load.push(admin('/registration/activate', { method: 'POST' }).then((x) => ({ ...x, activation: true })));
  }
  const answers = await Promise.all(load);
  const act = answers.find((x) => x.activation);
  assert.equal(act.status, 200, act.text);
  const failed = answers.filter((x) => !x.activation && x.status !== 200);
  assert.deepEqual(failed.map((x) => x.status), []);
  // Each answer saw one version whole: the label and the version agree.
  for (const x of answers.filter((a) => !a.activation && a.json.label !== undefined))
    assert.equal(x.json.label === '项目报监（定制）', x.json.version === base + 2);
  r = await api('gulou', '/api/v1/entities/registration');
  assert.equal(r.json.label, '项目报监（定制）');
});

test('destructive drafts are refused in Chinese and change nothing', async () => {
  const before = activeVersion('registration');
  const removed = await activeDoc('registration');
  removed.fields = removed.fields.filter((f) => f.name !== 'location');
  delete removed.form;
  let r = await admin('/registration/draft', { method: 'PUT', body: { doc: removed } });
  assert.equal(r.status, 200, r.text);
  r = await admin('/registration/validate', { method: 'POST' });
  assert.equal(r.status, 200, r.text);
  assert.equal(r.json.ok, false);
  assert.ok(r.json.message.startsWith('此修改会影响已有数据'), r.text);
  assert.ok(r.json.message.includes('删除字段“工程位置（经纬度）”（location）'), r.text);
  assert.ok(r.json.changes.some((c) => c.destructive && /删除字段/.test(c.text)));
  assert.deepEqual(r.json.statements, []);
  r = await admin('/registration/activate', { method: 'POST' });
  assert.equal(r.status, 409, r.text);
  assertError(r.json, 'conflict');
  assert.ok(r.json.error.message.includes('删除字段“工程位置（经纬度）”'), r.text);
  assert.match(r.json.error.fields.doc, /^技术细节：registration\.location: field removed/, 'the developer detail too');
  assert.equal(activeVersion('registration'), before);
  assert.equal(hasColumn('e_registration', 'location'), true);

  const narrowed = await activeDoc('registration');
  narrowed.fields.find((f) => f.name === 'project_name').max_length = 50;
  r = await admin('/registration/draft', { method: 'PUT', body: { doc: narrowed } });
  assert.equal(r.status, 200, r.text);
  r = await admin('/registration/activate', { method: 'POST' });
  assert.equal(r.status, 409, r.text);
  assert.match(r.json.error.message, /最大长度由 100 减为 50/);
  assert.equal(activeVersion('registration'), before);
  r = await api('gulou', '/api/v1/entities/registration');
  assert.equal(String(r.json.version), before);

  r = await admin('/registration/draft', { method: 'DELETE' });
  assert.equal(r.status, 204, r.text);
  r = await admin('/registration/draft', { method: 'DELETE' });
  assert.equal(r.status, 404);
  r = await admin('/registration');
  assert.equal(r.json.draft, null);
});

test('a new entity created at run time gets a table and the records API', async () => {
  const doc = {
    label: '现场抽查',
    scope: { org: 'org_code' },
    fields: [
      { name: 'title', label: '抽查事项', type: 'string', required: true, max_length: 50, list: true },
      { name: 'org_code', label: '所在地', type: 'region', required: true, list: true },
      { name: 'registration_id', label: '报监项目', type: 'ref', ref: 'registration' },
    ],
  };
  let r = await admin('/site_check/draft', { method: 'PUT', body: { doc } });
  assert.equal(r.status, 200, r.text);
  assert.equal(r.json.version, 1);
  r = await admin('/site_check/validate', { method: 'POST' });
  assert.equal(r.json.ok, true, r.text);
  assert.ok(r.json.statements.some((x) => /CREATE TABLE e_site_check/.test(x)), r.text);
  assert.ok(r.json.warnings.some((w) => /site_check\.read/.test(w)), 'nobody could be given its default permissions');
  doc.permissions = { read: 'registration.read', create: 'registration.update', update: 'registration.update',
    delete: 'registration.delete', reveal: 'registration.reveal' };
  r = await admin('/site_check/draft', { method: 'PUT', body: { doc } });
  assert.equal(r.status, 200, r.text);
  r = await admin('/site_check/validate', { method: 'POST' });
  assert.deepEqual(r.json.warnings, []);
  r = await admin('/site_check/activate', { method: 'POST' });
  assert.equal(r.status, 200, r.text);
  assert.equal(r.json.version, 1);
  assert.equal(r.json.previous_version, 0);

  r = await api('province', '/api/v1/records/site_check', { method: 'POST', body: { title: '塔吊专项抽查', org_code: '350102' } });
  assert.equal(r.status, 201, r.text);
  r = await api('gulou', '/api/v1/records/site_check');
  assert.equal(r.status, 200, r.text);
  assert.equal(r.json.total, 1);
  assert.equal(r.json.items[0].title, '塔吊专项抽查');
  r = await api('auditor', '/api/v1/records/site_check');
  assert.equal(r.status, 404, 'the auditor may not read registrations, so not this either');
  r = await admin('');
  const item = r.json.items.find((x) => x.name === 'site_check');
  assert.equal(item.source, 'custom');
  assert.equal(item.version, 1);
});

test('rollback activates a copy of an old version as a new one; destructive ones are refused', async () => {
  const now = Number(activeVersion('registration')); // base + 2: the label changed
  let r = await admin('/registration/rollback', { method: 'POST', body: { version: base + 1 } });
  assert.equal(r.status, 200, r.text);
  assert.equal(r.json.version, now + 1);
  assert.ok(r.json.changes.some((c) => /名称由“项目报监（定制）”改为“项目报监”/.test(c.text)), r.text);
  r = await api('gulou', '/api/v1/entities/registration');
  assert.equal(r.json.label, '项目报监');
  assert.equal(r.json.version, now + 1);
  r = await admin('/registration/versions');
  assert.equal(r.status, 200);
  assert.deepEqual(r.json.items.slice(0, 3).map((v) => [v.version, v.status, v.source]),
    [[now + 1, 'active', 'custom'], [now, 'superseded', 'custom'], [now - 1, 'superseded', 'custom']]);
  assert.equal(r.json.items[0].note, `回退到版本 ${base + 1}`);
  assert.equal(r.json.items[0].activated_by, 'province');
  assert.equal(sql("SELECT count(*) FROM audit_log WHERE action = 'definition_rollback'"), '1');

  r = await admin('/registration/rollback', { method: 'POST', body: { version: base } });
  assert.equal(r.status, 409, 'the shipped version lacks green_code');
  assert.match(r.json.error.message, /删除字段“绿色建筑标识”/);
  r = await admin('/registration/rollback', { method: 'POST', body: { version: now + 1 } });
  assert.equal(r.status, 409);
  assert.match(r.json.error.message, /当前生效/);
  r = await admin('/registration/rollback', { method: 'POST', body: { version: 999 } });
  assert.equal(r.status, 404);
  r = await admin('/registration/rollback', { method: 'POST', body: { version: 'x' } });
  assert.equal(r.status, 400);
  assert.equal(activeVersion('registration'), String(now + 1));
});

test('after migrate and a restart the custom versions stay active', async () => {
  const version = Number(activeVersion('registration'));
  srv.child.kill('SIGTERM');
  await new Promise((ok) => (srv.child.exitCode !== null ? ok() : srv.child.on('exit', ok)));
  const m = runVerb(srv.env, 'migrate');
  assert.equal(m.status, 0, m.stderr);
  assert.equal(activeVersion('registration'), String(version));
  const again = await spawnServe(srv.env);
  try {
    url = again.url;
    let r = await api('gulou', '/api/v1/entities/registration');
    assert.equal(r.status, 200, r.text);
    assert.equal(r.json.version, version);
    assert.ok(r.json.fields.some((f) => f.name === 'green_code'));
    r = await api('gulou', '/api/v1/records/site_check');
    assert.equal(r.json.total, 1);
    r = await admin('');
    assert.equal(r.json.items.find((x) => x.name === 'registration').source, 'custom');
    assert.match(again.stderr(), /registration: custom version \d+ is active/);
  } finally {
    assert.equal(await again.stop(), 0);
  }
});

test('a server behind the same database picks up another server\'s activation within seconds', async () => {
  const one = await spawnServe(srv.env), two = await spawnServe(srv.env);
  try {
    url = one.url;
    const label = async () => (await as(two, s.gulou, '/api/v1/entities/registration')).json.label;
    assert.equal(await label(), '项目报监');
    const doc = await activeDoc('registration');
    doc.label = '项目报监申报';
    assert.equal((await admin('/registration/draft', { method: 'PUT', body: { doc } })).status, 200);
    const r = await admin('/registration/activate', { method: 'POST' });
    assert.equal(r.status, 200, r.text);
    assert.equal((await as(one, s.gulou, '/api/v1/entities/registration')).json.label, '项目报监申报', 'at once here');
    // (a poll with room for a busy machine under ASan: the server looks at most every 2 s, at a request)
    assert.equal(await waitFor(async () => (await label()) === '项目报监申报', 20000, 200), true, 'and soon there');
    // its log line may reach us after the answer that shows the reload
    await until('the reload in the log', () => /another server's activation/.test(two.stderr()), { ms: 5000, log: two.stderr });
  } finally {
    assert.equal(await one.stop(), 0);
    assert.equal(await two.stop(), 0);
  }
});

test('an invalid draft\'s error is also given in Chinese under the place it names, for the editor', async () => {
  const one = await spawnServe(srv.env); // the tests above stopped theirs
  url = one.url;
  try {
    await placedErrors();
    // the list also names the permission codes a definition may use (the editor's choosers)
    const l = await admin('');
    assert.equal(l.status, 200, l.text);
    const p = l.json.permissions.find((x) => x.code === 'registration.read');
    assert.match(p.name, CJK);
  } finally {
    assert.equal(await one.stop(), 0);
  }
});

async function placedErrors() {
  const doc = await activeDoc('registration');
  const n = doc.fields.length;
  const put = async (d) => {
    const r = await admin('/registration/draft', { method: 'PUT', body: { doc: d } });
    assert.equal(r.status, 400, r.text);
    assert.match(r.json.error.fields.doc, /^定义有误：/, 'the developer detail stays');
    return r.json.error.fields;
  };
  let d = structuredClone(doc);
  d.fields.push({ name: 'gps_code', label: 'GPS', type: 'string' });
  let f = await put(d);
  assert.match(f[`fields[${n}].label`], /^显示名称必须含有中文.*GPS/);
  d = structuredClone(doc);
  d.fields.push({ name: 'order', label: '顺序', type: 'integer' });
  f = await put(d);
  assert.match(f[`fields[${n}].name`], /保留字/);
  d = structuredClone(doc);
  d.fields.push({ name: 'level', label: '等级', type: 'integer', max_length: 3 });
  f = await put(d);
  assert.match(f[`fields[${n}].max_length`], /^该类型的字段没有这个选项/);
  d = structuredClone(doc);
  d.children[1].fields.push({ name: 'x_no', label: 'No.', type: 'string' });
  f = await put(d);
  assert.match(f[`children[1].fields[${doc.children[1].fields.length}].label`], /中文/);
  d = structuredClone(doc);
  d.label = 'Registration';
  f = await put(d);
  assert.match(f.label, /中文/);
  d = structuredClone(doc);
  d.fields.push({ name: 'previous_id', label: '上次申报', type: 'ref', ref: 'no_such_entity' });
  f = await put(d);
  assert.ok(Object.keys(f).some((k) => k.startsWith(`fields[${n}]`)), JSON.stringify(f));
}
