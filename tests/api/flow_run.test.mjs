// Workflow engine, running the shipped 报监 process on a real declaration: the contractor submits
// (申报), the 鼓楼 station chief finds it in the 待办 and returns it for correction (退回补正), the
// contractor corrects and resubmits, the chief accepts (受理) and registers (登记), the record moves
// 已申报 → 退回补正 → 已申报 → 已受理 → 已登记 by the process, and every step is in the history.
// Two people completing one task at once: exactly one succeeds.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startServer } from './lib/harness.mjs';
import { assertError, dbExec } from './lib/checks.mjs';
import { session, as } from './lib/auth.mjs';

let srv;
const s = {};
const sql = (q) => dbExec(srv.env.JIANGUAN_DATABASE, q).trim();
const post = (who, path, body) => as(srv, s[who], path, { method: 'POST', body });
const get = (who, path) => as(srv, s[who], path);
let own;
let owner;

before(async () => {
  srv = await startServer({ projects: 5, env: { JIANGUAN_CAPTCHA: 'off', JIANGUAN_AUTH_RATE_PER_MINUTE: '100000' } });
  for (const u of ['contractor', 'gulou_chief', 'gulou', 'xiamen', 'fuzhou']) s[u] = await session(srv, u);
  own = s.contractor.user.enterprise_id;
  owner = Number(sql(`SELECT id FROM enterprise WHERE id <> ${own} ORDER BY id LIMIT 1`));
});
after(async () => { assert.equal(await srv.stop(), 0); });

async function declaration(name) {
  const r = await post('contractor', '/api/v1/records/registration', {
    project_name: name, project_kind: 'building', org_code: '350102', address: '福州市鼓楼区测试路 8 号',
    applicant_id: own, owner_id: owner, contractor_id: own, total_area: '1000.00', cost: '5000000.00',
    planned_start_on: '2026-12-01', contact_name: '李四',
  });
  assert.equal(r.status, 201, r.text);
  return r.json.id;
}

const todo = async (who) => (await get(who, '/api/v1/flow/tasks?box=todo&size=100')).json.items;
const state = async (id) => (await get('contractor', `/api/v1/records/registration/${id}`)).json.state;

test('a declaration goes through 受理, 补正 and 登记 by the process', async () => {
  const id = await declaration('流程测试项目一');
  assert.equal(await state(id), 'draft');
  let r = await post('contractor', '/api/v1/flow/instances', { key: 'registration', entity: 'registration', record_id: id });
  assert.equal(r.status, 201, r.text);
  const instance = r.json.id;
  assert.equal(r.json.state, 'running');
  assert.deepEqual(r.json.tasks.map((t) => [t.node, t.name]), [['Accept', '监督站受理']]);
  assert.equal(await state(id), 'submitted');
  // Submitting twice is refused while it runs.
  r = await post('contractor', '/api/v1/flow/instances', { key: 'registration', entity: 'registration', record_id: id });
  assert.equal(r.status, 409, r.text);
  assertError(r.json, 'conflict');

  // The 鼓楼 station chief has it to do; Xiamen's inspector and the contractor do not.
  let mine = (await todo('gulou_chief')).filter((t) => t.instance_id === instance);
  assert.equal(mine.length, 1);
  const accept = mine[0];
  assert.equal(accept.due_at.length, 20);
  assert.equal((await todo('xiamen')).filter((t) => t.instance_id === instance).length, 0);
  assert.equal((await todo('contractor')).filter((t) => t.instance_id === instance).length, 0);
  const boxes = (await get('gulou_chief', '/api/v1/flow/boxes')).json;
  assert.ok(boxes.todo >= 1, JSON.stringify(boxes));

  // Only the candidates may act; a wrong action is explained; the chief returns it.
  r = await post('xiamen', `/api/v1/flow/tasks/${accept.id}/complete`, { version: accept.version, action: 'accept' });
  assert.equal(r.status, 404, r.text);
  r = await post('gulou_chief', `/api/v1/flow/tasks/${accept.id}/complete`, { version: accept.version, action: 'approve' });
  assert.equal(r.status, 400, r.text);
  assert.match(assertError(r.json, 'invalid').message, /办理动作应为：accept（受理）、return（退回补正）/);
  r = await post('gulou_chief', `/api/v1/flow/tasks/${accept.id}/complete`, { version: accept.version });
  assert.equal(r.status, 400, r.text);
  r = await post('gulou_chief', `/api/v1/flow/tasks/${accept.id}/complete`,
    { version: accept.version, action: 'return', opinion: '请补充施工许可证' });
  assert.equal(r.status, 200, r.text);
  assert.deepEqual(r.json.tasks.map((t) => t.node), ['Correct']);
  assert.equal(await state(id), 'returned');
  // The done task cannot be done again.
  r = await post('gulou_chief', `/api/v1/flow/tasks/${accept.id}/complete`, { version: accept.version, action: 'accept' });
  assert.equal(r.status, 409, r.text);

  // The applicant enterprise corrects and resubmits; the chief accepts and registers.
  const correct = (await todo('contractor')).find((t) => t.instance_id === instance);
  assert.equal(correct.node, 'Correct');
  r = await post('contractor', `/api/v1/flow/tasks/${correct.id}/complete`, { version: correct.version, opinion: '已补充' });
  assert.equal(r.status, 200, r.text);
  assert.equal(await state(id), 'submitted');
  for (const [node, action, after] of [['Accept', 'accept', 'accepted'], ['Register', 'register', 'registered']]) {
    const t = (await todo('gulou_chief')).find((x) => x.instance_id === instance);
    assert.equal(t.node, node);
    r = await post('gulou_chief', `/api/v1/flow/tasks/${t.id}/complete`, { version: t.version, action });
    assert.equal(r.status, 200, r.text);
    assert.equal(await state(id), after);
  }
  assert.equal(r.json.state, 'completed');
  assert.deepEqual(r.json.tasks, []);

  // The history: who did what, with which opinion; the record's own history has the states.
  const inst = await get('gulou', `/api/v1/flow/instances/${instance}`);
  assert.equal(inst.status, 200, inst.text);
  assert.equal(inst.json.state, 'completed');
  const checked = ['Check:service:rule:registration.check', 'Receive:service:registration.receive']; // issue 9
  assert.deepEqual(inst.json.log.map((l) => `${l.node}:${l.action}`), [
    'Start:start', ...checked, 'Accept:enter', 'Accept:complete:return', 'Correct:enter', 'Correct:complete:complete',
    ...checked, 'Accept:enter', 'Accept:complete:accept', 'Register:enter', 'Register:complete:register',
    'Issue:service:registration.issue', 'End:end']);
  assert.equal(inst.json.log.find((l) => l.action === 'complete:return').opinion, '请补充施工许可证');
  assert.equal(inst.json.log.find((l) => l.action === 'complete:return').username, 'gulou_chief');
  const hist = (await get('contractor', `/api/v1/records/registration/${id}/history`)).json.items
    .filter((h) => h.field === 'state').map((h) => h.new_value);
  assert.deepEqual(hist, ['draft', 'submitted', 'returned', 'submitted', 'accepted', 'registered']);
  // Outside the record's scope the instance is not there.
  assert.equal((await get('xiamen', `/api/v1/flow/instances/${instance}`)).status, 404);
  const done = (await get('gulou_chief', '/api/v1/flow/tasks?box=done')).json.items;
  assert.deepEqual(done.filter((t) => t.instance_id === instance).map((t) => t.action), ['register', 'accept', 'return']);
});

test('two people completing one task at once: exactly one succeeds', async () => {
  const id = await declaration('流程并发测试项目');
  const r = await post('contractor', '/api/v1/flow/instances', { key: 'registration', entity: 'registration', record_id: id });
  assert.equal(r.status, 201, r.text);
  const t = r.json.tasks[0];
  const both = await Promise.all(['accept', 'return'].map((action) =>
    post('gulou_chief', `/api/v1/flow/tasks/${t.id}/complete`, { version: t.version, action })));
  assert.deepEqual(both.map((x) => x.status).sort(), [200, 409], both.map((x) => x.text).join('\n'));
  assert.equal(sql(`SELECT count(*) FROM flow_task WHERE instance_id = ${r.json.id} AND state = 'open'`), '1');
});

test('bad submissions are refused and change nothing', async () => {
  const id = await declaration('流程校验测试项目');
  const before = sql('SELECT count(*) FROM flow_instance');
  const cases = [
    [{ key: 'registration', entity: 'registration' }, 400],
    [{ key: 'registration', entity: 'registration', record_id: 'x' }, 400],
    [{ key: 'registration', entity: 'registration', record_id: id, extra: 1 }, 400],
    [{ key: 'no_such_process', entity: 'registration', record_id: id }, 404],
    [{ key: 'registration', entity: 'nothing', record_id: id }, 404],
    [{ key: 'registration', entity: 'registration', record_id: 999999 }, 404],
  ];
  for (const [body, status] of cases) {
    const r = await post('contractor', '/api/v1/flow/instances', body);
    assert.equal(r.status, status, `${JSON.stringify(body)}: ${r.text}`);
    assertError(r.json);
  }
  // Another region's inspector cannot submit a record it cannot see.
  const r = await post('xiamen', '/api/v1/flow/instances', { key: 'registration', entity: 'registration', record_id: id });
  assert.equal(r.status, 404, r.text);
  assert.equal(sql('SELECT count(*) FROM flow_instance'), before);
  assert.equal(await state(id), 'draft');
  const bad = await post('gulou_chief', '/api/v1/flow/tasks/1/complete', { version: 'x' });
  assert.equal(bad.status, 400, bad.text);
  assert.equal((await get('gulou', '/api/v1/flow/tasks?box=nope')).status, 400);
});
