// Score warnings (记分预警, issue 7, warning lane): notices made effective through the real 记分告知单
// process raise warnings by the shipped rule warning.score_threshold (its default steps: Beijing's
// 8/16/24/30 for units, Hunan's 约谈 above 6 and replacement at 12 for project managers, Fujian's 80 a
// year and 150 cumulative), as score_warning records with their handling process. The expected
// warnings are written with their arithmetic.
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
const put = (who, path, body) => as(srv, s[who], path, { method: 'PUT', body });
const get = (who, path) => as(srv, s[who], path);
let A, B; // contractors: A is the demo contractor's enterprise
let P1, P2; // projects of 福州
let M; // a project manager
const N = {};

const tick = (at) => new Promise((ok, fail) => {
  execFile(bin, ['flow-tick', '--at', at], { env: { ...process.env, ...srv.env } }, (err, stdout, stderr) => {
    if (err) fail(new Error(`flow-tick: ${stderr}`)); else ok(stdout);
  });
});
function task(entity, id, node) {
  const row = sql(`SELECT t.id, t.version FROM flow_task t JOIN flow_instance i ON i.id = t.instance_id` +
    ` WHERE i.entity = '${entity}' AND i.record_id = ${id} AND t.node = '${node}' AND t.state = 'open'`);
  assert.ok(row && !row.includes('\n'), `one open task ${node} on ${entity} ${id}: ${row}`);
  const [tid, version] = row.split('|').map(Number);
  return { id: tid, version };
}
async function complete(entity, id, node, who, action, status = 200, opinion) {
  const t = task(entity, id, node);
  const r = await post(who, `/api/v1/flow/tasks/${t.id}/complete`, { version: t.version, action, opinion });
  assert.equal(r.status, status, r.text);
  return r;
}

/** A notice drafted by 鼓楼, submitted, approved and delivered: in publicity. */
async function publicNotice(f) {
  const total = f.items.reduce((a, i) => a + Number(i.points), 0).toFixed(1);
  const body = { project_id: f.project, project_name: '预警测试项目', org_code: '350102', inspection_no: f.inspection,
    inspected_on: f.on, enterprise_id: f.enterprise, enterprise_role: 'contractor', total_points: total,
    items: f.items.map((i) => ({ ...i, fact: '测试违规事实' })) };
  if (f.person) Object.assign(body, { person_id: f.person, person_role: 'project_manager' });
  let r = await post('gulou', '/api/v1/records/score_notice', body);
  assert.equal(r.status, 201, r.text);
  const id = r.json.id;
  r = await post('gulou', '/api/v1/flow/instances', { key: 'score_notice', entity: 'score_notice', record_id: id });
  assert.equal(r.status, 201, r.text);
  await complete('score_notice', id, 'Review', 'gulou_chief', 'approve');
  await complete('score_notice', id, 'Deliver', 'gulou', 'deliver');
  return id;
}

/** Every warning as "kind:subject:role:period:level:consequence:points:threshold" (points in hundredths, as
 * stored), sorted. */
const warnings = () => sql(`SELECT warning_key || ':' || consequence || ':' || points || ':' || threshold` +
  ` FROM e_score_warning ORDER BY warning_key`).split('\n').filter(Boolean);
const key = (k, id, role, period, level) => `${k}:${id}:${role}:${period}:${level}`;

before(async () => {
  srv = await startServer({ projects: 20, env: { JIANGUAN_CAPTCHA: 'off', JIANGUAN_AUTH_RATE_PER_MINUTE: '100000' } });
  for (const u of ['contractor', 'gulou_chief', 'gulou', 'province', 'xiamen']) s[u] = await session(srv, u);
  A = s.contractor.user.enterprise_id;
  [B] = sql(`SELECT id FROM enterprise WHERE id <> ${A} ORDER BY id LIMIT 1`).split('\n').map(Number);
  [P1, P2] = sql(`SELECT id FROM project WHERE org_code LIKE '3501%' ORDER BY id LIMIT 2`).split('\n').map(Number);
  [M] = sql('SELECT id FROM person ORDER BY id LIMIT 1').split('\n').map(Number);
  for (const code of ['9.2.1', '9.2.2']) {
    const r = await post('province', '/api/v1/records/score_clause', { edition: '2025', code, category: 'other',
      text: `测试条款 ${code}`, points_min: '0', points_max: '20', target: 'contractor', subsystem: 'inspection' });
    assert.equal(r.status, 201, r.text);
  }
});
after(async () => {
  const code = await srv.stop();
  assert.equal(code, 0, srv.stderr().split('\n').filter((l) => !/ INFO /.test(l)).join('\n'));
});

test('the shipped warning rule is running with its default steps', async () => {
  const r = await get('province', '/api/v1/rules/warning.score_threshold');
  assert.equal(r.status, 200, r.text);
  assert.equal(r.json.kind, 'warning');
  assert.equal(r.json.state, 'running');
  assert.deepEqual(r.json.version.params.steps.map((x) => `${x.subject}${x.op}${x.threshold}:${x.level}`),
    ['enterprise>=8:1', 'enterprise>=16:2', 'enterprise>=24:3', 'enterprise>=30:4', 'person>6:2', 'person>=12:3',
      'person>=80:4', '*>=150:4']);
});

test('the rule at its boundaries: above vs at, the highest step per level, cumulative, quarters', async () => {
  const source = readFileSync(join(root, 'defs/rules/warning_score_threshold.lua'), 'utf8');
  const params = (await get('province', '/api/v1/rules/warning.score_threshold')).json.version.params;
  const run = async (facts) => {
    const r = await post('province', '/api/v1/rules/validate', { source, params, facts });
    assert.equal(r.status, 200, r.text);
    return r.json.value.warnings.map((w) => `${w.level}:${w.consequence}:${w.threshold}`);
  };
  const pm = { subject_kind: 'person', role: 'project_manager', period: '2027', period_kind: 'year', cumulative: 0 };
  assert.deepEqual(await run({ ...pm, points: 6 }), []); // 约谈 above 6: 6 is not above
  assert.deepEqual(await run({ ...pm, points: 6.01 }), ['2:约谈:6']);
  assert.deepEqual(await run({ ...pm, points: 12 }), ['2:约谈:6', '3:责令更换项目负责人:12']);
  // 80 a year and 150 cumulative are both level 4: one warning, the higher threshold.
  assert.deepEqual(await run({ ...pm, points: 80, cumulative: 150 }),
    ['2:约谈:6', '3:责令更换项目负责人:12', '4:列入重点监管/黑名单候选:150']);
  // A chief supervisor has no 约谈 step; a supervising firm has Beijing's.
  assert.deepEqual(await run({ ...pm, role: 'chief_supervisor', points: 79.99, cumulative: 150 }),
    ['4:列入重点监管/黑名单候选:150']);
  assert.deepEqual(await run({ subject_kind: 'enterprise', role: 'supervisor_firm', period: '2027', period_kind: 'year',
    points: 24, cumulative: 0 }), ['1:提醒:8', '2:约谈:16', '3:列入重点监管:24']);
  // Owners are not in Beijing's steps; the default steps are yearly.
  assert.deepEqual(await run({ subject_kind: 'enterprise', role: 'owner', period: '2027', period_kind: 'year',
    points: 40, cumulative: 0 }), []);
  assert.deepEqual(await run({ ...pm, period: '2027Q1', period_kind: 'quarter', points: 40 }), []);
});

test('effective notices raise exactly the warnings their thresholds say', async () => {
  // A (contractor) on P1 with project manager M: 9 points. B on P2: 5 points.
  N.a1 = await publicNotice({ project: P1, inspection: 'W1', on: '2026-11-02', enterprise: A, person: M,
    items: [{ clause_code: '9.2.1', points: '9' }] });
  N.b1 = await publicNotice({ project: P2, inspection: 'W2', on: '2026-11-03', enterprise: B,
    items: [{ clause_code: '9.2.1', points: '5' }] });
  await tick('2027-01-05T02:00:00Z'); // publicity over: effective in 2027Q1, year 2027
  assert.equal(sql(`SELECT state FROM e_score_notice WHERE id = ${N.a1}`), 'effective');
  // A 2027: one project, 9 → 9 ≥ 8: level 1 提醒 (not 16). M 2027: 9 > 6: level 2 约谈 (not ≥ 12).
  // B 2027: 5 < 8: nothing. Quarters: the default steps are yearly, nothing.
  assert.deepEqual(warnings(), [
    `${key('enterprise', A, 'contractor', '2027', 1)}:提醒:900:800`,
    `${key('person', M, 'project_manager', '2027', 2)}:约谈:900:600`,
  ].sort());
  // The record: who, where, the rule version, the explanation; pending with its handling task.
  const row = sql(`SELECT subject_kind, enterprise_id, org_code, role, period, level, measure, basis, rule_version,` +
    ` state FROM e_score_warning WHERE warning_key = '${key('person', M, 'project_manager', '2027', 2)}'`);
  assert.equal(row, `人员|${A}|350102|project_manager|2027|2|周期记分|湖南（示例）|warning.score_threshold@1|pending`);
  assert.match(sql(`SELECT explanation FROM e_score_warning WHERE warning_key = '${key('enterprise', A, 'contractor', '2027', 1)}'`),
    /年度周期记分 9 分达到 8 分（北京（示例）），提醒/);
  assert.equal(sql(`SELECT count(*) FROM flow_instance WHERE entity = 'score_warning' AND state = 'running'`), '2');
  // The notice's history says so.
  assert.match(sql(`SELECT l.opinion FROM flow_log l JOIN flow_instance i ON i.id = l.instance_id` +
    ` WHERE i.entity = 'score_notice' AND i.record_id = ${N.a1} AND l.action = 'service:scoring.effective'`),
  /新记分预警 2 项/);
});

test('a higher score raises the next level once; lower levels are not raised twice', async () => {
  // A on P1 again (inspection W3, clause 9.2.2, 8 points, M): P1 = 9 (9.2.1) + 8 (9.2.2) = 17.
  N.a2 = await publicNotice({ project: P1, inspection: 'W3', on: '2026-11-20', enterprise: A, person: M,
    items: [{ clause_code: '9.2.2', points: '8' }] });
  await tick('2027-01-20T02:00:00Z');
  assert.equal(sql(`SELECT state FROM e_score_notice WHERE id = ${N.a2}`), 'effective');
  // A 2027 = 17 ≥ 16: level 2 约谈 (level 1 already raised). M 2027 = 17 ≥ 12: level 3 责令更换项目负责人.
  assert.deepEqual(warnings(), [
    `${key('enterprise', A, 'contractor', '2027', 1)}:提醒:900:800`,
    `${key('enterprise', A, 'contractor', '2027', 2)}:约谈:1700:1600`,
    `${key('person', M, 'project_manager', '2027', 2)}:约谈:900:600`,
    `${key('person', M, 'project_manager', '2027', 3)}:责令更换项目负责人:1700:1200`,
  ].sort());
  // The full recomputation evaluates everyone again and raises nothing new.
  const r = await post('province', '/api/v1/credit/recompute', {});
  assert.equal(r.status, 200, r.text);
  assert.equal(r.json.warnings, 0);
  assert.equal(warnings().length, 4);
});

test('parameters changed through the rules API change the outcome', async () => {
  let r = await get('province', '/api/v1/rules/warning.score_threshold');
  const params = structuredClone(r.json.version.params);
  params.steps[0].threshold = 5; // units: 提醒 from 5 points a year
  r = await put('province', '/api/v1/rules/warning.score_threshold', { params });
  assert.equal(r.status, 200, r.text);
  r = await post('province', '/api/v1/rules/warning.score_threshold/publish', {});
  assert.equal(r.status, 200, r.text);
  r = await post('province', '/api/v1/credit/recompute', { period: '2027' });
  assert.equal(r.status, 200, r.text);
  // B 2027 = 5 ≥ 5: level 1 提醒 by version 2; A's level 1 exists already (not raised again).
  assert.equal(r.json.warnings, 1);
  assert.equal(sql(`SELECT consequence || ':' || points || ':' || threshold || ':' || rule_version FROM e_score_warning` +
    ` WHERE warning_key = '${key('enterprise', B, 'contractor', '2027', 1)}'`), '提醒:500:500:warning.score_threshold@2');
  // A stopped rule raises nothing and fails nothing.
  r = await post('province', '/api/v1/rules/warning.score_threshold/stop', {});
  assert.equal(r.status, 200, r.text);
  r = await post('province', '/api/v1/credit/recompute', {});
  assert.equal(r.status, 200, r.text);
  assert.equal(r.json.warnings, 0);
  r = await post('province', '/api/v1/rules/warning.score_threshold/start', {});
  assert.equal(r.status, 200, r.text);
});

test('scope: the county and city see their warnings, the enterprise its own, others none', async () => {
  const list = async (who) => {
    const r = await get(who, '/api/v1/records/score_warning?size=50');
    assert.equal(r.status, 200, r.text);
    return r.json.items.map((i) => i.warning_key).sort();
  };
  assert.equal((await list('gulou_chief')).length, 5);
  assert.equal((await list('province')).length, 5);
  assert.deepEqual(await list('xiamen'), []);
  // The contractor A: its own two and its project manager's two (raised under A), not B's.
  const mine = await list('contractor');
  assert.equal(mine.length, 4);
  assert.ok(!mine.some((k) => k.startsWith(`enterprise:${B}:`)));
  // Nobody creates warnings by hand.
  const r = await post('gulou_chief', '/api/v1/records/score_warning', { role: 'contractor', period: '2027', level: 1,
    consequence: '提醒', org_code: '350102' });
  assert.equal(r.status, 403, r.text);
});

test('handling: the county station handles with a measure and an opinion, or revokes', async () => {
  const id = Number(sql(`SELECT id FROM e_score_warning WHERE warning_key = '${key('enterprise', A, 'contractor', '2027', 1)}'`));
  const id2 = Number(sql(`SELECT id FROM e_score_warning WHERE warning_key = '${key('enterprise', B, 'contractor', '2027', 1)}'`));
  // The enterprise cannot handle its own warning.
  const t = task('score_warning', id, 'Handle');
  let r = await post('contractor', `/api/v1/flow/tasks/${t.id}/complete`, { version: t.version, action: 'handle' });
  assert.ok(r.status === 404 || r.status === 403, r.text);
  // Without a measure the step refuses (rule warning.handle_check).
  r = await complete('score_warning', id, 'Handle', 'gulou_chief', 'handle', 400, '已电话提醒');
  assert.equal(r.json.error.fields.measure_taken, '请填写采取的处理措施', r.text);
  r = await get('gulou_chief', `/api/v1/records/score_warning/${id}`);
  r = await put('gulou_chief', `/api/v1/records/score_warning/${id}`, { version: r.json.version,
    measure_taken: '已书面提醒企业负责人' });
  assert.equal(r.status, 200, r.text);
  await complete('score_warning', id, 'Handle', 'gulou_chief', 'handle', 200, '已电话提醒');
  assert.equal(sql(`SELECT state || ':' || measure_taken FROM e_score_warning WHERE id = ${id}`), 'handled:已书面提醒企业负责人');
  await complete('score_warning', id2, 'Handle', 'gulou_chief', 'revoke', 200, '阈值调整后补发，撤销');
  assert.equal(sql(`SELECT state FROM e_score_warning WHERE id = ${id2}`), 'revoked');
  // A handled warning is not edited any more, and the same warning is still not raised again.
  r = await get('gulou_chief', `/api/v1/records/score_warning/${id}`);
  r = await put('gulou_chief', `/api/v1/records/score_warning/${id}`, { version: r.json.version, measure_taken: '改' });
  assert.equal(r.status, 409, r.text);
  r = await post('province', '/api/v1/credit/recompute', {});
  assert.equal(r.json.warnings, 0);
  // Raising was audited as the system.
  assert.equal(sql(`SELECT count(*) FROM audit_log WHERE action = 'score_warning_raise'`), '5');
});
