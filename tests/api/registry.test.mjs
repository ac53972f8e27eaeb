// The enterprise (企业库) and person (从业人员库) registries: government users see the province's
// registry, enterprise users their own enterprise; ID numbers and phones are SM4 sealed at rest,
// masked in answers, and shown in plain only through an audited reveal; enterprises see the
// projects they take part in (project_party) and no other.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, existsSync } from 'node:fs';
import { startServer } from './lib/harness.mjs';
import { assertError, dbExec } from './lib/checks.mjs';
import { session, as, login } from './lib/auth.mjs';

let srv;
const s = {};
const get = (user, path) => as(srv, s[user], path);
const post = (user, path, body) => as(srv, s[user], path, { method: 'POST', body });
const put = (user, path, body) => as(srv, s[user], path, { method: 'PUT', body });
const del = (user, path) => as(srv, s[user], path, { method: 'DELETE' });
const sql = (text) => dbExec(srv.env.JIANGUAN_DATABASE, text).trim();

/** Every item of a list, page by page. */
async function all(user, path) {
  const items = [];
  for (let page = 1; page < 100; page++) {
    const r = await get(user, `${path}${path.includes('?') ? '&' : '?'}size=200&page=${page}`);
    assert.equal(r.status, 200, r.text);
    items.push(...r.json.items);
    if (!r.json.has_more) break;
  }
  return items;
}

// GB 11643 and GB 32100 check characters, written independently of the server's C code.
function residentCheck(id17) {
  const w = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2];
  let sum = 0;
  for (let i = 0; i < 17; i++) sum += Number(id17[i]) * w[i];
  return '10X98765432'[sum % 11];
}
const validResident = (id) => /^\d{17}[\dX]$/.test(id) && id[17] === residentCheck(id.slice(0, 17));
const CREDIT = '0123456789ABCDEFGHJKLMNPQRTUWXY';
function creditCheck(code17) {
  let sum = 0;
  for (let i = 0; i < 17; i++) sum += CREDIT.indexOf(code17[i]) * (3 ** i % 31);
  return CREDIT[(31 - (sum % 31)) % 31];
}
const withCredit = (code17) => code17 + creditCheck(code17);
const withResident = (id17) => id17 + residentCheck(id17);

const MASK_ID = /^\d{4}\*{10}[\dX]{4}$/;
const MASK_PHONE = /^1[3-9]\d\*{4}\d{4}$/;
const SECRET_KEYS = ['id_number', 'phone', 'id_number_enc', 'id_number_bidx', 'phone_enc', 'phone_bidx'];

before(async () => {
  srv = await startServer({ projects: 60 });
  for (const u of ['province', 'fuzhou', 'gulou', 'xiamen', 'contractor', 'auditor']) s[u] = await session(srv, u);
});
after(async () => { assert.equal(await srv.stop(), 0); });

test('government users see the whole registry, with kinds, filters and qualifications', async () => {
  const list = await all('province', '/api/v1/enterprises');
  assert.ok(list.length >= 40, `the seed has about 40 enterprises (${list.length})`);
  for (const e of list) {
    assert.ok(Array.isArray(e.kinds) && e.kinds.length > 0, 'kinds is a non-empty array');
    assert.match(e.credit_code, /^[0-9A-HJ-NPQRTUWXY]{18}$/);
    assert.equal(e.credit_code[17], creditCheck(e.credit_code.slice(0, 17)), `GB 32100 check of ${e.credit_code}`);
  }
  assert.ok(new Set(list.flatMap((e) => e.kinds)).size >= 6, 'several kinds');
  // Registries have no region for scope: a county inspector sees the same province-wide list.
  assert.deepEqual((await all('gulou', '/api/v1/enterprises')).map((e) => e.id), list.map((e) => e.id));

  const labs = await all('province', '/api/v1/enterprises?kind=lab');
  assert.ok(labs.length > 0);
  assert.deepEqual(labs.map((e) => e.id), list.filter((e) => e.kinds.includes('lab')).map((e) => e.id));
  const named = await all('province', '/api/v1/enterprises?keyword=' + encodeURIComponent('榕建工程有限'));
  assert.deepEqual(named.map((e) => e.name), ['福建榕建工程有限公司']);
  const byCode = await all('province', '/api/v1/enterprises?keyword=' + named[0].credit_code.toLowerCase());
  assert.deepEqual(byCode.map((e) => e.id), [named[0].id]);
  const paged = await get('province', '/api/v1/enterprises?size=7&page=2');
  assert.deepEqual(paged.json.items.map((e) => e.id), list.slice(7, 14).map((e) => e.id));
  assert.equal(paged.json.has_more, true);
  let r = await get('province', '/api/v1/enterprises?kind=bank');
  assert.equal(r.status, 400);
  assert.ok(assertError(r.json, 'invalid').fields.kind);

  // Qualifications carry an "expired" flag from their date; the seed has both kinds.
  const flags = [];
  for (const e of list.slice(0, 20)) {
    r = await get('province', `/api/v1/enterprises/${e.id}`);
    assert.equal(r.status, 200, r.text);
    assert.equal(r.json.name, e.name);
    assert.ok(Array.isArray(r.json.qualifications));
    const today = new Date(Date.now() + 8 * 3600e3).toISOString().slice(0, 10);
    for (const q of r.json.qualifications) {
      assert.equal(typeof q.expired, 'boolean');
      assert.equal(q.expired, q.expires_on < today, `${q.expires_on} against ${today}`);
      flags.push(q.expired);
    }
  }
  assert.ok(flags.includes(true) && flags.includes(false), 'some qualifications have expired, some not');
  r = await get('province', '/api/v1/enterprises/99999999');
  assert.equal(r.status, 404);
  assertError(r.json, 'not_found');
});

test('persons are listed and shown masked, never in plain', async () => {
  const list = await all('province', '/api/v1/persons');
  assert.ok(list.length >= 200, `the seed has about 200 persons (${list.length})`);
  for (const p of list) {
    assert.match(p.id_number_mask, MASK_ID);
    assert.ok(p.phone_mask === null || MASK_PHONE.test(p.phone_mask), p.phone_mask);
    assert.ok(['M', 'F'].includes(p.gender));
    for (const k of SECRET_KEYS) assert.ok(!(k in p), `no ${k} in a list`);
  }
  assert.ok(list.some((p) => p.phone_mask === null) && list.some((p) => p.phone_mask !== null));
  const one = await get('province', `/api/v1/persons/${list[0].id}`);
  assert.equal(one.status, 200);
  for (const k of SECRET_KEYS) assert.ok(!(k in one.json), `no ${k} in a record`);
  assert.match(one.json.id_number_mask, MASK_ID);
  assert.ok(Array.isArray(one.json.certificates));
  const certs = [];
  for (const p of list.slice(0, 40)) certs.push(...(await get('province', `/api/v1/persons/${p.id}`)).json.certificates);
  assert.ok(certs.length > 0);
  assert.ok(certs.every((c) => typeof c.expired === 'boolean'));
  assert.ok(certs.some((c) => c.expired) && certs.some((c) => !c.expired), 'some certificates have expired');
});

test('province_admin reveals an ID number and a phone; the audit names the field, not the value', async () => {
  const list = await all('province', '/api/v1/persons');
  const p = list.find((x) => x.phone_mask !== null);
  let r = await post('province', `/api/v1/persons/${p.id}/reveal`, { field: 'id_number' });
  assert.equal(r.status, 200, r.text);
  assert.match(r.headers.get('cache-control'), /no-store/, 'no cache keeps the value');
  const idNumber = r.json.value;
  assert.ok(validResident(idNumber), `a GB 11643 number: ${idNumber}`);
  assert.equal(idNumber.slice(0, 4) + '*'.repeat(10) + idNumber.slice(14), p.id_number_mask);
  // The gender comes from the 17th digit.
  assert.equal(p.gender, Number(idNumber[16]) % 2 === 1 ? 'M' : 'F');
  r = await post('province', `/api/v1/persons/${p.id}/reveal`, { field: 'phone' });
  assert.equal(r.status, 200, r.text);
  const phone = r.json.value;
  assert.match(phone, /^1[3-9]\d{9}$/);
  assert.equal(phone.slice(0, 3) + '****' + phone.slice(7), p.phone_mask);

  // Exact search by ID number (blind index), in either case of a final x.
  r = await get('province', `/api/v1/persons?id_number=${idNumber.toLowerCase()}`);
  assert.equal(r.status, 200, r.text);
  assert.deepEqual(r.json.items.map((x) => x.id), [p.id]);
  r = await get('province', `/api/v1/persons?phone=${phone}`);
  assert.ok(r.json.items.some((x) => x.id === p.id));
  r = await get('province', '/api/v1/persons?id_number=350102199003072115');
  assert.equal(r.status, 400);
  assert.ok(assertError(r.json, 'invalid').fields.id_number);

  r = await post('province', `/api/v1/persons/${p.id}/reveal`, { field: 'name' });
  assert.equal(r.status, 400);
  assert.ok(assertError(r.json, 'invalid').fields.field);

  const log = await get('auditor', '/api/v1/audit?action=reveal&size=50');
  assert.equal(log.status, 200, log.text);
  const mine = log.json.items.filter((e) => e.action === 'reveal' && e.record_id === String(p.id));
  assert.equal(mine.length, 2, 'each reveal is audited');
  for (const e of mine) {
    assert.equal(e.entity, 'person');
    assert.equal(e.username, 'province');
    assert.ok(['id_number', 'phone'].includes(JSON.parse(e.detail).field));
  }
  const text = JSON.stringify(log.json);
  assert.ok(!text.includes(idNumber) && !text.includes(phone), 'the audit never holds the value');
});

test('inspectors may not reveal (403); the answer holds no value', async () => {
  const list = await all('province', '/api/v1/persons');
  for (const u of ['gulou', 'xiamen']) {
    const r = await post(u, `/api/v1/persons/${list[1].id}/reveal`, { field: 'id_number' });
    assert.equal(r.status, 403, `${u}: ${r.text}`);
    assertError(r.json, 'forbidden');
    assert.ok(!/\d{17}[\dX]/.test(r.text));
    // They still read the masked registry.
    assert.equal((await get(u, `/api/v1/persons/${list[1].id}`)).status, 200);
  }
});

test('a station chief may reveal (station_chief holds person.reveal)', async () => {
  const r = await login(srv, 'gulou_chief');
  assert.equal(r.status, 200, r.text);
  const chief = { cookie: r.headers.get('set-cookie').split(';')[0], csrf: r.json.csrf_token };
  const p = (await all('province', '/api/v1/persons'))[2];
  const v = await as(srv, chief, `/api/v1/persons/${p.id}/reveal`, { method: 'POST', body: { field: 'id_number' } });
  assert.equal(v.status, 200, v.text);
  assert.ok(validResident(v.json.value));
  const log = await get('auditor', '/api/v1/audit?action=reveal&size=50');
  assert.ok(log.json.items.some((e) => e.username === 'gulou_chief' && e.record_id === String(p.id)));
});

test('the database holds no ID number or phone in plain text', async () => {
  // A person created through the API, and seeded ones revealed through it.
  const id = withResident('35020319880514' + '123');
  let r = await post('province', '/api/v1/persons', { name: '明文检查', id_number: id, phone: '13912345678' });
  assert.equal(r.status, 201, r.text);
  const secrets = [id, '13912345678'];
  const list = await all('province', '/api/v1/persons');
  for (const p of list.slice(0, 12)) {
    secrets.push((await post('province', `/api/v1/persons/${p.id}/reveal`, { field: 'id_number' })).json.value);
    if (p.phone_mask) secrets.push((await post('province', `/api/v1/persons/${p.id}/reveal`, { field: 'phone' })).json.value);
  }
  const url = srv.env.JIANGUAN_DATABASE;
  let haystack;
  if (url.startsWith('sqlite:')) {
    // The raw file and its write-ahead log: free pages and old row versions included.
    const path = url.slice(7);
    haystack = [path, path + '-wal'].filter(existsSync).map((f) => readFileSync(f).toString('latin1')).join('\n');
    assert.ok(haystack.length > 100000);
  } else {
    haystack = ['person', 'app_user', 'audit_log', 'enterprise', 'person_certificate']
      .map((t) => sql(`SELECT string_agg(x::text, E'\\n') FROM ${t} x`)).join('\n');
  }
  assert.ok(haystack.includes('明文检查') || haystack.includes(Buffer.from('明文检查').toString('latin1')),
    'the search reads real data');
  for (const v of secrets) assert.ok(!haystack.includes(v), `${v.slice(0, 4)}… is not stored in plain text`);
  // What is stored is a sealed token, a blind index and the mask.
  const row = sql(`SELECT id_number_enc || '|' || id_number_bidx || '|' || id_number_mask FROM person WHERE id = ${r.json.id}`);
  const [enc, bidx, mask] = row.split('|');
  assert.match(enc, /^v1\.[A-Za-z0-9_-]+$/);
  assert.match(bidx, /^[0-9a-f]{64}$/);
  assert.equal(mask, id.slice(0, 4) + '**********' + id.slice(14));
});

test('creating an enterprise validates the credit code, kinds and region; duplicates are 409', async () => {
  let r = await post('province', '/api/v1/enterprises', {
    credit_code: '91350100M000100Y44', name: '', kinds: ['contractor', 'bank'], org_code: '3599',
  });
  assert.equal(r.status, 400);
  let e = assertError(r.json, 'invalid');
  for (const f of ['credit_code', 'name', 'kinds', 'org_code']) assert.ok(e.fields[f], `fields.${f}`);
  r = await post('province', '/api/v1/enterprises', { credit_code: '1234', name: '某公司', kinds: ['owner'], org_code: '3501', extra: 1 });
  e = assertError(r.json, 'invalid');
  assert.ok(e.fields.credit_code && e.fields.extra);

  const code = withCredit('91350102MA8TEXT01');
  r = await post('province', '/api/v1/enterprises', {
    credit_code: code.toLowerCase(), name: ' 福建测试建设有限公司 ', kinds: ['lab', 'contractor', 'lab'], org_code: '350102',
    legal_rep: '张三', address: '鼓楼区测试路1号',
  });
  assert.equal(r.status, 201, r.text);
  assert.equal(r.json.credit_code, code, 'stored in upper case');
  assert.equal(r.json.name, '福建测试建设有限公司', 'trimmed');
  assert.deepEqual(r.json.kinds, ['contractor', 'lab'], 'known kinds in a fixed order, once each');
  assert.equal(r.json.org_name, '鼓楼区');
  assert.equal(r.json.version, 1);
  assert.deepEqual(r.json.qualifications, []);
  const created = r.json;

  r = await post('province', '/api/v1/enterprises', { credit_code: code, name: '另一家', kinds: ['owner'], org_code: '3501' });
  assert.equal(r.status, 409);
  assert.match(assertError(r.json, 'conflict').message, /统一社会信用代码已登记/);

  // The audit keeps what was created.
  const log = await get('auditor', '/api/v1/audit?action=create&size=50');
  const row = log.json.items.find((x) => x.entity === 'enterprise' && x.record_id === String(created.id));
  assert.ok(row, 'create audited');
  assert.equal(JSON.parse(row.detail).after.credit_code, code);
});

test('updates need the current version (409 when stale) and are audited with before and after', async () => {
  const code = withCredit('91350200MA8TEXT02');
  let r = await post('province', '/api/v1/enterprises', { credit_code: code, name: '厦门版本测试有限公司', kinds: ['owner'], org_code: '3502' });
  assert.equal(r.status, 201, r.text);
  const ent = r.json;
  r = await put('province', `/api/v1/enterprises/${ent.id}`, { version: 1, address: '思明区新地址9号' });
  assert.equal(r.status, 200, r.text);
  assert.equal(r.json.version, 2);
  assert.equal(r.json.address, '思明区新地址9号');
  r = await put('province', `/api/v1/enterprises/${ent.id}`, { version: 1, address: '过期的修改' });
  assert.equal(r.status, 409);
  assertError(r.json, 'conflict');
  assert.equal((await get('province', `/api/v1/enterprises/${ent.id}`)).json.address, '思明区新地址9号');
  // Sending back what GET answered works (read-only members ignored).
  const whole = (await get('province', `/api/v1/enterprises/${ent.id}`)).json;
  r = await put('province', `/api/v1/enterprises/${ent.id}`, { ...whole, name: '厦门版本测试二有限公司' });
  assert.equal(r.status, 200, r.text);
  assert.equal(r.json.version, 3);
  r = await put('province', `/api/v1/enterprises/${ent.id}`, { address: 'x' });
  assert.equal(r.status, 400);
  assert.ok(assertError(r.json, 'invalid').fields.version);
  // Taking another enterprise's credit code is a conflict.
  const other = (await all('province', '/api/v1/enterprises'))[0];
  r = await put('province', `/api/v1/enterprises/${ent.id}`, { version: 3, credit_code: other.credit_code });
  assert.equal(r.status, 409);

  const log = await get('auditor', '/api/v1/audit?action=update&size=50');
  const row = log.json.items.find((x) => x.entity === 'enterprise' && x.record_id === String(ent.id) && JSON.parse(x.detail).version === 2);
  assert.ok(row, 'update audited');
  assert.deepEqual(JSON.parse(row.detail).before, { address: '' });
  assert.deepEqual(JSON.parse(row.detail).after, { address: '思明区新地址9号' });

  // Persons likewise.
  const id = withResident('35010219750101' + '031');
  r = await post('province', '/api/v1/persons', { name: '版本测试', id_number: id, enterprise_id: ent.id });
  assert.equal(r.status, 201, r.text);
  const p = r.json;
  r = await put('province', `/api/v1/persons/${p.id}`, { version: 1, phone: '13800001111' });
  assert.equal(r.status, 200, r.text);
  assert.equal(r.json.phone_mask, '138****1111');
  r = await put('province', `/api/v1/persons/${p.id}`, { version: 1, name: '改名' });
  assert.equal(r.status, 409);
  r = await put('province', `/api/v1/persons/${p.id}`, { version: 2, phone: null, status: 'inactive' });
  assert.equal(r.status, 200, r.text);
  assert.equal(r.json.phone_mask, null);
  assert.equal(r.json.status, 'inactive');
  const plog = await get('auditor', '/api/v1/audit?action=update&size=50');
  const prow = plog.json.items.find((x) => x.entity === 'person' && x.record_id === String(p.id) && JSON.parse(x.detail).version === 2);
  assert.deepEqual(JSON.parse(prow.detail), { before: { phone: null }, after: { phone: '138****1111' }, version: 2 });
  assert.ok(!plog.text.includes('13800001111'));
});

test('creating a person validates the ID number and phone; duplicates are 409', async () => {
  let r = await post('province', '/api/v1/persons', { name: '', id_number: '350102199003072115', phone: '12345' });
  assert.equal(r.status, 400);
  const e = assertError(r.json, 'invalid');
  for (const f of ['name', 'id_number', 'phone']) assert.ok(e.fields[f], `fields.${f}`);
  r = await post('province', '/api/v1/persons', { name: '某人', id_number: '350102199002302114' }); // 30 February
  assert.ok(assertError(r.json, 'invalid').fields.id_number);
  r = await post('province', '/api/v1/persons', { name: '某人', id_number: withResident('35010219900101001'), enterprise_id: 99999999 });
  assert.equal(r.status, 400);
  assert.ok(assertError(r.json, 'invalid').fields.enterprise_id);

  // A number ending in X, sent with a lower-case x; the 17th digit (even) says female.
  let id17 = '35058319920229';
  let id = '';
  for (let seq = 100; seq < 999; seq += 2) { id = withResident(id17 + String(seq)); if (id.endsWith('X')) break; }
  assert.ok(id.endsWith('X'));
  r = await post('province', '/api/v1/persons', { name: '林晓', id_number: id.toLowerCase(), phone: '15900000000' });
  assert.equal(r.status, 201, r.text);
  assert.equal(r.json.gender, 'F');
  assert.equal(r.json.id_number_mask, id.slice(0, 4) + '**********' + id.slice(14));
  assert.equal(r.json.phone_mask, '159****0000');
  assert.equal(r.json.enterprise_id, null);
  r = await post('province', '/api/v1/persons', { name: '另一人', id_number: id });
  assert.equal(r.status, 409);
  assert.match(assertError(r.json, 'conflict').message, /身份证号已登记/);
});

test('qualifications and certificates are added, flagged when expired, and removed (kept as deleted)', async () => {
  const ent = (await all('province', '/api/v1/enterprises?kind=contractor'))[0];
  let r = await post('province', `/api/v1/enterprises/${ent.id}/qualifications`, {
    category: '施工总承包·水利水电工程', grade: '一级', certificate_no: 'D135999001', issued_on: '2015-01-01', expires_on: '2020-01-01',
  });
  assert.equal(r.status, 201, r.text);
  assert.equal(r.json.expired, true);
  const q = r.json;
  r = await post('province', `/api/v1/enterprises/${ent.id}/qualifications`, { category: 'x', grade: '超级', certificate_no: '', expires_on: '2020-02-30' });
  assert.equal(r.status, 400);
  const e = assertError(r.json, 'invalid');
  for (const f of ['grade', 'certificate_no', 'expires_on']) assert.ok(e.fields[f], `fields.${f}`);
  assert.ok((await get('province', `/api/v1/enterprises/${ent.id}`)).json.qualifications.some((x) => x.id === q.id));
  r = await del('province', `/api/v1/enterprises/${ent.id}/qualifications/${q.id}`);
  assert.equal(r.status, 200, r.text);
  assert.ok(!(await get('province', `/api/v1/enterprises/${ent.id}`)).json.qualifications.some((x) => x.id === q.id));
  assert.equal((await del('province', `/api/v1/enterprises/${ent.id}/qualifications/${q.id}`)).status, 404);
  assert.equal(sql(`SELECT status FROM enterprise_qualification WHERE id = ${q.id}`), 'deleted', 'not hard-deleted');

  const person = (await all('province', '/api/v1/persons'))[5];
  r = await post('province', `/api/v1/persons/${person.id}/certificates`, {
    kind: 'safety_b', certificate_no: '闽建安B99990001', issued_on: '2025-01-01', expires_on: '2028-01-01',
  });
  assert.equal(r.status, 201, r.text);
  assert.equal(r.json.expired, false);
  r = await post('province', `/api/v1/persons/${person.id}/certificates`, { kind: 'wizard', certificate_no: 'x', expires_on: '2028-01-01' });
  assert.ok(assertError(r.json, 'invalid').fields.kind);
  const cert = (await get('province', `/api/v1/persons/${person.id}`)).json.certificates.find((c) => c.certificate_no === '闽建安B99990001');
  assert.ok(cert);
  assert.equal((await del('province', `/api/v1/persons/${person.id}/certificates/${cert.id}`)).status, 200);
  assert.ok(!(await get('province', `/api/v1/persons/${person.id}`)).json.certificates.some((c) => c.id === cert.id));
  // Inspectors read but do not write.
  r = await post('gulou', `/api/v1/persons/${person.id}/certificates`, { kind: 'safety_b', certificate_no: 'x', expires_on: '2028-01-01' });
  assert.equal(r.status, 403);
});

test('an enterprise user sees its own enterprise and persons, and 404 for everything else', async () => {
  const me = s.contractor.user;
  assert.ok(me.enterprise_id > 0, 'the demo contractor is bound to an enterprise');
  const mine = await all('contractor', '/api/v1/enterprises');
  assert.deepEqual(mine.map((e) => [e.id, e.name]), [[me.enterprise_id, '福建榕建工程有限公司']]);
  assert.equal((await get('contractor', `/api/v1/enterprises/${me.enterprise_id}`)).status, 200);
  const everything = await all('province', '/api/v1/enterprises');
  const other = everything.find((e) => e.name === '福建闽江建设工程有限公司');
  let r = await get('contractor', `/api/v1/enterprises/${other.id}`);
  assert.equal(r.status, 404);
  assert.deepEqual(r.json, (await get('contractor', '/api/v1/enterprises/99999999')).json, 'as if it did not exist');

  const persons = await all('contractor', '/api/v1/persons');
  const expected = await all('province', `/api/v1/persons?enterprise_id=${me.enterprise_id}`);
  assert.ok(persons.length > 0);
  assert.deepEqual(persons.map((p) => p.id), expected.map((p) => p.id));
  assert.ok(persons.every((p) => p.enterprise_id === me.enterprise_id));
  assert.deepEqual(await all('contractor', `/api/v1/persons?enterprise_id=${other.id}`), [], 'a filter cannot widen the scope');
  const stranger = (await all('province', `/api/v1/persons?enterprise_id=${other.id}`))[0];
  assert.equal((await get('contractor', `/api/v1/persons/${stranger.id}`)).status, 404);
  // The enterprise admin may reveal its own staff's numbers, not others'.
  assert.equal((await post('contractor', `/api/v1/persons/${persons[0].id}/reveal`, { field: 'id_number' })).status, 200);
  assert.equal((await post('contractor', `/api/v1/persons/${stranger.id}/reveal`, { field: 'id_number' })).status, 404);

  // Writes: its own enterprise (not the credit code), its own staff; 404 outside.
  const own = (await get('contractor', `/api/v1/enterprises/${me.enterprise_id}`)).json;
  r = await put('contractor', `/api/v1/enterprises/${own.id}`, { version: own.version, address: '鼓楼区五四路100号' });
  assert.equal(r.status, 200, r.text);
  r = await put('contractor', `/api/v1/enterprises/${own.id}`, { version: own.version + 1, credit_code: withCredit('91350102MA8TEXT03') });
  assert.equal(r.status, 403);
  assertError(r.json, 'forbidden');
  r = await put('contractor', `/api/v1/enterprises/${own.id}`, { version: own.version + 1, credit_code: own.credit_code, legal_rep: '王五' });
  assert.equal(r.status, 200, 'the unchanged credit code may come back');
  r = await put('contractor', `/api/v1/enterprises/${other.id}`, { version: other.version, address: 'x' });
  assert.equal(r.status, 404);
  r = await post('contractor', `/api/v1/enterprises/${other.id}/qualifications`, { category: 'x', grade: '一级', certificate_no: 'x', expires_on: '2030-01-01' });
  assert.equal(r.status, 404);
  r = await post('contractor', `/api/v1/enterprises/${own.id}/qualifications`, { category: '专业承包·地基基础工程', grade: '二级', certificate_no: 'D135000777', expires_on: '2030-01-01' });
  assert.equal(r.status, 201, r.text);
  r = await post('contractor', '/api/v1/enterprises', { credit_code: withCredit('91350102MA8TEXT04'), name: '自建企业', kinds: ['owner'], org_code: '3501' });
  assert.equal(r.status, 403);

  r = await post('contractor', '/api/v1/persons', { name: '本企业员工', id_number: withResident('35010219950505' + '011') });
  assert.equal(r.status, 201, r.text);
  assert.equal(r.json.enterprise_id, me.enterprise_id);
  r = await post('contractor', '/api/v1/persons', { name: '他企业员工', id_number: withResident('35010219950505' + '021'), enterprise_id: other.id });
  assert.equal(r.status, 400);
  assert.ok(assertError(r.json, 'invalid').fields.enterprise_id);
  r = await put('contractor', `/api/v1/persons/${stranger.id}`, { version: stranger.version, name: 'x' });
  assert.equal(r.status, 404);
  const p = persons[0];
  r = await put('contractor', `/api/v1/persons/${p.id}`, { version: p.version, enterprise_id: other.id });
  assert.equal(r.status, 403);
});

test('an enterprise lists exactly the projects it takes part in, and never another contractor\'s', async () => {
  const me = s.contractor.user;
  const projects = await all('contractor', '/api/v1/projects');
  const parties = sql(`SELECT DISTINCT project_id FROM project_party WHERE enterprise_id = ${me.enterprise_id} ORDER BY project_id`)
    .split('\n').filter(Boolean).map(Number);
  assert.ok(parties.length >= 2, 'the seed links the contractor to a handful of projects');
  assert.deepEqual(projects.map((p) => p.id).sort((a, b) => a - b), parties);
  assert.ok(projects.every((p) => p.org_code === '350102' && p.contractor_name === '福建榕建工程有限公司'));
  for (const p of projects) assert.equal((await get('contractor', `/api/v1/projects/${p.id}`)).status, 200);

  const everything = await all('province', '/api/v1/projects');
  const rivals = everything.filter((p) => p.contractor_name === '福建闽江建设工程有限公司');
  assert.ok(rivals.length > 0, 'a second contractor builds other 鼓楼 projects');
  for (const p of rivals) {
    const r = await get('contractor', `/api/v1/projects/${p.id}`);
    assert.equal(r.status, 404);
    assertError(r.json, 'not_found');
  }
  // The 鼓楼 inspector sees both contractors' projects.
  const gulou = new Set((await all('gulou', '/api/v1/projects')).map((p) => p.id));
  for (const p of [...projects, ...rivals]) assert.ok(gulou.has(p.id));
  // Every project has its contractor and supervisor among its parties.
  assert.equal(Number(sql("SELECT COUNT(*) FROM project p WHERE NOT EXISTS (SELECT 1 FROM project_party pp WHERE pp.project_id = p.id AND pp.role = 'contractor')")), 0);
  assert.equal(Number(sql("SELECT COUNT(*) FROM project p WHERE NOT EXISTS (SELECT 1 FROM project_party pp WHERE pp.project_id = p.id AND pp.role = 'supervisor_firm')")), 0);
});

test('names by ids: ?ids= lists exactly those in the caller\'s scope; malformed or more than 100 is 400', async () => {
  const ents = sql('SELECT id FROM enterprise ORDER BY id LIMIT 3').split('\n').map(Number);
  let r = await get('province', `/api/v1/enterprises?ids=${ents.join(',')}&size=100`);
  assert.equal(r.status, 200, r.text);
  assert.deepEqual(r.json.items.map((e) => e.id), ents);
  const own = s.contractor.user.enterprise_id;
  r = await get('contractor', `/api/v1/enterprises?ids=${[...ents, own].join(',')}&size=100`);
  assert.deepEqual(r.json.items.map((e) => e.id), [own], 'an enterprise user: its own only');
  const people = sql('SELECT id FROM person ORDER BY id LIMIT 2').split('\n').map(Number);
  r = await get('province', `/api/v1/persons?ids=${people.join(',')}&size=100`);
  assert.equal(r.status, 200, r.text);
  assert.deepEqual(r.json.items.map((p) => p.id), people);
  for (const bad of ['', 'x', '1,,2', '-1', '1;2', Array.from({ length: 101 }, (_, i) => i + 1).join(',')]) {
    r = await get('province', `/api/v1/enterprises?ids=${encodeURIComponent(bad)}`);
    assert.equal(r.status, 400, `${bad}: ${r.text}`);
    assert.ok(assertError(r.json, 'invalid').fields.ids, bad);
    r = await get('province', `/api/v1/persons?ids=${encodeURIComponent(bad)}`);
    assert.equal(r.status, 400, `${bad}: ${r.text}`);
  }
});
