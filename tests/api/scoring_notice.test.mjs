// The scoring definitions of defs/scoring (clause lane, issue 7): the clause library (2018 and 2025
// editions seeded, maintained through the records API, merged and retired through their one-step
// process), the 记分告知单 through its process (审核 with 退回, 编号, 下达送达, 公示 ended by its time limit,
// 异议 → 受理 → 核实 → 复核 upheld / rejected, 市级复核), readonly states refused by the records API,
// data scope (another city, another enterprise), the printed notice, and the 责令改正通知单 process.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFile, execFileSync } from 'node:child_process';
import { mkdtempSync, writeFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startServer, bin } from './lib/harness.mjs';
import { assertError, dbExec } from './lib/checks.mjs';
import { session, as } from './lib/auth.mjs';

let srv;
let work;
const s = {};
const sql = (q) => dbExec(srv.env.JIANGUAN_DATABASE, q).trim();
const post = (who, path, body) => as(srv, s[who], path, { method: 'POST', body });
const put = (who, path, body) => as(srv, s[who], path, { method: 'PUT', body });
const get = (who, path) => as(srv, s[who], path);
let own; // the demo contractor's enterprise
let other; // another enterprise
let project; // a project in 鼓楼

before(async () => {
  srv = await startServer({ projects: 20, env: { JIANGUAN_CAPTCHA: 'off', JIANGUAN_AUTH_RATE_PER_MINUTE: '100000' } });
  for (const u of ['contractor', 'gulou_chief', 'gulou', 'fuzhou', 'province', 'xiamen']) s[u] = await session(srv, u);
  own = s.contractor.user.enterprise_id;
  other = Number(sql(`SELECT id FROM enterprise WHERE id <> ${own} ORDER BY id LIMIT 1`));
  project = Number(sql(`SELECT id FROM project ORDER BY CASE WHEN org_code = '350102' THEN 0 ELSE 1 END, id LIMIT 1`));
  work = mkdtempSync(join(tmpdir(), 'jg-scoring-'));
});
after(async () => {
  rmSync(work, { recursive: true, force: true });
  const code = await srv.stop();
  assert.equal(code, 0, srv.stderr().split('\n').filter((l) => !/ INFO /.test(l)).join('\n'));
});

// The tests' clock: `jianguan flow-tick --at ISO` fires what is due at that instant.
const tick = (at) => new Promise((ok, fail) => {
  execFile(bin, ['flow-tick', '--at', at], { env: { ...process.env, ...srv.env } }, (err, stdout, stderr) => {
    if (err) fail(new Error(`flow-tick: ${stderr}`)); else ok(Number(/fired (\d+)/.exec(stdout)[1]));
  });
});
const iso = (ms) => new Date(ms).toISOString().replace(/\.\d+Z$/, 'Z');
const D = 24 * 3600e3;
// Today in Beijing, as the server dates things.
const beijingToday = () => new Date(Date.now() + 8 * 3600e3).toISOString().slice(0, 10);

/** The one open task at node of the record's instance: { id, version, instance }. */
function task(entity, id, node) {
  const row = sql(`SELECT t.id, t.version, i.id FROM flow_task t JOIN flow_instance i ON i.id = t.instance_id` +
    ` WHERE i.entity = '${entity}' AND i.record_id = ${id} AND t.node = '${node}' AND t.state = 'open'`);
  assert.ok(row && !row.includes('\n'), `one open task ${node} on ${entity} ${id}: ${row}`);
  const [tid, version, instance] = row.split('|').map(Number);
  return { id: tid, version, instance };
}
async function complete(entity, id, node, who, action, opinion, status = 200) {
  const t = task(entity, id, node);
  const r = await post(who, `/api/v1/flow/tasks/${t.id}/complete`, { version: t.version, action, opinion });
  assert.equal(r.status, status, r.text);
  return r;
}
const record = async (entity, id, who = 'gulou') => {
  const r = await get(who, `/api/v1/records/${entity}/${id}`);
  assert.equal(r.status, 200, r.text);
  return r.json;
};
const state = (entity, id) => sql(`SELECT state FROM e_${entity} WHERE id = ${id}`);

async function draftNotice(extra = {}) {
  const r = await post('gulou', '/api/v1/records/score_notice', {
    project_id: project, project_name: '鼓楼区记分测试项目', org_code: '350102', inspection_no: 'JC20261126',
    inspected_on: '2026-11-20', enterprise_id: own, enterprise_role: 'contractor', person_role: 'project_manager',
    total_points: '11.0',
    items: [{ clause_code: '1.1.1', points: '8', fact: '项目经理连续两周未到岗' },
      { clause_code: '1.1.2', points: '3.0', fact: '检查当日项目经理无故不在岗' }],
    ...extra,
  });
  assert.equal(r.status, 201, r.text);
  return r.json;
}
async function submit(entity, id, who = 'gulou') {
  const r = await post(who, '/api/v1/flow/instances', { key: entity, entity, record_id: id });
  assert.equal(r.status, 201, r.text);
  return r.json;
}
/** A notice drafted, submitted, approved and delivered: in publicity. */
async function publicNotice(extra) {
  const n = await draftNotice(extra);
  await submit('score_notice', n.id);
  await complete('score_notice', n.id, 'Review', 'gulou_chief', 'approve', '同意');
  await complete('score_notice', n.id, 'Deliver', 'gulou', 'deliver', '已送达');
  assert.equal(state('score_notice', n.id), 'publicity');
  return n;
}

test('the clause library: both editions seeded, kept apart, maintained by the province only', async () => {
  let r = await get('gulou', '/api/v1/records/score_clause?size=500&filter=' +
    encodeURIComponent(JSON.stringify({ field: 'code', op: 'eq', value: '1.1.1' })));
  assert.equal(r.status, 200, r.text);
  assert.deepEqual(r.json.items.map((c) => c.edition).sort(), ['2018', '2025']);
  const c111 = r.json.items.find((c) => c.edition === '2018');
  assert.equal(c111.points_min, '8.0');
  assert.equal(c111.points_max, '8.0');
  assert.equal(c111.target, 'project_manager');
  assert.match(c111.text, /项目经理长期不在施工现场/);
  for (const ed of ['2018', '2025']) {
    const n = Number(sql(`SELECT count(*) FROM e_score_clause WHERE edition = '${ed}' AND state = 'active'`));
    assert.ok(n >= 30, `${ed}: ${n} clauses`);
  }
  // Only in the 2025 trial edition.
  assert.equal(sql(`SELECT edition FROM e_score_clause WHERE code = '1.1.6'`), '2025');

  // The province adds a clause; its code is unique within the edition only.
  const body = { edition: '2025', code: '9.9.1', category: 'other', text: '测试条款：其他违规行为', points_min: '1',
    points_max: '2.5', target: 'contractor', subsystem: 'inspection' };
  r = await post('province', '/api/v1/records/score_clause', body);
  assert.equal(r.status, 201, r.text);
  assert.equal(r.json.state, 'active');
  assert.equal(r.json.points_max, '2.5');
  r = await post('province', '/api/v1/records/score_clause', body);
  assert.equal(r.status, 409, r.text);
  r = await post('province', '/api/v1/records/score_clause', { ...body, edition: '2018' });
  assert.equal(r.status, 201, r.text);
  // Validation: a bad code, an unknown edition, a points value above the range.
  r = await post('province', '/api/v1/records/score_clause', { ...body, code: '9.x', points_max: '101' });
  assert.equal(r.status, 400, r.text);
  assertError(r.json, 'invalid');
  for (const f of ['code', 'points_max']) assert.ok(r.json.error.fields[f], `${f}: ${r.text}`);
  r = await post('province', '/api/v1/records/score_clause', { ...body, code: '9.9.3', edition: '2030' });
  assert.equal(r.status, 400, r.text);
  assert.ok(r.json.error.fields.edition, r.text);
  // Supervisors read the library but do not maintain it.
  r = await post('gulou', '/api/v1/records/score_clause', { ...body, code: '9.9.2' });
  assert.equal(r.status, 403, r.text);
});

test('merging and retiring clauses: checked, state by their processes, then readonly', async () => {
  const mk = async (code, extra = {}) => {
    const r = await post('province', '/api/v1/records/score_clause', { edition: '2018', code, category: 'safety',
      text: `测试条款 ${code}`, points_min: '2', points_max: '4', target: 'contractor', ...extra });
    assert.equal(r.status, 201, r.text);
    return r.json;
  };
  const a = await mk('8.1.1');
  const b = await mk('8.1.2');
  const start = (key, id, who = 'province') => post(who, '/api/v1/flow/instances', { key, entity: 'score_clause', record_id: id });

  // Merge without a target, into an unknown clause, into itself: refused, nothing changes.
  let r = await start('score_clause', b.id);
  assert.equal(r.status, 400, r.text);
  assert.match(r.json.error.message, /合并至条款/);
  for (const into of ['8.9.9', '8.1.2']) {
    const cur = await record('score_clause', b.id, 'province');
    r = await put('province', `/api/v1/records/score_clause/${b.id}`, { version: cur.version, merged_into: into });
    assert.equal(r.status, 200, r.text);
    r = await start('score_clause', b.id);
    assert.equal(r.status, 400, r.text);
  }
  assert.equal(state('score_clause', b.id), 'active');
  // An inspector may not merge (no update permission on clauses).
  r = await start('score_clause', b.id, 'gulou');
  assert.ok([403, 404].includes(r.status), r.text);

  // 8.1.2 merged into 8.1.1.
  let cur = await record('score_clause', b.id, 'province');
  r = await put('province', `/api/v1/records/score_clause/${b.id}`, { version: cur.version, merged_into: '8.1.1' });
  assert.equal(r.status, 200, r.text);
  r = await start('score_clause', b.id);
  assert.equal(r.status, 201, r.text);
  assert.equal(r.json.state, 'completed');
  cur = await record('score_clause', b.id, 'province');
  assert.equal(cur.state, 'merged');
  assert.equal(cur.merged_into, '8.1.1');
  // Merged is readonly: no update, no delete; nothing may be merged into it.
  r = await put('province', `/api/v1/records/score_clause/${b.id}`, { version: cur.version, text: '改' });
  assert.equal(r.status, 409, r.text);
  assert.match(r.json.error.message, /已合并/);
  r = await as(srv, s.province, `/api/v1/records/score_clause/${b.id}?version=${cur.version}`, { method: 'DELETE' });
  assert.equal(r.status, 409, r.text);
  const c = await mk('8.1.3', { merged_into: '8.1.2' });
  r = await start('score_clause', c.id);
  assert.equal(r.status, 400, r.text);
  assert.match(r.json.error.message, /已合并或废止/);

  // Retire: refused without a date, then retired from that date.
  r = await start('score_clause', a.id);
  assert.equal(r.status, 400, r.text);
  assert.match(r.json.error.message, /废止日期/);
  cur = await record('score_clause', a.id, 'province');
  r = await put('province', `/api/v1/records/score_clause/${a.id}`, { version: cur.version, retired_on: '2026-12-01' });
  assert.equal(r.status, 200, r.text);
  r = await start('score_clause', a.id);
  assert.equal(r.status, 201, r.text);
  cur = await record('score_clause', a.id, 'province');
  assert.equal(cur.state, 'retired');
  assert.equal(cur.retired_on, '2026-12-01');
  r = await put('province', `/api/v1/records/score_clause/${a.id}`, { version: cur.version, retired_on: '2027-01-01' });
  assert.equal(r.status, 409, r.text);
  // The history shows the state changes by the process.
  const h = (await get('province', `/api/v1/records/score_clause/${a.id}/history`)).json.items;
  assert.ok(h.some((x) => x.field === 'state' && x.new_value === 'retired'), JSON.stringify(h));
});

test('a notice: 审核 with 退回, 编号, 下达送达, 公示 ended by its time limit → effective and readonly', async () => {
  const n = await draftNotice();
  assert.equal(n.state, 'draft');
  assert.equal(n.notice_no, null);
  assert.equal(n.items.length, 2);
  assert.equal(n.items[0].points, '8.0');
  // Enterprises read notices but do not draft them.
  let r = await post('contractor', '/api/v1/records/score_notice', { project_id: project, org_code: '350102',
    inspected_on: '2026-11-20', enterprise_id: own, enterprise_role: 'contractor' });
  assert.equal(r.status, 403, r.text);

  let i = await submit('score_notice', n.id);
  assert.deepEqual(i.tasks.map((t) => t.node), ['Review']);
  assert.equal(state('score_notice', n.id), 'review');
  // In review the notice is readonly for the records API.
  let cur = await record('score_notice', n.id);
  r = await put('gulou', `/api/v1/records/score_notice/${n.id}`, { version: cur.version, remark: '改' });
  assert.equal(r.status, 409, r.text);
  assert.match(r.json.error.message, /审核中/);
  // Only the county's station chief reviews; the inspector cannot.
  const t = task('score_notice', n.id, 'Review');
  r = await post('gulou', `/api/v1/flow/tasks/${t.id}/complete`, { version: t.version, action: 'approve' });
  assert.equal(r.status, 404, r.text);

  // 退回修改: back to the drafter as a draft, editable again, then resubmitted.
  await complete('score_notice', n.id, 'Review', 'gulou_chief', 'return', '事实描述不完整');
  assert.equal(state('score_notice', n.id), 'draft');
  cur = await record('score_notice', n.id);
  r = await put('gulou', `/api/v1/records/score_notice/${n.id}`, { version: cur.version,
    items: [{ clause_code: '1.1.1', points: '8.0', fact: '项目经理2026年11月1日至14日未到岗（有考勤记录）' }], total_points: '8.0' });
  assert.equal(r.status, 200, r.text);
  await complete('score_notice', n.id, 'Revise', 'gulou', undefined, '已补充');
  assert.equal(state('score_notice', n.id), 'review');

  // 审核通过: numbered for the county and year, then 下达送达 by the inspector.
  await complete('score_notice', n.id, 'Review', 'gulou_chief', 'approve', '同意记分');
  cur = await record('score_notice', n.id);
  assert.equal(cur.state, 'issued');
  const year = beijingToday().slice(0, 4);
  assert.match(cur.notice_no, new RegExp(`^JF-350102-${year}-\\d{6}$`));
  await complete('score_notice', n.id, 'Deliver', 'gulou', 'deliver', '已当场送达');
  cur = await record('score_notice', n.id);
  assert.equal(cur.state, 'publicity');
  assert.ok(cur.publicity_until > beijingToday(), cur.publicity_until);
  assert.equal(cur.effective_on, null);

  // The enterprise sees its notice and the publicity step in its 待办.
  r = await get('contractor', '/api/v1/flow/tasks?box=todo&size=100');
  assert.ok(r.json.items.some((x) => x.entity === 'score_notice' && x.record_id === n.id && x.node === 'Publicity'), r.text);

  // Before the period ends nothing fires; after it the notice becomes effective by itself.
  const pub = task('score_notice', n.id, 'Publicity');
  await tick(iso(Date.now() + 60e3));
  assert.equal(state('score_notice', n.id), 'publicity');
  // The step's time limit ends it at the same time of day as publicity began, on publicity_until (Beijing).
  const due = sql(`SELECT due_at FROM flow_timer WHERE instance_id = ${pub.instance} AND node = 'Publicity' AND kind = 'timeout'`);
  assert.equal(new Date(Date.parse(due) + 8 * 3600e3).toISOString().slice(0, 10), cur.publicity_until);
  const end = Date.parse(due) + 60e3;
  assert.ok(await tick(iso(end)) >= 1);
  cur = await record('score_notice', n.id);
  assert.equal(cur.state, 'effective');
  assert.equal(cur.effective_on, new Date(end + 8 * 3600e3).toISOString().slice(0, 10), 'effective from the end of publicity');
  assert.equal(sql(`SELECT state FROM flow_instance WHERE id = ${pub.instance}`), 'completed');
  assert.equal(sql(`SELECT action || ':' || opinion FROM flow_task WHERE id = ${pub.id}`), 'approve:超时自动办理');
  // No 督办 is raised: nobody was late.
  assert.equal(sql(`SELECT count(*) FROM flow_notice WHERE instance_id = ${pub.instance}`), '0');
  const log = sql(`SELECT action FROM flow_log WHERE instance_id = ${pub.instance} ORDER BY id`).split('\n');
  for (const a of ['service:scoring.number', 'service:scoring.publicity', 'service:scoring.notice_effective',
    'service:scoring.effective']) assert.ok(log.includes(a), `${a} in ${log}`);

  // Effective notices are never edited nor deleted.
  r = await put('gulou', `/api/v1/records/score_notice/${n.id}`, { version: cur.version, remark: '改' });
  assert.equal(r.status, 409, r.text);
  assert.match(r.json.error.message, /已生效/);
  r = await put('gulou_chief', `/api/v1/records/score_notice/${n.id}`, { version: cur.version, items: [] });
  assert.equal(r.status, 409, r.text);
  r = await as(srv, s.gulou_chief, `/api/v1/records/score_notice/${n.id}`, { method: 'DELETE' });
  assert.equal(r.status, 409, r.text);
  assert.equal(sql(`SELECT count(*) FROM e_score_notice__items WHERE parent_id = ${n.id}`), '1');

  // A correction is a new notice naming it; numbers go on.
  const corr = await draftNotice({ corrects_id: n.id, total_points: '3.0',
    items: [{ clause_code: '1.1.2', points: '3', fact: '复核更正' }] });
  await submit('score_notice', corr.id);
  await complete('score_notice', corr.id, 'Review', 'gulou_chief', 'approve');
  const c2 = await record('score_notice', corr.id);
  assert.equal(c2.corrects_id, n.id);
  assert.equal(Number(c2.notice_no.slice(-6)), Number(cur.notice_no.slice(-6)) + 1);
});

test('审核通过 checks the items against the edition of the inspection date and sums them', async () => {
  const approve = async (n, status) => {
    const t = task('score_notice', n.id, 'Review');
    const r = await post('gulou_chief', `/api/v1/flow/tasks/${t.id}/complete`, { version: t.version, action: 'approve' });
    assert.equal(r.status, status, r.text);
    return r;
  };
  // 1.1.6 is a clause of the 2025 trial edition only: refused for a 2025-03 inspection (2018 edition).
  const old = await draftNotice({ inspected_on: '2025-03-10', items: [{ clause_code: '1.1.6', points: '3', fact: '考勤造假' }] });
  await submit('score_notice', old.id);
  let r = await approve(old, 400);
  assert.match(r.json.error.message, /第 1 项：条款 1\.1\.6 不在2018版记分条款库中/);
  assert.ok(r.json.error.fields['items[0].clause_code'], r.text);
  assert.equal(state('score_notice', old.id), 'review');
  assert.equal((await record('score_notice', old.id)).notice_no, null, 'nothing of the refused step is kept');
  // Points outside the clause's range.
  const high = await draftNotice({ items: [{ clause_code: '1.1.1', points: '8', fact: 'a' },
    { clause_code: '4.1.1', points: '2.5', fact: '围挡缺失' }] });
  await submit('score_notice', high.id);
  r = await approve(high, 400);
  assert.match(r.json.error.message, /第 2 项：条款 4\.1\.1 的记分应在 1\.0 至 2\.0 分之间/);
  assert.ok(r.json.error.fields['items[1].points'], r.text);
  // The chief returns it; the drafter corrects it; the total is computed on approval.
  await complete('score_notice', high.id, 'Review', 'gulou_chief', 'return', '记分超出条款范围');
  let cur = await record('score_notice', high.id);
  r = await put('gulou', `/api/v1/records/score_notice/${high.id}`, { version: cur.version, total_points: '99',
    items: [{ clause_code: '1.1.1', points: '8', fact: 'a' }, { clause_code: '4.1.1', points: '1.5', fact: '围挡缺失' }] });
  assert.equal(r.status, 200, r.text);
  await complete('score_notice', high.id, 'Revise', 'gulou');
  await approve(high, 200);
  cur = await record('score_notice', high.id);
  assert.equal(cur.total_points, '9.5');
  assert.equal(cur.state, 'issued');
  // A merged clause counts with its survivor's range; a retired one is refused from its date.
  const mk = async (code, extra) => {
    const x = await post('province', '/api/v1/records/score_clause', { edition: '2025', code, category: 'safety',
      text: `测试条款 ${code}`, points_min: '2', points_max: '4', target: 'contractor', ...extra });
    assert.equal(x.status, 201, x.text);
    return x.json;
  };
  await mk('7.1.1', { points_min: '5', points_max: '6' });
  const merged = await mk('7.1.2', { merged_into: '7.1.1' });
  assert.equal((await post('province', '/api/v1/flow/instances', { key: 'score_clause', entity: 'score_clause', record_id: merged.id })).status, 201);
  const retired = await mk('7.1.3', { retired_on: '2026-11-01' });
  assert.equal((await post('province', '/api/v1/flow/instances', { key: 'score_clause', entity: 'score_clause', record_id: retired.id })).status, 201);
  const m = await draftNotice({ items: [{ clause_code: '7.1.2', points: '5', fact: '按保留条款记分' }] });
  await submit('score_notice', m.id);
  await approve(m, 200);
  const ret = await draftNotice({ items: [{ clause_code: '7.1.3', points: '3', fact: '已废止条款' }] });
  await submit('score_notice', ret.id);
  r = await approve(ret, 400);
  assert.match(r.json.error.message, /条款 7\.1\.3 已于 2026-11-01 废止/);
  const before = await draftNotice({ inspected_on: '2026-10-30', items: [{ clause_code: '7.1.3', points: '3', fact: '废止前的检查' }] });
  await submit('score_notice', before.id);
  await approve(before, 200);
  // The roles must fit the party; a correction names an effective notice of the same enterprise.
  const role = await draftNotice({ enterprise_role: 'project_manager' });
  await submit('score_notice', role.id);
  r = await approve(role, 400);
  assert.ok(r.json.error.fields.enterprise_role, r.text);
  const corr = await draftNotice({ corrects_id: before.id });
  await submit('score_notice', corr.id);
  r = await approve(corr, 400);
  assert.match(r.json.error.fields.corrects_id, /已生效/);
  r = await post('gulou', '/api/v1/records/score_notice', { project_id: project, org_code: '350102', inspected_on: '2026-11-20',
    enterprise_id: own, enterprise_role: 'contractor', corrects_id: 999999 });
  assert.equal(r.status, 400, r.text);
  assert.ok(r.json.error.fields.corrects_id, r.text);
});

test('objections: upheld (void), rejected at the city level (effective), accepted by the enterprise', async () => {
  // Upheld: 异议 → 受理 → 核实 → 复核 异议成立 → 已撤销.
  const a = await publicNotice();
  // Another enterprise cannot object; the responsible one can.
  const t = task('score_notice', a.id, 'Publicity');
  let r = await post('xiamen', `/api/v1/flow/tasks/${t.id}/complete`, { version: t.version, action: 'object' });
  assert.equal(r.status, 404, r.text);
  await complete('score_notice', a.id, 'Publicity', 'contractor', 'object', '项目经理当日在公司参加安全培训，附签到表');
  assert.equal(state('score_notice', a.id), 'objection');
  await complete('score_notice', a.id, 'AcceptObjection', 'gulou', 'accept', '受理');
  assert.equal(state('score_notice', a.id), 'verification');
  // 核实 is the inspector's, not the chief's.
  const v = task('score_notice', a.id, 'Verify');
  r = await post('gulou_chief', `/api/v1/flow/tasks/${v.id}/complete`, { version: v.version, action: 'verified' });
  assert.equal(r.status, 404, r.text);
  await complete('score_notice', a.id, 'Verify', 'gulou', 'verified', '经核实，培训签到属实');
  assert.equal(state('score_notice', a.id), 'rereview');
  await complete('score_notice', a.id, 'Rereview', 'gulou_chief', 'uphold', '异议成立，撤销记分');
  let cur = await record('score_notice', a.id);
  assert.equal(cur.state, 'void');
  assert.equal(cur.effective_on, null);
  r = await put('gulou', `/api/v1/records/score_notice/${a.id}`, { version: cur.version, remark: '改' });
  assert.equal(r.status, 409, r.text);
  // The objection and the opinions stay in the instance's history, readable by the enterprise.
  r = await get('contractor', `/api/v1/flow/instances/${t.instance}`);
  assert.equal(r.status, 200, r.text);
  assert.ok(r.json.log.some((l) => (l.opinion || '').includes('签到表')), r.text);

  // Rejected by the city: 复核 提请市级复核 → 市级复核 异议不成立 → 已生效. The publicity timer no longer fires.
  const b = await publicNotice();
  await complete('score_notice', b.id, 'Publicity', 'contractor', 'object', '不服');
  await complete('score_notice', b.id, 'AcceptObjection', 'gulou_chief', 'accept');
  await complete('score_notice', b.id, 'Verify', 'gulou', 'verified', '违规事实清楚');
  await complete('score_notice', b.id, 'Rereview', 'gulou_chief', 'escalate', '提请市站复核');
  assert.equal(state('score_notice', b.id), 'rereview');
  await complete('score_notice', b.id, 'CityRereview', 'fuzhou', 'reject', '异议不成立，维持记分');
  cur = await record('score_notice', b.id);
  assert.equal(cur.state, 'effective');
  assert.equal(cur.effective_on, beijingToday());
  assert.ok(cur.publicity_until >= beijingToday());

  // The enterprise accepts during publicity: effective at once.
  const c = await publicNotice();
  await complete('score_notice', c.id, 'Publicity', 'contractor', 'approve', '无异议');
  assert.equal(state('score_notice', c.id), 'effective');
  // An objection not accepted (不予受理) makes it effective too.
  const d = await publicNotice();
  await complete('score_notice', d.id, 'Publicity', 'contractor', 'object', '逾期异议');
  await complete('score_notice', d.id, 'AcceptObjection', 'gulou', 'refuse', '无新证据，不予受理');
  assert.equal(state('score_notice', d.id), 'effective');
});

test('scope: another city never sees a notice; an enterprise sees only its own', async () => {
  const mine = await draftNotice();
  const theirs = await draftNotice({ enterprise_id: other, enterprise_role: 'supervisor_firm' });
  const ids = async (who) => (await get(who, '/api/v1/records/score_notice?size=500')).json.items.map((x) => x.id);
  assert.equal((await get('xiamen', `/api/v1/records/score_notice/${mine.id}`)).status, 404);
  assert.ok(!(await ids('xiamen')).includes(mine.id));
  assert.ok((await ids('fuzhou')).includes(mine.id), 'the city sees its counties');
  assert.ok((await ids('province')).includes(theirs.id));
  const seen = await ids('contractor');
  assert.ok(seen.includes(mine.id));
  assert.ok(!seen.includes(theirs.id));
  assert.equal((await get('contractor', `/api/v1/records/score_notice/${theirs.id}`)).status, 404);
  // A 厦门 supervisor cannot draft in 鼓楼, nor take up its tasks.
  let r = await post('xiamen', '/api/v1/records/score_notice', { project_id: project, org_code: '350102',
    inspected_on: '2026-11-20', enterprise_id: own, enterprise_role: 'contractor' });
  assert.equal(r.status, 403, r.text);
  r = await post('xiamen', '/api/v1/flow/instances', { key: 'score_notice', entity: 'score_notice', record_id: mine.id });
  assert.equal(r.status, 404, r.text);
});

test('the printed 记分告知单 and 责令改正通知单: PDFs of issued records only', async () => {
  const n = await publicNotice();
  const cur = await record('score_notice', n.id);
  const pdf = async (who, entity, id, template) => {
    const res = await fetch(`${srv.url}/api/v1/records/${entity}/${id}/print/${template}`, { headers: { cookie: s[who].cookie } });
    return { status: res.status, buf: Buffer.from(await res.arrayBuffer()) };
  };
  const text = (buf, name) => {
    const path = join(work, name);
    writeFileSync(path, buf);
    return execFileSync('pdftotext', ['-layout', path, '-'], { encoding: 'utf8' }).replace(/\s+/g, '');
  };
  let r = await pdf('contractor', 'score_notice', n.id, 'notice');
  assert.equal(r.status, 200, r.buf.toString());
  assert.equal(r.buf.subarray(0, 5).toString(), '%PDF-');
  let t = text(r.buf, 'notice.pdf');
  for (const want of ['福建省建设工程质量安全动态监管记分告知单', cur.notice_no, '记分明细', '1.1.1', '项目经理连续两周未到岗',
    '8.0', '施工单位', '鼓楼区', '2026年11月20日', '记分机关（盖章）']) assert.ok(t.includes(want), `lacks ${want}:\n${t}`);
  // The paper stays genuine when the notice goes on to effective (what it prints does not change).
  const code = sql(`SELECT code FROM print_code WHERE entity = 'score_notice' AND record_id = ${n.id} ORDER BY printed_at DESC LIMIT 1`);
  await complete('score_notice', n.id, 'Publicity', 'contractor', 'approve', '无异议');
  assert.equal(state('score_notice', n.id), 'effective');
  const v = await fetch(`${srv.url}/api/v1/public/verify/${code}`).then((x) => x.json());
  assert.equal(v.result, 'genuine', JSON.stringify(v));
  // A draft does not print.
  const draft = await draftNotice();
  r = await pdf('gulou', 'score_notice', draft.id, 'notice');
  assert.equal(r.status, 409);

  // The 责令改正通知单: 审核 → 编号 → 整改回复 by the enterprise → 复查 不到位 → 回复 → 闭合.
  let o = await post('gulou', '/api/v1/records/rectification_order', {
    project_id: project, project_name: '鼓楼区记分测试项目', org_code: '350102', inspected_on: '2026-11-20',
    enterprise_id: own, enterprise_role: 'contractor', deadline_on: '2026-12-10', basis: 'GB 50300-2013 第5.0.4条',
    score_notice_id: n.id,
    issues: [{ description: '2#楼三层临边防护缺失', location: '2#楼3层', requirement: '立即设置防护栏杆' }],
  });
  assert.equal(o.status, 201, o.text);
  o = o.json;
  await submit('rectification_order', o.id);
  await complete('rectification_order', o.id, 'Review', 'gulou_chief', 'approve');
  let oc = await record('rectification_order', o.id);
  assert.equal(oc.state, 'issued');
  assert.match(oc.order_no, /^ZG-350102-\d{4}-000001$/);
  r = await put('gulou', `/api/v1/records/rectification_order/${o.id}`, { version: oc.version, deadline_on: '2027-01-01' });
  assert.equal(r.status, 409, r.text);
  r = await pdf('contractor', 'rectification_order', o.id, 'order');
  assert.equal(r.status, 200);
  t = text(r.buf, 'order.pdf');
  for (const want of ['建设工程质量安全责令改正通知单', oc.order_no, '2#楼三层临边防护缺失', '2026年12月10日'])
    assert.ok(t.includes(want), `lacks ${want}:\n${t}`);
  // The unit fills in its reply (fields its step grants: tests/api/rectification_reply.test.mjs), then sends it.
  const reply = async (text) => {
    const cur = await record('rectification_order', o.id, 'contractor');
    const x = await put('contractor', `/api/v1/records/rectification_order/${o.id}`, { version: cur.version, reply_text: text, replied_on: '2026-12-01' });
    assert.equal(x.status, 200, x.text);
  };
  await reply('已设置防护栏杆，附照片');
  await complete('rectification_order', o.id, 'Reply', 'contractor', 'reply', '已设置防护栏杆，附照片');
  assert.equal(state('rectification_order', o.id), 'verification');
  await complete('rectification_order', o.id, 'Check', 'gulou', 'fail', '栏杆高度不足1.2米');
  assert.equal(state('rectification_order', o.id), 'issued');
  await reply('已将防护栏杆加高至1.2米');
  await complete('rectification_order', o.id, 'Reply', 'contractor', 'reply', '已加高至1.2米');
  await complete('rectification_order', o.id, 'Check', 'gulou', 'pass', '整改合格');
  assert.equal(state('rectification_order', o.id), 'closed');
  // Another city's supervisor sees neither.
  assert.equal((await get('xiamen', `/api/v1/records/rectification_order/${o.id}`)).status, 404);
});
