// seed-demo --scale county|city|province --seed N: provincial-scale demo data (docs/demo-data.md).
// County scale (1/100) on two fresh databases: the same rows from the same seed, the counts of the
// scale, valid check digits, regions of Fujian, units whose areas are positive and add up, and
// records the entity engine serves; every state of the process with consistent dates, registration
// numbers, counters and workflow rows, and a seeded open task a station completes through the API.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mkdtempSync, rmSync, mkdirSync, copyFileSync, chmodSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freshDatabase, runVerb } from './lib/harness.mjs';
import { dbExec, spawnServe, run } from './lib/checks.mjs';
import { createRequire } from 'node:module';
import { session, as, loginKey } from './lib/auth.mjs';

const { sm2 } = createRequire(import.meta.url)('sm-crypto');

const cleanups = [];
after(() => { for (const f of cleanups.reverse()) f(); });

/** A fresh, migrated database; keyFrom: a data dir whose field key to use (same blind indexes). */
function fixture(keyFrom) {
  const dir = mkdtempSync(join(tmpdir(), 'jianguan-seed-'));
  const db = freshDatabase(dir);
  cleanups.push(() => { db.drop(); rmSync(dir, { recursive: true, force: true }); });
  const data = join(dir, 'data');
  if (keyFrom) {
    mkdirSync(join(data, 'keys'), { recursive: true, mode: 0o700 });
    copyFileSync(join(keyFrom, 'keys', 'field.key'), join(data, 'keys', 'field.key'));
    chmodSync(join(data, 'keys', 'field.key'), 0o600);
  }
  const env = { JIANGUAN_DATABASE: db.url, JIANGUAN_DATA_DIR: data, JIANGUAN_LOG_LEVEL: 'warn' };
  const r = runVerb(env, 'migrate');
  assert.equal(r.status, 0, r.stderr);
  return { dir, data, url: db.url, env };
}

function seed(f, ...args) {
  const r = runVerb(f.env, 'seed-demo', ...args);
  assert.equal(r.status, 0, r.stderr);
  return r;
}

const q = (f, sql) => dbExec(f.url, sql).trim();
const rows = (f, sql) => q(f, sql).split('\n').filter((l) => l !== '').map((l) => l.split('|'));
const count = (f, table) => Number(q(f, `SELECT COUNT(*) FROM ${table}`));

// What the digest covers: every generated column except the seals' random parts (*_enc and the
// sealed contact phone) and the registry's base rows' timestamps (the time of seeding).
const DIGEST = [
  'SELECT id, credit_code, name, kinds, org_code, legal_rep, address, status FROM enterprise ORDER BY id',
  'SELECT id, enterprise_id, category, grade, certificate_no, issued_on, expires_on FROM enterprise_qualification ORDER BY id',
  'SELECT id, name, id_number_bidx, id_number_mask, phone_bidx, phone_mask, gender, enterprise_id FROM person ORDER BY id',
  'SELECT id, person_id, kind, certificate_no, specialty, issued_on, expires_on FROM person_certificate ORDER BY id',
  'SELECT id, state, created_at, updated_at, version, project_name, project_kind, org_code, address, applicant_id,'
    + ' owner_id, contractor_id, supervisor_firm_id, designer_id, surveyor_id, total_area, cost, planned_start_on,'
    + ' planned_finish_on, permit_no, permit_on, contact_name, contact_phone__bidx, contact_phone__mask,'
    + ' received_on, registration_no, issued_on FROM e_registration ORDER BY id',
  'SELECT * FROM e_registration__units ORDER BY id',
  'SELECT * FROM e_registration__persons ORDER BY id',
  'SELECT * FROM e_registration__hazards ORDER BY id',
  'SELECT * FROM e_registration__contracts ORDER BY id',
  'SELECT * FROM registration_counter ORDER BY series',
  'SELECT id, key, entity, record_id, org_code, enterprise_id, state, started_by, started_at FROM flow_instance ORDER BY id',
  'SELECT id, instance_id, token_id, node, name, state, candidate_roles, org_code, enterprise_id, created_at, due_at,'
    + ' done_at, action, opinion, from_task_id FROM flow_task ORDER BY id',
  'SELECT * FROM flow_token ORDER BY id',
  'SELECT id, instance_id, task_id, node, action, opinion, at FROM flow_log ORDER BY id',
];
const digest = (f) => {
  const h = createHash('sha256');
  for (const sql of DIGEST) h.update(q(f, sql) + '\n--\n');
  return h.digest('hex');
};

// GB 32100-2015: weights 3^i mod 31 over the alphabet without I O S V Z (as src/platform/idcheck.c).
const CREDIT = '0123456789ABCDEFGHJKLMNPQRTUWXY';
function creditOk(code) {
  if (!/^[0-9A-HJ-NP-RTUWXY]{18}$/.test(code)) return false;
  let sum = 0;
  let w = 1;
  for (let i = 0; i < 17; i++) { sum += CREDIT.indexOf(code[i]) * w; w = (w * 3) % 31; }
  return CREDIT[(31 - (sum % 31)) % 31] === code[17];
}
// GB 11643-1999: ISO 7064 MOD 11-2, and a real birth date.
function residentOk(id) {
  if (!/^\d{17}[\dX]$/.test(id)) return false;
  let sum = 0;
  for (let i = 0; i < 17; i++) sum += Number(id[i]) * (2 ** (17 - i) % 11);
  const y = Number(id.slice(6, 10)), m = Number(id.slice(10, 12)), d = Number(id.slice(12, 14));
  const birth = new Date(Date.UTC(y, m - 1, d));
  return '10X98765432'[sum % 11] === id[17] && birth.getUTCMonth() === m - 1 && birth.getUTCDate() === d;
}

test('seed-demo --scale county --seed 7 gives the same rows on two fresh databases, at 1/100 of the province', () => {
  const a = fixture();
  const t0 = Date.now();
  seed(a, '--scale', 'county', '--seed', '7');
  const took = Date.now() - t0;
  // b: the base demo data first, then the scale on top (the base part is idempotent).
  const b = fixture(a.data);
  seed(b);
  const base = { enterprise: count(b, 'enterprise'), person: count(b, 'person') };
  assert.equal(count(b, 'e_registration'), 0);
  seed(b, '--scale', 'county', '--seed', '7');

  assert.equal(digest(a), digest(b), 'same seed, same rows');
  assert.equal(count(a, 'enterprise') - base.enterprise, 200);
  assert.equal(count(a, 'person') - base.person, 2000);
  assert.equal(count(a, 'e_registration'), 1000);
  assert.equal(count(a, 'e_registration__persons'), 9 * 1000, 'nine persons a record');
  const units = count(a, 'e_registration__units');
  assert.ok(units >= 1000 && units <= 6000, `units ${units}`);
  assert.equal(count(a, 'e_registration__contracts'), 2000);

  // Running it again adds nothing; another seed gives other rows.
  seed(a, '--scale', 'county', '--seed', '7');
  assert.equal(count(a, 'e_registration'), 1000);
  assert.equal(count(a, 'enterprise') - base.enterprise, 200);
  const c = fixture(a.data);
  seed(c, '--scale', 'county', '--seed', '8');
  assert.notEqual(digest(c), digest(a));
  assert.ok(took < 60000, `county scale took ${took} ms`);
});

test('seed-demo refuses an unknown scale or a bad seed (exit 2)', () => {
  for (const args of [['--scale', 'town'], ['--scale'], ['--scale', 'county', '--seed', 'x'],
    ['--scale', 'county', '--seed', '-1'], ['--seed']]) {
    const r = run({ JIANGUAN_DATABASE: 'sqlite:/nonexistent/never.db' }, ['seed-demo', ...args]);
    assert.equal(r.status, 2, `${args.join(' ')}: ${r.stderr}`);
    assert.match(r.stderr, /seed-demo/);
  }
});

test('generated codes pass their check digits; regions are counties of Fujian; units add up', async () => {
  const f = fixture();
  seed(f, '--scale', 'county', '--seed', '7');

  const codes = rows(f, 'SELECT credit_code, org_code FROM enterprise');
  assert.ok(codes.length >= 200);
  for (const [code, org] of codes) {
    assert.ok(creditOk(code), `credit code ${code}`);
    if (org.length === 6) assert.equal(code.slice(2, 8), org, `${code} of ${org}`);
  }
  // A wrong check character is caught by the same check (the test can fail).
  const [c0] = codes[0];
  assert.equal(creditOk(c0.slice(0, 17) + (c0[17] === '0' ? '1' : '0')), false);

  // Counties: the regions below the cities, and 平潭 (a city-level unit with a county code); not 金门.
  const counties = new Set(rows(f, "SELECT code FROM org WHERE level = 'county' AND hidden = 0").map((r) => r[0]));
  counties.add('350128');
  assert.ok(counties.size > 80);
  const byCity = {};
  for (const [org, n] of rows(f, 'SELECT org_code, COUNT(*) FROM e_registration GROUP BY org_code')) {
    assert.ok(counties.has(org), `region ${org}`);
    const city = org === '350128' ? org : org.slice(0, 4);
    byCity[city] = (byCity[city] || 0) + Number(n);
  }
  // Spread over all ten by population: 泉州 and 福州 lead, every city has some.
  for (const city of ['3501', '3502', '3503', '3504', '3505', '3506', '3507', '3508', '3509']) {
    assert.ok(byCity[city] > 20, `${city}: ${byCity[city]}`);
  }
  assert.ok(byCity['3505'] > byCity['3504'] * 2 && byCity['3501'] > byCity['3507'] * 2, JSON.stringify(byCity));

  assert.equal(q(f, 'SELECT COUNT(*) FROM e_registration__units WHERE area IS NULL OR area <= 0'), '0');
  assert.equal(q(f, 'SELECT COUNT(*) FROM e_registration r WHERE total_area <> (SELECT SUM(area) FROM'
    + ' e_registration__units u WHERE u.parent_id = r.id)'), '0', 'units add up to the total area');
  assert.equal(q(f, "SELECT COUNT(*) FROM e_registration WHERE planned_finish_on <= planned_start_on"
    + " OR (state = 'registered' AND (permit_no IS NULL OR permit_on < issued_on))"
    + " OR (state <> 'registered' AND permit_no IS NOT NULL)"), '0');
  assert.equal(q(f, 'SELECT COUNT(*) FROM person_certificate WHERE issued_on >= expires_on'), '0');
  assert.ok(Number(q(f, "SELECT COUNT(*) FROM person_certificate WHERE expires_on < '2026-11-01'")) > 0, 'some expired');
  // No project manager or chief supervisor leads two projects at once.
  const overlap = q(f, "SELECT COUNT(*) FROM e_registration__persons p1 JOIN e_registration r1 ON r1.id = p1.parent_id"
    + " JOIN e_registration__persons p2 ON p2.person_id = p1.person_id AND p2.person_role = p1.person_role"
    + " AND p2.parent_id > p1.parent_id JOIN e_registration r2 ON r2.id = p2.parent_id"
    + " WHERE p1.person_role IN ('project_manager', 'chief_supervisor')"
    + ' AND r1.planned_start_on <= r2.planned_finish_on AND r2.planned_start_on <= r1.planned_finish_on');
  assert.equal(overlap, '0');

  // Through the server: ID numbers revealed pass GB 11643 and start with a Fujian county; records
  // are served by the entity engine with their child rows and the contact phone masked.
  const srv = await spawnServe({ ...f.env, JIANGUAN_LOG_LEVEL: 'info', JIANGUAN_LISTEN: '127.0.0.1:0', JIANGUAN_WEB_DIR: f.dir });
  cleanups.push(() => srv.stop());
  const s = await session(srv, 'province');
  const sample = rows(f, 'SELECT id, gender FROM person ORDER BY id DESC LIMIT 25');
  for (const [id, gender] of sample) {
    const r = await as(srv, s, `/api/v1/persons/${id}/reveal`, { method: 'POST', body: { field: 'id_number' } });
    assert.equal(r.status, 200, r.text);
    const idn = r.json.value;
    assert.ok(residentOk(idn), `ID number ${idn}`);
    assert.ok(counties.has(idn.slice(0, 6)), `home county of ${idn}`);
    assert.equal(Number(idn[16]) % 2 === 1 ? 'M' : 'F', gender);
  }
  const ids = rows(f, 'SELECT id FROM e_registration ORDER BY id DESC LIMIT 3').map((r) => r[0]);
  for (const id of ids) {
    const r = await as(srv, s, `/api/v1/records/registration/${id}`);
    assert.equal(r.status, 200, r.text);
    const rec = r.json.record ?? r.json;
    assert.ok(rec.units.length >= 1);
    assert.ok(rec.units.every((u) => Number(u.area) > 0));
    assert.equal(rec.persons.length, 9);
    assert.match(String(rec.contact_phone), /^1\d{2}(\*{4}\d{4}|\d{8})$/);
  }
  const list = await as(srv, s, '/api/v1/records/registration?size=1');
  assert.equal(list.status, 200, list.text);
  assert.ok(list.json.total >= 1000);
});

// Seed 14 at county scale has every state (the in-process ones are about 1 % of the records; other
// seeds may lack one of them at this scale).
test('every state of the process, with the dates, numbers, counters and workflow rows the process leaves', async () => {
  const f = fixture();
  seed(f, '--scale', 'county', '--seed', '14');
  const states = Object.fromEntries(rows(f, 'SELECT state, COUNT(*) FROM e_registration GROUP BY state').map(([s, n]) => [s, Number(n)]));
  for (const s of ['draft', 'submitted', 'accepted', 'returned', 'registered']) assert.ok(states[s] > 0, `${s}: ${JSON.stringify(states)}`);
  assert.ok(states.registered > 900 && states.draft < 60, JSON.stringify(states));

  // received_on: the day of declaration for all but drafts; registered ones have their number and
  // issue date, the others none.
  assert.equal(q(f, "SELECT COUNT(*) FROM e_registration WHERE (state = 'draft') <> (received_on IS NULL)"
    + ' OR received_on <> substr(created_at, 1, 10)'), '0');
  assert.equal(q(f, "SELECT COUNT(*) FROM e_registration WHERE (state = 'registered') <> (registration_no IS NOT NULL)"
    + " OR (state = 'registered') <> (issued_on IS NOT NULL) OR issued_on <= received_on OR updated_at < created_at"), '0');
  // Numbers: <station>-<year of issue>-<5 digits>, unique, in the order of issue within a series, and
  // each series' counter at its last number.
  const nos = rows(f, "SELECT registration_no, org_code, issued_on FROM e_registration WHERE state = 'registered' ORDER BY issued_on, id");
  const last = {};
  for (const [no, org, issued] of nos) {
    const m = /^(\d{6})-(\d{4})-(\d{5})$/.exec(no);
    assert.ok(m, no);
    assert.equal(m[1], org);
    assert.equal(m[2], issued.slice(0, 4));
    const series = `${m[1]}-${m[2]}-`;
    assert.equal(Number(m[3]), (last[series] ?? 0) + 1, `${no} after ${last[series]}`);
    last[series] = Number(m[3]);
  }
  const counters = Object.fromEntries(rows(f, 'SELECT series, last_no FROM registration_counter').map(([s, n]) => [s, Number(n)]));
  assert.deepEqual(counters, last);

  // Workflow rows: one running instance of each record in the process, one open task at the step
  // of its state with a token there; none for drafts and registered records.
  assert.equal(q(f, "SELECT COUNT(*) FROM e_registration r WHERE state IN ('submitted', 'accepted', 'returned') AND"
    + " (SELECT COUNT(*) FROM flow_instance i WHERE i.entity = 'registration' AND i.record_id = r.id AND i.state = 'running') <> 1"), '0');
  assert.equal(q(f, "SELECT COUNT(*) FROM flow_instance i JOIN e_registration r ON r.id = i.record_id WHERE r.state IN ('draft', 'registered')"), '0');
  const open = rows(f, "SELECT r.state, t.node, t.candidate_roles, CASE WHEN t.org_code = r.org_code THEN 1 ELSE 0 END,"
    + ' CASE WHEN t.enterprise_id = r.applicant_id THEN 1 ELSE 0 END, CASE WHEN k.node = t.node THEN 1 ELSE 0 END FROM flow_task t JOIN flow_instance i ON i.id = t.instance_id JOIN e_registration r ON r.id = i.record_id'
    + " LEFT JOIN flow_token k ON k.id = t.token_id WHERE t.state = 'open' ORDER BY t.id");
  assert.equal(open.length, states.submitted + states.accepted + states.returned);
  const step = { submitted: ['Accept', ',clerk,station_chief,'], accepted: ['Register', ',station_chief,'], returned: ['Correct', ''] };
  for (const [state, node, roles, sameOrg, sameEnt, tokenThere] of open) {
    assert.deepEqual([node, roles], step[state], state);
    assert.equal(tokenThere, '1');
    if (state === 'returned') assert.equal(sameEnt, '1'); else assert.equal(sameOrg, '1');
  }
  assert.equal(q(f, "SELECT COUNT(*) FROM flow_log l JOIN flow_instance i ON i.id = l.instance_id WHERE l.action = 'service:registration.receive'"
    + " AND l.opinion = '收件日期 ' || (SELECT received_on FROM e_registration WHERE id = i.record_id)"),
  String(states.submitted + states.accepted + states.returned), 'a receipt line for each, dated the received day');

  // Through the API: a station chief of the county of a seeded submitted record finds it in the
  // 待办 and takes it through 受理 and 登记; the number follows the station's counter.
  const [rid, org] = rows(f, "SELECT id, org_code FROM e_registration WHERE state = 'submitted' ORDER BY id LIMIT 1")[0];
  const srv = await spawnServe({ ...f.env, JIANGUAN_LOG_LEVEL: 'info', JIANGUAN_LISTEN: '127.0.0.1:0', JIANGUAN_WEB_DIR: f.dir, JIANGUAN_CAPTCHA: 'off',
    JIANGUAN_AUTH_RATE_PER_MINUTE: '100000' });
  cleanups.push(() => srv.stop());
  const admin = await session(srv, 'admin');
  const secadmin = await session(srv, 'secadmin');
  const dept = Number(q(f, `SELECT id FROM department WHERE code = '${org}-station'`));
  let r = await as(srv, admin, '/api/v1/users', { method: 'POST', body: { username: 'seed_chief', display_name: '站长', kind: 'government', department_id: dept } });
  assert.equal(r.status, 201, r.text);
  const uid = r.json.user.id, initial = r.json.initial_password;
  r = await as(srv, secadmin, `/api/v1/users/${uid}/role`, { method: 'POST', body: { role: 'station_chief' } });
  assert.equal(r.status, 200, r.text);
  const s0 = await session(srv, 'seed_chief', initial);
  const key = await loginKey(srv);
  r = await as(srv, s0, '/api/v1/auth/password', { method: 'POST', body: { old_password: sm2.doEncrypt(initial, key, 1), new_password: sm2.doEncrypt('Fresh@2026pw', key, 1) } });
  assert.equal(r.status, 200, r.text);
  const chief = await session(srv, 'seed_chief', 'Fresh@2026pw');
  const todo = async () => (await as(srv, chief, '/api/v1/flow/tasks?box=todo&size=100')).json.items.filter((t) => String(t.record_id) === rid);
  const year = new Date(Date.now() + 8 * 3600e3).toISOString().slice(0, 4);
  const before = Number(q(f, `SELECT COALESCE(MAX(last_no), 0) FROM registration_counter WHERE series = '${org}-${year}-'`));
  for (const [node, action] of [['Accept', 'accept'], ['Register', 'register']]) {
    const tasks = await todo();
    assert.deepEqual(tasks.map((t) => t.node), [node]);
    r = await as(srv, chief, `/api/v1/flow/tasks/${tasks[0].id}/complete`, { method: 'POST', body: { version: tasks[0].version, action, opinion: '同意' } });
    assert.equal(r.status, 200, r.text);
  }
  const rec = (await as(srv, chief, `/api/v1/records/registration/${rid}`)).json;
  assert.equal(rec.state, 'registered');
  assert.equal(rec.registration_no, `${org}-${year}-${String(before + 1).padStart(5, '0')}`);
  assert.equal(rec.received_on, q(f, `SELECT substr(created_at, 1, 10) FROM e_registration WHERE id = ${rid}`), 'the first receipt stays');
  assert.equal(q(f, `SELECT COUNT(*) FROM e_registration WHERE registration_no = '${rec.registration_no}'`), '1');
  assert.equal(q(f, `SELECT state FROM flow_instance WHERE entity = 'registration' AND record_id = ${rid}`), 'completed');
});
