// jg:editable enforced (issue 7): while a process runs on a record, the records API lets a caller
// change only the fields editable at the steps they may do now; other fields are 400 with the field
// named and nothing is written; a caller with no step on the record is 403; a draft before
// submission and a record whose process ended are not restricted here (readonly states still 409).
// A process is deployed inline on real 报监 declarations; every refusal is checked in the database.
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
let own;
let owner;

const flow = (id, from, to) => `<sequenceFlow id="${id}" sourceRef="${from}" targetRef="${to}"/>`;
// A (鼓楼 station chief) may change contact_name, the units and the contact phone; B (the applicant,
// 补正) every field; C (the station chief again) none; the end registers (a readonly state).
const XML = '<?xml version="1.0" encoding="UTF-8"?><definitions xmlns="http://www.omg.org/spec/BPMN/20100524/MODEL"' +
  ' xmlns:jg="https://jianguan.fj.gov.cn/schema/bpmn"><process id="ed_steps" name="可编辑字段测试">' +
  '<startEvent id="s"/>' + flow('f0', 's', 'A') +
  '<userTask id="A" name="受理" jg:candidateRoles="station_chief" jg:level="county" jg:state="submitted"' +
  ' jg:editable="contact_name, units,contact_phone"/>' + flow('f1', 'A', 'B') +
  '<userTask id="B" name="补正" jg:level="applicant" jg:state="returned" jg:editable="*"/>' + flow('f2', 'B', 'C') +
  '<userTask id="C" name="登记" jg:candidateRoles="station_chief" jg:level="county" jg:state="accepted"/>' +
  flow('f3', 'C', 'e') + '<endEvent id="e" jg:state="registered"/></process></definitions>';

before(async () => {
  srv = await startServer({ projects: 1, env: { JIANGUAN_CAPTCHA: 'off', JIANGUAN_AUTH_RATE_PER_MINUTE: '100000' } });
  for (const u of ['contractor', 'gulou_chief', 'province', 'xiamen']) s[u] = await session(srv, u);
  own = s.contractor.user.enterprise_id;
  owner = Number(sql(`SELECT id FROM enterprise WHERE id <> ${own} ORDER BY id LIMIT 1`));
  const r = await post('province', '/api/v1/flow/definitions', { xml: XML });
  assert.equal(r.status, 201, r.text);
});
after(async () => { assert.equal(await srv.stop(), 0, srv.stderr()); });

let n = 0;
async function declaration() {
  const r = await post('contractor', '/api/v1/records/registration', {
    project_name: `可编辑字段测试项目${++n}`, project_kind: 'building', org_code: '350102', address: '福州市鼓楼区测试路 9 号',
    applicant_id: own, owner_id: owner, contractor_id: own, total_area: '1000.00', cost: '5000000.00',
    planned_start_on: '2026-12-01', contact_name: '李四', contact_phone: '13900000001', remark: '初稿',
    units: [{ unit_name: '1#楼', area: '1000.00' }],
  });
  assert.equal(r.status, 201, r.text);
  return r.json.id;
}
const record = async (id) => (await get('contractor', `/api/v1/records/registration/${id}`)).json;
const row = (id) => sql(`SELECT version || '|' || contact_name || '|' || remark || '|' || cost FROM e_registration WHERE id = ${id}`);
const history = (id) => Number(sql(`SELECT count(*) FROM entity_history WHERE entity = 'registration' AND record_id = ${id}`));
function task(id, node) {
  const t = sql(`SELECT t.id, t.version FROM flow_task t JOIN flow_instance i ON i.id = t.instance_id` +
    ` WHERE i.entity = 'registration' AND i.record_id = ${id} AND t.node = '${node}' AND t.state = 'open'`);
  assert.ok(t && !t.includes('\n'), `one open task ${node}: ${t}`);
  const [tid, version] = t.split('|').map(Number);
  return { id: tid, version };
}
async function done(id, node, who) {
  const t = task(id, node);
  const r = await post(who, `/api/v1/flow/tasks/${t.id}/complete`, { version: t.version });
  assert.equal(r.status, 200, r.text);
}
/** A PUT of body at the record's current version, expecting status; nothing written unless 200. */
async function change(who, id, body, status, note = '') {
  const before = row(id);
  const h = history(id);
  const r = await put(who, `/api/v1/records/registration/${id}`, { version: (await record(id)).version, ...body });
  assert.equal(r.status, status, `${note} ${r.text}`);
  if (status !== 200) {
    assert.equal(row(id), before, 'nothing written');
    assert.equal(history(id), h, 'no history');
  }
  return r;
}

test('a draft before submission: the applicant edits any field', async () => {
  const id = await declaration();
  await change('contractor', id, { remark: '草稿修改', cost: '6000000.00', contact_name: '王五' }, 200);
  const r = await get('contractor', `/api/v1/flow/editable?entity=registration&id=${id}`);
  assert.equal(r.status, 200, r.text);
  assert.deepEqual(r.json, { running: false, editable: null, steps: [] });
});

test('in a process: the step holder changes its editable fields only, others are refused with nothing written', async () => {
  const id = await declaration();
  let r = await post('contractor', '/api/v1/flow/instances', { key: 'ed_steps', entity: 'registration', record_id: id });
  assert.equal(r.status, 201, r.text);
  assert.equal((await record(id)).state, 'submitted');

  // Who holds no step: the applicant (its step is not open) and the province, who may update
  // registrations and see this one.
  for (const who of ['contractor', 'province']) {
    r = await change(who, id, { contact_name: '赵六' }, 403, who);
    assert.match(assertError(r.json, 'forbidden').message, /当前环节的办理人/);
  }

  // The station chief at A (a candidate of the pool, not claimed): contact_name and the units.
  const hist = history(id);
  r = await change('gulou_chief', id, { contact_name: '王五', units: [{ unit_name: '1#楼', area: '800.00' }, { unit_name: '2#楼', area: '200.00' }] }, 200);
  assert.equal(r.json.contact_name, '王五');
  assert.equal(sql(`SELECT count(*) FROM e_registration__units WHERE parent_id = ${id}`), '2');
  assert.ok(history(id) > hist);
  assert.equal(sql(`SELECT username FROM entity_history WHERE entity = 'registration' AND record_id = ${id} AND field = 'contact_name' ORDER BY id DESC LIMIT 1`), 'gulou_chief');

  // Another field: 400 naming it, in Chinese; with an editable one beside it, neither is written.
  r = await change('gulou_chief', id, { remark: '站长改备注' }, 400);
  let err = assertError(r.json, 'invalid');
  assert.deepEqual(err.fields, { remark: '此环节不可修改该字段' });
  r = await change('gulou_chief', id, { contact_name: '钱七', cost: '1.00', remark: '改', total_area: '1.00' }, 400);
  err = assertError(r.json, 'invalid');
  assert.deepEqual(Object.keys(err.fields).sort(), ['cost', 'remark', 'total_area']);
  assert.equal((await record(id)).contact_name, '王五');

  // Sending a field unchanged is no change (a form may send what it showed).
  const cur = await record(id);
  r = await change('gulou_chief', id, { remark: cur.remark, cost: cur.cost, contact_name: '孙八' }, 200);
  assert.equal(r.json.contact_name, '孙八');
  // A sensitive field counts as changed whenever sent (its masked forms may agree): editable here.
  r = await change('gulou_chief', id, { contact_phone: '13900000002' }, 200);

  // What the form shows: the caller's steps and the fields they may change.
  r = await get('gulou_chief', `/api/v1/flow/editable?entity=registration&id=${id}`);
  assert.equal(r.status, 200, r.text);
  assert.equal(r.json.running, true);
  assert.deepEqual(r.json.editable, ['contact_name', 'units', 'contact_phone']);
  assert.deepEqual(r.json.steps.map((x) => [x.node, x.name, x.editable]), [['A', '受理', ['contact_name', 'units', 'contact_phone']]]);
  r = await get('contractor', `/api/v1/flow/editable?entity=registration&id=${id}`);
  assert.deepEqual(r.json, { running: true, editable: [], steps: [] });
  assert.equal((await get('xiamen', `/api/v1/flow/editable?entity=registration&id=${id}`)).status, 404);
  assert.equal((await get('gulou_chief', `/api/v1/flow/editable?entity=nosuch&id=${id}`)).status, 404);

  // B (补正, jg:editable="*"): the applicant changes anything; the station chief holds no step now.
  await done(id, 'A', 'gulou_chief');
  assert.equal((await record(id)).state, 'returned');
  await change('contractor', id, { remark: '补正后', cost: '5500000.00', contact_name: '周九' }, 200);
  await change('gulou_chief', id, { contact_name: '吴十' }, 403);
  r = await get('contractor', `/api/v1/flow/editable?entity=registration&id=${id}`);
  assert.ok(r.json.editable.includes('remark') && r.json.editable.includes('units'), r.text);
  assert.deepEqual(r.json.steps.map((x) => [x.node, x.editable]), [['B', '*']]);

  // C (no jg:editable): the holder acts with an opinion only.
  await done(id, 'B', 'contractor');
  r = await change('gulou_chief', id, { contact_name: '郑十一' }, 400);
  assert.deepEqual(assertError(r.json, 'invalid').fields, { contact_name: '此环节不可修改该字段' });
  r = await get('gulou_chief', `/api/v1/flow/editable?entity=registration&id=${id}`);
  assert.deepEqual(r.json.editable, []);
  assert.deepEqual(r.json.steps.map((x) => [x.node, x.editable]), [['C', []]]);

  // Ended in a readonly state: 409 as before.
  await done(id, 'C', 'gulou_chief');
  assert.equal((await record(id)).state, 'registered');
  r = await change('contractor', id, { remark: '登记后' }, 409);
  r = await get('contractor', `/api/v1/flow/editable?entity=registration&id=${id}`);
  assert.equal(r.json.running, false);
});

test('a terminated process gives the record back to its drafter unrestricted', async () => {
  const id = await declaration();
  let r = await post('contractor', '/api/v1/flow/instances', { key: 'ed_steps', entity: 'registration', record_id: id });
  assert.equal(r.status, 201, r.text);
  await change('contractor', id, { remark: '提交后' }, 403);
  const inst = r.json.id;
  r = await post('province', `/api/v1/flow/instances/${inst}/terminate`, { opinion: '测试终止' });
  assert.equal(r.status, 200, r.text);
  await change('contractor', id, { remark: '终止后修改', cost: '1.00' }, 200);
});

test('the shipped definitions: edit steps say what they let change', async () => {
  const want = {
    registration: { Correct: '*' }, pile_registration: { Correct: '*' }, registration_item: { Correct: '*' },
    project_change: { Correct: '*' }, person_leave: { Correct: '*' }, owner_quarterly: { Revise: '*' },
    score_notice: { Revise: '*' }, rectification_order: { Revise: '*', Reply: 'reply_text,replied_on,reply_files' }, score_warning: { Handle: 'measure_taken' },
  };
  for (const [key, steps] of Object.entries(want)) {
    const x = await get('province', `/api/v1/flow/definitions/${key}`);
    assert.equal(x.status, 200, x.text);
    for (const [node, list] of Object.entries(steps))
      assert.match(x.json.xml, new RegExp(`id="${node}"[^>]*jg:editable="${list.replace('*', '\\*')}"`), `${key} ${node}`);
  }
});
