// Scoring arithmetic, views, rankings and credit (issue 7, score lane): a hand-checked set of notices
// made effective through the real 记分告知单 process (defs/scoring/score_notice.bpmn, whose last
// service step is scoring.effective), then the ledger, the period scores, the rankings and the credit
// read back through the API. The expected numbers are written with their arithmetic.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { startServer, bin, root } from './lib/harness.mjs';
import { dbExec } from './lib/checks.mjs';
import { session, as } from './lib/auth.mjs';

let srv;
const s = {};
const sql = (q) => dbExec(srv.env.JIANGUAN_DATABASE, q).trim();
const post = (who, path, body) => as(srv, s[who], path, { method: 'POST', body });
const get = (who, path) => as(srv, s[who], path);
let A; // the demo contractor's enterprise (company A)
let B; // another contractor (company B)
let S; // a supervising firm
let P1, P2, P3; // projects
let M, C; // a project manager and a chief supervisor (persons)
const N = {}; // notices by name
// The action by which the enterprise accepts a notice during publicity (无异议), as the process names it.
const ACCEPT = /id="Flow_accept_score"[^>]*jg:action="(\w+)"/.exec(
  readFileSync(join(root, 'defs/scoring/score_notice.bpmn'), 'utf8'))[1];

const tick = (at) => new Promise((ok, fail) => {
  execFile(bin, ['flow-tick', '--at', at], { env: { ...process.env, ...srv.env } }, (err, stdout, stderr) => {
    if (err) fail(new Error(`flow-tick: ${stderr}`)); else ok(stdout);
  });
});
const state = (id) => sql(`SELECT state FROM e_score_notice WHERE id = ${id}`);
function task(id, node) {
  const row = sql(`SELECT t.id, t.version FROM flow_task t JOIN flow_instance i ON i.id = t.instance_id` +
    ` WHERE i.entity = 'score_notice' AND i.record_id = ${id} AND t.node = '${node}' AND t.state = 'open'`);
  assert.ok(row && !row.includes('\n'), `one open task ${node} on notice ${id}: ${row}`);
  const [tid, version] = row.split('|').map(Number);
  return { id: tid, version };
}
async function complete(id, node, who, action, status = 200) {
  const t = task(id, node);
  const r = await post(who, `/api/v1/flow/tasks/${t.id}/complete`, { version: t.version, action });
  assert.equal(r.status, status, r.text);
  return r;
}

/** A notice drafted by 鼓楼, submitted, approved and delivered: in publicity. */
async function publicNotice(f) {
  const total = f.items.reduce((a, i) => a + Number(i.points), 0).toFixed(1);
  const body = { project_id: f.project, project_name: '记分测试项目', org_code: '350102', inspection_no: f.inspection,
    inspected_on: f.on, enterprise_id: f.enterprise, enterprise_role: f.role, total_points: total,
    items: f.items.map((i) => ({ ...i, fact: '测试违规事实' })) };
  if (f.person) Object.assign(body, { person_id: f.person, person_role: f.personRole });
  if (f.corrects) body.corrects_id = f.corrects;
  if (f.kind) body.project_kind = f.kind;
  let r = await post('gulou', '/api/v1/records/score_notice', body);
  assert.equal(r.status, 201, r.text);
  const id = r.json.id;
  r = await post('gulou', '/api/v1/flow/instances', { key: 'score_notice', entity: 'score_notice', record_id: id });
  assert.equal(r.status, 201, r.text);
  await complete(id, 'Review', 'gulou_chief', 'approve');
  await complete(id, 'Deliver', 'gulou', 'deliver');
  assert.equal(state(id), 'publicity');
  return id;
}

async function clause(edition, code, extra = {}) {
  const r = await post('province', '/api/v1/records/score_clause', { edition, code, category: 'other',
    text: `测试条款 ${code}`, points_min: '0', points_max: '20', target: 'contractor', subsystem: 'inspection', ...extra });
  assert.equal(r.status, 201, r.text);
  return r.json.id;
}

/** The score_subject row as numbers: score|total|projects. */
const subject = (kind, id, role, period, area = '35') =>
  sql(`SELECT score, total, projects FROM score_subject WHERE subject_kind = '${kind}' AND subject_id = ${id}` +
    ` AND role = '${role}' AND period = '${period}' AND area = '${area}'`).split('|').map(Number);

before(async () => {
  srv = await startServer({ projects: 20, env: { JIANGUAN_CAPTCHA: 'off', JIANGUAN_AUTH_RATE_PER_MINUTE: '100000' } });
  for (const u of ['contractor', 'gulou_chief', 'gulou', 'fuzhou', 'province', 'xiamen']) s[u] = await session(srv, u);
  A = s.contractor.user.enterprise_id;
  [B, S] = sql(`SELECT id FROM enterprise WHERE id <> ${A} ORDER BY id LIMIT 2`).split('\n').map(Number);
  [P1, P2, P3] = sql(`SELECT id FROM project WHERE org_code LIKE '3501%' ORDER BY id LIMIT 3`).split('\n').map(Number);
  [M, C] = sql('SELECT id FROM person ORDER BY id LIMIT 2').split('\n').map(Number);

  // Clauses of the test (codes 9.x, apart from the seeded library): 9.1.3 is merged into 9.1.1,
  // 9.1.5 exists in the 2018 edition only.
  for (const code of ['9.1.1', '9.1.2', '9.1.3']) await clause('2025', code);
  await clause('2018', '9.1.5');
  // The merge as the clause lane's merge process leaves it (state and field).
  sql(`UPDATE e_score_clause SET merged_into = '9.1.1', state = 'merged' WHERE edition = '2025' AND code = '9.1.3'`);
});
after(async () => {
  const code = await srv.stop();
  assert.equal(code, 0, srv.stderr().split('\n').filter((l) => !/ INFO /.test(l)).join('\n'));
});

test('notices become effective: ledger rows with the surviving clause, the edition by date, the quarter', async () => {
  // Company A (contractor), project manager M on P1.
  N.n1 = await publicNotice({ project: P1, inspection: 'I1', on: '2026-11-02', enterprise: A, role: 'contractor',
    person: M, personRole: 'project_manager', items: [{ clause_code: '9.1.1', points: '6' }, { clause_code: '9.1.2', points: '2' }] });
  N.n2 = await publicNotice({ project: P1, inspection: 'I2', on: '2026-11-09', enterprise: A, role: 'contractor',
    person: M, personRole: 'project_manager', items: [{ clause_code: '9.1.1', points: '3' }, { clause_code: '9.1.3', points: '1' }] });
  N.n3 = await publicNotice({ project: P2, inspection: 'I3', on: '2026-11-10', enterprise: A, role: 'contractor',
    items: [{ clause_code: '9.1.2', points: '5' }] });
  // Company B: inspected 2025-06-30, so the 2018 edition (its clause 9.1.5).
  N.n5 = await publicNotice({ project: P3, inspection: 'I5', on: '2025-06-30', enterprise: B, role: 'contractor',
    items: [{ clause_code: '9.1.5', points: '10' }] });
  // Supervising firm S with chief supervisor C on three projects of one city (福州).
  N.n7 = await publicNotice({ project: P1, inspection: 'I6', on: '2026-11-12', enterprise: S, role: 'supervisor_firm',
    person: C, personRole: 'chief_supervisor', items: [{ clause_code: '9.1.1', points: '3' }] });
  N.n8 = await publicNotice({ project: P2, inspection: 'I7', on: '2026-11-12', enterprise: S, role: 'supervisor_firm',
    person: C, personRole: 'chief_supervisor', items: [{ clause_code: '9.1.2', points: '7' }] });
  N.n9 = await publicNotice({ project: P3, inspection: 'I8', on: '2026-11-12', enterprise: S, role: 'supervisor_firm',
    person: C, personRole: 'chief_supervisor', items: [{ clause_code: '9.1.1', points: '4.5' }] });

  // Publicity ends for all of them; the clock says 2027-01-05 (Beijing): effective in 2027Q1.
  await tick('2027-01-05T02:00:00Z');
  for (const [k, id] of Object.entries(N)) assert.equal(state(id), 'effective', k);

  // The ledger: tenths of points, the merged clause counted as its survivor, the edition by date.
  assert.equal(sql(`SELECT clause_given || '>' || clause_code || ':' || points || ':' || edition || ':' || period` +
    ` FROM score_point WHERE notice_id = ${N.n2} ORDER BY item_seq`), '9.1.1>9.1.1:30:2025:2027Q1\n9.1.3>9.1.1:10:2025:2027Q1');
  assert.equal(sql(`SELECT edition || ':' || effective_on || ':' || city_code FROM score_point WHERE notice_id = ${N.n5}`),
    '2018:2027-01-05:3501');
  assert.equal(sql('SELECT count(*) FROM score_point'), '9');
  // The history says what the step did.
  const log = sql(`SELECT l.opinion FROM flow_log l JOIN flow_instance i ON i.id = l.instance_id WHERE i.record_id = ${N.n1}` +
    ` AND i.entity = 'score_notice' AND l.action = 'service:scoring.effective'`);
  assert.match(log, /2 项记分入账（2025 版条款库，记分周期 2027Q1）/);
});

test('the arithmetic: repeated inspections averaged, project sum, company average, best-of-3, persons', async () => {
  // P1 for A: clause 9.1.1 in I1 = 6 and in I2 = 3 + 1 (9.1.3 merged into 9.1.1) = 4 → (6 + 4) / 2 = 5;
  //           clause 9.1.2 in I1 = 2 → P1 = 5 + 2 = 7.
  // P2 for A: 9.1.2 = 5 → 5.   A's 2027Q1 = (7 + 5) / 2 projects = 6.
  assert.deepEqual(subject('enterprise', A, 'contractor', '2027Q1'), [6, 12, 2]);
  assert.deepEqual(subject('enterprise', A, 'contractor', '2027Q1', '3501'), [6, 12, 2]);
  // B: one project, 10 → 10.
  assert.deepEqual(subject('enterprise', B, 'contractor', '2027Q1'), [10, 10, 1]);
  // S: P1 3, P2 7, P3 4.5 → (3 + 7 + 4.5) / 3 = 4.83.
  assert.deepEqual(subject('enterprise', S, 'supervisor_firm', '2027Q1'), [4.83, 14.5, 3]);
  // C, chief supervisor of 3 projects in 福州: the best counts → max(3, 7, 4.5) = 7.
  assert.deepEqual(subject('person', C, 'chief_supervisor', '2027Q1'), [7, 14.5, 3]);
  // M, project manager: the sum of his projects' scores → P1 = 7.
  assert.deepEqual(subject('person', M, 'project_manager', '2027Q1'), [7, 7, 1]);
  // The year holds the same notices here.
  assert.deepEqual(subject('enterprise', A, 'contractor', '2027'), [6, 12, 2]);

  // The company view with the explanation.
  const r = await get('province', `/api/v1/scoring/companies/${A}?period=2027Q1`);
  assert.equal(r.status, 200, r.text);
  const all = r.json.items.find((x) => x.area === '35' && x.role === 'contractor');
  assert.equal(all.score, 6);
  assert.equal(all.projects, 2);
  const line = all.explanation.projects.explain.find((e) => e.what === `项目 ${P1}`);
  assert.deepEqual([line.value, line.text], [7, '各条款得分之和（同一条款多次检查取平均）：9.1.1：2 次检查合计 10，平均 5；9.1.2：1 次检查合计 2，平均 2']);
  assert.deepEqual(all.explanation.projects.value.projects[P1].clauses, { '9.1.1': 5, '9.1.2': 2 });
  assert.ok(all.explanation.subject.explain.some((e) => e.text === '企业周期记分：2 个项目合计 12 ÷ 项目数 2'),
    JSON.stringify(all.explanation.subject));
  assert.match(all.rule_versions, /score\.project@1,score\.company@1/);

  // 历任责任人周期记分 of P1: M and C with their points and project score.
  const p = await get('fuzhou', `/api/v1/scoring/projects/${P1}/persons`);
  assert.equal(p.status, 200, p.text);
  const m = p.json.items.find((x) => x.person_id === M);
  assert.deepEqual([m.role, m.period, m.points, m.score], ['project_manager', '2027Q1', 12, 7]);
  const c = p.json.items.find((x) => x.person_id === C);
  assert.deepEqual([c.role, c.points, c.score], ['chief_supervisor', 3, 3]);
  // Outside the scope the project is absent.
  assert.equal((await get('xiamen', `/api/v1/scoring/projects/${P1}/persons`)).status, 404);

  // Monthly and cumulative points of the unit: 2027-01 = 6 + 2 + 3 + 1 + 5 = 17.
  const u = await get('gulou', `/api/v1/scoring/units/${A}`);
  assert.equal(u.status, 200, u.text);
  assert.deepEqual(u.json.months.map((x) => [x.month, x.points, x.notices]), [['2027-01', 17, 3]]);
  assert.equal(u.json.cumulative, 17);
  // An enterprise sees its own points only.
  assert.equal((await get('contractor', `/api/v1/scoring/units/${A}`)).status, 200);
  assert.equal((await get('contractor', `/api/v1/scoring/units/${B}`)).status, 404);
  assert.equal((await get('contractor', `/api/v1/scoring/companies/${B}`)).status, 404);
});

test('rankings: most points first, paged, by city, scope-checked', async () => {
  let r = await get('fuzhou', '/api/v1/scoring/rankings?role=contractor&period=2027Q1&city=3501');
  assert.equal(r.status, 200, r.text);
  assert.deepEqual(r.json.items.map((x) => [x.rank, x.enterprise_id, x.score]), [[1, B, 10], [2, A, 6]]);
  assert.ok(r.json.items[0].name);
  r = await get('province', '/api/v1/scoring/rankings?role=contractor&period=2027Q1&size=1&page=2');
  assert.equal(r.status, 200, r.text);
  assert.equal(r.json.city, '35');
  assert.deepEqual(r.json.items.map((x) => [x.rank, x.enterprise_id]), [[2, A]]);
  assert.equal(r.json.has_more, false);
  r = await get('province', '/api/v1/scoring/rankings?role=supervisor_firm&period=2027Q1');
  assert.deepEqual(r.json.items.map((x) => [x.enterprise_id, x.score]), [[S, 4.83]]);
  // 厦门 may not see 福州's ranking; enterprises see none; bad input is a 400 with fields.
  assert.equal((await get('xiamen', '/api/v1/scoring/rankings?role=contractor&period=2027Q1&city=3501')).status, 403);
  assert.equal((await get('contractor', '/api/v1/scoring/rankings?role=contractor&period=2027Q1')).status, 403);
  r = await get('province', '/api/v1/scoring/rankings?role=owner&period=2027-1');
  assert.equal(r.status, 400, r.text);
  assert.ok(r.json.error.fields.role && r.json.error.fields.period, r.text);
});

test('credit: 通常行为 40 % + 合同履约 15 % + 质量安全文明施工 45 %, with its explanation', async () => {
  // A in 房建, 2027Q1: 100 × 0.40 + 100 × 0.15 + (100 − 6) × 0.45 = 40 + 15 + 42.3 = 97.3.
  let r = await get('contractor', `/api/v1/credit/enterprise/${A}?period=2027Q1`);
  assert.equal(r.status, 200, r.text);
  assert.equal(r.json.items.length, 1);
  const a = r.json.items[0];
  assert.deepEqual([a.role, a.domain, a.period, a.score], ['contractor', '房建', '2027Q1', 97.3]);
  assert.equal(a.explanation.value.quality, 94);
  assert.ok(a.explanation.explain.some((e) => e.what === '质量安全文明施工' && /周期记分 6/.test(e.text)), JSON.stringify(a));
  // B: 40 + 15 + (100 − 10) × 0.45 = 95.5.
  r = await get('province', `/api/v1/credit/enterprise/${B}`);
  assert.deepEqual(r.json.items.map((x) => x.score), [95.5]);
  // Supervising firm S by credit.supervisor_default (an assumed, configurable formula: theirs is not
  // public): S's 2027Q1 score 14.5 / 3 = 4.83 in 房建 → 100 × 0.40 + 100 × 0.15 + (100 − 4.83) × 0.45
  // = 40 + 15 + 42.8265 = 97.83.
  r = await get('province', `/api/v1/credit/enterprise/${S}`);
  assert.deepEqual(r.json.items.map((x) => [x.role, x.domain, x.period, x.score, x.rule_version]),
    [['supervisor_firm', '房建', '2027Q1', 97.83, 'credit.supervisor_default@1']]);
  assert.equal(r.json.items[0].explanation.value.duty, 95.17);
  assert.ok(r.json.items[0].explanation.explain.some((e) => e.what === '监理履职行为' && /周期记分 4\.83/.test(e.text)),
    JSON.stringify(r.json.items[0]));
  // Persons (credit.person_default): M, project manager, 100 − 7 = 93; C, chief supervisor, 100 − 7 = 93.
  r = await get('province', `/api/v1/credit/person/${M}?period=2027Q1`);
  assert.deepEqual(r.json.items.map((x) => [x.role, x.domain, x.score]), [['project_manager', '房建', 93]]);
  r = await get('province', `/api/v1/credit/person/${C}`);
  assert.deepEqual(r.json.items.map((x) => [x.role, x.score, x.rule_version]), [['chief_supervisor', 93, 'credit.person_default@1']]);
  assert.equal((await get('contractor', `/api/v1/credit/person/${M}`)).status, 404);
  assert.equal((await get('contractor', `/api/v1/credit/enterprise/${B}`)).status, 404);
});

test('a correction adds rows from its own effective date and never rewrites the earlier period', async () => {
  // N10 corrects N3 (P2, I3, 9.1.2: 5) to 2 points; effective 2027-04-10 → 2027Q2.
  N.n10 = await publicNotice({ project: P2, inspection: 'I3', on: '2026-11-10', enterprise: A, role: 'contractor',
    corrects: N.n3, items: [{ clause_code: '9.1.2', points: '2' }] });
  await tick('2027-04-10T02:00:00Z');
  assert.equal(state(N.n10), 'effective');
  // N3's rows are untouched; N10 adds a reversal (−5) and its own item (+2), both in 2027Q2.
  assert.equal(sql(`SELECT points || ':' || period FROM score_point WHERE notice_id = ${N.n3}`), '50:2027Q1');
  assert.equal(sql(`SELECT points || ':' || period || ':' || (reverses_id IS NOT NULL) FROM score_point` +
    ` WHERE notice_id = ${N.n10} ORDER BY id`).replace(/true/g, '1').replace(/false/g, '0'), '-50:2027Q2:1\n20:2027Q2:0');
  // 2027Q1 stays 6. 2027Q2: P2 9.1.2 in I3 = −5 + 2 = −3 → A = −3 / 1 project.
  assert.deepEqual(subject('enterprise', A, 'contractor', '2027Q1'), [6, 12, 2]);
  assert.deepEqual(subject('enterprise', A, 'contractor', '2027Q2'), [-3, -3, 1]);
  // The year 2027: P1 7; P2 9.1.2 in I3 = 5 − 5 + 2 = 2 → (7 + 2) / 2 = 4.5.
  assert.deepEqual(subject('enterprise', A, 'contractor', '2027'), [4.5, 9, 2]);
  // Credit of 2027Q2: the quality part is capped at 100 → 40 + 15 + 45 = 100; 2027Q1 still 97.3.
  const r = await get('province', `/api/v1/credit/enterprise/${A}?period=2027`);
  assert.deepEqual(r.json.items.map((x) => [x.period, x.score]), [['2027Q1', 97.3], ['2027Q2', 100]]);
  // Monthly: 2027-04 = −5 + 2 = −3, cumulative 17 − 3 = 14.
  const u = await get('province', `/api/v1/scoring/units/${A}?period=2027`);
  assert.deepEqual(u.json.months.map((x) => [x.month, x.points, x.cumulative]), [['2027-01', 17, 17], ['2027-04', -3, 14]]);
  // A second correction of the same notice is refused (correct the latest decision instead).
  const again = await publicNotice({ project: P2, inspection: 'I3', on: '2026-11-10', enterprise: A, role: 'contractor',
    corrects: N.n3, items: [{ clause_code: '9.1.2', points: '1' }] });
  const t = task(again, 'Publicity');
  const res = await post('contractor', `/api/v1/flow/tasks/${t.id}/complete`, { version: t.version, action: ACCEPT });
  assert.ok(res.status === 400 || res.status === 409, res.text);
  assert.match(res.json.error.message, /已被更正过/);
  assert.equal(state(again), 'publicity');
});

test('retired clauses and clauses of another edition are refused by scoring.effective with the reason', async () => {
  // The clause lane refuses such items at review already; scoring.effective checks again when the notice
  // becomes effective, so a clause retired or withdrawn while a notice was in publicity is refused too.
  // 9.1.2 retired from 2026-10-01 once N4 (inspected 2026-11-11) is in publicity.
  const n4 = await publicNotice({ project: P2, inspection: 'I4', on: '2026-11-11', enterprise: A, role: 'contractor',
    items: [{ clause_code: '9.1.2', points: '2' }] });
  sql(`UPDATE e_score_clause SET retired_on = '2026-10-01', state = 'retired' WHERE edition = '2025' AND code = '9.1.2'`);
  let t = task(n4, 'Publicity');
  let r = await post('contractor', `/api/v1/flow/tasks/${t.id}/complete`, { version: t.version, action: ACCEPT });
  assert.ok(r.status === 400 || r.status === 409, r.text);
  assert.match(r.json.error.message, /条款 9\.1\.2 已于 2026-10-01 废止/);
  assert.equal(state(n4), 'publicity');
  // The edition by date: an inspection of 2025-07-01 is scored by the 2025 edition. 9.1.6 exists in
  // both editions while N6 is reviewed, then the 2025 one is withdrawn (deleted).
  await clause('2025', '9.1.6');
  await clause('2018', '9.1.6');
  const n6 = await publicNotice({ project: P2, inspection: 'I9', on: '2025-07-01', enterprise: A, role: 'contractor',
    items: [{ clause_code: '9.1.6', points: '2' }] });
  sql(`UPDATE e_score_clause SET state = 'deleted' WHERE edition = '2025' AND code = '9.1.6'`);
  t = task(n6, 'Publicity');
  r = await post('contractor', `/api/v1/flow/tasks/${t.id}/complete`, { version: t.version, action: ACCEPT });
  assert.ok(r.status === 400 || r.status === 409, r.text);
  assert.match(r.json.error.message, /条款 9\.1\.6 在 2025 版条款库中不存在/);
  assert.equal(sql(`SELECT count(*) FROM score_point WHERE notice_id IN (${n4}, ${n6})`), '0');
});

test('full recomputation: rule.manage only, counts and seconds, the same numbers again', async () => {
  let r = await post('gulou_chief', '/api/v1/credit/recompute', {});
  assert.equal(r.status, 403, r.text);
  r = await post('province', '/api/v1/credit/recompute', { period: 'x' });
  assert.equal(r.status, 400, r.text);
  sql(`DELETE FROM score_subject`);
  r = await post('province', '/api/v1/credit/recompute', {});
  assert.equal(r.status, 200, r.text);
  // Subject-periods: 2027Q1 A, B, S, M, C (5); 2027Q2 A (1); 2027: A, B, S, M, C (5) = 11.
  assert.equal(r.json.subjects, 11);
  assert.equal(r.json.credits, 6); // A 2027Q1, A 2027Q2, B 2027Q1, S 2027Q1, M 2027Q1, C 2027Q1
  assert.equal(sql(`SELECT score FROM credit_score WHERE subject_kind = 'enterprise' AND subject_id = ${S}`), '97.83');
  assert.equal(typeof r.json.seconds, 'number');
  assert.deepEqual(subject('enterprise', A, 'contractor', '2027Q1'), [6, 12, 2]);
  assert.deepEqual(subject('person', C, 'chief_supervisor', '2027Q1'), [7, 14.5, 3]);
  assert.deepEqual(subject('enterprise', A, 'contractor', '2027'), [4.5, 9, 2]);
  assert.match(sql(`SELECT action FROM audit_log WHERE action = 'credit_recompute'`), /credit_recompute/);
});

test('市政 notices (project_kind under municipal in the dictionary) count apart from 房建 in credit', async () => {
  const id = await publicNotice({ project: P3, inspection: 'I9', on: '2027-03-01', enterprise: A, role: 'contractor',
    kind: 'road', items: [{ clause_code: '9.1.1', points: '4' }] });
  await tick('2027-04-06T02:00:00Z');
  assert.equal(state(id), 'effective');
  assert.equal(sql(`SELECT DISTINCT domain FROM score_point WHERE notice_id = ${id}`), '市政');
  // 40 + 15 + (100 − 4) × 0.45 = 98.2, apart from A's 房建 credit of the quarter.
  const r = await get('province', `/api/v1/credit/enterprise/${A}?period=2027Q2`);
  assert.equal(r.status, 200, r.text);
  assert.deepEqual(r.json.items.filter((x) => x.domain === '市政').map((x) => x.score), [98.2]);
});

test('supervising firms: 房建 and 市政 credit apart, incrementally and by the full recomputation alike', async () => {
  // S in 2027Q2: P1 (房建) 3 points, P2 (市政, project_kind road) 8 points; effective 2027-04-06.
  const f = await publicNotice({ project: P1, inspection: 'I11', on: '2027-03-02', enterprise: S, role: 'supervisor_firm',
    items: [{ clause_code: '9.1.1', points: '3' }] });
  const m = await publicNotice({ project: P2, inspection: 'I12', on: '2027-03-02', enterprise: S, role: 'supervisor_firm',
    kind: 'road', items: [{ clause_code: '9.1.1', points: '8' }] });
  await tick('2027-04-07T02:00:00Z');
  assert.equal(state(f), 'effective');
  assert.equal(state(m), 'effective');
  // 房建: 40 + 15 + (100 − 3) × 0.45 = 40 + 15 + 43.65 = 98.65.
  // 市政: 40 + 15 + (100 − 8) × 0.45 = 40 + 15 + 41.4 = 96.4.
  const want = [['房建', 98.65, 97], ['市政', 96.4, 92]];
  const credit = async () => {
    const r = await get('province', `/api/v1/credit/enterprise/${S}?period=2027Q2`);
    assert.equal(r.status, 200, r.text);
    return ['房建', '市政'].map((d) => r.json.items.filter((x) => x.domain === d)
      .map((x) => [x.domain, x.score, x.explanation.value.duty])[0]);
  };
  assert.deepEqual(await credit(), want);
  // The same numbers from the full recomputation (the incremental path above is scoring.effective).
  sql(`DELETE FROM credit_score WHERE subject_id = ${S}`);
  const r = await post('province', '/api/v1/credit/recompute', { period: '2027Q2' });
  assert.equal(r.status, 200, r.text);
  assert.deepEqual(await credit(), want);
  // 2027Q1 is untouched by a 2027Q2 recomputation.
  assert.equal(sql(`SELECT count(*) FROM credit_score WHERE subject_id = ${S} AND period = '2027Q1'`), '0');
  // The formula is a rule: new weights (the authorities' choice) change the next computation.
  let rule = await get('province', '/api/v1/rules/credit.supervisor_default');
  assert.equal(rule.status, 200, rule.text);
  const params = { ...rule.json.params, weights: { general: 0.3, contract: 0.2, duty: 0.5 } };
  rule = await as(srv, s.province, '/api/v1/rules/credit.supervisor_default', { method: 'PUT', body: { params } });
  assert.equal(rule.status, 200, rule.text);
  rule = await post('province', '/api/v1/rules/credit.supervisor_default/publish', {});
  assert.equal(rule.status, 200, rule.text);
  assert.equal((await post('province', '/api/v1/credit/recompute', { period: '2027Q2' })).status, 200);
  // 房建: 30 + 20 + 97 × 0.5 = 98.5; 市政: 30 + 20 + 92 × 0.5 = 96; the version used is kept.
  assert.deepEqual(await credit(), [['房建', 98.5, 97], ['市政', 96, 92]]);
  assert.deepEqual(sql(`SELECT DISTINCT rule_version FROM credit_score WHERE subject_id = ${S} AND period = '2027Q2'`),
    'credit.supervisor_default@2');
});
