// 项目报监 cross-checks at submission (issue 9), on SQLite and PostgreSQL: the rule
// registration.check over the facts src/modules/registration gathers refuses a submission (400,
// the messages as field errors naming the person, party or unit, nothing kept) when a project
// manager or chief supervisor is already on another active project, a certificate or a
// qualification has expired, a party's credit code is not in the enterprise registry, or the units'
// areas do not add up; thresholds are the rule's params. Then 登记 and 结果下达: the station's
// registration number, the issue date and the 登记结果通知书.
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
const now = new Date().toISOString();
const today = new Date(Date.now() + 8 * 3600e3).toISOString().slice(0, 10); // Beijing
let own, owner, expiredFirm, pm, chief, pm2, chief2, expiredPm, ownCode, ownerName;
const names = {};

function addCert(person, kind, no, expires) {
  sql(`INSERT INTO person_certificate (person_id, kind, certificate_no, specialty, issued_on, expires_on, status,
       created_at, updated_at) VALUES (${person}, '${kind}', '${no}', '', '2015-01-01', '${expires}', 'active',
       '${now}', '${now}')`);
}

before(async () => {
  srv = await startServer({ projects: 5, env: { JIANGUAN_CAPTCHA: 'off', JIANGUAN_AUTH_RATE_PER_MINUTE: '100000' } });
  for (const u of ['contractor', 'gulou_chief', 'province']) s[u] = await session(srv, u);
  own = s.contractor.user.enterprise_id;
  owner = Number(sql(`SELECT id FROM enterprise WHERE id <> ${own} ORDER BY id LIMIT 1`));
  expiredFirm = Number(sql(`SELECT id FROM enterprise WHERE id NOT IN (${own}, ${owner}) ORDER BY id LIMIT 1`));
  ownCode = sql(`SELECT credit_code FROM enterprise WHERE id = ${own}`);
  ownerName = sql(`SELECT name FROM enterprise WHERE id = ${owner}`);
  // The data the checks look at, made known: valid qualifications for the owner and contractor,
  // only an expired one for the third firm; five persons, one with an expired certificate only.
  sql(`UPDATE enterprise_qualification SET expires_on = '2099-12-31' WHERE enterprise_id IN (${own}, ${owner})`);
  sql(`UPDATE enterprise_qualification SET status = 'deleted' WHERE enterprise_id = ${expiredFirm}`);
  sql(`INSERT INTO enterprise_qualification (enterprise_id, category, grade, certificate_no, issued_on, expires_on,
       status, created_at, updated_at) VALUES (${expiredFirm}, '工程监理综合资质', '甲级', 'E135000001', '2015-01-01',
       '2020-06-30', 'active', '${now}', '${now}')`);
  const ids = sql(`SELECT id FROM person WHERE status = 'active' ORDER BY id LIMIT 5`).split('\n').map(Number);
  [pm, chief, pm2, chief2, expiredPm] = ids;
  sql(`UPDATE person_certificate SET status = 'deleted' WHERE person_id IN (${ids.join(',')})`);
  addCert(pm, 'registered_constructor', '闽235000001', '2099-12-31');
  addCert(pm2, 'registered_constructor', '闽235000002', '2099-12-31');
  addCert(chief, 'registered_supervisor', '35000001', '2099-12-31');
  addCert(chief2, 'registered_supervisor', '35000002', '2099-12-31');
  addCert(expiredPm, 'registered_constructor', '闽235000009', '2020-01-01');
  for (const id of ids) names[id] = sql(`SELECT name FROM person WHERE id = ${id}`);
});
after(async () => { assert.equal(await srv.stop(), 0); });

const person = (id, role, party, no) => ({ party_role: party, person_id: id, person_role: role, certificate_no: no });

async function declaration(name, extra = {}) {
  const r = await post('contractor', '/api/v1/records/registration', {
    project_name: name, project_kind: 'building', org_code: '350102', address: '福州市鼓楼区测试路 9 号',
    applicant_id: own, owner_id: owner, contractor_id: own, total_area: '1000.00', cost: '5000000.00',
    planned_start_on: '2026-12-01', planned_finish_on: '2028-12-31', contact_name: '王五',
    units: [{ unit_name: '1#楼', area: '600.00' }, { unit_name: '2#楼', area: '400.00' }],
    persons: [person(pm2, 'project_manager', 'contractor'), person(chief2, 'chief_supervisor', 'supervisor_firm')],
    ...extra,
  });
  assert.equal(r.status, 201, r.text);
  return r.json.id;
}
const submit = (id) => post('contractor', '/api/v1/flow/instances', { key: 'registration', entity: 'registration', record_id: id });
const record = async (id) => (await get('contractor', `/api/v1/records/registration/${id}`)).json;

// A refused submission keeps nothing: the record stays a draft without an instance.
async function refused(id, fields) {
  const instances = sql('SELECT count(*) FROM flow_instance');
  const r = await submit(id);
  assert.equal(r.status, 400, r.text);
  const err = assertError(r.json, 'invalid');
  for (const [field, re] of Object.entries(fields)) assert.match(err.fields?.[field] ?? '', re, `${field}: ${r.text}`);
  assert.equal((await record(id)).state, 'draft');
  assert.equal(sql('SELECT count(*) FROM flow_instance'), instances);
  assert.equal(sql(`SELECT count(*) FROM flow_instance WHERE entity = 'registration' AND record_id = ${id}`), '0');
  return err;
}

let first; // the declaration that holds pm and chief

test('a clean declaration passes the checks and is received by the station', async () => {
  first = await declaration('校验测试项目甲', {
    persons: [person(pm, 'project_manager', 'contractor', '闽235000001'), person(chief, 'chief_supervisor', 'supervisor_firm')],
    parties: [{ party_role: 'contractor', credit_code: ownCode, party_name: '联合体成员' }],
    received_on: '2020-01-01', // the station's to fill in: replaced
  });
  const r = await submit(first);
  assert.equal(r.status, 201, r.text);
  assert.deepEqual(r.json.tasks.map((t) => t.node), ['Accept']);
  const rec = await record(first);
  assert.equal(rec.state, 'submitted');
  assert.equal(rec.received_on, today);
  const inst = await get('gulou_chief', `/api/v1/flow/instances/${r.json.id}`);
  const check = inst.json.log.find((l) => l.node === 'Check');
  assert.equal(check.action, 'service:rule:registration.check');
  assert.match(check.opinion ?? check.text ?? JSON.stringify(check), /申报校验通过/);
});

test('a project manager or chief supervisor already on another active project is refused', async () => {
  const id = await declaration('校验测试项目乙', {
    persons: [person(pm, 'project_manager', 'contractor'), person(chief, 'chief_supervisor', 'supervisor_firm')],
  });
  const err = await refused(id, {
    'persons[0].person_id': new RegExp(`项目经理 ${names[pm]} 已在“校验测试项目甲”（编号 ${first}，已申报）担任项目经理`),
    'persons[1].person_id': new RegExp(`总监理工程师 ${names[chief]} 已在“校验测试项目甲”.*担任总监理工程师`),
  });
  assert.match(err.message, /共 2 个问题/);
  // In another post (not a manager's) the same person is no conflict; nor is a draft project.
  const ok = await declaration('校验测试项目丙', { persons: [person(pm, 'quality_officer', 'contractor')] });
  assert.equal((await submit(ok)).status, 201);
  await declaration('校验测试项目丁（草稿）', { persons: [person(pm2, 'project_manager', 'contractor')] });
});

test('a project manager whose registered project has finished is free again', async () => {
  // The first declaration registered long ago and finished: no longer active.
  const old = await declaration('校验测试项目（已竣工）', { persons: [person(expiredPm, 'technical_lead', 'contractor')] });
  sql(`UPDATE e_registration SET state = 'registered', planned_finish_on = '2020-12-31' WHERE id = ${old}`);
  sql(`UPDATE e_registration__persons SET person_role = 'project_manager', person_id = ${pm2} WHERE parent_id = ${old}`);
  const id = await declaration('校验测试项目戊', { persons: [person(pm2, 'project_manager', 'contractor')] });
  assert.equal((await submit(id)).status, 201);
});

test('an expired certificate of a person is refused, naming the person and the certificate', async () => {
  const id = await declaration('校验测试项目己', { persons: [person(expiredPm, 'project_manager', 'contractor')] });
  await refused(id, {
    'persons[0].certificate_no': new RegExp(`项目经理 ${names[expiredPm]} 的注册建造师证书（闽235000009）已于 2020-01-01 过期`),
  });
});

test('an expired qualification of a party is refused', async () => {
  const firm = sql(`SELECT name FROM enterprise WHERE id = ${expiredFirm}`);
  const id = await declaration('校验测试项目庚', { supervisor_firm_id: expiredFirm, persons: [] });
  await refused(id, {
    supervisor_firm_id: new RegExp(`监理单位“${firm}”的资质（工程监理综合资质甲级，证书 E135000001）已于 2020-06-30 过期`),
  });
});

test('a party whose credit code is not in the enterprise registry is refused', async () => {
  const id = await declaration('校验测试项目辛', {
    persons: [],
    parties: [{ party_role: 'owner', credit_code: ownCode, party_name: '已在库单位' },
      { party_role: 'designer', credit_code: '91350102MA0000000X', party_name: '查无此设计院' }],
  });
  await refused(id, { 'parties[1].credit_code': /设计单位“查无此设计院”的统一社会信用代码 91350102MA0000000X 不在企业库中/ });
});

test('what the station fills in is not the applicant\'s to give', async () => {
  const id = await declaration('校验测试项目（自填登记号）', { persons: [], registration_no: '350102-2026-99999', issued_on: '2026-01-01' });
  await refused(id, { registration_no: /监督登记号由监督站登记时生成/, issued_on: /结果下达日期由监督站登记时生成/ });
});

test('units whose areas do not add up are refused; the tolerance is a parameter of the rule', async () => {
  const id = await declaration('校验测试项目壬', {
    persons: [], units: [{ unit_name: '1#楼', area: '600.00' }, { unit_name: '2#楼', area: '300.00' }],
  });
  await refused(id, { total_area: /各单体建筑面积之和 900.00 平方米与总建筑面积 1000.00 平方米不一致（相差 100.00/ });
  // Within the tolerance (1 m² or 0.1 %): passes.
  const near = await declaration('校验测试项目癸', {
    persons: [], units: [{ unit_name: '1#楼', area: '600.00' }, { unit_name: '2#楼', area: '399.50' }],
  });
  assert.equal((await submit(near)).status, 201);
  // The administrator widens the tolerance to 15 %: a new published version, in force at once.
  const rule = (await get('province', '/api/v1/rules/registration.check')).json;
  const params = { ...rule.version.params, area_tolerance_ratio: 0.15 };
  let r = await put('province', '/api/v1/rules/registration.check', { params, latest_version: rule.latest_version });
  assert.equal(r.status, 200, r.text);
  r = await post('province', '/api/v1/rules/registration.check/publish', {});
  assert.equal(r.status, 200, r.text);
  assert.equal((await submit(id)).status, 201);
  r = await post('province', '/api/v1/rules/registration.check/rollback', { version: 1 });
  assert.equal(r.status, 200, r.text);
});

test('several problems at once are all named; resubmission after 补正 is checked again', async () => {
  const id = await declaration('校验测试项目子', {
    supervisor_firm_id: expiredFirm,
    units: [{ unit_name: '1#楼', area: '10.00' }],
    persons: [person(pm, 'project_manager', 'contractor'), person(expiredPm, 'technical_lead', 'contractor'),
      person(expiredPm, 'project_manager', 'contractor')],
  });
  const err = await refused(id, {
    'persons[0].person_id': /已在“校验测试项目甲”/,
    'persons[2].certificate_no': /已于 2020-01-01 过期/,
    supervisor_firm_id: /资质/,
    total_area: /不一致/,
  });
  assert.equal(err.fields['persons[1].certificate_no'], undefined); // a technical lead needs no constructor's certificate
  assert.match(err.message, /共 4 个问题/);

  // The first declaration is returned for correction; the applicant breaks its areas and resubmits.
  const task = (await get('gulou_chief', '/api/v1/flow/tasks?box=todo&size=100')).json.items
    .find((t) => t.record_id === first);
  let r = await post('gulou_chief', `/api/v1/flow/tasks/${task.id}/complete`, { version: task.version, action: 'return', opinion: '请补充' });
  assert.equal(r.status, 200, r.text);
  const rec = await record(first);
  r = await put('contractor', `/api/v1/records/registration/${first}`, {
    version: rec.version, units: [{ unit_name: '1#楼', area: '100.00' }],
  });
  assert.equal(r.status, 200, r.text);
  const correct = (await get('contractor', '/api/v1/flow/tasks?box=todo&size=100')).json.items.find((t) => t.record_id === first);
  r = await post('contractor', `/api/v1/flow/tasks/${correct.id}/complete`, { version: correct.version });
  assert.equal(r.status, 400, r.text);
  assert.match(assertError(r.json, 'invalid').fields.total_area, /不一致/);
  assert.equal((await record(first)).state, 'returned');
  assert.equal(sql(`SELECT state FROM flow_task WHERE id = ${correct.id}`), 'open');
  // Corrected: it passes and goes back to the station; the received date stays the first one.
  r = await put('contractor', `/api/v1/records/registration/${first}`, {
    version: (await record(first)).version, units: [{ unit_name: '1#楼', area: '1000.00' }],
  });
  assert.equal(r.status, 200, r.text);
  r = await post('contractor', `/api/v1/flow/tasks/${correct.id}/complete`, { version: correct.version });
  assert.equal(r.status, 200, r.text);
  assert.equal((await record(first)).state, 'submitted');
});

test('登记 and 结果下达: the station numbers the registration, dates it, and the notice prints', async () => {
  let r = await get('contractor', `/api/v1/records/registration/${first}/print/notice`);
  assert.equal(r.status, 409, r.text); // only once registered
  for (const action of ['accept', 'register']) {
    const t = (await get('gulou_chief', '/api/v1/flow/tasks?box=todo&size=100')).json.items.find((x) => x.record_id === first);
    r = await post('gulou_chief', `/api/v1/flow/tasks/${t.id}/complete`, { version: t.version, action });
    assert.equal(r.status, 200, r.text);
  }
  const rec = await record(first);
  assert.equal(rec.state, 'registered');
  const year = today.slice(0, 4);
  assert.equal(rec.registration_no, `350102-${year}-00001`);
  assert.equal(rec.issued_on, today);
  assert.equal(rec.received_on, today);
  const hist = (await get('contractor', `/api/v1/records/registration/${first}/history`)).json.items;
  assert.ok(hist.some((h) => h.field === 'registration_no' && h.new_value === `350102-${year}-00001`), JSON.stringify(hist));
  assert.equal(sql(`SELECT count(*) FROM audit_log WHERE action = 'registration_issue' AND record_id = '${first}'`), '1');
  // Registered, the record changes only through project changes (项目变更), not the records API.
  r = await put('contractor', `/api/v1/records/registration/${first}`, { version: rec.version, registration_no: 'X' });
  assert.equal(r.status, 409, r.text);
  assert.equal((await record(first)).registration_no, `350102-${year}-00001`);
  // The next registration of the station takes the next number.
  const second = (await get('gulou_chief', '/api/v1/flow/tasks?box=todo&size=100')).json.items.find((x) => x.node === 'Accept');
  for (const action of ['accept', 'register']) {
    const t = (await get('gulou_chief', '/api/v1/flow/tasks?box=todo&size=100')).json.items
      .find((x) => x.instance_id === second.instance_id);
    r = await post('gulou_chief', `/api/v1/flow/tasks/${t.id}/complete`, { version: t.version, action });
    assert.equal(r.status, 200, r.text);
  }
  const other = sql(`SELECT registration_no FROM e_registration WHERE id = ${second.record_id}`);
  assert.equal(other, `350102-${year}-00002`);
  // The notice: a PDF with its signed QR code, verifiable.
  r = await get('contractor', `/api/v1/records/registration/${first}/print/notice`);
  assert.equal(r.status, 200, r.text);
  assert.match(r.headers.get('content-type'), /application\/pdf/);
  const code = sql(`SELECT code FROM print_code WHERE entity = 'registration' AND record_id = ${first} AND template = 'notice'`);
  assert.ok(code.length > 0);
});

test('桩基（基础）工程: its own declaration, the same checks and process, a number of the ZJ series', async () => {
  const base = {
    project_name: '校验测试桩基工程', org_code: '350102', address: '福州市鼓楼区测试路 9 号', applicant_id: own,
    owner_id: owner, contractor_id: own, pile_kind: '预应力混凝土管桩', pile_count: 320, registration_id: first,
    units: [{ unit_name: '1#楼', pile_count: 320 }],
  };
  // The project manager of the pile works holds an expired certificate: refused the same way.
  let r = await post('contractor', '/api/v1/records/pile_registration',
    { ...base, persons: [person(expiredPm, 'project_manager', 'contractor')] });
  assert.equal(r.status, 201, r.text);
  const bad = r.json.id;
  r = await post('contractor', '/api/v1/flow/instances', { key: 'pile_registration', entity: 'pile_registration', record_id: bad });
  assert.equal(r.status, 400, r.text);
  assert.match(r.json.error.fields['persons[0].certificate_no'], /已于 2020-01-01 过期/);
  r = await post('contractor', '/api/v1/records/pile_registration', { ...base, persons: [person(chief2, 'chief_supervisor', 'supervisor_firm')] });
  assert.equal(r.status, 201, r.text);
  const id = r.json.id;
  r = await post('contractor', '/api/v1/flow/instances', { key: 'pile_registration', entity: 'pile_registration', record_id: id });
  assert.equal(r.status, 201, r.text);
  const instance = r.json.id;
  for (const action of ['accept', 'register']) {
    const t = (await get('gulou_chief', '/api/v1/flow/tasks?box=todo&size=100')).json.items.find((x) => x.instance_id === instance);
    r = await post('gulou_chief', `/api/v1/flow/tasks/${t.id}/complete`, { version: t.version, action });
    assert.equal(r.status, 200, r.text);
  }
  const rec = (await get('contractor', `/api/v1/records/pile_registration/${id}`)).json;
  assert.equal(rec.state, 'registered');
  assert.equal(rec.registration_no, `350102-${today.slice(0, 4)}-ZJ00001`);
  r = await get('contractor', `/api/v1/records/pile_registration/${id}/print/notice`);
  assert.equal(r.status, 200, r.text);
});

test('新增申报项 after registration: declared on the registered project, received and accepted by the station', async () => {
  // Not on a project that is not registered, nor in another region than the project's.
  const draft = await declaration('校验测试项目（未登记）', { persons: [] });
  for (const [body, field, re] of [
    [{ registration_id: draft, org_code: '350102' }, 'registration_id', /尚未登记，不能申报新增事项/],
    [{ registration_id: first, org_code: '350103' }, 'org_code', /项目所在地应与报监项目“校验测试项目甲”一致/]]) {
    let x = await post('contractor', '/api/v1/records/registration_item', { item_title: '补充合同', applicant_id: own, ...body });
    assert.equal(x.status, 201, x.text);
    x = await post('contractor', '/api/v1/flow/instances', { key: 'registration_item', entity: 'registration_item', record_id: x.json.id });
    assert.equal(x.status, 400, x.text);
    assert.match(x.json.error.fields[field], re);
  }
  let r = await post('contractor', '/api/v1/records/registration_item', {
    registration_id: first, item_title: '新增危大工程：深基坑', org_code: '350102', applicant_id: own,
    hazards: [{ hazard_kind: 'foundation_pit', beyond_scale: true, description: '开挖深度 6 米' }],
  });
  assert.equal(r.status, 201, r.text);
  const id = r.json.id;
  r = await post('contractor', '/api/v1/flow/instances', { key: 'registration_item', entity: 'registration_item', record_id: id });
  assert.equal(r.status, 201, r.text);
  const t = r.json.tasks[0];
  assert.equal(t.node, 'Accept');
  const mine = (await get('gulou_chief', '/api/v1/flow/tasks?box=todo&size=100')).json.items.find((x) => x.id === t.id);
  assert.ok(mine, 'the station has it to do');
  r = await post('gulou_chief', `/api/v1/flow/tasks/${t.id}/complete`, { version: mine.version, action: 'accept' });
  assert.equal(r.status, 200, r.text);
  const rec = (await get('contractor', `/api/v1/records/registration_item/${id}`)).json;
  assert.equal(rec.state, 'accepted');
  assert.equal(rec.received_on, today);
});

test('two registrations of one station at once get two consecutive numbers', async () => {
  const ids = [await declaration('并发登记测试一', { persons: [] }), await declaration('并发登记测试二', { persons: [] })];
  const instances = [];
  for (const id of ids) {
    const r = await submit(id);
    assert.equal(r.status, 201, r.text);
    instances.push(r.json.id);
  }
  const todo = async () => (await get('gulou_chief', '/api/v1/flow/tasks?box=todo&size=100')).json.items;
  for (const i of instances) {
    const t = (await todo()).find((x) => x.instance_id === i);
    assert.equal((await post('gulou_chief', `/api/v1/flow/tasks/${t.id}/complete`, { version: t.version, action: 'accept' })).status, 200);
  }
  const tasks = (await todo()).filter((x) => instances.includes(x.instance_id));
  assert.equal(tasks.length, 2);
  const both = await Promise.all(tasks.map((t) =>
    post('gulou_chief', `/api/v1/flow/tasks/${t.id}/complete`, { version: t.version, action: 'register' })));
  assert.deepEqual(both.map((r) => r.status), [200, 200], both.map((r) => r.text).join('\n'));
  const nos = ids.map((id) => sql(`SELECT registration_no FROM e_registration WHERE id = ${id}`)).sort();
  const seq = nos.map((n) => Number(n.slice(-5)));
  assert.equal(new Set(nos).size, 2, nos.join());
  assert.equal(seq[1] - seq[0], 1, nos.join());
});

test('a message too long for the summary line is summarised; the field keeps it whole', async () => {
  const long = '福州市鼓楼区'.repeat(16) + '综合楼'; // 99 characters
  const l = await declaration(long, { persons: [person(chief2, 'chief_supervisor', 'supervisor_firm')] });
  assert.equal((await submit(l)).status, 201);
  const id = await declaration('校验测试项目（长名）', { persons: [person(chief2, 'chief_supervisor', 'supervisor_firm')] });
  const err = await refused(id, { 'persons[0].person_id': new RegExp(`已在“${long}”（编号 ${l}，已申报）担任总监理工程师`) });
  assert.equal(err.message, '未通过校验（共 1 个问题），请按各项说明修改');
});

test('statistics and the station lists: the city sees its counties, another city nothing', async () => {
  for (const u of ['fuzhou', 'xiamen']) s[u] ??= await session(srv, u);
  const tally = async (who, by) => (await get(who, `/api/v1/records/registration/tally?by=${by}`)).json;
  const mine = await tally('fuzhou', 'org_code:county,state,project_kind,month');
  const registered = mine.groups.filter((g) => g.org_code === '350102' && g.state === 'registered')
    .reduce((a, g) => a + g.n, 0);
  assert.equal(registered, Number(sql("SELECT count(*) FROM e_registration WHERE org_code = '350102' AND state = 'registered'")));
  assert.ok(registered >= 3);
  const city = await tally('fuzhou', 'org_code:city');
  assert.deepEqual(city.groups.map((g) => g.org_code), ['3501']);
  const other = await tally('xiamen', 'org_code:county,state');
  assert.equal(other.groups.filter((g) => g.org_code.startsWith('3501')).length, 0);
  // 收件 / 登记 / 下达 lists of the station (the records API, the data scope)
  const list = async (who, filter) => (await get(who, `/api/v1/records/registration?filter=${encodeURIComponent(JSON.stringify(filter))}&sort=-received_on&size=100`)).json;
  const received = await list('fuzhou', { field: 'received_on', op: 'null', value: false });
  assert.ok(received.items.length >= 5 && received.items.every((x) => x.received_on === today), JSON.stringify(received.items.map((x) => x.received_on)));
  const issued = await list('fuzhou', { field: 'issued_on', op: 'between', value: [today, today] });
  assert.deepEqual(issued.items.map((x) => x.registration_no).sort(), issued.items.map((x) => x.registration_no).sort().filter(Boolean));
  assert.ok(issued.items.length >= 3);
  assert.equal((await list('xiamen', { field: 'received_on', op: 'null', value: false })).items.length, 0);
});
