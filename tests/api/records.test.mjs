// The records API of the entity engine over the 项目报监 definition (defs/registration):
// create with children, read, list with filters and sort inside the data scope, update with
// version, history, delete as a state, validation and sealed fields.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startServer } from './lib/harness.mjs';
import { assertError, dbExec } from './lib/checks.mjs';
import { session, as } from './lib/auth.mjs';

let srv;
const s = {};
const sql = (q) => dbExec(srv.env.JIANGUAN_DATABASE, q).trim();
let own; // the contractor's enterprise id
let owner; // another enterprise, the owner
let person; // a person of the registry

before(async () => {
  srv = await startServer({ projects: 40, env: { JIANGUAN_CAPTCHA: 'off' } });
  for (const u of ['contractor', 'gulou', 'xiamen', 'province', 'fuzhou', 'auditor']) s[u] = await session(srv, u);
  own = s.contractor.user.enterprise_id;
  owner = Number(sql(`SELECT id FROM enterprise WHERE id <> ${own} ORDER BY id LIMIT 1`));
  person = Number(sql(`SELECT id FROM person WHERE enterprise_id = ${own} ORDER BY id LIMIT 1`));
});
after(async () => { assert.equal(await srv.stop(), 0); });

const base = (extra = {}) => ({
  project_name: '鼓楼区测试住宅项目', project_kind: 'building', org_code: '350102', address: '福州市鼓楼区测试路 1 号',
  applicant_id: own, owner_id: owner, contractor_id: own, total_area: '12345.60', cost: '98765432.10',
  planned_start_on: '2026-12-01', contact_name: '张三', contact_phone: '13912345678',
  units: [{ unit_name: '1#楼', area: '6000.00', floors_above: 18 }, { unit_name: '2#楼', area: '6345.60', floors_above: 11 }],
  persons: person ? [{ party_role: 'contractor', person_id: person, person_role: 'project_manager' }] : [],
  ...extra,
});
const create = (who, body) => as(srv, s[who], '/api/v1/records/registration', { method: 'POST', body });

test('the definition is offered to those who may read it, with what they may do', async () => {
  let r = await as(srv, s.contractor, '/api/v1/entities');
  assert.equal(r.status, 200, r.text);
  assert.ok(r.json.items.some((e) => e.name === 'registration' && e.label === '项目报监'));
  r = await as(srv, s.contractor, '/api/v1/entities/registration');
  assert.equal(r.status, 200);
  assert.equal(r.json.can.create, true);
  r = await as(srv, s.gulou, '/api/v1/entities/registration');
  assert.equal(r.json.can.create, false);
  r = await as(srv, s.auditor, '/api/v1/records/registration');
  assert.equal(r.status, 404, 'an entity one may not read is not there');
});

test('an enterprise creates a declaration with its units and persons; money and areas are exact', async () => {
  const r = await create('contractor', base());
  assert.equal(r.status, 201, r.text);
  const rec = r.json;
  assert.equal(rec.state, 'draft');
  assert.equal(rec.version, 1);
  assert.equal(rec.cost, '98765432.10');
  assert.equal(rec.total_area, '12345.60');
  assert.equal(rec.units.length, 2);
  assert.equal(rec.units[1].unit_name, '2#楼');
  assert.equal(rec.contact_phone, '13912345678', 'the enterprise admin may reveal its own declaration');
  assert.equal(sql(`SELECT cost FROM e_registration WHERE id = ${rec.id}`), '9876543210', 'money is stored in fen');
  assert.doesNotMatch(sql(`SELECT contact_phone FROM e_registration WHERE id = ${rec.id}`), /13912345678/);
  assert.equal(sql(`SELECT contact_phone__mask FROM e_registration WHERE id = ${rec.id}`), '139****5678');
});

test('bad input: Chinese field errors for fields and child rows, unknown keys; nothing is written', async () => {
  const before = sql('SELECT count(*) FROM e_registration');
  let r = await create('contractor', base({ project_name: '', cost: '12.345', planned_start_on: '2026-13-01', colour: 'red',
    units: [{ unit_name: '3#楼' }] }));
  assert.equal(r.status, 400);
  assertError(r.json, 'invalid');
  const f = r.json.error.fields;
  assert.match(f.project_name, /项目名称/);
  assert.match(f.cost, /工程造价/);
  assert.match(f.planned_start_on, /计划开工日期/);
  assert.equal(f.colour, '不支持的字段');
  assert.match(f['units[0].area'], /建筑面积/);
  r = await create('contractor', base({ project_kind: 'no_such_kind' }));
  assert.equal(r.status, 400);
  assert.match(r.json.error.fields.project_kind, /工程类别/);
  r = await create('contractor', base({ owner_id: 99999999 }));
  assert.equal(r.status, 400);
  assert.match(r.json.error.fields.owner_id, /建设单位不存在/);
  r = await create('contractor', base({ org_code: '359999' }));
  assert.equal(r.status, 400);
  assert.equal(sql('SELECT count(*) FROM e_registration'), before);
});

test('nobody writes outside their scope: a contractor cannot declare for another enterprise', async () => {
  const r = await create('contractor', base({ applicant_id: owner }));
  assert.equal(r.status, 403, r.text);
  const g = await create('gulou', base());
  assert.equal(g.status, 403, 'inspectors do not create declarations');
});

test('lists: scope, filters, sort, paging and the total', async () => {
  for (let i = 0; i < 5; i++) {
    const r = await create('contractor', base({ project_name: `筛选测试项目${i}`, cost: `${(i + 1) * 1000}.00`,
      org_code: i < 3 ? '350102' : '350103', permit_no: `P-${i}` }));
    assert.equal(r.status, 201, r.text);
  }
  const list = async (who, q) => as(srv, s[who], '/api/v1/records/registration?' + q);
  let r = await list('contractor', 'size=100');
  assert.equal(r.status, 200, r.text);
  const mine = r.json.total;
  assert.ok(mine >= 6);
  assert.ok(r.json.items.every((x) => x.contact_phone === undefined || /\*/.test(x.contact_phone) || x.contact_phone.length === 11));
  const filter = (f) => 'filter=' + encodeURIComponent(JSON.stringify(f));
  r = await list('contractor', filter({ field: 'cost', op: 'ge', value: '3000.00' }) + '&sort=cost');
  assert.equal(r.status, 200, r.text);
  assert.deepEqual(r.json.items.filter((x) => x.project_name.startsWith('筛选')).map((x) => x.cost),
    ['3000.00', '4000.00', '5000.00']);
  r = await list('contractor', filter({ and: [{ field: 'org_code', op: 'eq', value: '350103' },
    { field: 'project_name', op: 'like', value: '筛选%' }] }));
  assert.equal(r.json.total, 2);
  r = await list('contractor', 'size=2&page=2&sort=-id');
  assert.equal(r.json.items.length, 2);
  assert.equal(r.json.has_more, mine > 4);
  // Government scope: gulou (350102) sees the 350102 ones only, fuzhou (3501) all of them, xiamen none.
  const gulou = (await list('gulou', 'size=200')).json;
  assert.ok(gulou.items.length > 0 && gulou.items.every((x) => x.org_code === '350102'));
  assert.equal((await list('fuzhou', 'size=200')).json.total, mine);
  assert.equal((await list('xiamen', 'size=200')).json.total, 0);
  // Inspectors see sensitive values masked.
  assert.ok(gulou.items.every((x) => x.contact_phone === null || x.contact_phone === '139****5678'));
  // Sensitive fields are found by equality through their blind index, by whoever may list them.
  await create('contractor', base({ project_name: '敏感筛选测试', contact_phone: '13700001234' }));
  r = await list('gulou', filter({ field: 'contact_phone', op: 'eq', value: '13700001234' }));
  assert.equal(r.status, 200, r.text);
  assert.deepEqual(r.json.items.map((x) => [x.project_name, x.contact_phone]), [['敏感筛选测试', '137****1234']]);
  r = await list('gulou', filter({ field: 'contact_phone', op: 'in', value: ['13700001234', '13912345678'] }));
  assert.ok(r.json.total >= 2, r.text);
  r = await list('gulou', filter({ field: 'contact_phone', op: 'eq', value: '13700009999' }));
  assert.equal(r.json.total, 0);
  r = await list('gulou', filter({ field: 'contact_phone', op: 'like', value: '137%' }));
  assert.equal(r.status, 400);
  assert.match(r.json.error.fields.filter, /敏感信息，只能按/);
  // Bad filters and sorts are 400 with the reason.
  r = await list('contractor', filter({ field: 'nope', op: 'eq', value: 1 }));
  assert.equal(r.status, 400);
  assert.ok(r.json.error.fields.filter);
  r = await list('contractor', 'filter=%7Bnot-json');
  assert.equal(r.status, 400);
  r = await list('contractor', 'sort=password');
  assert.equal(r.status, 400);
  r = await list('contractor', 'size=501');
  assert.equal(r.status, 400);
  r = await list('contractor', 'size=500');
  assert.equal(r.status, 200);
});

test('a long filter (150 conditions through references) is answered, not cut short', async () => {
  assert.equal((await create('contractor', base({ project_name: '长筛选测试' }))).status, 201);
  const or = Array.from({ length: 150 }, (_, i) => ({ field: 'owner_id.name', op: 'eq', value: `不存在的企业${i}` }));
  const f = { or: [...or, { field: 'project_name', op: 'like', value: '%' }] };
  const r = await as(srv, s.contractor, '/api/v1/records/registration?size=5&filter=' + encodeURIComponent(JSON.stringify(f)));
  assert.equal(r.status, 200, r.text);
  assert.ok(r.json.total > 0);
});

test('a record outside the scope is 404; inside it is there', async () => {
  const rec = (await create('contractor', base({ project_name: '范围测试' }))).json;
  assert.equal((await as(srv, s.gulou, `/api/v1/records/registration/${rec.id}`)).status, 200);
  assert.equal((await as(srv, s.xiamen, `/api/v1/records/registration/${rec.id}`)).status, 404);
  assert.equal((await as(srv, s.contractor, '/api/v1/records/registration/99999999')).status, 404);
  assert.equal((await as(srv, s.contractor, '/api/v1/records/registration/abc')).status, 404);
});

test('update needs the current version; history says who changed what from what to what', async () => {
  const rec = (await create('contractor', base({ project_name: '修改测试' }))).json;
  const url = `/api/v1/records/registration/${rec.id}`;
  let r = await as(srv, s.contractor, url, { method: 'PUT', body: { version: rec.version, cost: '100.00', units: [{ unit_name: 'A 楼', area: '10.00' }] } });
  assert.equal(r.status, 200, r.text);
  assert.equal(r.json.version, 2);
  assert.equal(r.json.cost, '100.00');
  assert.equal(r.json.project_name, '修改测试', 'fields not sent stay as they were');
  assert.equal(r.json.units.length, 1);
  r = await as(srv, s.contractor, url, { method: 'PUT', body: { version: 1, cost: '200.00' } });
  assert.equal(r.status, 409);
  r = await as(srv, s.contractor, url, { method: 'PUT', body: { cost: '200.00' } });
  assert.equal(r.status, 400);
  r = await as(srv, s.contractor, url + '/history');
  assert.equal(r.status, 200);
  const cost = r.json.items.find((h) => h.field === 'cost');
  assert.equal(cost.old_value, '98765432.10');
  assert.equal(cost.new_value, '100.00');
  assert.equal(cost.username, 'contractor');
  assert.equal(cost.label, '工程造价（元）');
  assert.ok(r.json.items.some((h) => h.child === 'units'));
  assert.equal(r.json.items[0].action, 'create');
  // The phone in the history is masked even for those who may reveal it.
  r = await as(srv, s.contractor, url, { method: 'PUT', body: { version: 2, contact_phone: '13800001111' } });
  assert.equal(r.status, 200, r.text);
  const h = (await as(srv, s.contractor, url + '/history')).json.items.find((x) => x.field === 'contact_phone');
  assert.equal(h.old_value, '139****5678');
  assert.equal(h.new_value, '138****1111');
  // Every write is in the audit chain.
  assert.ok(Number(sql(`SELECT count(*) FROM audit_log WHERE entity = 'registration' AND record_id = '${rec.id}'`)) >= 3);
});

test('delete is a state: the record leaves lists and fetches but stays in the database', async () => {
  const rec = (await create('contractor', base({ project_name: '删除测试' }))).json;
  const url = `/api/v1/records/registration/${rec.id}`;
  assert.equal((await as(srv, s.gulou, url, { method: 'DELETE' })).status, 403);
  let r = await as(srv, s.contractor, url + '?version=9', { method: 'DELETE' });
  assert.equal(r.status, 409);
  r = await as(srv, s.contractor, url, { method: 'DELETE' });
  assert.equal(r.status, 200, r.text);
  assert.equal((await as(srv, s.contractor, url)).status, 404);
  assert.equal(sql(`SELECT state FROM e_registration WHERE id = ${rec.id}`), 'deleted');
  r = await as(srv, s.contractor, url, { method: 'PUT', body: { version: 2, cost: '1.00' } });
  assert.equal(r.status, 404);
});

test('writes need the CSRF token', async () => {
  const r = await as(srv, { ...s.contractor, csrf: 'x'.repeat(64) }, '/api/v1/records/registration', { method: 'POST', body: base() });
  assert.equal(r.status, 403);
});
