// Step-granted edits and the delete guard (issue 7, editable follow-up), on the 责令改正通知单:
// - the responsible unit holds no rectification_order.update, yet at its 整改回复 step (jg:editable
//   "reply_text,replied_on,reply_files") it fills in exactly those fields, in the readonly state
//   "issued"; any other field is 400 with nothing written; the rule rectification.reply_check
//   refuses the step while the reply is empty; the station reads the reply and its files and
//   prints the 整改回复单;
// - who holds no step and lacks the update permission is 403 (before, during and after the process);
// - a "*" step hands the whole form only to who may update the entity or started the process;
// - a record a process runs on is not deleted (409) until the process is terminated.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, writeFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startServer } from './lib/harness.mjs';
import { assertError, dbExec, req } from './lib/checks.mjs';
import { session, as } from './lib/auth.mjs';

let srv;
let work;
const s = {};
const sql = (q) => dbExec(srv.env.JIANGUAN_DATABASE, q).trim();
const post = (who, path, body) => as(srv, s[who], path, { method: 'POST', body });
const put = (who, path, body) => as(srv, s[who], path, { method: 'PUT', body });
const get = (who, path) => as(srv, s[who], path);
const del = (who, path) => as(srv, s[who], path, { method: 'DELETE' });
let own; // the demo contractor's enterprise (the responsible unit)
let project;

before(async () => {
  srv = await startServer({ projects: 1, env: { JIANGUAN_CAPTCHA: 'off', JIANGUAN_AUTH_RATE_PER_MINUTE: '100000' } });
  for (const u of ['contractor', 'gulou', 'gulou_chief', 'province', 'xiamen']) s[u] = await session(srv, u);
  own = s.contractor.user.enterprise_id;
  project = Number(sql('SELECT id FROM project ORDER BY id LIMIT 1'));
  work = mkdtempSync(join(tmpdir(), 'jg-reply-'));
});
after(async () => {
  rmSync(work, { recursive: true, force: true });
  const code = await srv.stop();
  assert.equal(code, 0, srv.stderr().split('\n').filter((l) => !/ INFO /.test(l)).join('\n'));
});

const PNG = Buffer.concat([
  Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
  Buffer.from('0000000d49484452000000010000000108060000001f15c4890000000a49444154789c63000100000500010d0a2db40000000049454e44ae426082', 'hex'),
]);
async function upload(who, name, data) {
  const b = 'jgReplyBoundary';
  const body = Buffer.concat([
    Buffer.from(`--${b}\r\nContent-Disposition: form-data; name="file"; filename="${name}"\r\nContent-Type: image/png\r\n\r\n`),
    data, Buffer.from(`\r\n--${b}--\r\n`)]);
  const r = await req(srv.url + '/api/v1/files', {
    method: 'POST', body,
    headers: { cookie: s[who].cookie, 'x-csrf-token': s[who].csrf, 'content-type': `multipart/form-data; boundary=${b}` },
  });
  assert.equal(r.status, 201, r.text);
  return r.json.items[0].id;
}

function task(id, node) {
  const t = sql(`SELECT t.id, t.version, i.id FROM flow_task t JOIN flow_instance i ON i.id = t.instance_id` +
    ` WHERE i.entity = 'rectification_order' AND i.record_id = ${id} AND t.node = '${node}' AND t.state = 'open'`);
  assert.ok(t && !t.includes('\n'), `one open task ${node}: ${t}`);
  const [tid, version, instance] = t.split('|').map(Number);
  return { id: tid, version, instance };
}
async function complete(id, node, who, action, opinion, status = 200) {
  const t = task(id, node);
  const r = await post(who, `/api/v1/flow/tasks/${t.id}/complete`, { version: t.version, action, opinion });
  assert.equal(r.status, status, r.text);
  return r;
}
const state = (id) => sql(`SELECT state FROM e_rectification_order WHERE id = ${id}`);
const row = (id) => sql(`SELECT version || '|' || COALESCE(reply_text, '-') || '|' || COALESCE(replied_on, '-') || '|' ||` +
  ` deadline_on || '|' || COALESCE(remark, '-') FROM e_rectification_order WHERE id = ${id}`);
const history = (id) => Number(sql(`SELECT count(*) FROM entity_history WHERE entity = 'rectification_order' AND record_id = ${id}`));
const version = (id) => Number(sql(`SELECT version FROM e_rectification_order WHERE id = ${id}`));

/** A PUT of body at the record's current version, expecting status; nothing written unless 200. */
async function change(who, id, body, status, note = '') {
  const before = row(id);
  const h = history(id);
  const r = await put(who, `/api/v1/records/rectification_order/${id}`, { version: version(id), ...body });
  assert.equal(r.status, status, `${who} ${note} ${r.text}`);
  if (status !== 200) {
    assert.equal(row(id), before, 'nothing written');
    assert.equal(history(id), h, 'no history');
  }
  return r;
}

let n = 0;
async function draft() {
  const r = await post('gulou', '/api/v1/records/rectification_order', {
    project_id: project, project_name: '整改回复测试项目', org_code: '350102', inspected_on: '2026-11-20',
    inspection_no: `JC-R-${++n}`, enterprise_id: own, enterprise_role: 'contractor', deadline_on: '2026-12-10',
    basis: 'JGJ 80-2016 第4.1.1条', remark: '起草',
    issues: [{ description: '3#楼五层临边防护缺失', location: '3#楼5层', requirement: '立即设置防护栏杆' }],
  });
  assert.equal(r.status, 201, r.text);
  return r.json.id;
}
async function submit(id, who = 'gulou') {
  const r = await post(who, '/api/v1/flow/instances', { key: 'rectification_order', entity: 'rectification_order', record_id: id });
  assert.equal(r.status, 201, r.text);
  return r.json.id;
}

test('the unit fills in its reply at its step only, other fields refused, and the station reads and prints it', async () => {
  const id = await draft();
  // A draft, no process: the unit holds no update permission.
  let r = await change('contractor', id, { reply_text: '抢先回复内容' }, 403, 'draft');
  assertError(r.json, 'forbidden');
  await submit(id);
  // 审核 (readonly state, the unit holds no step).
  r = await change('contractor', id, { reply_text: '审核中回复内容' }, 403, 'review');
  assert.match(assertError(r.json, 'forbidden').message, /当前环节的办理人/);
  await complete(id, 'Review', 'gulou_chief', 'approve', '同意');
  assert.equal(state(id), 'issued');

  // What the form shows the unit at 整改回复.
  r = await get('contractor', `/api/v1/flow/editable?entity=rectification_order&id=${id}`);
  assert.equal(r.status, 200, r.text);
  assert.deepEqual(r.json.editable, ['reply_text', 'replied_on', 'reply_files']);
  assert.deepEqual(r.json.steps.map((x) => [x.node, x.name]), [['Reply', '整改回复']]);

  // The step refuses completion while the reply is empty (rule rectification.reply_check).
  r = await complete(id, 'Reply', 'contractor', 'reply', '已整改', 400);
  let err = assertError(r.json, 'invalid');
  assert.deepEqual(Object.keys(err.fields).sort(), ['replied_on', 'reply_text']);
  assert.match(err.fields.reply_text, /整改情况/);
  assert.equal(state(id), 'issued');

  // Other fields: 400 naming each, nothing written, not even the reply sent beside them.
  r = await change('contractor', id, { deadline_on: '2027-06-30' }, 400);
  assert.deepEqual(assertError(r.json, 'invalid').fields, { deadline_on: '此环节不可修改该字段' });
  r = await change('contractor', id, { reply_text: '已设置防护栏杆', remark: '企业改备注', issues: [] }, 400);
  assert.deepEqual(Object.keys(assertError(r.json, 'invalid').fields).sort(), ['issues', 'remark']);

  // Neither the station (update permission, no step: the readonly state holds) nor the province
  // (no update permission, no step) changes the reply.
  await change('gulou', id, { reply_text: '监督员代填' }, 409);
  r = await change('province', id, { reply_text: '省厅代填' }, 403);
  assertError(r.json, 'forbidden');
  // Refused before its values are checked against the registry (no probing through 400s).
  await change('province', id, { enterprise_id: 987654321 }, 403);
  // Another city does not see the record at all.
  await change('xiamen', id, { reply_text: '厦门代填' }, 404);

  // The unit's reply, with a photo it uploaded.
  const photo = await upload('contractor', '整改后.png', PNG);
  const h = history(id);
  r = await change('contractor', id, { reply_text: '已按要求设置1.2米高防护栏杆并挂安全网', replied_on: '2026-12-01', reply_files: [photo] }, 200);
  assert.equal(r.json.reply_text, '已按要求设置1.2米高防护栏杆并挂安全网');
  assert.equal(r.json.state, 'issued');
  assert.ok(history(id) > h);
  assert.equal(sql(`SELECT DISTINCT username FROM entity_history WHERE entity = 'rectification_order' AND record_id = ${id} AND field = 'reply_text'`), 'contractor');
  assert.match(sql(`SELECT detail FROM audit_log WHERE action = 'update' AND entity = 'rectification_order' AND record_id = '${id}'` +
    ` AND username = 'contractor' ORDER BY id DESC LIMIT 1`), /reply_text/);
  // A form may send back what it showed: unchanged fields are no change.
  const shown = (await get('contractor', `/api/v1/records/rectification_order/${id}`)).json;
  r = await change('contractor', id, { deadline_on: shown.deadline_on, remark: shown.remark, replied_on: '2026-12-02' }, 200);

  await complete(id, 'Reply', 'contractor', 'reply', '已整改，请复查');
  assert.equal(state(id), 'verification');
  // Sent: the unit's step is closed, so is its write.
  await change('contractor', id, { reply_text: '回复后再改' }, 403, 'after the reply');

  // The station sees the reply and downloads the photo.
  r = await get('gulou', `/api/v1/records/rectification_order/${id}`);
  assert.equal(r.status, 200, r.text);
  assert.equal(r.json.reply_text, '已按要求设置1.2米高防护栏杆并挂安全网');
  assert.equal(r.json.replied_on, '2026-12-02');
  const files = r.json.reply_files.map((f) => (typeof f === 'object' ? f.id : f));
  assert.deepEqual(files, [photo]);
  const dl = await fetch(`${srv.url}/api/v1/files/${photo}`, { headers: { cookie: s.gulou.cookie } });
  assert.equal(dl.status, 200);
  assert.deepEqual(Buffer.from(await dl.arrayBuffer()), PNG);

  // The printed 整改回复单.
  const res = await fetch(`${srv.url}/api/v1/records/rectification_order/${id}/print/reply`, { headers: { cookie: s.gulou.cookie } });
  const buf = Buffer.from(await res.arrayBuffer());
  assert.equal(res.status, 200, buf.toString());
  writeFileSync(join(work, 'reply.pdf'), buf);
  const text = execFileSync('pdftotext', ['-layout', join(work, 'reply.pdf'), '-'], { encoding: 'utf8' }).replace(/\s+/g, '');
  for (const want of ['建设工程质量安全整改回复单', '已按要求设置1.2米高防护栏杆并挂安全网', '2026年12月2日', '3#楼五层临边防护缺失'])
    assert.ok(text.includes(want), `lacks ${want}:\n${text}`);

  // 整改不到位: back to the unit, which changes its reply again; then closed, and nobody edits.
  await complete(id, 'Check', 'gulou', 'fail', '安全网未挂满');
  assert.equal(state(id), 'issued');
  await change('contractor', id, { reply_text: '已挂满安全网，附复查照片', replied_on: '2026-12-05' }, 200);
  await complete(id, 'Reply', 'contractor', 'reply', '已整改');
  await complete(id, 'Check', 'gulou', 'pass', '整改合格');
  assert.equal(state(id), 'closed');
  await change('contractor', id, { reply_text: '闭合后再改' }, 403, 'closed');
  await change('gulou', id, { remark: '闭合后再改' }, 409, 'closed');
});

test('a "*" step hands the whole form only to who may update the entity or started the process', async () => {
  // 修改 (jg:editable="*") for the station's initiator, then a "*" step of the unit, which lacks
  // the update permission and did not start the process: it may change nothing there.
  const XML = '<?xml version="1.0" encoding="UTF-8"?><definitions xmlns="http://www.omg.org/spec/BPMN/20100524/MODEL"' +
    ' xmlns:jg="https://jianguan.fj.gov.cn/schema/bpmn"><process id="ed_star" name="全部可编辑测试">' +
    '<startEvent id="s"/><sequenceFlow id="f0" sourceRef="s" targetRef="A"/>' +
    '<userTask id="A" name="起草人修改" jg:level="initiator" jg:state="draft" jg:editable="*"/>' +
    '<sequenceFlow id="f1" sourceRef="A" targetRef="B"/>' +
    '<userTask id="B" name="企业全部修改" jg:level="applicant" jg:state="draft" jg:editable="*"/>' +
    '<sequenceFlow id="f2" sourceRef="B" targetRef="e"/><endEvent id="e" jg:state="closed"/></process></definitions>';
  let r = await post('province', '/api/v1/flow/definitions', { xml: XML });
  assert.equal(r.status, 201, r.text);
  const id = await draft();
  r = await post('gulou', '/api/v1/flow/instances', { key: 'ed_star', entity: 'rectification_order', record_id: id });
  assert.equal(r.status, 201, r.text);
  await change('gulou', id, { remark: '起草人修改', deadline_on: '2026-12-20' }, 200);
  await change('contractor', id, { reply_text: '企业不在此环节' }, 403);
  const t = task(id, 'A');
  r = await post('gulou', `/api/v1/flow/tasks/${t.id}/complete`, { version: t.version });
  assert.equal(r.status, 200, r.text);

  // The unit holds B, but "*" does not reach it.
  r = await get('contractor', `/api/v1/flow/editable?entity=rectification_order&id=${id}`);
  assert.deepEqual(r.json.editable, []);
  assert.deepEqual(r.json.steps.map((x) => [x.node, x.editable]), [['B', []]]);
  for (const body of [{ remark: '企业改备注' }, { reply_text: '企业回复' }]) {
    r = await change('contractor', id, body, 403, JSON.stringify(body));
    assertError(r.json, 'forbidden');
  }
  // The station may update but holds no step now.
  await change('gulou', id, { remark: '站里再改' }, 403);

  // Had the unit started the process (its own 补正), "*" would hand it the whole form.
  const inst = task(id, 'B').instance;
  sql(`UPDATE flow_instance SET started_by = ${s.contractor.user.id} WHERE id = ${inst}`);
  r = await get('contractor', `/api/v1/flow/editable?entity=rectification_order&id=${id}`);
  assert.deepEqual(r.json.steps.map((x) => [x.node, x.editable]), [['B', '*']]);
  assert.ok(r.json.editable.includes('remark') && r.json.editable.includes('issues'), r.text);
  r = await change('contractor', id, { remark: '企业补正', deadline_on: '2026-12-31' }, 200);
  assert.equal(r.json.remark, '企业补正');
});

test('a record a process runs on is not deleted until the process is terminated', async () => {
  const id = await draft();
  const inst = await submit(id);
  // 审核 (readonly): 409 as before.
  let r = await del('gulou', `/api/v1/records/rectification_order/${id}`);
  assert.equal(r.status, 409, r.text);
  // 退回修改: the record is a draft again, but the process still runs.
  await complete(id, 'Review', 'gulou_chief', 'return', '请补充依据');
  assert.equal(state(id), 'draft');
  const h = history(id);
  r = await del('gulou', `/api/v1/records/rectification_order/${id}`);
  assert.equal(r.status, 409, r.text);
  assert.equal(assertError(r.json, 'conflict').message, '记录正在流程中办理，不能删除');
  assert.equal(state(id), 'draft');
  assert.equal(history(id), h);
  assert.equal(sql(`SELECT state FROM flow_instance WHERE id = ${inst}`), 'running');
  // Who may not delete at all still gets 403.
  r = await del('contractor', `/api/v1/records/rectification_order/${id}`);
  assert.equal(r.status, 403, r.text);

  r = await post('gulou_chief', `/api/v1/flow/instances/${inst}/terminate`, { opinion: '通知单作废' });
  assert.equal(r.status, 200, r.text);
  r = await del('gulou', `/api/v1/records/rectification_order/${id}?version=${version(id)}`);
  assert.equal(r.status, 200, r.text);
  assert.equal(state(id), 'deleted');

  // A draft never submitted is deleted as before.
  const plain = await draft();
  r = await del('gulou', `/api/v1/records/rectification_order/${plain}`);
  assert.equal(r.status, 200, r.text);
});
