// Workflow engine, process definitions: the shipped 报监 process arrives with `migrate`; the
// province administrator validates and deploys BPMN 2.0 documents as new versions (the same
// document again is no new version); malformed and hostile documents are refused with the element
// named, and nothing is stored; supervisors may read processes, enterprises may not.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { startServer, root } from './lib/harness.mjs';
import { assertError, dbExec } from './lib/checks.mjs';
import { session, as } from './lib/auth.mjs';

let srv;
const s = {};
const get = (user, path) => as(srv, s[user], path);
const post = (user, path, body) => as(srv, s[user], path, { method: 'POST', body });
const sql = (text) => dbExec(srv.env.JIANGUAN_DATABASE, text).trim();
const shipped = readFileSync(join(root, 'defs/registration/registration.bpmn'), 'utf8');

const doc = (body, key = 'demo_flow', name = '演示流程') =>
  `<?xml version="1.0" encoding="UTF-8"?><definitions xmlns="http://www.omg.org/spec/BPMN/20100524/MODEL"` +
  ` xmlns:jg="https://jianguan.fj.gov.cn/schema/bpmn"><process id="${key}" name="${name}">${body}</process></definitions>`;
const simple = (role = 'clerk') => doc('<startEvent id="s"/><sequenceFlow id="f1" sourceRef="s" targetRef="t"/>' +
  `<userTask id="t" name="审核" jg:candidateRoles="${role}" jg:level="county"/>` +
  '<sequenceFlow id="f2" sourceRef="t" targetRef="e"/><endEvent id="e" jg:state="registered"/>');

before(async () => {
  srv = await startServer({ projects: 1, env: { JIANGUAN_CAPTCHA: 'off', JIANGUAN_AUTH_RATE_PER_MINUTE: '100000' } });
  for (const u of ['province', 'gulou', 'contractor']) s[u] = await session(srv, u);
});
after(async () => { assert.equal(await srv.stop(), 0); });

test('migrate deploys the shipped 报监 process once', async () => {
  const r = await get('gulou', '/api/v1/flow/definitions');
  assert.equal(r.status, 200, r.text);
  const reg = r.json.items.find((d) => d.key === 'registration');
  assert.ok(reg, r.text);
  assert.equal(reg.name, '项目报监');
  assert.equal(reg.version, 1);
  assert.equal(reg.source, 'shipped');
  const one = await get('gulou', '/api/v1/flow/definitions/registration');
  assert.equal(one.status, 200, one.text);
  assert.equal(one.json.xml, shipped);
  const accept = one.json.nodes.find((n) => n.id === 'Accept');
  assert.equal(accept.kind, 'userTask');
  assert.equal(accept.name, '监督站受理');
  assert.equal(accept.candidate_roles, 'clerk,station_chief');
  assert.equal(accept.due_days, 3);
  assert.equal(accept.working_days, true);
  const timer = one.json.nodes.find((n) => n.id === 'Accept_overdue');
  assert.deepEqual([timer.attached_to, timer.interrupting, timer.duration_s], ['Accept', false, 3 * 86400]);
  assert.deepEqual(one.json.flows.filter((f) => f.source === 'Accept').map((f) => f.action).sort(), ['accept', 'return']);
  // A second migrate deploys nothing new.
  assert.equal(sql("SELECT count(*) FROM flow_definition WHERE key = 'registration'"), '1');
});

test('deploying makes versions; the same document again does not', async () => {
  let r = await post('province', '/api/v1/flow/definitions', { xml: simple() });
  assert.equal(r.status, 201, r.text);
  assert.deepEqual(r.json, { key: 'demo_flow', name: '演示流程', version: 1, created: true });
  r = await post('province', '/api/v1/flow/definitions', { xml: simple() });
  assert.equal(r.status, 200, r.text);
  assert.equal(r.json.version, 1);
  assert.equal(r.json.created, false);
  r = await post('province', '/api/v1/flow/definitions', { xml: simple('station_chief') });
  assert.equal(r.status, 201, r.text);
  assert.equal(r.json.version, 2);
  const versions = await get('gulou', '/api/v1/flow/definitions/demo_flow/versions');
  assert.equal(versions.status, 200, versions.text);
  assert.deepEqual(versions.json.items.map((v) => [v.version, v.source, v.deployed_by]),
    [[2, 'designer', 'province'], [1, 'designer', 'province']]);
  const v1 = await get('gulou', '/api/v1/flow/definitions/demo_flow?version=1');
  assert.equal(v1.json.nodes.find((n) => n.id === 't').candidate_roles, 'clerk');
  const latest = await get('gulou', '/api/v1/flow/definitions/demo_flow');
  assert.equal(latest.json.version, 2);
  assert.equal(latest.json.nodes.find((n) => n.id === 't').candidate_roles, 'station_chief');
  // Audited, one entry per new version.
  assert.equal(sql("SELECT count(*) FROM audit_log WHERE action = 'flow_deploy' AND record_id LIKE 'demo_flow:%'"), '2');
});

test('validate checks without deploying', async () => {
  const r = await post('province', '/api/v1/flow/definitions/validate', { xml: simple().replace('demo_flow', 'never_deployed') });
  assert.equal(r.status, 200, r.text);
  assert.equal(r.json.valid, true);
  assert.equal(r.json.key, 'never_deployed');
  assert.equal(r.json.nodes.length, 3);
  assert.equal(sql("SELECT count(*) FROM flow_definition WHERE key = 'never_deployed'"), '0');
});

test('malformed and hostile documents are refused with the element named, and nothing is stored', async () => {
  const before = sql('SELECT count(*) FROM flow_definition');
  const cases = [
    [simple().replace('jg:candidateRoles="clerk" jg:level="county"', ''), '节点 t（审核）：没有指定办理角色'],
    [doc('<startEvent id="s"/><sequenceFlow id="f1" sourceRef="s" targetRef="x"/><scriptTask id="x"/>'),
      '不支持的流程元素 scriptTask（id x）'],
    ['<?xml version="1.0"?><!DOCTYPE d [<!ENTITY a "aaaa"><!ENTITY b "&a;&a;&a;&a;">]><definitions>&b;</definitions>',
      '不允许 DOCTYPE'],
    ['<definitions', '格式正确'],
    [simple().replace('<endEvent', '<endEvent id="orphan"/><endEvent'), '节点 orphan（endEvent）：从开始事件到达不了'],
    [simple().replace('<sequenceFlow id="f2" sourceRef="t" targetRef="e"/>', ''), '任务必须有进线和出线'],
    [simple().replace('<sequenceFlow id="f2" sourceRef="t" targetRef="e"/>',
      '<sequenceFlow id="f2" sourceRef="t" targetRef="e"><conditionExpression>record.cost &gt;=</conditionExpression></sequenceFlow>'),
      '连线 f2 的条件'],
  ];
  for (const [xml, want] of cases) {
    for (const path of ['/api/v1/flow/definitions', '/api/v1/flow/definitions/validate']) {
      const r = await post('province', path, { xml });
      assert.equal(r.status, 400, `${want}: ${r.text}`);
      const e = assertError(r.json, 'invalid');
      assert.ok(e.fields.xml.includes(want), `${e.fields.xml} should say ${want}`);
    }
  }
  // Too big, and the wrong body.
  const huge = simple().replace('<endEvent', `<documentation>${'很'.repeat(800000)}</documentation><endEvent`);
  let r = await post('province', '/api/v1/flow/definitions', { xml: huge });
  assert.equal(r.status, 400, r.text);
  assert.match(assertError(r.json, 'invalid').fields.xml, /过大/);
  r = await post('province', '/api/v1/flow/definitions', { bpmn: simple() });
  assert.equal(r.status, 400, r.text);
  r = await post('province', '/api/v1/flow/definitions', { xml: 5 });
  assert.equal(r.status, 400, r.text);
  assert.equal(sql('SELECT count(*) FROM flow_definition'), before);
});

test('who may read and who may deploy', async () => {
  let r = await get('contractor', '/api/v1/flow/definitions');
  assert.equal(r.status, 403, r.text);
  assertError(r.json, 'forbidden');
  r = await post('gulou', '/api/v1/flow/definitions', { xml: simple() });
  assert.equal(r.status, 403, r.text);
  r = await get('gulou', '/api/v1/flow/definitions/no_such_process');
  assert.equal(r.status, 404, r.text);
  assertError(r.json, 'not_found');
  r = await get('gulou', '/api/v1/flow/definitions/registration?version=x');
  assert.equal(r.status, 400, r.text);
  // Writes need the CSRF token like every other write.
  r = await as(srv, { ...s.province, csrf: 'wrong' }, '/api/v1/flow/definitions', { method: 'POST', body: { xml: simple() } });
  assert.equal(r.status, 403, r.text);
});
