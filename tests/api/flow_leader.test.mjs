// A step for the department's leader (jg:level="leader"): the 系统管理员 names the leader of the
// 鼓楼 station (PUT /api/v1/orgs/departments/{id}/leader, audited); when a 鼓楼 inspector hands the
// step on, the next task goes to that leader alone; without a leader the hand-over is refused and
// nothing of it is kept.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startServer } from './lib/harness.mjs';
import { assertError, dbExec } from './lib/checks.mjs';
import { session, as } from './lib/auth.mjs';

let srv;
const s = {};
const sql = (q) => dbExec(srv.env.JIANGUAN_DATABASE, q).trim();
const post = (who, path, body) => as(srv, s[who], path, { method: 'POST', body });
const put = (who, path, body) => as(srv, s[who], path, { method: 'PUT', body });
const get = (who, path) => as(srv, s[who], path);
let station, chief, own, owner;

const XML = `<?xml version="1.0" encoding="UTF-8"?>
<definitions xmlns="http://www.omg.org/spec/BPMN/20100524/MODEL" xmlns:jg="https://jianguan.fj.gov.cn/schema/bpmn"
             id="d" targetNamespace="https://jianguan.fj.gov.cn/test">
  <process id="leader_sign" name="负责人签批">
    <startEvent id="Start"/>
    <sequenceFlow id="f1" sourceRef="Start" targetRef="Review"/>
    <userTask id="Review" name="监督员审核" jg:candidateRoles="inspector"/>
    <sequenceFlow id="f2" sourceRef="Review" targetRef="Sign"/>
    <userTask id="Sign" name="负责人签批" jg:level="leader"/>
    <sequenceFlow id="f3" sourceRef="Sign" targetRef="End"/>
    <endEvent id="End"/>
  </process>
</definitions>`;

before(async () => {
  srv = await startServer({ projects: 5, env: { JIANGUAN_CAPTCHA: 'off' } });
  for (const u of ['contractor', 'province', 'gulou', 'gulou_chief', 'admin', 'fuzhou']) s[u] = await session(srv, u);
  station = Number(sql("SELECT id FROM department WHERE code = '350102-station'"));
  chief = s.gulou_chief.user.id;
  own = s.contractor.user.enterprise_id;
  owner = Number(sql(`SELECT id FROM enterprise WHERE id <> ${own} ORDER BY id LIMIT 1`));
  const r = await post('province', '/api/v1/flow/definitions', { xml: XML });
  assert.equal(r.status, 201, r.text);
});
after(async () => { assert.equal(await srv.stop(), 0); });

async function reviewTask() {
  let r = await post('contractor', '/api/v1/records/registration', {
    project_name: '负责人签批测试', project_kind: 'building', org_code: '350102', address: '福州市鼓楼区签批路 1 号',
    applicant_id: own, owner_id: owner });
  assert.equal(r.status, 201, r.text);
  r = await post('contractor', '/api/v1/flow/instances', { key: 'leader_sign', entity: 'registration', record_id: r.json.id });
  assert.equal(r.status, 201, r.text);
  return r.json.tasks[0];
}

test('without a leader the hand-over is refused; with one the step is the leader\'s alone', async () => {
  let t = await reviewTask();
  let r = await post('gulou', `/api/v1/flow/tasks/${t.id}/complete`, { version: t.version });
  assert.equal(r.status, 400, r.text);
  assert.match(assertError(r.json, 'invalid').message, /负责人签批.*没有设置负责人/);
  assert.equal(sql(`SELECT state FROM flow_task WHERE id = ${t.id}`), 'open', 'nothing of the step is kept');

  // Only user.manage may name a leader, who must be an active government user of that department.
  r = await put('province', `/api/v1/orgs/departments/${station}/leader`, { user_id: chief });
  assert.equal(r.status, 403, r.text);
  r = await put('admin', `/api/v1/orgs/departments/${station}/leader`, { user_id: s.fuzhou.user.id });
  assert.equal(r.status, 400, r.text);
  assert.ok(assertError(r.json, 'invalid').fields.user_id);
  for (const body of [{}, { user_id: 'x' }, { user_id: 0 }, { user_id: chief, extra: 1 }]) {
    r = await put('admin', `/api/v1/orgs/departments/${station}/leader`, body);
    assert.equal(r.status, 400, JSON.stringify(body) + r.text);
  }
  r = await put('admin', '/api/v1/orgs/departments/999999/leader', { user_id: chief });
  assert.equal(r.status, 404, r.text);
  r = await put('admin', `/api/v1/orgs/departments/${station}/leader`, { user_id: chief });
  assert.equal(r.status, 200, r.text);
  assert.equal(r.json.leader_id, chief);
  const dept = (await get('admin', '/api/v1/orgs')).json.items.flatMap((o) => o.departments).find((d) => d.id === station);
  assert.equal(dept.leader_id, chief);
  assert.equal(sql("SELECT count(*) FROM audit_log WHERE action = 'department_leader'"), '1');

  r = await post('gulou', `/api/v1/flow/tasks/${t.id}/complete`, { version: t.version });
  assert.equal(r.status, 200, r.text);
  assert.deepEqual(r.json.tasks.map((x) => x.node), ['Sign']);
  const sign = r.json.tasks[0];
  assert.equal(Number(sql(`SELECT assignee_id FROM flow_task WHERE id = ${sign.id}`)), chief);
  assert.ok(!(await get('gulou', '/api/v1/flow/tasks?box=todo&size=100')).json.items.some((x) => x.id === sign.id),
    'the inspector does not have it');
  r = await post('gulou_chief', `/api/v1/flow/tasks/${sign.id}/complete`, { version: sign.version, opinion: '同意' });
  assert.equal(r.status, 200, r.text);
  assert.equal(r.json.state, 'completed');
  // Unset again: null.
  r = await put('admin', `/api/v1/orgs/departments/${station}/leader`, { user_id: null });
  assert.equal(r.status, 200, r.text);
  assert.equal(r.json.leader_id, null);
});
