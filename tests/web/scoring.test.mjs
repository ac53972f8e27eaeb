// 记分与信用 pages in a real browser (issue 7, lane quarterly): 实时排名, 单位记分, 项目人员周期记分 and
// 信用评价 over notices made effective through the real 记分告知单 process, and the 建设单位首要责任季度通报
// (the city's summary, the province's ranking lowest first, another city seeing nothing, the public list).
// Screenshots for docs/manual/credit.md.
//
// Run: node --test tests/web/scoring.test.mjs (web/dist built, or JIANGUAN_WEB_DIST; JIANGUAN_TEST_BIN).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { execFile, execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { startServer, root, bin } from '../api/lib/harness.mjs';
import { session, as } from '../api/lib/auth.mjs';
import { dbExec } from '../api/lib/checks.mjs';
import { launch, openPage, shot, shotDir, login, logout } from './lib/browser.mjs';

let srv, browser;
const s = {};
let own, other, project, pm, period, lowest;
const owners = [];
const sql = (q) => dbExec(srv.env.JIANGUAN_DATABASE, q).trim();
const post = (who, path, body) => as(srv, s[who], path, { method: 'POST', body });
const ME = [401, /\/api\/v1\/auth\/me$/];
const QUARTER = '2026Q3';

const tick = (at) => new Promise((ok, fail) => {
  execFile(bin, ['flow-tick', '--at', at], { env: { ...process.env, ...srv.env } }, (err, stdout, stderr) => {
    if (err) fail(new Error(`flow-tick: ${stderr}`)); else ok(stdout);
  });
});
async function complete(entity, id, node, who, action) {
  const row = sql(`SELECT t.id, t.version FROM flow_task t JOIN flow_instance i ON i.id = t.instance_id` +
    ` WHERE i.entity = '${entity}' AND i.record_id = ${id} AND t.node = '${node}' AND t.state = 'open'`);
  const [tid, version] = row.split('|').map(Number);
  const r = await post(who, `/api/v1/flow/tasks/${tid}/complete`, { version, action, opinion: '同意' });
  assert.equal(r.status, 200, r.text);
}
async function start(entity, id, who = 'gulou') {
  const r = await post(who, '/api/v1/flow/instances', { key: entity, entity, record_id: id });
  assert.equal(r.status, 201, r.text);
}
/** A 记分告知单 of 鼓楼 against enterprise, submitted, approved and delivered: in publicity. */
async function notice(enterprise, points, extra = {}) {
  const r = await post('gulou', '/api/v1/records/score_notice', { project_id: project, project_name: '记分页面测试项目',
    org_code: '350102', inspection_no: `JCW${points}`, inspected_on: '2026-11-02', enterprise_id: enterprise,
    enterprise_role: 'contractor', total_points: points, items: [{ clause_code: '9.7.1', points, fact: '测试违规事实' }],
    ...extra });
  assert.equal(r.status, 201, r.text);
  await start('score_notice', r.json.id);
  await complete('score_notice', r.json.id, 'Review', 'gulou_chief', 'approve');
  await complete('score_notice', r.json.id, 'Deliver', 'gulou', 'deliver');
  return r.json.id;
}
/** A 建设单位首要责任季度评价 of 鼓楼 for the quarter, published (site score as given). */
async function evaluation(name, owner, site) {
  const r = await post('gulou', '/api/v1/records/owner_quarterly', { period: QUARTER, org_code: '350102',
    project_name: name, owner_id: owner, ind_procedure: '20', ind_system: '20', ind_payment: '20', ind_schedule: '20',
    ind_site: site });
  assert.equal(r.status, 201, r.text);
  await start('owner_quarterly', r.json.id);
  await complete('owner_quarterly', r.json.id, 'CityReview', 'fuzhou', 'approve');
  await complete('owner_quarterly', r.json.id, 'ProvinceReview', 'province', 'publish');
  return r.json.id;
}

before(async () => {
  const dist = process.env.JIANGUAN_WEB_DIST || join(root, 'web', 'dist');
  if (!existsSync(join(dist, 'index.html'))) execFileSync(join(root, 'scripts', 'web.sh'), { stdio: 'inherit' });
  srv = await startServer({ webDir: dist, projects: 10, env: { JIANGUAN_CAPTCHA: 'off', JIANGUAN_AUTH_RATE_PER_MINUTE: '100000' } });
  for (const u of ['contractor', 'gulou', 'gulou_chief', 'fuzhou', 'province']) s[u] = await session(srv, u);
  own = s.contractor.user.enterprise_id;
  other = Number(sql(`SELECT id FROM enterprise WHERE kinds LIKE 'contractor%' AND id <> ${own} ORDER BY id LIMIT 1`));
  project = Number(sql(`SELECT id FROM project ORDER BY CASE WHEN org_code = '350102' THEN 0 ELSE 1 END, id LIMIT 1`));
  pm = Number(sql(`SELECT id FROM person WHERE status = 'active' ORDER BY id LIMIT 1`));
  for (const l of sql(`SELECT id, name FROM enterprise WHERE kinds LIKE '%owner%' ORDER BY id LIMIT 3`).split('\n')) {
    const [id, name] = l.split('|');
    owners.push({ id: Number(id), name });
  }
  // A clause of the 2025 edition, three notices made effective by the end of their publicity.
  const c = await post('province', '/api/v1/records/score_clause', { edition: '2025', code: '9.7.1', category: 'other',
    text: '页面测试条款：未按规定履行质量安全责任', points_min: '0', points_max: '20', target: 'contractor', subsystem: 'inspection' });
  assert.equal(c.status, 201, c.text);
  await notice(own, '6.0', { person_id: pm, person_role: 'project_manager' });
  await notice(own, '2.5', { inspection_no: 'JCW2', inspected_on: '2026-11-10' });
  await notice(other, '3.0');
  const at = new Date(Date.now() + 15 * 24 * 3600e3).toISOString().replace(/\.\d+Z$/, 'Z');
  await tick(at);
  assert.equal(sql(`SELECT count(*) FROM e_score_notice WHERE state = 'effective'`), '3');
  period = sql('SELECT MIN(period) FROM score_point');
  const r = await post('province', '/api/v1/credit/recompute', {});
  assert.equal(r.status, 200, r.text);
  // The owners' quarterly evaluations: 95, 80 and 88 published.
  await evaluation('首要责任页面测试项目甲', owners[0].id, '15');
  lowest = await evaluation('首要责任页面测试项目乙', owners[1].id, '0');
  await evaluation('首要责任页面测试项目丙', owners[2].id, '8');
  browser = await launch({ tag: 'scoring-' });
  console.log(`# screenshots: ${shotDir}`);
});
after(async () => {
  await browser?.close();
  if (srv) assert.equal(await srv.stop(), 0);
});

const ownName = () => sql(`SELECT name FROM enterprise WHERE id = ${own}`);

test('实时排名, 单位记分, 项目人员周期记分 and 信用评价 from the menu group 记分与信用', async (t) => {
  const { page } = await openPage(t, browser, srv.url, { allow: [ME] });
  await login(page, 'province');
  await page.locator('.el-sub-menu__title', { hasText: '记分与信用' }).click();
  await page.locator('.el-menu-item', { hasText: '实时排名' }).click();
  await page.waitForURL(/\/scoring\/rankings$/);
  await page.goto(`/scoring/rankings?period=${period}`);
  const table = page.locator('[data-test="ranking-table"]');
  const first = table.locator('.el-table__body tr').first();
  await first.getByText(ownName()).waitFor();
  assert.match(await first.innerText(), /^1\s/);
  assert.equal(await table.locator('.el-table__body tr').count(), 2);
  await page.locator('[data-test="ranking-chart"] canvas').waitFor();
  await shot(page, 'rankings');

  // The unit's page from the ranking's link: months and the cumulative 8.5.
  await first.getByRole('link', { name: ownName() }).click();
  await page.waitForURL(/\/scoring\/units\?/);
  await page.locator('[data-test="unit-all"]').click(); // every period
  await page.locator('[data-test="unit-months"] .el-table__body tr').first().waitFor();
  await page.waitForFunction(() => document.querySelector('[data-test="unit-cumulative"]')?.textContent.trim() === '8.5');
  await page.locator('[data-test="unit-chart"] canvas').waitFor();
  await shot(page, 'unit');

  // The project's persons.
  await page.goto(`/scoring/persons?project=${project}`);
  const persons = page.locator('[data-test="persons-table"] .el-table__body tr');
  await persons.first().waitFor();
  assert.match(await persons.first().innerText(), /项目经理/);
  await shot(page, 'persons');

  // Credit with its "why", and the notices behind it.
  await page.goto(`/scoring/credit?kind=enterprise&id=${own}`);
  const item = page.locator('[data-test="credit-item"]').first();
  await item.waitFor();
  assert.match(await item.innerText(), /得分依据/);
  assert.match(await item.locator('[data-test="explain"]').innerText(), /质量安全文明施工/);
  await page.locator('[data-test="credit-notices"] .el-table__body tr').nth(1).waitFor();
  await shot(page, 'credit');
  await logout(page);
});

test('an enterprise user sees its own points; the rankings are not for enterprises', async (t) => {
  const { page } = await openPage(t, browser, srv.url, { allow: [ME, [403, /\/api\/v1\/scoring\/rankings/]] });
  await login(page, 'contractor');
  await page.goto('/scoring/units');
  await page.locator('[data-test="unit-all"]').click();
  await page.waitForFunction(() => document.querySelector('[data-test="unit-cumulative"]')?.textContent.trim() === '8.5');
  await page.goto(`/scoring/rankings?period=${period}`);
  await page.locator('[data-test="ranking-empty"]').getByText(/无权/).waitFor();
  await logout(page);
});

test('首要责任季度通报: the city sees its counties, the province ranks lowest first and prints', async (t) => {
  const { page } = await openPage(t, browser, srv.url, { allow: [ME] });
  await login(page, 'fuzhou');
  await page.goto(`/scoring/owner-quarterly?period=${QUARTER}`);
  const row = page.locator('[data-test="owner-summary"] .el-table__body tr', { hasText: '鼓楼区' });
  await row.waitFor();
  assert.match(await row.innerText(), /鼓楼区\s+3\s+0\s+0\s+0\s+3\s+87\.7/);
  await page.locator('[data-test="owner-chart"] canvas').waitFor();
  await shot(page, 'owner-city');
  await logout(page);

  await login(page, 'province');
  await page.goto(`/scoring/owner-quarterly?period=${QUARTER}`);
  const rows = page.locator('[data-test="owner-ranking"] .el-table__body tr');
  await rows.nth(2).waitFor();
  const names = await rows.evaluateAll((trs) => trs.map((tr) => tr.children[2].textContent.trim()));
  assert.deepEqual(names, ['首要责任页面测试项目乙', '首要责任页面测试项目丙', '首要责任页面测试项目甲']);
  assert.equal(await page.locator('[data-test="owner-average"]').innerText(), '87.7');
  await shot(page, 'owner-province');
  // 打印通报 opens the PDF of the ranking (the URL it opens, fetched with the page's session).
  await page.evaluate(() => { window.opened = []; window.open = (u) => { window.opened.push(u); return null; }; });
  await page.locator('[data-test="owner-print"]').click();
  const [url] = await page.evaluate(() => window.opened);
  assert.match(url, new RegExp(`/api/v1/credit/owner-quarterly/ranking/print\\?period=${QUARTER}`));
  const pdf = await page.request.get(url);
  assert.equal(pdf.status(), 200);
  assert.equal(pdf.headers()['content-type'], 'application/pdf');
  // The county's own list of evaluations, with the import template button.
  await logout(page);
  await login(page, 'gulou');
  await page.goto(`/scoring/owner-quarterly?period=${QUARTER}`);
  await page.locator('[data-test="owner-template"]').waitFor();
  await page.locator('[data-test="owner-list"]').click();
  await page.waitForURL(/\/records\/owner_quarterly$/);
  await page.getByText('首要责任页面测试项目乙').first().waitFor();
  await shot(page, 'owner-records');
  // A published evaluation: its total and the rule's explanation, read-only.
  await page.goto(`/records/owner_quarterly/${lowest}`);
  await page.getByText(/现场质量安全管理：0（填报得分/).first().waitFor();
  await page.getByText('80.0').first().waitFor();
  await shot(page, 'owner-record');
  await logout(page);
});

test('another city (厦门) sees none of 福州; the public list needs no login', async (t) => {
  const { page } = await openPage(t, browser, srv.url, { allow: [ME] });
  await login(page, 'xiamen');
  await page.goto(`/scoring/owner-quarterly?period=${QUARTER}`);
  await page.locator('[data-test="owner-summary"]').getByText('本季度暂无评价').waitFor();
  await page.locator('[data-test="owner-ranking"]').getByText('本季度暂无已发布的评价').waitFor();
  await logout(page);

  await page.goto(`/public/owner-quarterly?period=${QUARTER}`);
  const rows = page.locator('[data-test="public-owner-table"] .el-table__body tr');
  await rows.nth(2).waitFor();
  assert.match(await rows.first().innerText(), /首要责任页面测试项目乙[\s\S]*80\.0/);
  await shot(page, 'owner-public');
});
