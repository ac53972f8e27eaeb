// One numbering mechanism (platform/counter.h): 责令改正通知单, 记分告知单 and registration numbers are
// taken from a counter row per series in the issuing transaction. Orders and registrations issued
// at once get distinct, consecutive numbers; a series first counted after numbers were given by the
// old MAX + 1 goes on after the highest.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startServer } from './lib/harness.mjs';
import { dbExec } from './lib/checks.mjs';
import { session, as } from './lib/auth.mjs';

let srv;
const s = {};
const sql = (q) => dbExec(srv.env.JIANGUAN_DATABASE, q).trim();
const post = (who, path, body) => as(srv, s[who], path, { method: 'POST', body });
let own;
let owner;
let project;
const year = () => new Date(Date.now() + 8 * 3600e3).toISOString().slice(0, 4);

before(async () => {
  srv = await startServer({ projects: 5, env: { JIANGUAN_CAPTCHA: 'off', JIANGUAN_AUTH_RATE_PER_MINUTE: '100000' } });
  for (const u of ['contractor', 'gulou_chief', 'gulou']) s[u] = await session(srv, u);
  own = s.contractor.user.enterprise_id;
  owner = Number(sql(`SELECT id FROM enterprise WHERE id <> ${own} ORDER BY id LIMIT 1`));
  project = Number(sql(`SELECT id FROM project ORDER BY CASE WHEN org_code = '350102' THEN 0 ELSE 1 END, id LIMIT 1`));
});
after(async () => { assert.equal(await srv.stop(), 0, srv.stderr()); });

function task(entity, id, node) {
  const row = sql(`SELECT t.id, t.version FROM flow_task t JOIN flow_instance i ON i.id = t.instance_id` +
    ` WHERE i.entity = '${entity}' AND i.record_id = ${id} AND t.node = '${node}' AND t.state = 'open'`);
  assert.ok(row && !row.includes('\n'), `one open task ${node} on ${entity} ${id}: ${row}`);
  const [tid, version] = row.split('|').map(Number);
  return { id: tid, version };
}
const complete = (who, t, action) => post(who, `/api/v1/flow/tasks/${t.id}/complete`, { version: t.version, action });

/** n rectification orders of 鼓楼 submitted to 审核. */
async function orders(n) {
  const ids = [];
  for (let i = 0; i < n; i++) {
    let r = await post('gulou', '/api/v1/records/rectification_order', {
      project_id: project, project_name: '编号测试项目', org_code: '350102', inspected_on: '2026-11-20',
      enterprise_id: own, enterprise_role: 'contractor', deadline_on: '2026-12-10', basis: 'GB 50300-2013 第5.0.4条',
      issues: [{ description: `问题 ${i}`, location: '1#楼', requirement: '立即整改' }],
    });
    assert.equal(r.status, 201, r.text);
    ids.push(r.json.id);
    r = await post('gulou', '/api/v1/flow/instances', { key: 'rectification_order', entity: 'rectification_order', record_id: r.json.id });
    assert.equal(r.status, 201, r.text);
  }
  return ids;
}
const orderNos = (ids) => ids.map((id) => sql(`SELECT order_no FROM e_rectification_order WHERE id = ${id}`));

test('责令改正通知单 approved at once: distinct consecutive numbers from the series counter', async () => {
  const ids = await orders(8);
  const rs = await Promise.all(ids.map((id) => complete('gulou_chief', task('rectification_order', id, 'Review'), 'approve')));
  for (const r of rs) assert.equal(r.status, 200, r.text);
  const series = `ZG-350102-${year()}-`;
  const nos = orderNos(ids);
  assert.equal(new Set(nos).size, 8, nos.join());
  const seqs = nos.map((x) => { assert.ok(x.startsWith(series), x); return Number(x.slice(series.length)); }).sort((a, b) => a - b);
  assert.deepEqual(seqs, [1, 2, 3, 4, 5, 6, 7, 8]);
  assert.equal(sql(`SELECT last_no FROM registration_counter WHERE series = '${series}'`), '8');
});

test('a series first counted after MAX + 1 numbering goes on after the highest number given', async () => {
  const series = `ZG-350102-${year()}-`;
  // As a database from before the counter: the numbers are there, the counter row is not.
  sql(`DELETE FROM registration_counter WHERE series = '${series}'`);
  const ids = await orders(2);
  for (const id of ids) assert.equal((await complete('gulou_chief', task('rectification_order', id, 'Review'), 'approve')).status, 200);
  assert.deepEqual(orderNos(ids).sort(), [`${series}000009`, `${series}000010`]);
  assert.equal(sql(`SELECT last_no FROM registration_counter WHERE series = '${series}'`), '10');
});

test('registrations registered at once: distinct consecutive registration numbers', async () => {
  const ids = [];
  for (let i = 0; i < 6; i++) {
    let r = await post('contractor', '/api/v1/records/registration', {
      project_name: `编号测试报监${i}`, project_kind: 'building', org_code: '350102', address: '福州市鼓楼区测试路 1 号',
      applicant_id: own, owner_id: owner, contractor_id: own, total_area: '1000.00', cost: '5000000.00',
      planned_start_on: '2026-12-01', planned_finish_on: '2028-12-31', contact_name: '李四',
      units: [{ unit_name: '1#楼', area: '1000.00' }],
    });
    assert.equal(r.status, 201, r.text);
    ids.push(r.json.id);
    r = await post('contractor', '/api/v1/flow/instances', { key: 'registration', entity: 'registration', record_id: r.json.id });
    assert.equal(r.status, 201, r.text);
    r = await complete('gulou_chief', task('registration', ids[i], 'Accept'), 'accept');
    assert.equal(r.status, 200, r.text);
  }
  const before = Number(sql(`SELECT COALESCE(MAX(last_no), 0) FROM registration_counter WHERE series = '350102-${year()}-'`));
  const rs = await Promise.all(ids.map((id) => complete('gulou_chief', task('registration', id, 'Register'), 'register')));
  for (const r of rs) assert.equal(r.status, 200, r.text);
  const nos = ids.map((id) => sql(`SELECT registration_no FROM e_registration WHERE id = ${id}`));
  assert.equal(new Set(nos).size, 6, nos.join());
  const seqs = nos.map((x) => Number(x.slice(`350102-${year()}-`.length))).sort((a, b) => a - b);
  assert.deepEqual(seqs, [1, 2, 3, 4, 5, 6].map((k) => before + k));
});
