// The workbench's task handling, global search and charts in a real browser (Debian's chromium via
// playwright-core) against a real server: an enterprise user submits a draft 项目报监 to its process
// from the record page; the 鼓楼 station chief sees the 待办 count in the header, opens the task
// from the box, sees the record, the step's actions (受理, 退回补正) and the history, accepts it with
// an opinion; a task done meanwhile by someone else shows the 409 in Chinese with a refresh. The
// header's search finds records with the matches marked, user text (an <img onerror>) shown as text.
//
// Run: node --test tests/web/tasks.test.mjs (web/dist built; JIANGUAN_TEST_BIN as for the API tests).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { startServer, root } from '../api/lib/harness.mjs';
import { session, as } from '../api/lib/auth.mjs';
import { dbExec } from '../api/lib/checks.mjs';
import { launch, openPage, shot, shotDir, login, logout } from './lib/browser.mjs';

const XSS = '<img src=x onerror=alert(1)>';
let srv, browser;
const s = {};
let own, owner;

before(async () => {
  const dist = process.env.JIANGUAN_WEB_DIST || join(root, 'web', 'dist'); // another build of the web UI
  if (!existsSync(join(dist, 'index.html'))) execFileSync(join(root, 'scripts', 'web.sh'), { stdio: 'inherit' });
  srv = await startServer({ webDir: dist, projects: 10, env: { JIANGUAN_CAPTCHA: 'off', JIANGUAN_AUTH_RATE_PER_MINUTE: '100000' } });
  for (const u of ['contractor', 'gulou_chief']) s[u] = await session(srv, u);
  own = s.contractor.user.enterprise_id;
  owner = Number(dbExec(srv.env.JIANGUAN_DATABASE, `SELECT id FROM enterprise WHERE id <> ${own} ORDER BY id LIMIT 1`).trim());
  browser = await launch({ tag: 'tasks-' });
  console.log(`# screenshots: ${shotDir}`);
});
after(async () => {
  await browser?.close();
  if (srv) assert.equal(await srv.stop(), 0);
});

const post = (who, path, body) => as(srv, s[who], path, { method: 'POST', body });

/** A draft declaration of the contractor in 鼓楼, by the API. */
async function declaration(name) {
  const r = await post('contractor', '/api/v1/records/registration', {
    project_name: name, project_kind: 'building', org_code: '350102', address: `福州市鼓楼区${name}路 8 号`,
    applicant_id: own, owner_id: owner, contractor_id: own, total_area: '1000.00', cost: '5000000.00',
    planned_start_on: '2026-12-01', contact_name: '李四',
  });
  assert.equal(r.status, 201, r.text);
  return r.json.id;
}

const ME = [401, /\/api\/v1\/auth\/me$/];
let submitted; // the record submitted through the page

test('an enterprise user submits a draft from its record page; the instance page shows the history', async (t) => {
  submitted = await declaration(`任务办理测试楼${XSS}`);
  const { page } = await openPage(t, browser, srv.url, { allow: [ME] });
  await login(page, 'contractor');
  await page.goto(`/records/registration/${submitted}`);
  await page.locator('[data-test="submit-flow"]').click();
  await page.locator('.el-message-box').getByRole('button', { name: '提交' }).click();
  await page.waitForURL(/\/tasks\/instance\/\d+$/);
  const log = page.locator('[data-test="log"]');
  await log.getByText('发起').first().waitFor();
  await log.getByText('监督站受理').first().waitFor();
  await page.getByText('任务办理测试楼').first().waitFor();
  assert.equal(await page.locator('img[src="x"]').count(), 0, 'no <img> from user text');
  assert.equal(await page.locator('[data-test="handle"]').count(), 0, 'nothing for the applicant to do now');
  await shot(page, 'instance-applicant');
  // the record moved on: no 提交 button any more
  await page.goto(`/records/registration/${submitted}`);
  await page.getByText('已申报').first().waitFor();
  assert.equal(await page.locator('[data-test="submit-flow"]').count(), 0);
  await logout(page);
});

test('the station chief handles the task from the box: record, actions, opinion, history', async (t) => {
  assert.ok(submitted, 'the record of the previous test');
  const { page } = await openPage(t, browser, srv.url, { allow: [ME] });
  await login(page, 'gulou_chief');
  // the header's badge: the 待办 count of GET /api/v1/flow/boxes
  const badge = page.locator('.bell .el-badge__content').first();
  await badge.waitFor();
  assert.ok(Number(await badge.innerText()) >= 1);
  await page.locator('[data-test="todo-badge"]').click();
  await page.waitForURL(/\/tasks\?box=todo$/);
  const row = page.locator('[data-test="tasks"] .el-table__body tr', { hasText: `第 ${submitted} 号` });
  await row.waitFor();
  assert.match(await row.innerText(), /监督站受理/);
  await shot(page, 'todo-box');
  // the deadline filter leaves out a task that is not late
  await page.locator('[data-test="filter-deadline"]').click();
  await page.locator('.el-select-dropdown__item:visible', { hasText: '已超期' }).click();
  await page.locator('[data-test="task-search"]').click();
  await page.locator('[data-test="tasks"] .el-table__empty-text').waitFor();
  await page.getByRole('button', { name: '重置' }).click();
  await row.waitFor();
  await row.getByRole('button', { name: '办理' }).click();
  await page.waitForURL(/\/tasks\/instance\/\d+\?task=\d+$/);

  const handle = page.locator('[data-test="handle"]');
  await handle.waitFor();
  // the step's ways out, from the process definition's flows with jg:action
  await page.locator('[data-test="action-accept"]', { hasText: '受理' }).waitFor();
  await page.locator('[data-test="action-return"]', { hasText: '退回补正' }).waitFor();
  // the record, read-only, user text as text
  await page.getByText('任务办理测试楼').first().waitFor();
  assert.ok((await page.content()).includes('任务办理测试楼&lt;img src=x onerror=alert(1)&gt;'));
  assert.equal(await page.locator('img[src="x"]').count(), 0);
  // returning needs an opinion (checked before asking the server)
  await page.locator('[data-test="action-return"]').click();
  await handle.locator('.el-form-item__error', { hasText: '请填写意见' }).waitFor();
  await page.locator('textarea[name="opinion"]').fill(`材料齐全，予以受理。${XSS}`);
  await shot(page, 'task-handle');
  await page.locator('[data-test="action-accept"]').click();
  await page.waitForURL(/\/tasks\?box=todo$/);
  await page.locator('.el-message--success', { hasText: '已受理' }).waitFor();

  // 已办: the task with its result and opinion (as text)
  await page.locator('[data-test="box-done"]').click();
  const done = page.locator('[data-test="tasks"] .el-table__body tr', { hasText: `第 ${submitted} 号` });
  await done.waitFor();
  assert.match(await done.innerText(), /受理/);
  assert.ok((await done.innerText()).includes(XSS), 'the opinion as typed');
  await shot(page, 'done-box');
  // the instance: the next step (登记) open, the history with the opinion
  await done.getByRole('button', { name: '查看' }).click();
  const log = page.locator('[data-test="log"]');
  await log.getByText('办理：受理').waitFor();
  assert.ok((await log.innerText()).includes(`意见：材料齐全，予以受理。${XSS}`));
  // the chief also registers: the next step is offered from here
  await page.locator('[data-test="next-Register"]').click();
  await page.locator('[data-test="action-register"]').waitFor();
  await page.locator('[data-test="action-return"]').waitFor();
  await shot(page, 'task-history');
  await logout(page);
});

test('a task done meanwhile by someone else: the 409 is shown in Chinese with a refresh', async (t) => {
  const id = await declaration('并发办理测试楼');
  let r = await post('contractor', '/api/v1/flow/instances', { key: 'registration', entity: 'registration', record_id: id });
  assert.equal(r.status, 201, r.text);
  const instance = r.json.id;
  const task = r.json.tasks[0];
  const { page } = await openPage(t, browser, srv.url, { allow: [ME, [409, /\/api\/v1\/flow\/tasks\/\d+\/complete$/]] });
  await login(page, 'gulou_chief');
  await page.goto(`/tasks/instance/${instance}?task=${task.id}`);
  await page.locator('[data-test="action-accept"]').waitFor();
  // another session of the chief accepts it first
  r = await post('gulou_chief', `/api/v1/flow/tasks/${task.id}/complete`, { version: task.version, action: 'accept', opinion: '另一窗口办理' });
  assert.equal(r.status, 200, r.text);
  await page.locator('[data-test="action-accept"]').click();
  const conflict = page.locator('[data-test="conflict"]');
  await conflict.waitFor();
  assert.match(await conflict.innerText(), /已被他人办理或已发生变化/);
  await shot(page, 'task-conflict');
  await page.locator('[data-test="conflict-refresh"]').click();
  await page.getByText('该任务已办理').waitFor();
  await page.locator('[data-test="log"]').getByText('另一窗口办理').waitFor();
  await logout(page);
});

test('the applicant finds a draft in the 拟件箱 and corrects a returned declaration from the 补正箱', async (t) => {
  const draft = await declaration('拟件箱测试楼');
  const id = await declaration('补正测试楼');
  let r = await post('contractor', '/api/v1/flow/instances', { key: 'registration', entity: 'registration', record_id: id });
  assert.equal(r.status, 201, r.text);
  const instance = r.json.id;
  r = await post('gulou_chief', `/api/v1/flow/tasks/${r.json.tasks[0].id}/complete`,
    { version: r.json.tasks[0].version, action: 'return', opinion: '请补充施工许可证' });
  assert.equal(r.status, 200, r.text);

  const { page } = await openPage(t, browser, srv.url, { allow: [ME] });
  await login(page, 'contractor');
  await page.goto('/tasks');
  // 拟件箱: the drafts the user may submit, each opening its record (with the 提交 button)
  await page.locator('[data-test="box-drafts"]').click();
  const row = page.locator('[data-test="tasks"] .el-table__body tr', { hasText: `第 ${draft} 号` });
  await row.waitFor();
  await shot(page, 'drafts-box');
  await row.getByRole('button', { name: '打开' }).click();
  await page.waitForURL(new RegExp(`/records/registration/${draft}$`));
  await page.locator('[data-test="submit-flow"]').waitFor();
  // 补正箱: the returned declaration, its opinion in the history, resubmitted with the one way out
  await page.goto('/tasks?box=correction');
  const back = page.locator('[data-test="tasks"] .el-table__body tr', { hasText: `第 ${id} 号` });
  await back.waitFor();
  assert.match(await back.innerText(), /申报单位补正/);
  await back.getByRole('button', { name: '办理' }).click();
  await page.locator('[data-test="log"]').getByText('请补充施工许可证').waitFor();
  await page.locator('textarea[name="opinion"]').fill('已补充施工许可证');
  await shot(page, 'correction');
  await page.locator('[data-test="action-submit"]').click();
  await page.waitForURL(/\/tasks\?box=todo$/);
  r = await as(srv, s.contractor, `/api/v1/flow/instances/${instance}`);
  assert.deepEqual(r.json.tasks.filter((x) => x.state === 'open').map((x) => x.node), ['Accept']);
  await logout(page);
});

test('the header search finds records, marks the matches and never runs user text as HTML', async (t) => {
  const id = await declaration(`全局搜索测试${XSS}综合楼`);
  const { page } = await openPage(t, browser, srv.url, { allow: [ME] });
  await login(page, 'gulou');
  const box = page.locator('[data-test="global-search"] input');
  await box.fill('搜索测试');
  const results = page.locator('[data-test="search-results"]');
  const hit = results.locator(`[data-test="search-hit-registration-${id}"]`);
  await hit.waitFor();
  assert.match(await results.innerText(), /项目报监/);
  // the match is a <mark> of exactly the words; the tag typed by the user is text beside it
  assert.deepEqual(await hit.locator('mark').first().innerText(), '搜索测试');
  assert.ok((await hit.innerText()).includes(XSS));
  assert.equal(await page.locator('img[src="x"]').count(), 0, 'no <img> from a highlight');
  await shot(page, 'search-box');
  // Enter: the results page; a click: the record
  await box.press('Enter');
  await page.waitForURL(/\/search\?q=/);
  const result = page.locator(`[data-test="result-registration-${id}"]`);
  await result.waitFor();
  assert.equal(await page.locator('[data-test="search-page"] mark', { hasText: '搜索测试' }).count() >= 1, true);
  assert.equal(await page.locator('img[src="x"]').count(), 0);
  await shot(page, 'search-page');
  await result.click();
  await page.waitForURL(new RegExp(`/records/registration/${id}$`));
  await page.getByText('全局搜索测试').first().waitFor();
  // a search nothing matches
  await box.fill('不存在的内容甲乙丙');
  await results.getByText('没有找到相关记录').waitFor();
  await logout(page);
});

test('the home page of a government user draws the charts; the header names the department and level', async (t) => {
  const { page } = await openPage(t, browser, srv.url, { allow: [ME] });
  await login(page, 'gulou_chief');
  // the department and level come from a second request after the header is drawn
  const who = page.locator('[data-test="who"]', { hasText: '鼓楼区（县级）' });
  await who.waitFor();
  assert.match(await who.innerText(), /监督站站长/);
  for (const c of ['chart-state', 'chart-region', 'chart-due']) await page.locator(`[data-test="${c}"] canvas`).waitFor();
  await page.locator('[data-test="box-card-todo"]').waitFor();
  await page.waitForLoadState('networkidle');
  await shot(page, 'home-charts');
  await logout(page);
});
