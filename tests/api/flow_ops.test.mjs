// Workflow engine, task operations and boxes (issue 5) on the shipped 报监 process: claim and release,
// transfer (转办) and delegate (委托), withdraw (撤回) and its race with a completion, terminate (终止),
// green channel (绿色通道), copy to (抄送), bulk approve, opinion templates, SM2-signed opinions
// (电子签单) with a tampered opinion failing verification, the boxes with their counts and filters,
// the instance history with the diagram's node states, and efficiency statistics (效能).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import { startServer } from './lib/harness.mjs';
import { assertError, dbExec } from './lib/checks.mjs';
import { session, as } from './lib/auth.mjs';

const { sm2 } = createRequire(import.meta.url)('sm-crypto');

let srv;
const s = {};
const id = {};
const sql = (q) => dbExec(srv.env.JIANGUAN_DATABASE, q).trim();
const post = (who, path, body = {}) => as(srv, s[who], path, { method: 'POST', body });
const put = (who, path, body) => as(srv, s[who], path, { method: 'PUT', body });
const del = (who, path) => as(srv, s[who], path, { method: 'DELETE' });
const get = (who, path) => as(srv, s[who], path);
let own;
let owner;
let ownName;

before(async () => {
  srv = await startServer({ projects: 5, env: { JIANGUAN_CAPTCHA: 'off', JIANGUAN_AUTH_RATE_PER_MINUTE: '100000' } });
  // A second station chief of 鼓楼 (the same department as gulou_chief), and a second user of the
  // contractor's enterprise, made from the demo accounts (same password).
  for (const [name, from, display] of [['gulou_chief2', 'gulou_chief', '鼓楼区监督站副站长'], ['contractor2', 'contractor', '榕建项目经理'],
    ['stranger', 'contractor', '其他企业管理员']]) {
    sql(`INSERT INTO app_user (username, password_hash, display_name, role, org_code, status, kind, department_id,
      enterprise_id, must_change_password, password_changed_at, created_at, updated_at)
      SELECT '${name}', password_hash, '${display}', role, org_code, status, kind, department_id, enterprise_id,
      must_change_password, password_changed_at, created_at, updated_at FROM app_user WHERE username = '${from}'`);
  }
  for (const u of ['contractor', 'contractor2', 'gulou_chief', 'gulou_chief2', 'gulou', 'xiamen', 'fuzhou', 'province']) {
    s[u] = await session(srv, u);
    id[u] = Number(sql(`SELECT id FROM app_user WHERE username = '${u}'`));
  }
  own = s.contractor.user.enterprise_id;
  id.stranger = Number(sql(`SELECT id FROM app_user WHERE username = 'stranger'`));
  sql(`UPDATE app_user SET enterprise_id = (SELECT min(id) FROM enterprise WHERE id <> ${own}) WHERE username = 'stranger'`);
  ownName = sql(`SELECT name FROM enterprise WHERE id = ${own}`);
  owner = Number(sql(`SELECT id FROM enterprise WHERE id <> ${own} ORDER BY id LIMIT 1`));
});
after(async () => { assert.equal(await srv.stop(), 0); });

async function declaration(name) {
  const r = await post('contractor', '/api/v1/records/registration', {
    project_name: name, project_kind: 'building', org_code: '350102', address: '福州市鼓楼区测试路 9 号',
    applicant_id: own, owner_id: owner, contractor_id: own, total_area: '1000.00', cost: '5000000.00',
    planned_start_on: '2026-12-01', contact_name: '王五',
  });
  assert.equal(r.status, 201, r.text);
  return r.json.id;
}

/** A declaration submitted to the process: { record, instance, task } (task: the open 受理). */
async function submitted(name) {
  const record = await declaration(name);
  const r = await post('contractor', '/api/v1/flow/instances', { key: 'registration', entity: 'registration', record_id: record });
  assert.equal(r.status, 201, r.text);
  return { record, instance: r.json.id, task: r.json.tasks[0] };
}

const todo = async (who, q = '') => (await get(who, `/api/v1/flow/tasks?box=todo&size=100${q}`)).json.items;
const openOf = async (who, instance) => (await todo(who)).filter((t) => t.instance_id === instance);
const state = async (rid) => (await get('contractor', `/api/v1/records/registration/${rid}`)).json.state;
const inst = async (who, instance) => (await get(who, `/api/v1/flow/instances/${instance}`));

test('claim and release: a claimed task is only the claimer\'s; two claims at once, one wins', async () => {
  const { instance, task } = await submitted('签收测试项目');
  assert.equal((await openOf('gulou_chief', instance)).length, 1);
  assert.equal((await openOf('gulou_chief2', instance)).length, 1);
  let r = await post('gulou_chief2', `/api/v1/flow/tasks/${task.id}/claim`, { version: task.version + 1 });
  assert.equal(r.status, 409, r.text);
  r = await post('gulou_chief2', `/api/v1/flow/tasks/${task.id}/claim`, { version: task.version });
  assert.equal(r.status, 200, r.text);
  assert.equal(r.json.assignee_id, id.gulou_chief2);
  const claimed = r.json;
  assert.equal((await openOf('gulou_chief', instance)).length, 0);
  assert.equal((await openOf('gulou_chief2', instance)).length, 1);
  // The other candidate is told it is taken; completing it is refused.
  r = await post('gulou_chief', `/api/v1/flow/tasks/${task.id}/claim`, { version: claimed.version });
  assert.equal(r.status, 409, r.text);
  r = await post('gulou_chief', `/api/v1/flow/tasks/${task.id}/complete`, { version: claimed.version, action: 'accept' });
  assert.equal(r.status, 404, r.text);
  // Outsiders do not see it at all.
  r = await post('xiamen', `/api/v1/flow/tasks/${task.id}/claim`, { version: claimed.version });
  assert.equal(r.status, 404, r.text);
  r = await post('gulou_chief', `/api/v1/flow/tasks/${task.id}/release`, { version: claimed.version });
  assert.equal(r.status, 400, r.text);
  r = await post('gulou_chief2', `/api/v1/flow/tasks/${task.id}/release`, { version: claimed.version });
  assert.equal(r.status, 200, r.text);
  assert.equal(r.json.assignee_id, null);
  assert.equal((await openOf('gulou_chief', instance)).length, 1);
  // Two candidates claim at once: exactly one succeeds.
  const both = await Promise.all(['gulou_chief', 'gulou_chief2'].map((u) =>
    post(u, `/api/v1/flow/tasks/${task.id}/claim`, { version: r.json.version })));
  assert.deepEqual(both.map((x) => x.status).sort(), [200, 409], both.map((x) => x.text).join('\n'));
  const log = (await inst('gulou', instance)).json.log.map((l) => `${l.action}:${l.username}`);
  assert.ok(log.includes('claim:gulou_chief2') && log.includes('release:gulou_chief2'), log.join());
  assert.equal(sql(`SELECT count(*) FROM audit_log WHERE action = 'flow_claim' AND record_id = '${task.id}'`), '2');
});

test('transfer goes to a valid candidate only; delegate to a colleague, who acts on the delegator\'s behalf', async () => {
  const { record, instance, task } = await submitted('转办委托测试项目');
  // 转办: the inspector holds no candidate role of 受理; the second chief does.
  let r = await post('gulou_chief', `/api/v1/flow/tasks/${task.id}/transfer`, { version: task.version, user_id: id.gulou });
  assert.equal(r.status, 400, r.text);
  assert.match(assertError(r.json, 'invalid').fields.user_id, /候选人/);
  r = await post('gulou_chief', `/api/v1/flow/tasks/${task.id}/transfer`, { version: task.version, user_id: id.xiamen });
  assert.equal(r.status, 400, r.text);
  r = await post('gulou_chief', `/api/v1/flow/tasks/${task.id}/transfer`, { version: task.version, user_id: 99999999 });
  assert.equal(r.status, 400, r.text);
  r = await post('gulou_chief', `/api/v1/flow/tasks/${task.id}/transfer`, { version: task.version, user_id: id.gulou_chief2, opinion: '请张站长办理' });
  assert.equal(r.status, 200, r.text);
  assert.equal(r.json.assignee_id, id.gulou_chief2);
  assert.equal((await openOf('gulou_chief', instance)).length, 0);
  const t = (await openOf('gulou_chief2', instance))[0];
  r = await post('gulou_chief2', `/api/v1/flow/tasks/${t.id}/complete`, { version: t.version, action: 'accept' });
  assert.equal(r.status, 200, r.text);
  const reg = r.json.tasks[0];
  assert.equal(reg.node, 'Register');
  // 委托: the inspector of the same station may act for the chief; not a Xiamen inspector.
  r = await post('gulou_chief', `/api/v1/flow/tasks/${reg.id}/delegate`, { version: reg.version, user_id: id.xiamen });
  assert.equal(r.status, 400, r.text);
  r = await post('gulou_chief', `/api/v1/flow/tasks/${reg.id}/delegate`, { version: reg.version, user_id: id.gulou, opinion: '出差期间委托办理' });
  assert.equal(r.status, 200, r.text);
  assert.equal(r.json.delegated_by, id.gulou_chief);
  const d = (await openOf('gulou', instance))[0];
  assert.equal(d.delegated_by, id.gulou_chief);
  r = await post('gulou', `/api/v1/flow/tasks/${d.id}/delegate`, { version: d.version, user_id: id.gulou_chief2 });
  assert.equal(r.status, 400, r.text);
  r = await post('gulou', `/api/v1/flow/tasks/${d.id}/release`, { version: d.version });
  assert.equal(r.status, 400, r.text);
  // The delegator may take it back before the delegate acts, and delegate again.
  r = await post('gulou_chief', `/api/v1/flow/tasks/${d.id}/release`, { version: d.version });
  assert.equal(r.status, 200, r.text);
  assert.deepEqual([r.json.assignee_id, r.json.delegated_by], [id.gulou_chief, null]);
  assert.equal((await openOf('gulou', instance)).length, 0);
  r = await post('gulou_chief', `/api/v1/flow/tasks/${d.id}/delegate`, { version: r.json.version, user_id: id.gulou });
  assert.equal(r.status, 200, r.text);
  d.version = r.json.version;
  r = await post('gulou', `/api/v1/flow/tasks/${d.id}/complete`, { version: d.version, action: 'register', opinion: '同意登记' });
  assert.equal(r.status, 200, r.text);
  assert.equal(r.json.state, 'completed');
  assert.equal(await state(record), 'registered');
  const log = (await inst('gulou_chief', instance)).json.log;
  const tr = log.find((l) => l.action === 'transfer');
  assert.deepEqual([tr.username, tr.to_user, tr.opinion], ['gulou_chief', 'gulou_chief2', '请张站长办理']);
  const dl = log.find((l) => l.action === 'delegate');
  assert.deepEqual([dl.username, dl.to_user], ['gulou_chief', 'gulou']);
  const done = log.find((l) => l.action === 'complete:register');
  assert.deepEqual([done.username, done.on_behalf_of, done.opinion], ['gulou', 'gulou_chief', '同意登记']);
});

test('withdraw: the actor takes the step back while the next is untouched; not after it is claimed', async () => {
  const { record, instance, task } = await submitted('撤回测试项目');
  let r = await post('gulou_chief', `/api/v1/flow/tasks/${task.id}/withdraw`);
  assert.equal(r.status, 400, r.text); // not done yet
  r = await post('gulou_chief', `/api/v1/flow/tasks/${task.id}/complete`, { version: task.version, action: 'accept' });
  assert.equal(r.status, 200, r.text);
  assert.equal(await state(record), 'accepted');
  r = await post('gulou_chief2', `/api/v1/flow/tasks/${task.id}/withdraw`);
  assert.equal(r.status, 404, r.text); // only its actor
  r = await post('gulou_chief', `/api/v1/flow/tasks/${task.id}/withdraw`, { opinion: '受理意见有误' });
  assert.equal(r.status, 200, r.text);
  assert.equal(r.json.node, 'Accept');
  assert.equal(r.json.assignee_id, id.gulou_chief);
  assert.equal(await state(record), 'submitted');
  assert.deepEqual((await openOf('gulou_chief', instance)).map((t) => t.node), ['Accept']);
  assert.deepEqual((await openOf('gulou_chief2', instance)), []);
  assert.equal(sql(`SELECT count(*) FROM flow_task WHERE instance_id = ${instance} AND state = 'cancelled' AND node = 'Register'`), '1');
  r = await post('gulou_chief', `/api/v1/flow/tasks/${task.id}/withdraw`);
  assert.equal(r.status, 409, r.text); // once
  // Accept again; once the next step is claimed, withdrawing is refused.
  const again = (await openOf('gulou_chief', instance))[0];
  r = await post('gulou_chief', `/api/v1/flow/tasks/${again.id}/complete`, { version: again.version, action: 'accept' });
  assert.equal(r.status, 200, r.text);
  const reg = r.json.tasks[0];
  r = await post('gulou_chief2', `/api/v1/flow/tasks/${reg.id}/claim`, { version: reg.version });
  assert.equal(r.status, 200, r.text);
  r = await post('gulou_chief', `/api/v1/flow/tasks/${again.id}/withdraw`);
  assert.equal(r.status, 409, r.text);
  assertError(r.json, 'conflict');
  // A step followed by a service task and the end cannot be taken back.
  r = await post('gulou_chief2', `/api/v1/flow/tasks/${reg.id}/complete`, { version: reg.version + 1, action: 'register' });
  assert.equal(r.status, 200, r.text);
  r = await post('gulou_chief2', `/api/v1/flow/tasks/${reg.id}/withdraw`);
  assert.equal(r.status, 409, r.text);
});

test('a withdraw and a completion of the next step at once: exactly one succeeds', async () => {
  for (let round = 0; round < 3; round++) {
    const { instance, task } = await submitted(`撤回竞争测试项目${round}`);
    let r = await post('gulou_chief', `/api/v1/flow/tasks/${task.id}/complete`, { version: task.version, action: 'accept' });
    assert.equal(r.status, 200, r.text);
    const reg = r.json.tasks[0];
    const both = await Promise.all([
      post('gulou_chief', `/api/v1/flow/tasks/${task.id}/withdraw`),
      post('gulou_chief2', `/api/v1/flow/tasks/${reg.id}/complete`, { version: reg.version, action: 'register' }),
    ]);
    assert.deepEqual(both.map((x) => x.status).sort(), [200, 409], both.map((x) => x.text).join('\n'));
    const open = Number(sql(`SELECT count(*) FROM flow_task WHERE instance_id = ${instance} AND state = 'open'`));
    const ended = sql(`SELECT state FROM flow_instance WHERE id = ${instance}`);
    // Either the step came back (one open 受理) or the process ended (nothing open).
    if (both[0].status === 200) assert.deepEqual([open, ended], [1, 'running']);
    else assert.deepEqual([open, ended], [0, 'completed']);
    r = await inst('gulou_chief', instance);
    assert.equal(r.status, 200);
  }
});

test('withdraw across a parallel split takes back both branches; past a join it is refused', async () => {
  const xml = `<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL" xmlns:jg="https://jianguan.fj.gov.cn/schema/bpmn" id="D" targetNamespace="t">
  <bpmn:process id="par_withdraw" name="并行撤回测试" isExecutable="true">
    <bpmn:startEvent id="S" /><bpmn:sequenceFlow id="f0" sourceRef="S" targetRef="A" />
    <bpmn:userTask id="A" name="初审" jg:candidateRoles="station_chief" /><bpmn:sequenceFlow id="f1" sourceRef="A" targetRef="Split" />
    <bpmn:parallelGateway id="Split" />
    <bpmn:sequenceFlow id="f2" sourceRef="Split" targetRef="B1" /><bpmn:sequenceFlow id="f3" sourceRef="Split" targetRef="B2" />
    <bpmn:userTask id="B1" name="质量审查" jg:candidateRoles="station_chief" /><bpmn:sequenceFlow id="f4" sourceRef="B1" targetRef="Join" />
    <bpmn:userTask id="B2" name="安全审查" jg:candidateRoles="station_chief" /><bpmn:sequenceFlow id="f5" sourceRef="B2" targetRef="Join" />
    <bpmn:parallelGateway id="Join" /><bpmn:sequenceFlow id="f6" sourceRef="Join" targetRef="C" />
    <bpmn:userTask id="C" name="复核" jg:candidateRoles="station_chief" /><bpmn:sequenceFlow id="f7" sourceRef="C" targetRef="E" />
    <bpmn:endEvent id="E" />
  </bpmn:process>
</bpmn:definitions>`;
  let r = await post('province', '/api/v1/flow/definitions', { xml });
  assert.equal(r.status, 201, r.text);
  const record = await declaration('并行撤回测试项目');
  r = await post('contractor', '/api/v1/flow/instances', { key: 'par_withdraw', entity: 'registration', record_id: record });
  assert.equal(r.status, 201, r.text);
  const instance = r.json.id;
  const a = r.json.tasks[0];
  r = await post('gulou_chief', `/api/v1/flow/tasks/${a.id}/complete`, { version: a.version });
  assert.equal(r.status, 200, r.text);
  assert.deepEqual(r.json.tasks.map((t) => t.node).sort(), ['B1', 'B2']);
  r = await post('gulou_chief', `/api/v1/flow/tasks/${a.id}/withdraw`);
  assert.equal(r.status, 200, r.text);
  let open = await openOf('gulou_chief', instance);
  assert.deepEqual(open.map((t) => t.node), ['A']);
  assert.equal(sql(`SELECT count(*) FROM flow_token WHERE instance_id = ${instance}`), '1');
  r = await post('gulou_chief', `/api/v1/flow/tasks/${open[0].id}/complete`, { version: open[0].version });
  assert.equal(r.status, 200, r.text);
  const [b1, b2] = r.json.tasks.sort((x, y) => x.node.localeCompare(y.node));
  r = await post('gulou_chief2', `/api/v1/flow/tasks/${b1.id}/complete`, { version: b1.version });
  assert.equal(r.status, 200, r.text);
  r = await post('gulou_chief', `/api/v1/flow/tasks/${open[0].id}/withdraw`);
  assert.equal(r.status, 409, r.text); // one branch is done
  r = await post('gulou_chief2', `/api/v1/flow/tasks/${b1.id}/withdraw`);
  assert.equal(r.status, 409, r.text); // its way on is a join
  assert.match(r.json.error.message, /不能撤回/);
  r = await post('gulou_chief', `/api/v1/flow/tasks/${b2.id}/complete`, { version: b2.version });
  assert.equal(r.status, 200, r.text);
  assert.deepEqual(r.json.tasks.map((t) => t.node), ['C']);
  open = await openOf('gulou_chief', instance);
  assert.deepEqual(open.map((t) => t.node), ['C']);
  r = await post('gulou_chief', `/api/v1/flow/tasks/${open[0].id}/complete`, { version: open[0].version });
  assert.equal(r.json.state, 'completed');
});

test('terminate: an authorised role ends the instance; the record goes back to 草稿', async () => {
  const { record, instance, task } = await submitted('终止测试项目');
  let r = await post('contractor', `/api/v1/flow/instances/${instance}/terminate`, { opinion: '不要了' });
  assert.equal(r.status, 403, r.text);
  r = await post('xiamen', `/api/v1/flow/instances/${instance}/terminate`, { opinion: '越权' });
  assert.equal(r.status, 403, r.text);
  r = await post('gulou_chief', `/api/v1/flow/instances/${instance}/terminate`, {});
  assert.equal(r.status, 400, r.text);
  assert.ok(assertError(r.json, 'invalid').fields.opinion);
  r = await post('gulou_chief', `/api/v1/flow/instances/${instance}/terminate`, { opinion: '申报单位撤销申请' });
  assert.equal(r.status, 200, r.text);
  assert.deepEqual([r.json.state, r.json.open_tasks, r.json.record_state], ['terminated', 0, 'draft']);
  assert.equal(await state(record), 'draft');
  r = await post('gulou_chief', `/api/v1/flow/tasks/${task.id}/complete`, { version: task.version, action: 'accept' });
  assert.equal(r.status, 409, r.text);
  r = await post('gulou_chief', `/api/v1/flow/instances/${instance}/terminate`, { opinion: '再次' });
  assert.equal(r.status, 409, r.text);
  // The record may be submitted again.
  r = await post('contractor', '/api/v1/flow/instances', { key: 'registration', entity: 'registration', record_id: record });
  assert.equal(r.status, 201, r.text);
  assert.equal(sql(`SELECT count(*) FROM audit_log WHERE action = 'flow_terminate' AND record_id = '${instance}'`), '1');
});

test('green channel: an authorised role jumps to a later step, logged', async () => {
  const { record, instance } = await submitted('绿色通道测试项目');
  let r = await post('gulou', `/api/v1/flow/instances/${instance}/jump`, { node: 'Register', opinion: '重点项目' });
  assert.equal(r.status, 403, r.text);
  r = await post('gulou_chief', `/api/v1/flow/instances/${instance}/jump`, { node: 'Accept', opinion: '重点项目' });
  assert.equal(r.status, 400, r.text);
  r = await post('gulou_chief', `/api/v1/flow/instances/${instance}/jump`, { node: 'Issue', opinion: '重点项目' });
  assert.equal(r.status, 400, r.text);
  r = await post('gulou_chief', `/api/v1/flow/instances/${instance}/jump`, { node: 'Nowhere', opinion: '重点项目' });
  assert.equal(r.status, 400, r.text);
  r = await post('gulou_chief', `/api/v1/flow/instances/${instance}/jump`, { node: 'Register', opinion: '省重点项目，绿色通道' });
  assert.equal(r.status, 200, r.text);
  assert.equal(r.json.open_tasks, 1);
  assert.equal(await state(record), 'accepted');
  const v = (await inst('gulou_chief', instance)).json;
  assert.deepEqual(v.tasks.map((t) => [t.node, t.state]), [['Accept', 'cancelled'], ['Register', 'open']]);
  const g = v.log.find((l) => l.action === 'green_channel');
  assert.deepEqual([g.username, g.node, g.opinion], ['gulou_chief', 'Register', '省重点项目，绿色通道']);
  const nodes = Object.fromEntries(v.nodes.map((n) => [n.id, n.state]));
  assert.equal(nodes.Register, 'current');
  assert.equal(nodes.End, 'pending');
});

test('bulk approve: each task on its own, with the reason of each failure; more than 500 refused', async () => {
  const a = await submitted('批量测试项目一');
  const b = await submitted('批量测试项目二');
  const c = await submitted('批量测试项目三');
  let r = await post('gulou_chief', '/api/v1/flow/tasks/bulk', {
    action: 'accept', opinion: '同意受理',
    tasks: [{ id: a.task.id, version: a.task.version }, { id: b.task.id, version: b.task.version + 5 },
      { id: c.task.id, version: c.task.version }, { id: 99999999, version: 1 }],
  });
  assert.equal(r.status, 200, r.text);
  assert.deepEqual([r.json.ok, r.json.failed], [2, 2]);
  assert.deepEqual(r.json.results.map((x) => [x.id, x.ok, x.code ?? null]),
    [[a.task.id, true, null], [b.task.id, false, 'conflict'], [c.task.id, true, null], [99999999, false, 'not_found']]);
  assert.match(r.json.results[1].message, /[\u4e00-\u9fff]/);
  assert.equal(await state(a.record), 'accepted');
  assert.equal(await state(b.record), 'submitted');
  const tasks = Array.from({ length: 501 }, (_, i) => ({ id: i + 1, version: 1 }));
  r = await post('gulou_chief', '/api/v1/flow/tasks/bulk', { action: 'accept', tasks });
  assert.equal(r.status, 400, r.text);
  assert.match(assertError(r.json, 'invalid').fields.tasks, /500/);
  r = await post('gulou_chief', '/api/v1/flow/tasks/bulk', { tasks: [] });
  assert.equal(r.status, 400, r.text);
  // 500 is allowed (all fail here: no such tasks).
  r = await post('gulou_chief', '/api/v1/flow/tasks/bulk', { action: 'accept', tasks: tasks.slice(0, 500).map((t) => ({ id: t.id + 90000000, version: 1 })) });
  assert.equal(r.status, 200, r.text);
  assert.equal(r.json.failed, 500);
});

test('copy to: a 抄送 box with unread counts; the copied user may read the history', async () => {
  const { instance, task } = await submitted('抄送测试项目');
  const before = (await get('xiamen', '/api/v1/flow/boxes')).json;
  assert.equal((await inst('xiamen', instance)).status, 404);
  let r = await post('gulou_chief', `/api/v1/flow/tasks/${task.id}/copy`, { users: [id.xiamen, id.fuzhou], opinion: '请知悉' });
  assert.equal(r.status, 200, r.text);
  assert.equal(r.json.copied, 2);
  r = await post('gulou_chief', `/api/v1/flow/tasks/${task.id}/copy`, { users: [id.xiamen] });
  assert.equal(r.json.copied, 0); // once per step and user
  r = await post('contractor', `/api/v1/flow/tasks/${task.id}/copy`, { users: [id.xiamen] });
  assert.equal(r.status, 404, r.text);
  r = await post('gulou_chief', `/api/v1/flow/tasks/${task.id}/copy`, { users: [99999999] });
  assert.equal(r.status, 400, r.text);
  // Not to another enterprise's user; to the applicant's own, yes.
  r = await post('gulou_chief', `/api/v1/flow/tasks/${task.id}/copy`, { users: [id.stranger] });
  assert.equal(r.status, 400, r.text);
  assert.match(assertError(r.json, 'invalid').fields.users, /申报单位/);
  r = await post('gulou_chief', `/api/v1/flow/tasks/${task.id}/copy`, { users: [id.contractor2] });
  assert.equal(r.json.copied, 1);
  r = await post('gulou_chief', `/api/v1/flow/tasks/${task.id}/copy`, { users: [] });
  assert.equal(r.status, 400, r.text);
  let boxes = (await get('xiamen', '/api/v1/flow/boxes')).json;
  assert.equal(boxes.copies_unread, before.copies_unread + 1);
  const list = (await get('xiamen', '/api/v1/flow/copies?unread=1')).json.items;
  assert.deepEqual((await get('xiamen', '/api/v1/flow/tasks?box=copies&unread=1')).json.items, list);
  const mine = list.find((x) => x.instance_id === instance);
  assert.equal(mine.note, '请知悉');
  assert.equal(mine.process_name, '项目报监');
  assert.equal((await inst('xiamen', instance)).status, 200);
  r = await post('xiamen', `/api/v1/flow/copies/${mine.id}/read`);
  assert.equal(r.status, 200, r.text);
  assert.ok(r.json.read_at);
  r = await post('fuzhou', `/api/v1/flow/copies/${mine.id}/read`);
  assert.equal(r.status, 404, r.text);
  boxes = (await get('xiamen', '/api/v1/flow/boxes')).json;
  assert.equal(boxes.copies_unread, before.copies_unread);
  assert.equal(boxes.copies, before.copies + 1);
});

test('opinion templates: own and shared, versioned, deleted as a state', async () => {
  let r = await post('gulou_chief', '/api/v1/flow/opinion-templates', { text: '材料齐全，同意受理', sort: 1 });
  assert.equal(r.status, 201, r.text);
  const mine = r.json;
  assert.equal(mine.shared, 0);
  r = await post('gulou_chief', '/api/v1/flow/opinion-templates', { text: '共享', shared: true });
  assert.equal(r.status, 403, r.text);
  r = await post('province', '/api/v1/flow/opinion-templates', { text: '经审查，符合要求', shared: true });
  assert.equal(r.status, 201, r.text);
  const shared = r.json;
  r = await post('gulou_chief', '/api/v1/flow/opinion-templates', { text: '' });
  assert.equal(r.status, 400, r.text);
  r = await post('gulou_chief', '/api/v1/flow/opinion-templates', { text: 'x'.repeat(501) });
  assert.equal(r.status, 400, r.text);
  let list = (await get('gulou_chief', '/api/v1/flow/opinion-templates')).json.items.map((t) => t.text);
  assert.deepEqual(list.slice(0, 1), ['经审查，符合要求']);
  assert.ok(list.includes('材料齐全，同意受理'));
  assert.ok(!(await get('gulou_chief2', '/api/v1/flow/opinion-templates')).json.items.some((t) => t.id === mine.id));
  r = await put('gulou_chief2', `/api/v1/flow/opinion-templates/${mine.id}`, { text: '改', version: mine.version });
  assert.equal(r.status, 404, r.text);
  r = await put('gulou_chief', `/api/v1/flow/opinion-templates/${shared.id}`, { text: '改', version: shared.version });
  assert.equal(r.status, 404, r.text);
  r = await put('gulou_chief', `/api/v1/flow/opinion-templates/${mine.id}`, { text: '材料齐全，予以受理', version: mine.version });
  assert.equal(r.status, 200, r.text);
  assert.equal(r.json.version, mine.version + 1);
  r = await put('gulou_chief', `/api/v1/flow/opinion-templates/${mine.id}`, { text: '旧版本', version: mine.version });
  assert.equal(r.status, 409, r.text);
  r = await del('gulou_chief', `/api/v1/flow/opinion-templates/${mine.id}?version=${mine.version + 1}`);
  assert.equal(r.status, 200, r.text);
  list = (await get('gulou_chief', '/api/v1/flow/opinion-templates')).json.items;
  assert.ok(!list.some((t) => t.id === mine.id));
  assert.equal(sql(`SELECT deleted FROM flow_opinion_template WHERE id = ${mine.id}`), '1');
  assert.equal(sql(`SELECT count(*) FROM audit_log WHERE action LIKE 'flow_template_%'`), '4');
});

test('signed opinions (电子签单): verified on completion; a tampered opinion fails verification', async () => {
  const keys = sm2.generateKeyPairHex();
  const proofText = (k) => `jianguan-sign-key:v1\ngulou_chief\n${k}`;
  let r = await put('gulou_chief', '/api/v1/flow/sign-key', { public_key: keys.publicKey, proof: 'ab'.repeat(64) });
  assert.equal(r.status, 400, r.text);
  const other = sm2.generateKeyPairHex();
  r = await put('gulou_chief', '/api/v1/flow/sign-key', { public_key: keys.publicKey, proof: sm2.doSignature(proofText(keys.publicKey), other.privateKey, { hash: true }) });
  assert.equal(r.status, 400, r.text);
  r = await put('gulou_chief', '/api/v1/flow/sign-key', { public_key: keys.publicKey, proof: sm2.doSignature(proofText(keys.publicKey), keys.privateKey, { hash: true }) });
  assert.equal(r.status, 200, r.text);
  assert.equal((await get('gulou_chief', '/api/v1/flow/sign-key')).json.public_key, keys.publicKey.toLowerCase());

  const { instance, task } = await submitted('电子签名测试项目');
  const text = (t, action, opinion) => `jianguan-opinion:v1\ntask:${t}\naction:${action}\nopinion:${opinion}`;
  // A signature over another opinion is refused and changes nothing.
  let sig = sm2.doSignature(text(task.id, 'accept', '同意'), keys.privateKey, { hash: true });
  r = await post('gulou_chief', `/api/v1/flow/tasks/${task.id}/complete`, { version: task.version, action: 'accept', opinion: '不同意', signature: sig });
  assert.equal(r.status, 400, r.text);
  assert.match(assertError(r.json, 'invalid').fields.signature, /验签失败/);
  // Someone without a key cannot sign.
  r = await post('gulou_chief2', `/api/v1/flow/tasks/${task.id}/complete`, { version: task.version, action: 'accept', opinion: '同意', signature: sig });
  assert.equal(r.status, 400, r.text);
  r = await post('gulou_chief', `/api/v1/flow/tasks/${task.id}/complete`, { version: task.version, action: 'accept', opinion: '同意', signature: sig });
  assert.equal(r.status, 200, r.text);
  let v = (await inst('gulou', instance)).json;
  let line = v.log.find((l) => l.action === 'complete:accept');
  assert.equal(line.signature, 'valid');
  assert.equal(v.log.find((l) => l.action === 'start').signature, null);
  // Someone changes the opinion in the database: the history shows the signature broken.
  sql(`UPDATE flow_log SET opinion = '同意（已改）' WHERE id = ${line.id}`);
  v = (await inst('gulou', instance)).json;
  line = v.log.find((l) => l.action === 'complete:accept');
  assert.equal(line.opinion, '同意（已改）');
  assert.equal(line.signature, 'invalid');
  // A new key retires the old; old signatures keep the key they were made with.
  sql(`UPDATE flow_log SET opinion = '同意' WHERE id = ${line.id}`);
  const next = sm2.generateKeyPairHex();
  r = await put('gulou_chief', '/api/v1/flow/sign-key', { public_key: next.publicKey, proof: sm2.doSignature(proofText(next.publicKey), next.privateKey, { hash: true }) });
  assert.equal(r.status, 200, r.text);
  v = (await inst('gulou', instance)).json;
  assert.equal(v.log.find((l) => l.action === 'complete:accept').signature, 'valid');
});

test('boxes: counts, drafts, correction, finished, filters by process, deadline and applicant', async () => {
  const draft = await declaration('拟件箱测试项目');
  let boxes = (await get('contractor', '/api/v1/flow/boxes')).json;
  for (const k of ['drafts', 'todo', 'overdue', 'correction', 'done', 'finished', 'copies', 'copies_unread']) {
    assert.equal(typeof boxes[k], 'number', k);
  }
  assert.ok(boxes.drafts >= 1);
  const drafts = (await get('contractor', '/api/v1/flow/drafts')).json;
  assert.equal(drafts.entities.find((e) => e.entity === 'registration').count, boxes.drafts);
  const page = (await get('contractor', '/api/v1/flow/drafts?entity=registration&size=100')).json.items;
  assert.ok(page.some((d) => d.id === draft));
  assert.equal((await get('xiamen', '/api/v1/flow/drafts')).json.total, 0); // inspectors submit nothing
  assert.equal((await get('contractor', '/api/v1/flow/drafts?entity=nothing')).status, 404);

  // 补正: returned to the applicant enterprise, in both its users' correction boxes.
  const { instance, task } = await submitted('补正箱测试项目');
  let r = await post('gulou_chief', `/api/v1/flow/tasks/${task.id}/complete`, { version: task.version, action: 'return', opinion: '补充材料' });
  assert.equal(r.status, 200, r.text);
  for (const u of ['contractor', 'contractor2']) {
    const c = (await get(u, '/api/v1/flow/tasks?box=correction&size=100')).json.items;
    assert.ok(c.some((t) => t.instance_id === instance && t.node === 'Correct'), u);
  }
  assert.ok(!(await get('gulou_chief', '/api/v1/flow/tasks?box=correction&size=100')).json.items.some((t) => t.instance_id === instance));
  boxes = (await get('contractor', '/api/v1/flow/boxes')).json;
  assert.ok(boxes.correction >= 1);

  // Filters: process key, applicant name, deadlines.
  const { task: late } = await submitted('超期测试项目');
  let items = (await get('gulou_chief', `/api/v1/flow/tasks?box=todo&size=100&applicant=${encodeURIComponent(ownName.slice(2, 6))}`)).json.items;
  assert.ok(items.length > 0 && items.every((t) => t.applicant === ownName), JSON.stringify(items));
  assert.equal((await get('gulou_chief', '/api/v1/flow/tasks?box=todo&applicant=%E6%B2%A1%E6%9C%89%E8%BF%99%E5%AE%B6')).json.items.length, 0);
  assert.equal((await get('gulou_chief', '/api/v1/flow/tasks?box=todo&key=other')).json.items.length, 0);
  sql(`UPDATE flow_task SET due_at = '2020-01-01T00:00:00Z' WHERE id = ${late.id}`);
  items = (await get('gulou_chief', '/api/v1/flow/tasks?box=todo&overdue=1&size=100')).json.items;
  assert.ok(items.some((t) => t.id === late.id));
  assert.ok(items.every((t) => t.due_at < new Date().toISOString()));
  items = (await get('gulou_chief', '/api/v1/flow/tasks?box=todo&due_within=30&size=100')).json.items;
  assert.ok(!items.some((t) => t.id === late.id) && items.length > 0);
  assert.ok((await get('gulou_chief', '/api/v1/flow/boxes')).json.overdue >= 1);
  assert.equal((await get('gulou_chief', '/api/v1/flow/tasks?box=todo&due_within=999')).status, 400);
  assert.equal((await get('gulou_chief', '/api/v1/flow/tasks?box=nope')).status, 400);
  assert.equal((await get('gulou_chief', '/api/v1/flow/tasks?box=todo&overdue=x')).status, 400);

  // 已办 and 办结: the chief did steps of instances that ended.
  const fin = (await get('gulou_chief', '/api/v1/flow/instances?box=finished&size=100')).json.items;
  assert.ok(fin.length > 0 && fin.every((i) => i.state !== 'running'));
  assert.ok(fin.some((i) => i.state === 'terminated') && fin.some((i) => i.state === 'completed'));
  assert.deepEqual((await get('gulou_chief', '/api/v1/flow/tasks?box=finished&size=100')).json.items, fin);
  assert.equal((await get('xiamen', '/api/v1/flow/instances?box=finished')).json.items.length, 0);
  assert.equal((await get('gulou_chief', '/api/v1/flow/instances')).status, 400);
  boxes = (await get('gulou_chief', '/api/v1/flow/boxes')).json;
  assert.equal(boxes.finished, fin.length);
  assert.equal(boxes.done, Number(sql(`SELECT count(*) FROM flow_task WHERE done_by = ${id.gulou_chief}`)));
  assert.equal(boxes.todo, (await todo('gulou_chief')).length);
});

test('instance history and diagram: who, what, when, node states and the BPMN of its version', async () => {
  const { instance, task } = await submitted('流程图测试项目');
  let r = await post('gulou_chief', `/api/v1/flow/tasks/${task.id}/complete`, { version: task.version, action: 'accept', opinion: '受理' });
  assert.equal(r.status, 200, r.text);
  const v = (await inst('contractor', instance)).json;
  assert.equal(v.definition.key, 'registration');
  assert.match(v.definition.xml, /<bpmn:definitions/);
  const nodes = Object.fromEntries(v.nodes.map((n) => [n.id, n.state]));
  assert.deepEqual([nodes.Start, nodes.Accept, nodes.Register, nodes.Issue, nodes.End, nodes.Correct],
    ['done', 'done', 'current', 'pending', 'pending', 'pending']);
  const l = v.log.find((x) => x.action === 'complete:accept');
  assert.deepEqual([l.username, l.opinion, l.signature], ['gulou_chief', '受理', null]);
  assert.ok(l.at.startsWith('20'));
  assert.equal((await inst('xiamen', instance)).status, 404);
  assert.equal((await inst('gulou', 'x')).status, 404);
});

test('efficiency statistics per department and person: handled, on time, overdue, average hours', async () => {
  const { task } = await submitted('效能测试项目');
  let r = await post('gulou_chief2', `/api/v1/flow/tasks/${task.id}/complete`, { version: task.version, action: 'accept' });
  assert.equal(r.status, 200, r.text);
  sql(`UPDATE flow_task SET due_at = '2020-01-01T00:00:00Z' WHERE id = ${task.id}`);
  const day = (d) => new Date(Date.now() + d * 86400000).toISOString().slice(0, 10);
  r = await get('province', `/api/v1/flow/stats?from=${day(-1)}&to=${day(1)}&by=person`);
  assert.equal(r.status, 200, r.text);
  const chief2 = r.json.items.find((x) => x.user_id === id.gulou_chief2);
  assert.ok(chief2, r.text);
  assert.ok(chief2.handled >= 1);
  assert.equal(chief2.overdue, 1);
  assert.equal(chief2.on_time, chief2.handled - 1);
  assert.equal(typeof chief2.avg_hours, 'number');
  assert.equal(chief2.department, sql(`SELECT d.name FROM department d JOIN app_user u ON u.department_id = d.id WHERE u.username = 'gulou_chief2'`));
  const total = Number(sql(`SELECT count(*) FROM flow_task WHERE state = 'done'`));
  r = await get('province', `/api/v1/flow/stats?from=${day(-1)}&to=${day(1)}`);
  assert.equal(r.status, 200, r.text);
  assert.equal(r.json.items.reduce((a, x) => a + x.handled, 0), total);
  // The chief sees its region; Xiamen's inspector has no permission; the past is empty.
  r = await get('gulou_chief', `/api/v1/flow/stats?from=${day(-1)}&to=${day(1)}&by=department`);
  assert.equal(r.status, 200, r.text);
  assert.ok(r.json.items.length >= 1);
  assert.equal((await get('xiamen', `/api/v1/flow/stats?from=${day(-1)}&to=${day(1)}`)).status, 403);
  assert.equal((await get('contractor', `/api/v1/flow/stats?from=${day(-1)}&to=${day(1)}`)).status, 403);
  assert.deepEqual((await get('province', '/api/v1/flow/stats?from=2020-01-01&to=2020-01-31')).json.items, []);
  assert.equal((await get('province', '/api/v1/flow/stats?from=2020-13-01&to=2020-01-31')).status, 400);
  assert.equal((await get('province', `/api/v1/flow/stats?from=${day(1)}&to=${day(-1)}`)).status, 400);
  assert.equal((await get('province', `/api/v1/flow/stats?from=${day(-1)}&to=${day(1)}&by=x`)).status, 400);
});

test('a step marked jg:sign="required" refuses an unsigned completion, one by one and in bulk', async () => {
  const xml = (await import('node:fs')).readFileSync(new URL('../../defs/registration/registration.bpmn', import.meta.url), 'utf8')
    .replace('id="registration" name="项目报监"', 'id="registration_signed" name="项目报监（须签名）"')
    .replace('<bpmn:userTask id="Accept" ', '<bpmn:userTask id="Accept" jg:sign="required" ');
  let r = await post('province', '/api/v1/flow/definitions', { xml: xml.replace('jg:sign="required"', 'jg:sign="maybe"') });
  assert.equal(r.status, 400, r.text);
  assert.match(r.text, /jg:sign/);
  r = await post('province', '/api/v1/flow/definitions', { xml });
  assert.equal(r.status, 201, r.text);
  const record = await declaration('须签名的报监项目');
  r = await post('contractor', '/api/v1/flow/instances', { key: 'registration_signed', entity: 'registration', record_id: record });
  assert.equal(r.status, 201, r.text);
  const task = r.json.tasks[0];
  r = await post('gulou_chief', `/api/v1/flow/tasks/${task.id}/complete`, { version: task.version, action: 'accept', opinion: '同意' });
  assert.equal(r.status, 400, r.text);
  assert.match(assertError(r.json, 'invalid').fields.signature, /须电子签名/);
  r = await post('gulou_chief', '/api/v1/flow/tasks/bulk', { tasks: [{ id: task.id, version: task.version }], action: 'accept', opinion: '同意' });
  assert.equal(r.status, 200, r.text);
  assert.deepEqual([r.json.ok, r.json.failed], [0, 1]);
  assert.match(r.json.results[0].message, /须电子签名/);
  assert.equal(await state(record), 'submitted');
});
