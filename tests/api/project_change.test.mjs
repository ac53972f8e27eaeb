// 项目变更 (requirements §(一)9): every kind of change to a registered project is an application
// (defs/project_change) with its process; once approved, the action project_change.apply writes it
// into the registration record in the same transaction, and the record's history says what changed,
// approved by whom, for which application. Refusals at apply time name the reason in Chinese and keep
// nothing. Leave of core persons (请假) ends with 确认盖章 and a signed approval PDF.
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
let own, e1, e2, p;

before(async () => {
  srv = await startServer({ projects: 5, env: { JIANGUAN_CAPTCHA: 'off', JIANGUAN_AUTH_RATE_PER_MINUTE: '100000' } });
  for (const u of ['contractor', 'gulou_chief', 'gulou', 'xiamen']) s[u] = await session(srv, u);
  own = s.contractor.user.enterprise_id;
  [e1, e2] = sql(`SELECT id FROM enterprise WHERE id <> ${own} ORDER BY id LIMIT 2`).split('\n').map(Number);
  p = sql("SELECT id FROM person WHERE status = 'active' ORDER BY id LIMIT 12").split('\n').map(Number);
  assert.equal(p.length, 12);
});
after(async () => {
  const code = await srv.stop();
  assert.equal(code, 0, srv.stderr().split('\n').filter((l) => !/ INFO /.test(l)).join('\n'));
});

let n = 0;
/** A registered project of the contractor: three units, three persons, three hazards. The
 * registration process is the registration lane's; here the record is moved to its state. */
async function project(state = 'registered', persons) {
  n += 1;
  const r = await post('contractor', '/api/v1/records/registration', {
    project_name: `变更测试项目${n}`, project_kind: 'building', org_code: '350102', address: '福州市鼓楼区测试路 8 号',
    applicant_id: own, owner_id: e1, contractor_id: own, supervisor_firm_id: e1, total_area: '13345.60',
    cost: '5000000.00', planned_start_on: '2026-12-01', contact_name: '李四',
    units: [{ unit_name: '1#楼', area: '6000.00', floors_above: 18 }, { unit_name: '2#楼', area: '6345.60' },
      { unit_name: '3#楼', area: '1000.00' }],
    persons: persons || [
      { party_role: 'contractor', person_id: p[0], person_role: 'project_manager', certificate_no: '闽135000001' },
      { party_role: 'contractor', person_id: p[1], person_role: 'safety_officer' },
      { party_role: 'supervisor_firm', person_id: p[2], person_role: 'chief_supervisor' }],
    hazards: [{ hazard_kind: 'foundation_pit', description: '开挖深度 6 米' },
      { hazard_kind: 'formwork', description: '高大模板 A 区' }, { hazard_kind: 'formwork', description: '高大模板 B 区' }],
  });
  assert.equal(r.status, 201, r.text);
  sql(`UPDATE e_registration SET state = '${state}' WHERE id = ${r.json.id}`);
  return r.json.id;
}

const record = async (id) => (await get('gulou_chief', `/api/v1/records/registration/${id}`)).json;
const history = async (id) => (await get('gulou_chief', `/api/v1/records/registration/${id}/history`)).json.items;
const todo = async (who) => (await get(who, '/api/v1/flow/tasks?box=todo&size=100')).json.items;

/** An application of entity by the contractor, submitted to its process: { id, instance }. */
async function apply(body, entity = 'project_change') {
  let r = await post('contractor', `/api/v1/records/${entity}`, { org_code: '350102', applicant_id: own, ...body });
  assert.equal(r.status, 201, r.text);
  const id = r.json.id;
  r = await post('contractor', '/api/v1/flow/instances', { key: entity, entity, record_id: id });
  assert.equal(r.status, 201, r.text);
  assert.deepEqual(r.json.tasks.map((t) => t.node), ['Review']);
  return { id, instance: r.json.id };
}

/** The open task of instance for who, completed with action: the answer. */
async function act(who, instance, action, node) {
  const t = (await todo(who)).find((x) => x.instance_id === instance);
  assert.ok(t, `${who} has a task of instance ${instance}`);
  if (node) assert.equal(t.node, node);
  return post(who, `/api/v1/flow/tasks/${t.id}/complete`, { version: t.version, action, opinion: '同意' });
}

/** Review (and for party changes and deletions, the chief's approval): the last answer. */
async function approve(instance, chief = false) {
  let r = await act('gulou_chief', instance, 'approve', 'Review');
  if (!chief) return r;
  assert.equal(r.status, 200, r.text);
  assert.deepEqual(r.json.tasks.map((t) => t.node), ['Approve']);
  r = await act('gulou_chief', instance, 'approve', 'Approve');
  return r;
}

const state = async (entity, id) => (await get('contractor', `/api/v1/records/${entity}/${id}`)).json.state;

/** The history rows of the change: action "change" by the approver, and the row naming the application. */
function changed(items, id, kind) {
  const ref = items.filter((h) => h.field === 'project_change' && h.new_value.id === id);
  assert.equal(ref.length, 1, JSON.stringify(items));
  assert.equal(ref[0].action, 'change');
  assert.equal(ref[0].username, 'gulou_chief');
  assert.equal(ref[0].new_value.kind, kind);
  assert.equal(ref[0].new_value.applicant, 'contractor');
  assert.equal(ref[0].new_value.opinion, '同意');
  return items.filter((h) => h.action === 'change' && h.field !== 'project_change' && h.at === ref[0].at);
}

function refused(r, pattern) {
  assert.equal(r.status, 400, r.text);
  assert.match(assertError(r.json, 'invalid').message, pattern);
}

/** An application the check at submission refuses with pattern: it stays a draft, no process runs. */
async function refusedAtSubmission(body, pattern, entity = 'project_change') {
  let r = await post('contractor', `/api/v1/records/${entity}`, { org_code: '350102', applicant_id: own, ...body });
  assert.equal(r.status, 201, r.text);
  const id = r.json.id;
  r = await post('contractor', '/api/v1/flow/instances', { key: entity, entity, record_id: id });
  refused(r, pattern);
  assert.equal(await state(entity, id), 'draft');
  assert.equal(sql(`SELECT count(*) FROM flow_instance WHERE entity = '${entity}' AND record_id = ${id}`), '0');
}

test('责任单位变更: the station reviews, the chief approves, the record and its history change', async () => {
  const pid = await project();
  const before = await record(pid);
  const c = await apply({ project_id: pid, change_kind: 'party', reason: '监理单位更换',
    parties: [{ party_role: 'supervisor_firm', old_enterprise_id: e1, new_enterprise_id: e2 }] });
  assert.equal(await state('project_change', c.id), 'submitted');
  // Another city's staff never see it.
  assert.equal((await todo('xiamen')).filter((t) => t.instance_id === c.instance).length, 0);
  assert.equal((await get('xiamen', `/api/v1/records/project_change/${c.id}`)).status, 404);
  let r = await act('gulou_chief', c.instance, 'approve', 'Review');
  assert.equal(r.status, 200, r.text);
  assert.equal(await state('project_change', c.id), 'reviewed');
  assert.equal((await record(pid)).supervisor_firm_id, e1, 'nothing changes before the chief approves');
  r = await act('gulou_chief', c.instance, 'approve', 'Approve');
  assert.equal(r.status, 200, r.text);
  assert.equal(r.json.state, 'completed');
  assert.equal(await state('project_change', c.id), 'approved');
  const after = await record(pid);
  assert.equal(after.supervisor_firm_id, e2);
  assert.equal(after.owner_id, e1, 'the owner, the same enterprise before, stays');
  assert.equal(after.version, before.version + 1);
  const rows = changed(await history(pid), c.id, 'party');
  assert.deepEqual(rows.map((h) => [h.field, h.old_value, h.new_value, h.username]),
    [['supervisor_firm_id', e1, e2, 'gulou_chief']]);
  const inst = (await get('gulou_chief', `/api/v1/flow/instances/${c.instance}`)).json;
  assert.deepEqual(inst.log.map((l) => `${l.node}:${l.action}`).slice(-4),
    ['Approve:enter', 'Approve:complete:approve', 'Apply:service:project_change.apply', 'End:end']);
  assert.match(inst.log.find((l) => l.node === 'Apply').opinion || JSON.stringify(inst.log), /责任单位变更/);
  assert.equal(sql(`SELECT count(*) FROM audit_log WHERE action = 'project_change_apply' AND record_id = '${pid}'`), '1');
  // The approved change prints as 项目变更审批表.
  const paper = await fetch(`${srv.url}/api/v1/records/project_change/${c.id}/print/approval`, { headers: { cookie: s.contractor.cookie } });
  assert.equal(paper.status, 200);
  assert.equal(Buffer.from(await paper.arrayBuffer()).subarray(0, 5).toString(), '%PDF-');

  // Submitting it again is refused at once: the supervising firm is no longer the old one.
  await refusedAtSubmission({ project_id: pid, change_kind: 'party', reason: '重复申请',
    parties: [{ party_role: 'supervisor_firm', old_enterprise_id: e1, new_enterprise_id: e2 }] },
  /监理单位现为“.+”，不是申请中的原单位/);
  // A party the record does not have, and details of another kind, are refused too.
  await refusedAtSubmission({ project_id: pid, change_kind: 'party', reason: '检测机构',
    parties: [{ party_role: 'lab', old_enterprise_id: e1, new_enterprise_id: e2 }] }, /没有“检测机构”这类责任单位/);
  await refusedAtSubmission({ project_id: pid, change_kind: 'party', reason: '混填', from_units: [{ unit_name: '1#楼' }],
    parties: [{ party_role: 'owner', old_enterprise_id: e1, new_enterprise_id: e2 }] },
  /变更类别为“责任单位变更”时不应填写“原单体”/);
  assert.equal((await record(pid)).version, after.version, 'the checks at submission keep nothing');
  // Two applications for the same party pass the check; once one is applied, the other is refused at
  // approval, and nothing of it is kept.
  const body = { project_id: pid, change_kind: 'party', reason: '建设单位变更',
    parties: [{ party_role: 'owner', old_enterprise_id: e1, new_enterprise_id: e2 }] };
  const one = await apply(body), two = await apply(body);
  assert.equal((await approve(one.instance, true)).status, 200);
  refused(await approve(two.instance, true), /建设单位现为“.+”，不是申请中的原单位/);
  assert.equal(await state('project_change', two.id), 'reviewed');
  assert.equal((await record(pid)).owner_id, e2);
  assert.equal((await record(pid)).version, after.version + 1);
});

test('人员变更与核销: persons replaced and removed; the one-active-project rule holds', async () => {
  const pid = await project();
  const other = await project('registered', [{ party_role: 'contractor', person_id: p[5], person_role: 'project_manager' }]);
  assert.ok(other);
  // A project manager already on another active project cannot take this one's post.
  await refusedAtSubmission({ project_id: pid, change_kind: 'person', reason: '项目经理调整',
    persons: [{ party_role: 'contractor', person_role: 'project_manager', old_person_id: p[0], new_person_id: p[5] }] },
  /已是在建项目“变更测试项目\d+”的项目经理，不能同时担任本项目的项目经理/);
  // A person not (or no longer) in the post.
  await refusedAtSubmission({ project_id: pid, change_kind: 'person', reason: '人员不在项目',
    persons: [{ party_role: 'contractor', person_role: 'safety_officer', old_person_id: p[7], new_person_id: p[8] }] },
  /人员“.+”不在项目“变更测试项目\d+”的专职安全员（施工单位）岗位上/);

  // Replace the project manager, cancel (核销) the safety officer.
  let c = await apply({ project_id: pid, change_kind: 'person', reason: '项目经理调整，安全员核销', persons: [
    { party_role: 'contractor', person_role: 'project_manager', old_person_id: p[0], new_person_id: p[6], certificate_no: '闽135000009' },
    { party_role: 'contractor', person_role: 'safety_officer', old_person_id: p[1] }] });
  const r = await approve(c.instance);
  assert.equal(r.status, 200, r.text);
  assert.deepEqual(r.json.tasks, [], 'no chief approval for person changes');
  assert.equal(await state('project_change', c.id), 'approved');
  const persons = (await record(pid)).persons.map((x) => [x.person_id, x.person_role, x.certificate_no]);
  assert.deepEqual(persons, [[p[6], 'project_manager', '闽135000009'], [p[2], 'chief_supervisor', null]]);
  const rows = changed(await history(pid), c.id, 'person');
  assert.deepEqual(rows.map((h) => [h.child, h.field, h.username]), [['persons', 'persons', 'gulou_chief']]);
  assert.equal(rows[0].old_value.length, 3);
  assert.equal(rows[0].new_value.length, 2);
  // A person on no active project may take the other project's post; the old manager is then free.
  const back = await apply({ project_id: other, change_kind: 'person', reason: '调整',
    persons: [{ party_role: 'contractor', person_role: 'project_manager', old_person_id: p[5], new_person_id: p[10] }] });
  assert.equal((await approve(back.instance)).status, 200);
  const free = await apply({ project_id: pid, change_kind: 'person', reason: '再调整',
    persons: [{ party_role: 'contractor', person_role: 'project_manager', old_person_id: p[6], new_person_id: p[5] }] });
  assert.equal((await approve(free.instance)).status, 200);
  assert.equal((await record(pid)).persons[0].person_id, p[5]);
  // A registered project whose planned finish is past no longer holds its project manager.
  const done = await project('registered', [{ party_role: 'contractor', person_id: p[11], person_role: 'project_manager' }]);
  const take = { project_id: pid, change_kind: 'person', reason: '竣工项目的项目经理',
    persons: [{ party_role: 'contractor', person_role: 'project_manager', old_person_id: p[5], new_person_id: p[11] }] };
  await refusedAtSubmission(take, /已是在建项目/);
  sql(`UPDATE e_registration SET planned_finish_on = '2020-01-01' WHERE id = ${done}`);
  c = await apply(take);
  assert.equal((await approve(c.instance)).status, 200);
});

test('单体划分、拆分、合并、删除: areas must add up, units must exist', async () => {
  const pid = await project();
  const units = async () => (await record(pid)).units.map((u) => [u.unit_name, u.area]);
  // Refusals: a unit that is not there, areas that do not add up, the wrong number of units.
  await refusedAtSubmission({ project_id: pid, change_kind: 'unit_divide', reason: '划分',
    from_units: [{ unit_name: '9#楼' }], to_units: [{ unit_name: '9#楼A', area: '1.00' }, { unit_name: '9#楼B', area: '1.00' }] },
  /项目“变更测试项目\d+”中没有名为“9#楼”的单体/);
  await refusedAtSubmission({ project_id: pid, change_kind: 'unit_divide', reason: '划分',
    from_units: [{ unit_name: '1#楼' }], to_units: [{ unit_name: '1#楼A', area: '2500.00' }, { unit_name: '1#楼B', area: '3000.00' }] },
  /变更后单体面积之和 5500\.00 平方米与原单体面积 6000\.00 平方米不一致/);
  await refusedAtSubmission({ project_id: pid, change_kind: 'unit_merge', reason: '合并',
    from_units: [{ unit_name: '2#楼' }], to_units: [{ unit_name: '2#楼', area: '6345.60' }] },
  /单体合并应填写两个以上原单体和一个合并后的单体/);
  assert.deepEqual(await units(), [['1#楼', '6000.00'], ['2#楼', '6345.60'], ['3#楼', '1000.00']]);

  // 划分: 1#楼 into two sub-units of 3000 m².
  let c = await apply({ project_id: pid, change_kind: 'unit_divide', reason: '划分子单位工程', from_units: [{ unit_name: '1#楼' }],
    to_units: [{ unit_name: '1#楼A', area: '3000.00', floors_above: 18 }, { unit_name: '1#楼B', area: '3000.00', floors_above: 9 }] });
  let r = await approve(c.instance);
  assert.equal(r.status, 200, r.text);
  assert.deepEqual(await units(), [['2#楼', '6345.60'], ['3#楼', '1000.00'], ['1#楼A', '3000.00'], ['1#楼B', '3000.00']]);
  let rows = changed(await history(pid), c.id, 'unit_divide');
  assert.deepEqual(rows.map((h) => [h.child, h.username]), [['units', 'gulou_chief']]);
  assert.deepEqual(rows[0].new_value.map((u) => u.unit_name), ['2#楼', '3#楼', '1#楼A', '1#楼B']);
  // 拆分: 1#楼A into 1200 + 1800.
  c = await apply({ project_id: pid, change_kind: 'unit_split', reason: '拆分', from_units: [{ unit_name: '1#楼A' }],
    to_units: [{ unit_name: '1#楼A1', area: '1200.00' }, { unit_name: '1#楼A2', area: '1800.00' }] });
  assert.equal((await approve(c.instance)).status, 200);
  // 合并: 2#楼 and 3#楼 into one of 7345.60 m²; a new name that clashes is refused first.
  await refusedAtSubmission({ project_id: pid, change_kind: 'unit_merge', reason: '合并',
    from_units: [{ unit_name: '2#楼' }, { unit_name: '3#楼' }], to_units: [{ unit_name: '1#楼B', area: '7345.60' }] },
  /变更后的单体名称“1#楼B”与项目中其他单体重名/);
  c = await apply({ project_id: pid, change_kind: 'unit_merge', reason: '合并', from_units: [{ unit_name: '2#楼' }, { unit_name: '3#楼' }],
    to_units: [{ unit_name: '2-3#楼', area: '7345.60' }] });
  assert.equal((await approve(c.instance)).status, 200);
  // 删除: 1#楼B.
  c = await apply({ project_id: pid, change_kind: 'unit_delete', reason: '取消建设', from_units: [{ unit_name: '1#楼B' }] });
  r = await approve(c.instance);
  assert.equal(r.status, 200, r.text);
  assert.deepEqual(await units(), [['1#楼A1', '1200.00'], ['1#楼A2', '1800.00'], ['2-3#楼', '7345.60']]);
  rows = changed(await history(pid), c.id, 'unit_delete');
  assert.equal(rows.length, 1);
  const kinds = (await history(pid)).filter((h) => h.field === 'project_change').map((h) => h.new_value.kind);
  assert.deepEqual(kinds, ['unit_divide', 'unit_split', 'unit_merge', 'unit_delete']);
});

test('退回补正: the applicant corrects the application and resubmits; the corrected one is applied', async () => {
  const pid = await project();
  const c = await apply({ project_id: pid, change_kind: 'unit_delete', reason: '删除', from_units: [{ unit_name: '2#楼' }] });
  let r = await act('gulou_chief', c.instance, 'return', 'Review');
  assert.equal(r.status, 200, r.text);
  assert.equal(await state('project_change', c.id), 'returned');
  const rec = (await get('contractor', `/api/v1/records/project_change/${c.id}`)).json;
  r = await as(srv, s.contractor, `/api/v1/records/project_change/${c.id}`,
    { method: 'PUT', body: { version: rec.version, reason: '删除 3#楼（已更正）', from_units: [{ unit_name: '3#楼' }] } });
  assert.equal(r.status, 200, r.text);
  // A correction that does not fit the project is refused when resubmitted, and stays to be corrected.
  let v = (await get('contractor', `/api/v1/records/project_change/${c.id}`)).json.version;
  r = await as(srv, s.contractor, `/api/v1/records/project_change/${c.id}`,
    { method: 'PUT', body: { version: v, from_units: [{ unit_name: '5#楼' }] } });
  assert.equal(r.status, 200, r.text);
  refused(await act('contractor', c.instance, undefined, 'Correct'), /没有名为“5#楼”的单体/);
  assert.equal(await state('project_change', c.id), 'returned');
  v = (await get('contractor', `/api/v1/records/project_change/${c.id}`)).json.version;
  r = await as(srv, s.contractor, `/api/v1/records/project_change/${c.id}`,
    { method: 'PUT', body: { version: v, from_units: [{ unit_name: '3#楼' }] } });
  assert.equal(r.status, 200, r.text);
  r = await act('contractor', c.instance, undefined, 'Correct');
  assert.equal(r.status, 200, r.text);
  r = await approve(c.instance);
  assert.equal(r.status, 200, r.text);
  assert.deepEqual((await record(pid)).units.map((u) => u.unit_name), ['1#楼', '2#楼']);
  // While it is under review the applicant cannot edit it.
  const d = await apply({ project_id: pid, change_kind: 'unit_delete', reason: '删除', from_units: [{ unit_name: '2#楼' }] });
  v = (await get('contractor', `/api/v1/records/project_change/${d.id}`)).json.version;
  r = await as(srv, s.contractor, `/api/v1/records/project_change/${d.id}`, { method: 'PUT', body: { version: v, reason: '改' } });
  assert.ok([400, 409].includes(r.status), r.text);
});

test('two changes of one unit approved at once: one applies, the other is refused', async () => {
  const pid = await project();
  const body = { project_id: pid, change_kind: 'unit_delete', reason: '删除 3#楼', from_units: [{ unit_name: '3#楼' }] };
  const a = await apply(body), b = await apply(body);
  const both = await Promise.all([a, b].map((c) => act('gulou_chief', c.instance, 'approve', 'Review')));
  assert.deepEqual(both.map((r) => r.status).sort(), [200, 400], both.map((r) => r.text).join('\n'));
  assert.match(both.find((r) => r.status === 400).json.error.message, /没有名为“3#楼”的单体/);
  assert.deepEqual((await record(pid)).units.map((u) => u.unit_name), ['1#楼', '2#楼']);
  assert.equal((await history(pid)).filter((h) => h.field === 'project_change').length, 1);
});

test('危险源信息解除: by kind, and by description when several share it', async () => {
  const pid = await project();
  await refusedAtSubmission({ project_id: pid, change_kind: 'hazard_release', reason: '模板拆除',
    hazards: [{ hazard_kind: 'formwork' }] }, /项目中有 2 项“模板工程及支撑体系”危险源，请填写工程概况/);
  await refusedAtSubmission({ project_id: pid, change_kind: 'hazard_release', reason: '起重吊装',
    hazards: [{ hazard_kind: 'lifting' }] }, /没有“起重吊装及起重机械安装拆卸工程”危险源，可能已经解除/);
  const c = await apply({ project_id: pid, change_kind: 'hazard_release', reason: '基坑回填、A 区模板拆除',
    hazards: [{ hazard_kind: 'foundation_pit' }, { hazard_kind: 'formwork', description: '高大模板 A 区' }] });
  assert.equal((await approve(c.instance)).status, 200);
  assert.deepEqual((await record(pid)).hazards.map((h) => h.description), ['高大模板 B 区']);
  const rows = changed(await history(pid), c.id, 'hazard_release');
  assert.deepEqual(rows.map((h) => [h.child, h.old_value.length, h.new_value.length]), [['hazards', 3, 1]]);
});

test('项目删除重新申报: the chief approves, the project goes to state deleted with the reference', async () => {
  const pid = await project();
  sql(`UPDATE e_registration SET permit_no = '350102202612010101' WHERE id = ${pid}`);
  const c = await apply({ project_id: pid, change_kind: 'project_delete', reason: '项目信息有误，删除后重新申报',
    result_remark: '申请人自填' });
  const r = await approve(c.instance, true);
  assert.equal(r.status, 200, r.text);
  assert.equal(sql(`SELECT state FROM e_registration WHERE id = ${pid}`), 'deleted');
  assert.equal((await get('gulou_chief', `/api/v1/records/registration/${pid}`)).status, 404);
  const h = sql(`SELECT field || '|' || COALESCE(old_value, '') || '|' || new_value || '|' || username || '|' || action
    FROM entity_history WHERE entity = 'registration' AND record_id = ${pid} AND action = 'change' ORDER BY id`).split('\n');
  assert.equal(h.length, 2, h.join('\n'));
  assert.equal(h[0], 'state|"registered"|"deleted"|gulou_chief|change');
  assert.match(h[1], new RegExp(`^project_change\\|\\|.*"id":${c.id}.*"kind":"project_delete".*\\|gulou_chief\\|change$`));
  // The chief's opinion is the application's 申报结果备注, with its own history row.
  const done = (await get('contractor', `/api/v1/records/project_change/${c.id}`)).json;
  assert.equal(done.result_remark, '同意');
  const ch = (await get('contractor', `/api/v1/records/project_change/${c.id}/history`)).json.items;
  assert.deepEqual(ch.filter((x) => x.action === 'change').map((x) => [x.old_value, x.new_value, x.username]),
    [['申请人自填', '同意', 'gulou_chief']]);
  // It may be declared again, with the same construction permit.
  const again = await post('contractor', '/api/v1/records/registration', {
    project_name: '重新申报的项目', project_kind: 'building', org_code: '350102', address: '福州市鼓楼区测试路 8 号',
    applicant_id: own, owner_id: e1, contractor_id: own, permit_no: '350102202612010101' });
  assert.equal(again.status, 201, again.text);
  // A deleted project takes no more changes (wrong state); a change of it cannot be created either.
  const x = await post('contractor', '/api/v1/records/project_change',
    { project_id: pid, org_code: '350102', applicant_id: own, change_kind: 'party', reason: '已删除' });
  assert.equal(x.status, 400, x.text);
  assert.match(assertError(x.json, 'invalid').fields.project_id, /项目不存在/);
});

test('refusals: wrong state, out of scope, wrong region, incomplete details', async () => {
  const draft = await project('submitted');
  await refusedAtSubmission({ project_id: draft, change_kind: 'unit_delete', reason: '未登记', from_units: [{ unit_name: '3#楼' }] },
    /项目“变更测试项目\d+”当前为“已申报”，只有已登记的项目才能办理单位工程删除/);
  assert.equal((await record(draft)).units.length, 3);
  // A project that leaves 已登记 between submission and approval is refused at approval.
  const later = await project();
  let c = await apply({ project_id: later, change_kind: 'unit_delete', reason: '删除', from_units: [{ unit_name: '3#楼' }] });
  sql(`UPDATE e_registration SET state = 'accepted' WHERE id = ${later}`);
  refused(await approve(c.instance), /当前为“已受理”，只有已登记的项目才能办理/);
  assert.equal(await state('project_change', c.id), 'submitted');
  // An applicant that is no longer among the project's parties.
  const gone = await project();
  c = await apply({ project_id: gone, change_kind: 'unit_delete', reason: '删除', from_units: [{ unit_name: '3#楼' }] });
  sql(`UPDATE e_registration SET applicant_id = ${e1}, contractor_id = ${e2} WHERE id = ${gone}`);
  refused(await approve(c.instance), /申请单位“.+”不是项目“变更测试项目\d+”的参建单位，不能申请单位工程删除/);

  const pid = await project();
  await refusedAtSubmission({ project_id: pid, change_kind: 'person', reason: '空', persons: [] }, /请填写人员变更明细/);
  // The application names another county than the project's.
  await refusedAtSubmission({ project_id: pid, org_code: '350103', change_kind: 'unit_delete', reason: '地区不符',
    from_units: [{ unit_name: '3#楼' }] }, /申请填写的项目所在地与项目“变更测试项目\d+”的报监记录不一致/);
  let r;

  // Out of scope: an inspector may not apply; the contractor cannot name a project it cannot see.
  r = await post('xiamen', '/api/v1/records/project_change',
    { project_id: pid, org_code: '350102', applicant_id: own, change_kind: 'project_delete', reason: '越权' });
  assert.equal(r.status, 403, r.text);
  const foreign = await project();
  sql(`UPDATE e_registration SET applicant_id = ${e1} WHERE id = ${foreign}`); // another enterprise's declaration
  r = await post('contractor', '/api/v1/records/project_change',
    { project_id: foreign, org_code: '350102', applicant_id: own, change_kind: 'project_delete', reason: '越权' });
  assert.equal(r.status, 400, r.text);
  assert.match(assertError(r.json, 'invalid').fields.project_id, /项目不存在/);
  r = await post('contractor', '/api/v1/records/project_change',
    { project_id: pid, org_code: '350102', applicant_id: e1, change_kind: 'project_delete', reason: '冒名' });
  assert.ok([400, 403].includes(r.status), r.text);
  // Xiamen's inspector cannot do the steps of a 鼓楼 change.
  c = await apply({ project_id: pid, change_kind: 'unit_delete', reason: '删除 3#楼', from_units: [{ unit_name: '3#楼' }] });
  const t = (await todo('gulou_chief')).find((x) => x.instance_id === c.instance);
  r = await post('xiamen', `/api/v1/flow/tasks/${t.id}/complete`, { version: t.version, action: 'approve' });
  assert.equal(r.status, 404, r.text);
  // 不予通过 ends it without touching the project.
  r = await act('gulou_chief', c.instance, 'reject', 'Review');
  assert.equal(r.status, 200, r.text);
  assert.equal(await state('project_change', c.id), 'rejected');
  assert.equal((await record(pid)).units.length, 3);
});

test('核心人员请假: review, 确认盖章, the leave in the project history, the signed approval PDF', async () => {
  const pid = await project();
  const body = { project_id: pid, person_id: p[0], person_role: 'project_manager', leave_from: '2026-12-10',
    leave_to: '2026-12-20', reason: '家中有事', substitute_id: p[1] };
  // Someone not in the post, and dates the wrong way round, are refused at 确认盖章.
  await refusedAtSubmission({ ...body, person_id: p[9] }, /不在项目“变更测试项目\d+”的项目经理岗位上，不能请假/, 'person_leave');
  await refusedAtSubmission({ ...body, leave_to: '2026-12-01' }, /请假结束日期不能早于开始日期/, 'person_leave');
  await refusedAtSubmission({ ...body, substitute_id: p[0] }, /代岗人员不能是请假人员本人/, 'person_leave');

  const c = await apply(body, 'person_leave');
  const print = () => fetch(`${srv.url}/api/v1/records/person_leave/${c.id}/print/approval`, { headers: { cookie: s.contractor.cookie } });
  assert.equal((await print()).status, 409, 'no approval paper before it is approved');
  let r = await act('gulou_chief', c.instance, 'approve', 'Review');
  assert.equal(r.status, 200, r.text);
  assert.equal(await state('person_leave', c.id), 'confirming');
  r = await act('gulou_chief', c.instance, 'confirm', 'Confirm');
  assert.equal(r.status, 200, r.text);
  assert.equal(await state('person_leave', c.id), 'approved');
  const h = (await history(pid)).filter((x) => x.field === 'leave');
  assert.equal(h.length, 1);
  assert.deepEqual([h[0].username, h[0].action, h[0].new_value.person_id, h[0].new_value.leave_to], ['gulou_chief', 'change', p[0], '2026-12-20']);
  changed(await history(pid), c.id, 'leave');
  assert.equal((await record(pid)).persons[0].person_id, p[0], 'the post stays with the person on leave');
  const pdf = await print();
  assert.equal(pdf.status, 200);
  assert.equal(pdf.headers.get('content-type'), 'application/pdf');
  assert.equal(Buffer.from(await pdf.arrayBuffer()).subarray(0, 5).toString(), '%PDF-');
  const code = sql(`SELECT code FROM print_code WHERE entity = 'person_leave' AND record_id = ${c.id}`);
  assert.match(code, /^[A-Z2-7]{16}$/);
  const v = await fetch(`${srv.url}/api/v1/public/verify/${code}`);
  assert.equal((await v.json()).result, 'genuine');
});
