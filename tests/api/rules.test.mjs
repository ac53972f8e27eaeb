// The rule engine's management API: the shipped default scoring rule arrives with `migrate`;
// rules are created as drafts, edited into new versions, validated against sample facts, tried on
// a record the caller may read (data scope applies), published, started, stopped and rolled back,
// every write audited. Hostile code ends as a clear 400 and the server keeps serving; the limits
// come from the configuration.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { startServer, root } from './lib/harness.mjs';
import { assertError, dbExec } from './lib/checks.mjs';
import { session, as } from './lib/auth.mjs';

let srv;
const s = {};
const get = (user, path) => as(srv, s[user], path);
const post = (user, path, body) => as(srv, s[user], path, { method: 'POST', body });
const put = (user, path, body) => as(srv, s[user], path, { method: 'PUT', body });
const sql = (text) => dbExec(srv.env.JIANGUAN_DATABASE, text).trim();

const CLAUSE = `
local points = 0
if facts.clause == params.clause and (facts.absent_days or 0) > params.days then
  points = params.points
  explain(params.clause, facts.absent_days, '项目经理不在岗天数超过 ' .. params.days .. ' 天')
end
return points`;

before(async () => {
  srv = await startServer({
    projects: 1,
    env: {
      JIANGUAN_CAPTCHA: 'off', JIANGUAN_AUTH_RATE_PER_MINUTE: '100000',
      JIANGUAN_RULE_MAX_CODE_BYTES: '4096', JIANGUAN_RULE_MAX_PARAMS_BYTES: '256',
      JIANGUAN_RULE_BUDGET: '200000', JIANGUAN_RULE_MEMORY_BYTES: '2097152', JIANGUAN_RULE_TIME_MS: '2000',
    },
  });
  // Inspectors get the rule permissions so that the data scope of 试算 can be seen at work.
  sql(`UPDATE role SET permissions = replace(permissions, '"project.read"', '"project.read","rule.read","rule.manage"') WHERE code = 'inspector'`);
  for (const u of ['province', 'gulou', 'xiamen', 'contractor', 'auditor']) s[u] = await session(srv, u);
});
after(async () => { assert.equal(await srv.stop(), 0); });

test('migrate ships the default scoring rule, running, its text from defs/rules', async () => {
  const r = await get('province', '/api/v1/rules/score.clause_default');
  assert.equal(r.status, 200, r.text);
  assert.equal(r.json.kind, 'score');
  assert.equal(r.json.state, 'running');
  assert.equal(r.json.source, 'shipped');
  assert.equal(r.json.current_version, 1);
  assert.equal(r.json.version.source, readFileSync(join(root, 'defs/rules/score_clause_default.lua'), 'utf8'));
  assert.deepEqual(r.json.version.params, { decimals: 2 });
  assert.match(r.json.version.sm3, /^[0-9a-f]{64}$/);
  const list = await get('province', '/api/v1/rules?kind=score');
  assert.equal(list.status, 200, list.text);
  assert.ok(list.json.items.some((x) => x.code === 'score.clause_default'));
  assert.equal((await get('province', '/api/v1/rules?kind=nope')).status, 400);
});

test('validate runs code on sample facts and answers the value with its explanation', async () => {
  const r = await post('province', '/api/v1/rules/validate', {
    source: CLAUSE, params: { clause: '1.1.1', days: 3, points: 8 }, facts: { clause: '1.1.1', absent_days: 5 },
  });
  assert.equal(r.status, 200, r.text);
  assert.equal(r.json.valid, true);
  assert.equal(r.json.value, 8);
  assert.deepEqual(r.json.explain, [{ what: '1.1.1', value: 5, text: '项目经理不在岗天数超过 3 天' }]);
  assert.ok(r.json.instructions >= 0 && r.json.micros > 0);
  // the shipped rule on the DOMAIN.md arithmetic, through the API
  const shipped = readFileSync(join(root, 'defs/rules/score_clause_default.lua'), 'utf8');
  const d = await post('province', '/api/v1/rules/validate', {
    source: shipped, params: {}, facts: {
      items: [
        { company: 'C', project: 'P1', inspection: 'i1', clause: '1.1.1', points: 8 },
        { company: 'C', project: 'P1', inspection: 'i2', clause: '1.1.1', points: 4 },
        { company: 'C', project: 'P2', inspection: 'i3', clause: '1.1.2', points: 3 },
      ],
    },
  });
  assert.equal(d.status, 200, d.text);
  assert.deepEqual(d.json.value.companies.C, { score: 4.5, total: 9, projects: 2, by_project: { P1: 6, P2: 3 } });
});

test('hostile or broken code ends as a clear 400 and the server keeps serving', async () => {
  const cases = [
    ['return (', 'rule_compile'],
    ['while true do end', 'rule_budget'],
    ['local s = "x" while true do s = s .. s end', 'rule_memory'],
    ['return os.execute("id")', 'rule_error'],
    ['return string.dump(print)', 'rule_error'],
    ['facts.x = 1', 'rule_error'],
    ['return function() end', 'rule_result'],
    ['local t = setmetatable({}, {__index = function(t, k) return t[k] end}) return t.x', 'rule_stack'],
  ];
  for (const [source, code] of cases) {
    const r = await post('province', '/api/v1/rules/validate', { source, facts: { x: 0 } });
    assert.equal(r.status, 400, source + ': ' + r.text);
    const e = assertError(r.json, code);
    assert.ok(e.fields.source, r.text);
  }
  const ok = await post('province', '/api/v1/rules/validate', { source: 'return 1' });
  assert.equal(ok.status, 200, ok.text);
});

test('the configured limits hold: code and params size, budget', async () => {
  let r = await post('province', '/api/v1/rules/validate', { source: '-- ' + 'x'.repeat(5000) + '\nreturn 1' });
  assert.equal(r.status, 400);
  assert.match(assertError(r.json).fields.source, /4096/);
  r = await post('province', '/api/v1/rules/validate', { source: 'return 1', params: { big: 'x'.repeat(300) } });
  assert.equal(r.status, 400);
  assert.match(assertError(r.json).fields.params, /256/);
  // 200,000 instructions: a loop of 1,000,000 steps does not finish
  r = await post('province', '/api/v1/rules/validate', { source: 'local n = 0 for i = 1, 1000000 do n = n + i end return n' });
  assert.equal(r.status, 400, r.text);
  assertError(r.json, 'rule_budget');
  r = await post('province', '/api/v1/rules/validate', { source: 'local n = 0 for i = 1, 1000 do n = n + i end return n' });
  assert.equal(r.json.value, 500500);
  r = await post('province', '/api/v1/rules/validate', { source: 'return 1', extra: 1, facts: 'x' });
  assert.equal(r.status, 400);
  const e = assertError(r.json);
  assert.ok(e.fields.extra && e.fields.facts, r.text);
});

test('create, edit, publish, start, stop and roll back, each audited', async () => {
  const body = { code: 'warning.absent_manager', name: '项目经理不在岗预警', kind: 'warning',
    params: { clause: '1.1.1', days: 3, points: 8 }, source: CLAUSE };
  let r = await post('province', '/api/v1/rules', body);
  assert.equal(r.status, 201, r.text);
  assert.equal(r.json.state, 'draft');
  assert.equal(r.json.latest_version, 1);
  assert.equal(r.json.current_version, null);
  r = await post('province', '/api/v1/rules', body);
  assert.equal(r.status, 409);
  assertError(r.json);
  // bad bodies
  r = await post('province', '/api/v1/rules', { ...body, code: 'Bad Code', kind: 'other', source: 'return (' });
  assert.equal(r.status, 400);
  const e = assertError(r.json);
  assert.ok(e.fields.code && e.fields.kind, r.text);
  r = await post('province', '/api/v1/rules', { ...body, code: 'warning.broken', source: 'return (' });
  assert.equal(r.status, 400);
  assertError(r.json, 'rule_compile');
  assert.equal(sql("SELECT count(*) FROM rule WHERE code = 'warning.broken'"), '0');

  const R = '/api/v1/rules/warning.absent_manager';
  r = await post('province', R + '/start');
  assert.equal(r.status, 409, 'an unpublished rule cannot start');
  r = await post('province', R + '/publish');
  assert.equal(r.status, 200, r.text);
  assert.equal(r.json.state, 'published');
  assert.equal(r.json.current_version, 1);
  r = await post('province', R + '/start');
  assert.equal(r.json.state, 'running');
  // an edit is a new draft version; the one in force stays
  r = await put('province', R, { params: { clause: '1.1.1', days: 10, points: 8 }, latest_version: 1 });
  assert.equal(r.status, 200, r.text);
  assert.equal(r.json.latest_version, 2);
  assert.equal(r.json.current_version, 1);
  assert.equal(r.json.version.version, 1);
  r = await put('province', R, { name: '改名', latest_version: 1 });
  assert.equal(r.status, 409, 'a stale edit is refused');
  r = await get('province', R + '/versions/2');
  assert.equal(r.status, 200, r.text);
  assert.deepEqual(r.json.version.params, { clause: '1.1.1', days: 10, points: 8 });
  assert.equal(r.json.version.published_at, null);
  assert.equal(r.json.version.source, CLAUSE.trim() === CLAUSE ? CLAUSE : CLAUSE);
  r = await post('province', R + '/rollback', { version: 2 });
  assert.equal(r.status, 400, 'a never-published version is no rollback target');
  r = await post('province', R + '/publish', { version: 2 });
  assert.equal(r.json.current_version, 2);
  assert.equal(r.json.state, 'running');
  r = await post('province', R + '/rollback', { version: 1 });
  assert.equal(r.status, 200, r.text);
  assert.equal(r.json.current_version, 1);
  assert.deepEqual(r.json.version.params, { clause: '1.1.1', days: 3, points: 8 });
  r = await post('province', R + '/stop');
  assert.equal(r.json.state, 'stopped');
  r = await post('province', R + '/stop');
  assert.equal(r.status, 409);
  r = await get('province', R + '/versions');
  assert.deepEqual(r.json.items.map((v) => [v.version, v.created_by, v.published_by]),
    [[2, 'province', 'province'], [1, 'province', 'province']]);
  assert.equal((await get('province', '/api/v1/rules/nope')).status, 404);
  assert.equal((await get('province', R + '/versions/9')).status, 404);
  const actions = sql("SELECT action FROM audit_log WHERE entity = 'rule' AND record_id = 'warning.absent_manager' ORDER BY id")
    .split('\n').map((x) => x.trim());
  assert.deepEqual(actions, ['rule_create', 'rule_publish', 'rule_start', 'rule_edit', 'rule_publish', 'rule_rollback', 'rule_stop']);
});

test('试算 runs a rule version on a record through the entity engine: scope and permission apply', async () => {
  const own = s.contractor.user.enterprise_id;
  let r = await as(srv, s.contractor, '/api/v1/records/registration', { method: 'POST', body: {
    project_name: '鼓楼区试算项目', project_kind: 'building', org_code: '350102', address: '福州市鼓楼区测试路 2 号',
    applicant_id: own, owner_id: own, contractor_id: own, total_area: '1000.00', cost: '100.00',
    planned_start_on: '2026-12-01', contact_name: '张三', contact_phone: '13912345678',
  } });
  assert.equal(r.status, 201, r.text);
  const id = r.json.id;
  let c = await post('province', '/api/v1/rules', { code: 'qc.area', name: '面积检查', kind: 'qc', params: { min: 500 },
    source: "explain('total_area', facts.total_area, '建筑面积') return { big = tonumber(facts.total_area) >= params.min, name = facts.project_name, now = now() }" });
  assert.equal(c.status, 201, c.text);
  r = await post('gulou', `/api/v1/rules/qc.area/trial/registration/${id}`, { now: '2026-11-25T08:00:00Z' });
  assert.equal(r.status, 200, r.text);
  assert.deepEqual(r.json.value, { big: true, name: '鼓楼区试算项目', now: '2026-11-25T08:00:00Z' });
  assert.deepEqual(r.json.record, { entity: 'registration', id });
  assert.equal(r.json.version, 1);
  assert.equal(r.json.explain[0].value, '1000.00');
  r = await post('gulou', `/api/v1/rules/qc.area/trial/registration/${id}`, { params: { min: 5000 } });
  assert.equal(r.json.value.big, false, 'params of the request replace the stored ones');
  // outside the caller's scope the record is not there
  r = await post('xiamen', `/api/v1/rules/qc.area/trial/registration/${id}`);
  assert.equal(r.status, 404, r.text);
  assertError(r.json);
  r = await post('gulou', `/api/v1/rules/qc.area/trial/registration/999999`);
  assert.equal(r.status, 404);
  r = await post('gulou', `/api/v1/rules/qc.area/trial/nosuch/${id}`);
  assert.equal(r.status, 404);
  r = await post('gulou', `/api/v1/rules/nope/trial/registration/${id}`);
  assert.equal(r.status, 404);
});

test('permissions: rule.read reads, rule.manage writes, others see 403', async () => {
  assert.equal((await get('contractor', '/api/v1/rules')).status, 403);
  assert.equal((await get('auditor', '/api/v1/rules')).status, 403);
  assert.equal((await post('contractor', '/api/v1/rules/validate', { source: 'return 1' })).status, 403);
  assert.equal((await post('contractor', '/api/v1/rules/score.clause_default/stop')).status, 403);
  const anon = await fetch(srv.url + '/api/v1/rules');
  assert.equal(anon.status, 401);
});

test('rule_time_ms bounds a run by the wall clock, whatever the budget', async () => {
  const slow = await startServer({
    projects: 0,
    env: { JIANGUAN_CAPTCHA: 'off', JIANGUAN_RULE_BUDGET: '1000000000', JIANGUAN_RULE_TIME_MS: '100' },
  });
  try {
    const p = await session(slow, 'province');
    const r = await as(slow, p, '/api/v1/rules/validate', { method: 'POST', body: { source: 'while true do end' } });
    assert.equal(r.status, 400, r.text);
    // The wall clock stopped it (rule_timeout), not the budget (rule_budget, which a billion steps
    // would take far longer to reach): what this proves holds however busy the machine is.
    assertError(r.json, 'rule_timeout');
  } finally {
    assert.equal(await slow.stop(), 0);
  }
});
