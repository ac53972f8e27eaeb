// A service task that runs a rule (jg:action="rule:<code>", src/engine/flow/actions.c): the rule sees
// the record, its result becomes a process variable that the next gateway routes on, its explanation
// goes into the history; a stopped rule or a failing one refuses the submission and keeps nothing.
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
let own, owner;

const XML = `<?xml version="1.0" encoding="UTF-8"?>
<definitions xmlns="http://www.omg.org/spec/BPMN/20100524/MODEL" xmlns:jg="https://jianguan.fj.gov.cn/schema/bpmn"
             id="d" targetNamespace="https://jianguan.fj.gov.cn/test">
  <process id="rule_route" name="按造价分流">
    <startEvent id="Start"/>
    <sequenceFlow id="f1" sourceRef="Start" targetRef="Check"/>
    <serviceTask id="Check" name="造价判断" jg:action="rule:check.cost"/>
    <sequenceFlow id="f2" sourceRef="Check" targetRef="Route"/>
    <exclusiveGateway id="Route" default="small"/>
    <sequenceFlow id="big" sourceRef="Route" targetRef="BigReview">
      <conditionExpression>vars.check_cost.big == true</conditionExpression>
    </sequenceFlow>
    <sequenceFlow id="small" sourceRef="Route" targetRef="SmallReview"/>
    <userTask id="BigReview" name="重大项目审核" jg:candidateRoles="station_chief"/>
    <userTask id="SmallReview" name="一般项目审核" jg:candidateRoles="station_chief"/>
    <sequenceFlow id="f3" sourceRef="BigReview" targetRef="End"/>
    <sequenceFlow id="f4" sourceRef="SmallReview" targetRef="End"/>
    <endEvent id="End"/>
  </process>
</definitions>`;

before(async () => {
  srv = await startServer({ projects: 5, env: { JIANGUAN_CAPTCHA: 'off' } });
  for (const u of ['contractor', 'province', 'gulou_chief']) s[u] = await session(srv, u);
  own = s.contractor.user.enterprise_id;
  owner = Number(sql(`SELECT id FROM enterprise WHERE id <> ${own} ORDER BY id LIMIT 1`));
  let r = await post('province', '/api/v1/rules', { code: 'check.cost', name: '造价判断', kind: 'condition',
    source: "local cost = tonumber(facts.record.cost) or 0\nexplain('cost', cost, '造价 ' .. string.format('%.2f', cost) .. ' 元')\n" +
      "if facts.record.project_name == '规则出错' then error('坏数据') end\nreturn { big = cost >= 1000000 }" });
  assert.equal(r.status, 201, r.text);
  assert.equal((await post('province', '/api/v1/rules/check.cost/publish')).status, 200);
  assert.equal((await post('province', '/api/v1/rules/check.cost/start')).status, 200);
  r = await post('province', '/api/v1/flow/definitions', { xml: XML });
  assert.equal(r.status, 201, r.text);
});
after(async () => { assert.equal(await srv.stop(), 0); });

async function submit(name, cost) {
  let r = await post('contractor', '/api/v1/records/registration', {
    project_name: name, project_kind: 'building', org_code: '350102', address: '福州市鼓楼区规则路 1 号',
    applicant_id: own, owner_id: owner, cost });
  assert.equal(r.status, 201, r.text);
  const id = r.json.id;
  r = await post('contractor', '/api/v1/flow/instances', { key: 'rule_route', entity: 'registration', record_id: id });
  return { id, r };
}

test('the rule routes the instance and explains itself in the history', async () => {
  const big = await submit('规则分流大项目', '5000000.00');
  assert.equal(big.r.status, 201, big.r.text);
  assert.deepEqual(big.r.json.tasks.map((t) => t.node), ['BigReview']);
  const small = await submit('规则分流小项目', '500000.00');
  assert.equal(small.r.status, 201, small.r.text);
  assert.deepEqual(small.r.json.tasks.map((t) => t.node), ['SmallReview']);
  const inst = await get('gulou_chief', `/api/v1/flow/instances/${big.r.json.id}`);
  assert.equal(inst.status, 200, inst.text);
  const line = inst.json.log.find((l) => l.action === 'service:rule:check.cost');
  assert.ok(line, JSON.stringify(inst.json.log));
  assert.match(line.opinion, /规则 check\.cost：cost 造价 5000000.00 元/);
  assert.equal(sql(`SELECT vars FROM flow_instance WHERE id = ${big.r.json.id}`), '{"check_cost":{"big":true}}');
});

test('a failing rule or a stopped one refuses the submission and keeps nothing', async () => {
  const before = sql('SELECT count(*) FROM flow_instance');
  let { id, r } = await submit('规则出错', '100.00');
  assert.equal(r.status, 400, r.text);
  assert.match(assertError(r.json, 'invalid').message, /节点 Check 执行规则“check\.cost”失败/);
  assert.equal((await get('contractor', `/api/v1/records/registration/${id}`)).json.state, 'draft');
  assert.equal((await post('province', '/api/v1/rules/check.cost/stop')).status, 200);
  ({ r } = await submit('规则已停用', '100.00'));
  assert.equal(r.status, 400, r.text);
  assert.match(assertError(r.json, 'invalid').message, /规则“check\.cost”，但该规则不存在或未启用/);
  assert.equal(sql('SELECT count(*) FROM flow_instance'), before);
});
