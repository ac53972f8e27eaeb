// Workflow engine, crash recovery: many instances of a process with a parallel split are driven
// by concurrent completions and returns while the server is killed with SIGKILL mid-run; a new
// server on the same database finds every instance consistent (each open task has its token,
// each token at a user task has exactly one open task, every marking is one the process can be
// in, finished instances hold nothing) and drives every one of them to its end.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { startServer, bin, START_MS } from './lib/harness.mjs';
import { dbExec } from './lib/checks.mjs';
import { session, as } from './lib/auth.mjs';

let srv;
let second;
after(async () => {
  if (second) { second.kill('SIGTERM'); await new Promise((ok) => second.on('exit', ok)); }
  if (srv) await srv.stop();
});

const doc = '<?xml version="1.0" encoding="UTF-8"?><definitions xmlns="http://www.omg.org/spec/BPMN/20100524/MODEL"' +
  ' xmlns:jg="https://jianguan.fj.gov.cn/schema/bpmn"><process id="crash" name="崩溃恢复">' +
  '<startEvent id="s"/><sequenceFlow id="f0" sourceRef="s" targetRef="A"/>' +
  ['A', 'B1', 'B2', 'C', 'D'].map((n) => `<userTask id="${n}" name="${n}" jg:candidateRoles="station_chief" jg:level="county"/>`).join('') +
  '<sequenceFlow id="f1" sourceRef="A" targetRef="split"/><parallelGateway id="split"/>' +
  '<sequenceFlow id="f2" sourceRef="split" targetRef="B1"/><sequenceFlow id="f3" sourceRef="split" targetRef="C"/>' +
  '<sequenceFlow id="f4" sourceRef="B1" targetRef="B2"/><sequenceFlow id="f5" sourceRef="B2" targetRef="join"/>' +
  '<sequenceFlow id="f6" sourceRef="C" targetRef="join"/><parallelGateway id="join"/>' +
  '<sequenceFlow id="f7" sourceRef="join" targetRef="D"/><sequenceFlow id="f8" sourceRef="D" targetRef="e"/><endEvent id="e"/>' +
  '</process></definitions>';

// The markings the process can be in: A; (B1 | B2 | join via f5) with (C | join via f6), not both at the join; D.
function validMarking(tokens) {
  const t = tokens.map((x) => x.node === 'join' ? `join:${x.edge}` : x.node).sort().join(',');
  if (t === 'A' || t === 'D') return true;
  for (const left of ['B1', 'B2', 'join:f5'])
    for (const right of ['C', 'join:f6'])
      if (!(left.startsWith('join') && right.startsWith('join')) && t === [left, right].sort().join(',')) return true;
  return false;
}

test('kill -9 during a run of many transitions: every instance consistent afterwards, and each one finishes', async () => {
  srv = await startServer({ projects: 1, env: { JIANGUAN_CAPTCHA: 'off', JIANGUAN_AUTH_RATE_PER_MINUTE: '100000' } });
  const sql = (q) => dbExec(srv.env.JIANGUAN_DATABASE, q).trim();
  const rows = (q) => sql(q).split('\n').filter(Boolean).map((l) => l.split('|'));
  const province = await session(srv, 'province');
  const chief = await session(srv, 'gulou_chief');
  const contractor = await session(srv, 'contractor');
  let base = srv.url;
  const call = (s, path, body) => as({ url: base }, s, path, body ? { method: 'POST', body } : {});
  let r = await call(province, '/api/v1/flow/definitions', { xml: doc });
  assert.equal(r.status, 201, r.text);
  const own = contractor.user.enterprise_id;
  const N = 40;
  const instances = [];
  for (let k = 0; k < N; k++) {
    r = await call(contractor, '/api/v1/records/registration', {
      project_name: `崩溃恢复测试${k}`, project_kind: 'building', org_code: '350102', address: '福州市鼓楼区测试路 1 号',
      applicant_id: own, owner_id: own, contractor_id: own, total_area: '100.00', cost: '100000.00',
      planned_start_on: '2026-12-01', contact_name: '王五',
    });
    assert.equal(r.status, 201, r.text);
    r = await call(contractor, '/api/v1/flow/instances', { key: 'crash', entity: 'registration', record_id: r.json.id });
    assert.equal(r.status, 201, r.text);
    instances.push(r.json.id);
  }
  const list = instances.join(',');
  const openTasks = () => rows(`SELECT id, version, node, instance_id FROM flow_task WHERE instance_id IN (${list}) AND state = 'open' ORDER BY id`);
  // One round: every open task is completed (D of every other instance is returned to B1 once
  // instead), all at once.
  const returned = new Set();
  const step = async () => {
    await Promise.all(openTasks().map(([id, version, node, i]) => {
      const back = node === 'D' && Number(i) % 2 === 0 && !returned.has(i);
      if (back) returned.add(i);
      return call(chief, `/api/v1/flow/tasks/${id}/${back ? 'return' : 'complete'}`,
        back ? { version: Number(version), target: 'B1' } : { version: Number(version) }).catch(() => null);
    }));
  };
  // Run rounds; kill the server in the middle of one.
  await step();
  await step();
  const inflight = step();
  await new Promise((ok) => setTimeout(ok, 15));
  srv.child.kill('SIGKILL');
  await inflight;

  // A new server on the same database.
  second = spawn(bin, ['serve'], { env: { ...process.env, ...srv.env }, stdio: ['ignore', 'ignore', 'pipe'] });
  const port = await new Promise((ok, fail) => {
    let err = '';
    const timer = setTimeout(() => fail(new Error('restart failed: ' + err)), START_MS);
    second.stderr.on('data', (d) => {
      err += d;
      const m = /listening on http:\/\/[^:]+:(\d+)/.exec(err);
      if (m) { clearTimeout(timer); ok(Number(m[1])); }
    });
  });
  base = `http://127.0.0.1:${port}`;

  const consistent = () => {
    assert.equal(sql(`SELECT count(*) FROM flow_task t WHERE t.instance_id IN (${list}) AND t.state = 'open'` +
      ' AND NOT EXISTS (SELECT 1 FROM flow_token k WHERE k.id = t.token_id)'), '0', 'an open task without its token');
    assert.equal(sql(`SELECT count(*) FROM flow_token k WHERE k.instance_id IN (${list}) AND k.node <> 'join'` +
      " AND (SELECT count(*) FROM flow_task t WHERE t.token_id = k.id AND t.state = 'open') <> 1"), '0', 'a token without exactly one open task');
    assert.equal(sql(`SELECT count(*) FROM flow_instance i WHERE i.id IN (${list}) AND i.state = 'completed' AND (EXISTS` +
      " (SELECT 1 FROM flow_token k WHERE k.instance_id = i.id) OR EXISTS (SELECT 1 FROM flow_task t WHERE t.instance_id = i.id" +
      " AND t.state = 'open'))"), '0', 'a finished instance holding tokens or tasks');
    const tokens = new Map(instances.map((i) => [i, []]));
    for (const [i, node, edge] of rows(`SELECT instance_id, node, COALESCE(edge, '') FROM flow_token WHERE instance_id IN (${list})`))
      tokens.get(Number(i)).push({ node, edge });
    for (const [i, state] of rows(`SELECT id, state FROM flow_instance WHERE id IN (${list})`)) {
      const t = tokens.get(Number(i));
      if (state === 'running') assert.ok(validMarking(t), `instance ${i}: ${JSON.stringify(t)}`);
      else assert.equal(state, 'completed');
    }
  };
  consistent();
  const completions = Number(sql(`SELECT count(*) FROM flow_log WHERE instance_id IN (${list}) AND action LIKE 'complete:%'`));
  assert.ok(completions >= N, `transitions before the kill: ${completions}`);
  // Every instance runs on to its end from where the kill left it.
  for (let k = 0; k < 40 && Number(sql(`SELECT count(*) FROM flow_instance WHERE id IN (${list}) AND state = 'running'`)) > 0; k++) {
    await step();
    consistent();
  }
  assert.equal(sql(`SELECT count(*) FROM flow_instance WHERE id IN (${list}) AND state = 'running'`), '0');
  assert.equal(sql(`SELECT count(*) FROM flow_log WHERE instance_id IN (${list}) AND node = 'e' AND action = 'end'`), String(N));
});
