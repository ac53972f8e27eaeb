// Workflow engine, the execution core: 退回 to any earlier step (across parallel branches and out
// of a 会签), 会签 (all / any / ratio, parallel and sequential, 加签/减签), assignees named by a
// record field, and inclusive joins. Processes are deployed inline by the province administrator
// and run on real 报监 declarations; after every operation the open tasks and tokens are checked
// in the database, so a lost or duplicated task fails.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { startServer, bin } from './lib/harness.mjs';
import { assertError, dbExec, until } from './lib/checks.mjs';
import { session, as } from './lib/auth.mjs';

let srv;
const s = {};
const ids = {};
const sql = (q) => dbExec(srv.env.JIANGUAN_DATABASE, q).trim();
const post = (who, path, body) => as(srv, s[who], path, { method: 'POST', body });
const get = (who, path) => as(srv, s[who], path);
let own;
let owner;

const doc = (key, body) =>
  '<?xml version="1.0" encoding="UTF-8"?><definitions xmlns="http://www.omg.org/spec/BPMN/20100524/MODEL"' +
  ` xmlns:jg="https://jianguan.fj.gov.cn/schema/bpmn"><process id="${key}" name="测试流程 ${key}">${body}</process></definitions>`;
const flow = (id, from, to, extra = '') => `<sequenceFlow id="${id}" sourceRef="${from}" targetRef="${to}"${extra}/>`;
const cflow = (id, from, to, cond) =>
  `<sequenceFlow id="${id}" sourceRef="${from}" targetRef="${to}"><conditionExpression>${cond}</conditionExpression></sequenceFlow>`;
const chief = (id, extra = '') => `<userTask id="${id}" name="${id}" jg:candidateRoles="station_chief" jg:level="county"${extra}/>`;
const inspector = (id, extra = '') => `<userTask id="${id}" name="${id}" jg:candidateRoles="inspector" jg:level="county"${extra}/>`;

before(async () => {
  srv = await startServer({ projects: 1, env: { JIANGUAN_CAPTCHA: 'off', JIANGUAN_AUTH_RATE_PER_MINUTE: '100000' } });
  for (const u of ['contractor', 'gulou_chief', 'gulou', 'fuzhou', 'province', 'xiamen']) {
    s[u] = await session(srv, u);
    ids[u] = s[u].user.id;
  }
  own = s.contractor.user.enterprise_id;
  owner = Number(sql(`SELECT id FROM enterprise WHERE id <> ${own} ORDER BY id LIMIT 1`));
});
after(async () => { assert.equal(await srv.stop(), 0); });

async function deploy(key, body) {
  const r = await post('province', '/api/v1/flow/definitions', { xml: doc(key, body) });
  assert.equal(r.status, 201, r.text);
}

let n = 0;
async function declaration(extra = {}) {
  const r = await post('contractor', '/api/v1/records/registration', {
    project_name: `核心流程测试项目${++n}`, project_kind: 'building', org_code: '350102', address: '福州市鼓楼区测试路 9 号',
    applicant_id: own, owner_id: owner, contractor_id: own, total_area: '1000.00', cost: '5000000.00',
    planned_start_on: '2026-12-01', contact_name: '李四', ...extra,
  });
  assert.equal(r.status, 201, r.text);
  return r.json.id;
}

async function start(key, extra) {
  const id = await declaration(extra);
  const r = await post('contractor', '/api/v1/flow/instances', { key, entity: 'registration', record_id: id });
  assert.equal(r.status, 201, r.text);
  return r.json.id;
}

/** The open tasks of instance i as "node" or "node@user" (assigned), in order; and its tokens. */
const open = (i) => sql(`SELECT t.node || COALESCE('@' || u.username, '') FROM flow_task t LEFT JOIN app_user u ON u.id = t.assignee_id` +
  ` WHERE t.instance_id = ${i} AND t.state = 'open' ORDER BY t.node, u.username`).split('\n').filter(Boolean);
const tokens = (i) => sql(`SELECT node FROM flow_token WHERE instance_id = ${i} ORDER BY node`).split('\n').filter(Boolean);
function task(i, node, who) {
  const extra = who ? ` AND assignee_id = ${ids[who]}` : '';
  const row = sql(`SELECT id, version FROM flow_task WHERE instance_id = ${i} AND node = '${node}' AND state = 'open'${extra}`);
  assert.ok(row && !row.includes('\n'), `one open task ${node} of ${i}: ${row}`);
  const [id, version] = row.split('|').map(Number);
  return { id, version };
}
async function done(i, node, who, action) {
  const t = task(i, node);
  const r = await post(who, `/api/v1/flow/tasks/${t.id}/complete`, action ? { version: t.version, action } : { version: t.version });
  assert.equal(r.status, 200, r.text);
  return r;
}
async function doneAs(i, node, who, action) { // a 会签 signer's own task
  const t = task(i, node, who);
  const r = await post(who, `/api/v1/flow/tasks/${t.id}/complete`, action ? { version: t.version, action } : { version: t.version });
  assert.equal(r.status, 200, r.text);
  return r;
}
async function back(i, node, who, target, status = 200) {
  const t = task(i, node);
  const r = await post(who, `/api/v1/flow/tasks/${t.id}/return`, { version: t.version, target, opinion: `退回到 ${target}` });
  assert.equal(r.status, status, r.text);
  return r;
}

test('return across parallel branches: before the split, inside a branch, from after the join', async () => {
  // A → split → (B1 → B2) ‖ C → join → D → end
  await deploy('core_par', '<startEvent id="s"/>' + flow('f0', 's', 'A') + chief('A') + flow('f1', 'A', 'split') +
    '<parallelGateway id="split"/>' + flow('f2', 'split', 'B1') + flow('f3', 'split', 'C') +
    inspector('B1') + flow('f4', 'B1', 'B2') + inspector('B2') + flow('f5', 'B2', 'join') + chief('C') + flow('f6', 'C', 'join') +
    '<parallelGateway id="join"/>' + flow('f7', 'join', 'D') + chief('D', ' jg:returnable="false"') + flow('f8', 'D', 'e') + '<endEvent id="e"/>');
  const i = await start('core_par');
  assert.deepEqual(open(i), ['A']);
  await done(i, 'A', 'gulou_chief');
  assert.deepEqual(open(i), ['B1', 'C']);

  // The targets offered from B1: A only; from C: A.
  let t = task(i, 'B1');
  let r = await get('gulou', `/api/v1/flow/tasks/${t.id}/return-targets`);
  assert.equal(r.status, 200, r.text);
  assert.deepEqual(r.json.items, [{ node: 'A', name: 'A' }]);
  assert.equal((await get('xiamen', `/api/v1/flow/tasks/${t.id}/return-targets`)).status, 404);

  // From a branch to before the split: the sibling branch goes too; A goes back to who did it.
  r = await back(i, 'B1', 'gulou', 'A');
  assert.deepEqual(r.json.tasks.map((x) => x.node), ['A']);
  assert.deepEqual(open(i), ['A@gulou_chief']);
  assert.deepEqual(tokens(i), ['A']);
  assert.equal(sql(`SELECT count(*) FROM flow_task WHERE instance_id = ${i} AND node = 'C' AND state = 'cancelled'`), '1');
  assert.equal(sql(`SELECT action || ':' || opinion FROM flow_task WHERE instance_id = ${i} AND node = 'B1' AND state = 'done'`), 'return:退回到 A');

  // Inside a branch: C, done, keeps waiting at the join; the branch runs again and joins once.
  await done(i, 'A', 'gulou_chief');
  await done(i, 'C', 'gulou_chief');
  await done(i, 'B1', 'gulou');
  assert.deepEqual(tokens(i), ['B2', 'join']);
  t = task(i, 'B2');
  r = await get('gulou', `/api/v1/flow/tasks/${t.id}/return-targets`);
  assert.deepEqual(r.json.items.map((x) => x.node), ['A', 'B1']);
  await back(i, 'B2', 'gulou', 'B1');
  assert.deepEqual(open(i), ['B1@gulou']);
  assert.deepEqual(tokens(i), ['B1', 'join']);
  await done(i, 'B1', 'gulou');
  await done(i, 'B2', 'gulou');
  assert.deepEqual(open(i), ['D']);
  assert.deepEqual(tokens(i), ['D']);

  // From after the join into one branch: the other branch, which had arrived, is restored at the join.
  await back(i, 'D', 'gulou_chief', 'B2');
  assert.deepEqual(open(i), ['B2@gulou']);
  assert.deepEqual(tokens(i), ['B2', 'join']);
  await done(i, 'B2', 'gulou');
  assert.deepEqual(open(i), ['D']);
  assert.deepEqual(tokens(i), ['D']);
  // From after the join to before the split: everything goes back to A.
  await back(i, 'D', 'gulou_chief', 'A');
  assert.deepEqual(open(i), ['A@gulou_chief']);
  assert.deepEqual(tokens(i), ['A']);

  // Refused: not before, not done, unknown, not returnable; nothing changes.
  await done(i, 'A', 'gulou_chief');
  for (const target of ['B1', 'B2', 'nope', 'C']) {
    r = await back(i, 'B1', 'gulou', target, 400);
    assertError(r.json, 'invalid');
  }
  r = await post('gulou', `/api/v1/flow/tasks/${task(i, 'B1').id}/return`, { version: task(i, 'B1').version });
  assert.equal(r.status, 400, r.text);
  assert.ok(r.json.error.fields.target, r.text);
  await done(i, 'B1', 'gulou');
  await done(i, 'C', 'gulou_chief');
  await done(i, 'B2', 'gulou');
  r = await back(i, 'D', 'gulou_chief', 'D', 400);
  // A stale version is 409; another region's user cannot return it.
  t = task(i, 'D');
  r = await post('gulou_chief', `/api/v1/flow/tasks/${t.id}/return`, { version: t.version + 1, target: 'A' });
  assert.equal(r.status, 409, r.text);
  r = await post('xiamen', `/api/v1/flow/tasks/${t.id}/return`, { version: t.version, target: 'A' });
  assert.equal(r.status, 404, r.text);
  assert.deepEqual(open(i), ['D']);
  r = await done(i, 'D', 'gulou_chief');
  assert.equal(r.json.state, 'completed');
  assert.deepEqual(tokens(i), []);
  const log = sql(`SELECT action FROM flow_log WHERE instance_id = ${i} AND action LIKE 'return:%' ORDER BY id`).split('\n');
  assert.deepEqual(log, ['return:A', 'return:B1', 'return:B2', 'return:A']);
  assert.equal(sql(`SELECT count(*) FROM audit_log WHERE action = 'flow_return' AND record_id = '${i}'`), '4');
});

const signProcess = (key, mi, extra = '') => '<startEvent id="s"/>' + flow('f0', 's', 'Prep') + chief('Prep') + flow('f1', 'Prep', 'Sign') +
  `<userTask id="Sign" name="会签" jg:candidateRoles="inspector,station_chief" jg:level="county"${extra}>${mi}</userTask>` +
  flow('f2', 'Sign', 'Final', ' name="同意" jg:action="approve"') + flow('f3', 'Sign', 'Prep', ' name="不同意" jg:action="reject"') +
  chief('Final') + flow('f4', 'Final', 'e') + '<endEvent id="e"/>';
const mi = (attrs) => `<multiInstanceLoopCharacteristics ${attrs}/>`;

test('会签 all, in parallel: every signer approves, or one reject decides; 加签 and 减签; return out of it', async () => {
  await deploy('core_all', signProcess('core_all', mi('isSequential="false" jg:complete="all"')));
  let i = await start('core_all');
  await done(i, 'Prep', 'gulou_chief');
  assert.deepEqual(open(i), ['Sign@gulou', 'Sign@gulou_chief']);
  assert.deepEqual(tokens(i), ['Sign']);
  // Each signer has their own task in the 待办; the others do not see it.
  const todo = async (who) => (await get(who, '/api/v1/flow/tasks?box=todo&size=100')).json.items.filter((x) => x.instance_id === i);
  assert.equal((await todo('gulou')).length, 1);
  assert.equal((await todo('fuzhou')).length, 0);

  // 加签 fuzhou (another office) by a signer; twice is refused; 减签 by another signer.
  let t = task(i, 'Sign', 'gulou_chief');
  let r = await post('gulou_chief', `/api/v1/flow/tasks/${t.id}/add-signer`, { version: t.version, user_id: ids.fuzhou });
  assert.equal(r.status, 200, r.text);
  assert.deepEqual(open(i), ['Sign@fuzhou', 'Sign@gulou', 'Sign@gulou_chief']);
  assert.equal((await todo('fuzhou')).length, 1);
  r = await post('gulou_chief', `/api/v1/flow/tasks/${t.id}/add-signer`, { version: t.version + 1, user_id: ids.fuzhou });
  assert.equal(r.status, 400, r.text);
  assert.ok(r.json.error.fields.user_id, r.text);
  r = await post('gulou_chief', `/api/v1/flow/tasks/${t.id}/add-signer`, { version: t.version, user_id: ids.gulou });
  assert.equal(r.status, 409, r.text);
  r = await post('gulou_chief', `/api/v1/flow/tasks/${t.id}/add-signer`, { version: t.version + 1, user_id: 99999999 });
  assert.equal(r.status, 400, r.text);
  t = task(i, 'Sign', 'gulou');
  r = await post('gulou', `/api/v1/flow/tasks/${t.id}/remove-signer`, { version: t.version, user_id: ids.gulou });
  assert.equal(r.status, 400, r.text); // not oneself
  r = await post('gulou', `/api/v1/flow/tasks/${t.id}/remove-signer`, { version: t.version, user_id: ids.fuzhou });
  assert.equal(r.status, 200, r.text);
  assert.deepEqual(open(i), ['Sign@gulou', 'Sign@gulou_chief']);
  assert.equal(sql(`SELECT count(*) FROM audit_log WHERE action IN ('flow_add_signer', 'flow_remove_signer') AND record_id = '${i}'`), '2');

  // Not a 会签 step: refused.
  const j = await start('core_all');
  const p = task(j, 'Prep');
  r = await post('gulou_chief', `/api/v1/flow/tasks/${p.id}/add-signer`, { version: p.version, user_id: ids.fuzhou });
  assert.equal(r.status, 400, r.text);

  // One approves: the step waits for the other; the other approves: on to Final.
  await doneAs(i, 'Sign', 'gulou', 'approve');
  assert.deepEqual(open(i), ['Sign@gulou_chief']);
  await doneAs(i, 'Sign', 'gulou_chief', 'approve');
  assert.deepEqual(open(i), ['Final']);
  assert.deepEqual(tokens(i), ['Final']);

  // One rejects: decided at once, the other's task is cancelled, back to Prep.
  i = await start('core_all');
  await done(i, 'Prep', 'gulou_chief');
  await doneAs(i, 'Sign', 'gulou', 'reject');
  assert.deepEqual(open(i), ['Prep']);
  assert.deepEqual(tokens(i), ['Prep']);
  assert.equal(sql(`SELECT count(*) FROM flow_task WHERE instance_id = ${i} AND node = 'Sign' AND state = 'cancelled'`), '1');

  // 退回 out of the 会签 to Prep: every signer's task goes.
  await done(i, 'Prep', 'gulou_chief');
  await doneAs(i, 'Sign', 'gulou', 'approve');
  t = task(i, 'Sign', 'gulou_chief');
  r = await post('gulou_chief', `/api/v1/flow/tasks/${t.id}/return`, { version: t.version, target: 'Prep' });
  assert.equal(r.status, 200, r.text);
  assert.deepEqual(open(i), ['Prep@gulou_chief']);
  assert.deepEqual(tokens(i), ['Prep']);
});

test('会签 in sequence: ratio and any; signers from a record field', async () => {
  await deploy('core_ratio', signProcess('core_ratio', mi('isSequential="true" jg:complete="ratio" jg:ratio="0.6"')));
  let i = await start('core_ratio');
  await done(i, 'Prep', 'gulou_chief');
  assert.deepEqual(open(i), ['Sign@gulou']); // one at a time, in user order
  // 加签 in a sequence: the added signer comes last.
  let t = task(i, 'Sign', 'gulou');
  let r = await post('gulou', `/api/v1/flow/tasks/${t.id}/add-signer`, { version: t.version, user_id: ids.fuzhou });
  assert.equal(r.status, 200, r.text);
  assert.deepEqual(open(i), ['Sign@gulou']);
  // 3 signers, 0.6: two passes needed. gulou approves, the chief rejects (2 still possible), fuzhou approves.
  await doneAs(i, 'Sign', 'gulou', 'approve');
  assert.deepEqual(open(i), ['Sign@gulou_chief']);
  await doneAs(i, 'Sign', 'gulou_chief', 'reject');
  assert.deepEqual(open(i), ['Sign@fuzhou']);
  await doneAs(i, 'Sign', 'fuzhou', 'approve');
  assert.deepEqual(open(i), ['Final']);
  assert.deepEqual(tokens(i), ['Final']);
  // Two signers, 0.6: both must pass, so the first rejection decides.
  i = await start('core_ratio');
  await done(i, 'Prep', 'gulou_chief');
  await doneAs(i, 'Sign', 'gulou', 'reject');
  assert.deepEqual(open(i), ['Prep']);
  assert.equal(sql(`SELECT count(*) FROM flow_task WHERE instance_id = ${i} AND node = 'Sign'`), '1'); // the chief never got one
  assert.deepEqual(tokens(i), ['Prep']);

  // any, signers named in the record's remark: the first to sign decides.
  await deploy('core_any', signProcess('core_any', mi('isSequential="true" jg:complete="any" jg:signersField="remark"')));
  i = await start('core_any', { remark: `${ids.fuzhou},${ids.gulou}` });
  await done(i, 'Prep', 'gulou_chief');
  assert.deepEqual(open(i), ['Sign@fuzhou']);
  t = task(i, 'Sign', 'fuzhou');
  r = await post('fuzhou', `/api/v1/flow/tasks/${t.id}/remove-signer`, { version: t.version, user_id: ids.gulou });
  assert.equal(r.status, 200, r.text);
  assert.equal(sql(`SELECT COALESCE(pending, '-') FROM flow_token WHERE instance_id = ${i}`), '-');
  await doneAs(i, 'Sign', 'fuzhou', 'approve');
  assert.deepEqual(open(i), ['Final']);
  // A signer who does not exist: the step cannot open, nothing is left behind.
  const rec = await declaration({ remark: '99999999' });
  r = await post('contractor', '/api/v1/flow/instances', { key: 'core_any', entity: 'registration', record_id: rec });
  assert.equal(r.status, 201, r.text);
  t = task(r.json.id, 'Prep');
  const bad = await post('gulou_chief', `/api/v1/flow/tasks/${t.id}/complete`, { version: t.version });
  assert.equal(bad.status, 400, bad.text);
  assert.match(bad.json.error.message, /会签人 99999999 不存在/);
  assert.deepEqual(open(r.json.id), ['Prep']);
});

test('an assignee named by a record field; inclusive joins wait only for what was started', async () => {
  await deploy('core_field', '<startEvent id="s"/>' + flow('f0', 's', 'Insp') +
    '<userTask id="Insp" name="检查" jg:assigneeField="permit_no"/>' + flow('f1', 'Insp', 'e') + '<endEvent id="e"/>');
  let i = await start('core_field', { permit_no: String(ids.fuzhou) });
  assert.deepEqual(open(i), ['Insp@fuzhou']);
  assert.equal(sql(`SELECT COALESCE(candidate_roles, '-') || COALESCE(org_code, '-') FROM flow_task WHERE instance_id = ${i}`), '--');
  const r = await done(i, 'Insp', 'fuzhou');
  assert.equal(r.json.state, 'completed');
  // Empty field and nobody else named: refused at start.
  const rec = await declaration({ permit_no: '' });
  const bad = await post('contractor', '/api/v1/flow/instances', { key: 'core_field', entity: 'registration', record_id: rec });
  assert.equal(bad.status, 400, bad.text);

  await deploy('core_or', '<startEvent id="s"/>' + flow('f0', 's', 'split') + '<inclusiveGateway id="split" default="f3"/>' +
    cflow('f1', 'split', 'X', 'record.cost &gt;= 1000000') +
    cflow('f2', 'split', 'Y', 'record.total_area &gt;= 5000') +
    flow('f3', 'split', 'Z') + chief('X') + inspector('Y') + chief('Z') +
    flow('f4', 'X', 'join') + flow('f5', 'Y', 'join') + flow('f6', 'Z', 'join') + '<inclusiveGateway id="join"/>' +
    flow('f7', 'join', 'W') + chief('W') + flow('f8', 'W', 'e') + '<endEvent id="e"/>');
  i = await start('core_or');
  assert.deepEqual(open(i), ['X']);
  await done(i, 'X', 'gulou_chief');
  assert.deepEqual(open(i), ['W']);
  assert.deepEqual(tokens(i), ['W']);
  i = await start('core_or', { total_area: '6000.00' });
  assert.deepEqual(open(i), ['X', 'Y']);
  await done(i, 'X', 'gulou_chief');
  assert.deepEqual(open(i), ['Y']);
  assert.deepEqual(tokens(i), ['Y', 'join']);
  await done(i, 'Y', 'gulou');
  assert.deepEqual(open(i), ['W']);
  assert.deepEqual(tokens(i), ['W']);
  // A branch that ends elsewhere: the join stops waiting for it when it ends.
  await deploy('core_or2', '<startEvent id="s"/>' + flow('f0', 's', 'split') + '<inclusiveGateway id="split"/>' +
    cflow('f1', 'split', 'X', 'record.cost &gt;= 1000000') + cflow('f2', 'split', 'Y', 'record.total_area &gt;= 5000') +
    chief('X') + inspector('Y') + flow('f4', 'X', 'join') + flow('f5', 'Y', 'join', ' jg:action="go"') +
    flow('f6', 'Y', 'e2', ' jg:action="skip"') + '<endEvent id="e2"/>' + '<inclusiveGateway id="join"/>' +
    flow('f7', 'join', 'W') + chief('W') + flow('f8', 'W', 'e') + '<endEvent id="e"/>');
  i = await start('core_or2', { total_area: '6000.00' });
  await done(i, 'X', 'gulou_chief');
  assert.deepEqual(tokens(i), ['Y', 'join']);
  await done(i, 'Y', 'gulou', 'skip');
  assert.deepEqual(open(i), ['W']);
  assert.deepEqual(tokens(i), ['W']);
});

test('a call activity runs a sub-process on the same record; the parent waits and goes on when it ends', async () => {
  await deploy('core_child', '<startEvent id="s"/>' + flow('f0', 's', 'S1') + inspector('S1') + flow('f1', 'S1', 'e') + '<endEvent id="e"/>');
  await deploy('core_parent', '<startEvent id="s"/>' + flow('f0', 's', 'P1') + chief('P1') + flow('f1', 'P1', 'Call') +
    '<callActivity id="Call" name="子流程" calledElement="core_child"/>' + flow('f2', 'Call', 'P2') + chief('P2') +
    flow('f3', 'P2', 'e') + '<endEvent id="e"/>');
  const i = await start('core_parent');
  await done(i, 'P1', 'gulou_chief');
  assert.deepEqual(open(i), []);
  assert.deepEqual(tokens(i), ['Call']);
  const child = Number(sql(`SELECT id FROM flow_instance WHERE parent_id = ${i}`));
  assert.equal(sql(`SELECT key || ':' || state || ':' || parent_token_id FROM flow_instance WHERE id = ${child}`),
    `core_child:running:${sql(`SELECT id FROM flow_token WHERE instance_id = ${i}`)}`);
  assert.deepEqual(open(child), ['S1']);
  // The child's task ends the child; the parent goes on, and the answer is the parent's.
  const r = await done(child, 'S1', 'gulou');
  assert.equal(r.json.id, i);
  assert.deepEqual(r.json.tasks.map((x) => x.node), ['P2']);
  assert.equal(sql(`SELECT state FROM flow_instance WHERE id = ${child}`), 'completed');
  assert.deepEqual(tokens(i), ['P2']);
  const fin = await done(i, 'P2', 'gulou_chief');
  assert.equal(fin.json.state, 'completed');
  assert.deepEqual(sql(`SELECT action FROM flow_log WHERE instance_id = ${i} ORDER BY id`).split('\n'),
    ['start', 'enter', 'complete:complete', 'call:core_child', 'called', 'enter', 'complete:complete', 'end']);
  // A call of a process never deployed: refused when the flow reaches it, nothing changes.
  await deploy('core_orphan', '<startEvent id="s"/>' + flow('f0', 's', 'P1') + chief('P1') + flow('f1', 'P1', 'Call') +
    '<callActivity id="Call" calledElement="core_nowhere"/>' + flow('f2', 'Call', 'e') + '<endEvent id="e"/>');
  const j = await start('core_orphan');
  const t = task(j, 'P1');
  const bad = await post('gulou_chief', `/api/v1/flow/tasks/${t.id}/complete`, { version: t.version });
  assert.equal(bad.status, 400, bad.text);
  assert.match(bad.json.error.message, /core_nowhere/);
  assert.deepEqual(open(j), ['P1']);
});

// The tests' clock: `jianguan flow-tick --at ISO` fires what is due at that instant.
const tick = (at) => new Promise((ok, fail) => {
  execFile(bin, ['flow-tick', '--at', at], { env: { ...process.env, ...srv.env } }, (err, stdout, stderr) => {
    if (err) fail(new Error(`flow-tick: ${stderr}`)); else ok(Number(/fired (\d+)/.exec(stdout)[1]));
  });
});
const iso = (ms) => new Date(ms).toISOString().replace(/\.\d+Z$/, 'Z');
const at = (isoText, plusMs) => iso(Date.parse(isoText) + plusMs);
const H = 3600e3;
const D = 24 * H;

test('the working-day calendar: 2026 holidays and 调休 seeded, edited by flow.deploy, used by time limits', async () => {
  let r = await get('gulou', '/api/v1/flow/calendar?year=2026');
  assert.equal(r.status, 200, r.text);
  const days = new Map(r.json.items.map((d) => [d.day, d.kind]));
  assert.equal(days.get('2026-10-01'), 'holiday');
  assert.equal(days.get('2026-02-14'), 'workday'); // a Saturday worked before 春节
  assert.equal(days.get('2026-02-23'), 'holiday');
  assert.equal(days.get('2026-01-04'), 'workday');
  assert.equal([...days.values()].filter((k) => k === 'workday').length, 6);
  assert.equal((await get('gulou', '/api/v1/flow/calendar?year=x')).status, 400);
  // Only flow.deploy may change it; every change is audited.
  r = await as(srv, s.gulou, '/api/v1/flow/calendar/2026-12-31', { method: 'PUT', body: { kind: 'holiday' } });
  assert.equal(r.status, 403, r.text);
  const put = (day, body) => as(srv, s.province, `/api/v1/flow/calendar/${day}`, { method: 'PUT', body });
  const del = (day) => as(srv, s.province, `/api/v1/flow/calendar/${day}`, { method: 'DELETE' });
  assert.equal((await put('2026-02-30', { kind: 'holiday' })).status, 404);
  r = await put('2026-12-31', { kind: 'nap' });
  assert.equal(r.status, 400, r.text);
  assert.ok(r.json.error.fields.kind);

  // A time limit counts working days by the calendar: make the next two weekdays holidays and the
  // limit moves past them.
  const now = new Date(Date.now() + 8 * H); // Beijing
  const dayOf = (d) => d.toISOString().slice(0, 10);
  const next = [];
  for (let k = 1; next.length < 2; k++) {
    const d = new Date(now.getTime() + k * D);
    if (d.getUTCDay() !== 0 && d.getUTCDay() !== 6 && days.get(dayOf(d)) === undefined) next.push(dayOf(d));
  }
  for (const d of next) assert.equal((await put(d, { kind: 'holiday', name: '测试假日' })).status, 200);
  assert.equal(sql(`SELECT count(*) FROM audit_log WHERE action = 'flow_calendar' AND record_id IN ('${next[0]}', '${next[1]}')`), '2');
  r = await get('gulou', `/api/v1/flow/calendar?year=${next[0].slice(0, 4)}`);
  const cal = new Map(r.json.items.map((d) => [d.day, d.kind]));
  const working = (d) => cal.get(dayOf(d)) === 'workday' || (cal.get(dayOf(d)) !== 'holiday' && d.getUTCDay() !== 0 && d.getUTCDay() !== 6);
  await deploy('core_due', '<startEvent id="s"/>' + flow('f0', 's', 'T') + chief('T', ' jg:dueDays="2" jg:calendar="working"') +
    flow('f1', 'T', 'e') + '<endEvent id="e"/>');
  const i = await start('core_due');
  const created = sql(`SELECT created_at FROM flow_task WHERE instance_id = ${i}`);
  let d = new Date(Date.parse(created) + 8 * H);
  for (let left = 2; left > 0;) { d = new Date(d.getTime() + D); if (working(d)) left--; }
  assert.equal(sql(`SELECT due_at FROM flow_task WHERE instance_id = ${i}`), iso(d.getTime() - 8 * H));
  assert.ok(Date.parse(sql(`SELECT due_at FROM flow_task WHERE instance_id = ${i}`)) - Date.parse(created) >= 4 * D);
  for (const x of next) assert.equal((await del(x)).status, 200);
  assert.equal((await del(next[0])).status, 404);
});

test('timers fire: 督办 by a boundary timer, automatic approval on timeout, interrupting timers, reminders; once', async () => {
  await deploy('core_timer', '<startEvent id="s"/>' + flow('f0', 's', 'T1') +
    chief('T1', ' jg:dueDays="2" jg:calendar="calendar" jg:onTimeout="approve"') +
    flow('f1', 'T1', 'T2', ' jg:action="approve"') + flow('f2', 'T1', 'e', ' jg:action="reject"') +
    '<boundaryEvent id="Late1" name="超期" attachedToRef="T1" cancelActivity="false"><timerEventDefinition><timeDuration>P1D</timeDuration></timerEventDefinition></boundaryEvent>' +
    flow('f3', 'Late1', 'Sup') + '<serviceTask id="Sup" jg:action="flow.supervise"/>' + flow('f4', 'Sup', 'e2') + '<endEvent id="e2"/>' +
    chief('T2') + flow('f5', 'T2', 'e') +
    '<boundaryEvent id="Late2" attachedToRef="T2"><timerEventDefinition><timeDuration>PT1H</timeDuration></timerEventDefinition></boundaryEvent>' +
    flow('f6', 'Late2', 'T3') + inspector('T3', ' jg:dueDays="1" jg:calendar="calendar" jg:onTimeout="remind"') + flow('f7', 'T3', 'e') +
    '<endEvent id="e"/>');
  const i = await start('core_timer');
  const created = sql(`SELECT created_at FROM flow_task WHERE instance_id = ${i}`);
  assert.deepEqual(sql(`SELECT node || ':' || kind || ':' || due_at FROM flow_timer WHERE instance_id = ${i} ORDER BY id`).split('\n'),
    [`T1:timeout:${at(created, 2 * D)}`, `Late1:boundary:${at(created, D)}`]);
  assert.equal(await tick(at(created, 60e3)), 0);
  // Two servers' ticks at once: the 督办 timer fires once.
  const both = await Promise.all([tick(at(created, D + 60e3)), tick(at(created, D + 60e3))]);
  assert.equal(both[0] + both[1], 1, String(both));
  assert.deepEqual(open(i), ['T1']);
  assert.deepEqual(tokens(i), ['T1']);
  assert.equal(sql(`SELECT kind || ':' || roles || ':' || org_code FROM flow_notice WHERE instance_id = ${i}`), 'supervise:,station_chief,:350102');
  assert.equal(sql(`SELECT count(*) FROM flow_log WHERE instance_id = ${i} AND action IN ('timer', 'service:flow.supervise')`), '2');
  // The time limit passes: approved by the system, on to T2 (whose own timer counts from then).
  const t2at = at(created, 2 * D + 60e3);
  assert.equal(await tick(t2at), 1);
  assert.deepEqual(open(i), ['T2']);
  assert.equal(sql(`SELECT action || ':' || COALESCE(done_by, 0) || ':' || opinion FROM flow_task WHERE instance_id = ${i} AND node = 'T1'`), 'approve:0:超时自动办理');
  assert.equal(sql(`SELECT due_at FROM flow_timer WHERE instance_id = ${i} AND node = 'Late2'`), at(t2at, H));
  // The interrupting timer of T2 takes it away to T3.
  assert.equal(await tick(at(t2at, 2 * H)), 1);
  assert.deepEqual(open(i), ['T3']);
  assert.deepEqual(tokens(i), ['T3']);
  assert.equal(sql(`SELECT action FROM flow_task WHERE instance_id = ${i} AND node = 'T2'`), 'timeout');
  // T3's limit reminds its candidates (the step stays).
  const t3due = sql(`SELECT due_at FROM flow_task WHERE instance_id = ${i} AND node = 'T3'`);
  assert.equal(await tick(at(t3due, 60e3)), 1);
  assert.equal(sql(`SELECT kind || ':' || roles || ':' || org_code FROM flow_notice WHERE instance_id = ${i} AND kind = 'remind'`), 'remind:,inspector,:350102');
  assert.deepEqual(open(i), ['T3']);
  // The notices reach their people: 督办 the station chief, the reminder the inspectors.
  const mine = async (who, q = '') => (await get(who, `/api/v1/flow/notices?size=100${q}`)).json.items.filter((x) => x.instance_id === i);
  assert.deepEqual((await mine('gulou_chief')).map((x) => [x.kind, x.message]),
    [['supervise', '督办：“T2”已超过时限（Late2）'], ['supervise', '督办：“T1”已超过时限（超期）']]);
  const reminders = await mine('gulou');
  assert.deepEqual(reminders.map((x) => [x.kind, x.message]), [['remind', '提醒：“T3”已到办理时限']]);
  assert.deepEqual(await mine('xiamen'), []);
  assert.equal((await post('xiamen', `/api/v1/flow/notices/${reminders[0].id}/read`)).status, 404);
  assert.equal((await post('gulou', `/api/v1/flow/notices/${reminders[0].id}/read`)).status, 200);
  assert.deepEqual(await mine('gulou', '&unread=1'), []);
  assert.equal((await mine('gulou')).length, 1);
  assert.equal((await done(i, 'T3', 'gulou')).json.state, 'completed');

  // Done in time: its timers are cancelled when they come due, nothing moves.
  const j = await start('core_timer');
  await done(j, 'T1', 'gulou_chief', 'reject');
  assert.equal(sql(`SELECT state FROM flow_instance WHERE id = ${j}`), 'completed');
  assert.equal(await tick(at(created, 10 * D)), 0);
  assert.deepEqual(sql(`SELECT DISTINCT state FROM flow_timer WHERE instance_id = ${j}`).split('\n'), ['cancelled']);
  assert.equal(sql(`SELECT count(*) FROM flow_notice WHERE instance_id = ${j}`), '0');
});

test('serve fires due timers by itself (flow_timer_poll_s)', async () => {
  const own2 = await startServer({ projects: 1, env: { JIANGUAN_CAPTCHA: 'off', JIANGUAN_FLOW_TIMER_POLL_S: '1' } });
  try {
    const q = (text) => dbExec(own2.env.JIANGUAN_DATABASE, text).trim();
    const p = await session(own2, 'province');
    const c = await session(own2, 'contractor');
    let r = await as(own2, p, '/api/v1/flow/definitions', { method: 'POST', body: { xml: doc('core_poll', '<startEvent id="s"/>' +
      flow('f0', 's', 'T') + chief('T') + flow('f1', 'T', 'e') +
      '<boundaryEvent id="Late" attachedToRef="T"><timerEventDefinition><timeDuration>PT1S</timeDuration></timerEventDefinition></boundaryEvent>' +
      flow('f2', 'Late', 'U') + inspector('U') + flow('f3', 'U', 'e') + '<endEvent id="e"/>') } });
    assert.equal(r.status, 201, r.text);
    const ent = c.user.enterprise_id;
    r = await as(own2, c, '/api/v1/records/registration', { method: 'POST', body: {
      project_name: '定时器轮询测试', project_kind: 'building', org_code: '350102', address: '福州市鼓楼区测试路 2 号',
      applicant_id: ent, owner_id: ent, contractor_id: ent, total_area: '10.00', cost: '10000.00', planned_start_on: '2026-12-01',
      contact_name: '赵六' } });
    assert.equal(r.status, 201, r.text);
    r = await as(own2, c, '/api/v1/flow/instances', { method: 'POST', body: { key: 'core_poll', entity: 'registration', record_id: r.json.id } });
    assert.equal(r.status, 201, r.text);
    const i = r.json.id;
    // The timer (1 s) fires at a poll (every second) of the server's own: on a busy machine under ASan
    // that can take a while; wait for it, not for a fixed number of rounds.
    await until('the boundary timer fired by the server', () => {
      const nodes = q(`SELECT node FROM flow_task WHERE instance_id = ${i} AND state = 'open'`);
      return nodes === 'U' || nodes;
    }, { ms: 30000, proc: own2.child, log: own2.stderr });
    assert.equal(q(`SELECT state FROM flow_timer WHERE instance_id = ${i} AND node = 'Late'`), 'fired');
  } finally {
    assert.equal(await own2.stop(), 0);
  }
});
