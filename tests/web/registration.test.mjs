// 项目报监 end to end in a real browser with three roles (issue 9): the contractor declares and
// submits from the record page (a declaration that fails the cross-checks is refused with every
// problem listed), the 鼓楼 station chief accepts and registers it from the 待办, the 福州 city
// supervisor finds it in 报监统计 (counts by region and stage, the station's lists), and the 厦门
// supervisor never does. Screenshots for docs/manual/registration.md.
//
// Run: node --test tests/web/registration.test.mjs (web/dist built, or JIANGUAN_WEB_DIST; JIANGUAN_TEST_BIN).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { startServer, root } from '../api/lib/harness.mjs';
import { session, as } from '../api/lib/auth.mjs';
import { dbExec } from '../api/lib/checks.mjs';
import { launch, openPage, shot, shotDir, login, logout, settled } from './lib/browser.mjs';

let srv, browser;
const s = {};
let own, owner, pm, chief;
const NAME = '报监全流程测试大厦';
const sql = (q) => dbExec(srv.env.JIANGUAN_DATABASE, q).trim();

before(async () => {
  const dist = process.env.JIANGUAN_WEB_DIST || join(root, 'web', 'dist');
  if (!existsSync(join(dist, 'index.html'))) execFileSync(join(root, 'scripts', 'web.sh'), { stdio: 'inherit' });
  srv = await startServer({ webDir: dist, projects: 10, env: { JIANGUAN_CAPTCHA: 'off', JIANGUAN_AUTH_RATE_PER_MINUTE: '100000' } });
  s.contractor = await session(srv, 'contractor');
  own = s.contractor.user.enterprise_id;
  owner = Number(sql(`SELECT id FROM enterprise WHERE id <> ${own} ORDER BY id LIMIT 1`));
  [pm, chief] = sql("SELECT id FROM person WHERE status = 'active' ORDER BY id LIMIT 2").split('\n').map(Number);
  // known certificates and qualifications, so that only the areas decide below
  sql(`UPDATE person_certificate SET expires_on = '2099-12-31' WHERE person_id IN (${pm}, ${chief})`);
  sql(`UPDATE enterprise_qualification SET expires_on = '2099-12-31' WHERE enterprise_id IN (${own}, ${owner})`);
  browser = await launch({ tag: 'registration-' });
  console.log(`# screenshots: ${shotDir}`);
});
after(async () => {
  await browser?.close();
  if (srv) assert.equal(await srv.stop(), 0);
});

const ME = [401, /\/api\/v1\/auth\/me$/];
let id; // the declaration

test('the contractor declares; a declaration that fails the checks is refused with its problems', async (t) => {
  const r = await as(srv, s.contractor, '/api/v1/records/registration', {
    method: 'POST',
    body: {
      project_name: NAME, project_kind: 'building', org_code: '350102', address: '福州市鼓楼区五四路 100 号',
      applicant_id: own, owner_id: owner, contractor_id: own, total_area: '12000.00', cost: '48000000.00',
      planned_start_on: '2026-12-01', planned_finish_on: '2028-06-30', contact_name: '李四',
      units: [{ unit_name: '1#楼', area: '8000.00' }, { unit_name: '2#楼', area: '3000.00' }],
      persons: [{ party_role: 'contractor', person_id: pm, person_role: 'project_manager' },
        { party_role: 'supervisor_firm', person_id: chief, person_role: 'chief_supervisor' }],
      parties: [{ party_role: 'designer', credit_code: '91350102MA0000000X', party_name: '查无此设计院' }],
    },
  });
  assert.equal(r.status, 201, r.text);
  id = r.json.id;
  const { page } = await openPage(t, browser, srv.url, { allow: [ME, [400, /\/api\/v1\/flow\/instances$/]] });
  await login(page, 'contractor');
  await page.goto(`/records/registration/${id}`);
  await page.getByText(NAME).first().waitFor();
  await page.locator('[data-test="submit-flow"]').click();
  await page.locator('.el-message-box').getByRole('button', { name: '提交' }).click();
  const problems = page.locator('[data-test="check-problems"]');
  await problems.waitFor();
  const text = await problems.innerText();
  assert.match(text, /各单体建筑面积之和 11000.00 平方米与总建筑面积 12000.00 平方米不一致/);
  assert.match(text, /设计单位“查无此设计院”的统一社会信用代码 91350102MA0000000X 不在企业库中/);
  await shot(page, 'check-refused');
  await page.locator('.el-message-box').getByRole('button', { name: /确定|OK/ }).click();
  assert.equal(sql(`SELECT state FROM e_registration WHERE id = ${id}`), 'draft');

  // corrected (the missing unit, the party removed), it passes and goes to the station
  const rec = (await as(srv, s.contractor, `/api/v1/records/registration/${id}`)).json;
  const u = await as(srv, s.contractor, `/api/v1/records/registration/${id}`, {
    method: 'PUT',
    body: { version: rec.version, parties: [], units: [...rec.units.map((x) => ({ unit_name: x.unit_name, area: x.area })), { unit_name: '地下室', area: '1000.00' }] },
  });
  assert.equal(u.status, 200, u.text);
  await page.reload();
  await page.getByText('地下室').first().waitFor();
  await page.locator('[data-test="submit-flow"]').click();
  await page.locator('.el-message-box').getByRole('button', { name: '提交' }).click();
  await page.waitForURL(/\/tasks\/instance\/\d+$/);
  const log = page.locator('[data-test="log"]');
  await log.getByText('监督站受理').first().waitFor();
  await shot(page, 'submitted');
  await logout(page);
});

test('the county station accepts and registers; the notice carries the registration number', async (t) => {
  assert.ok(id, 'the declaration of the previous test');
  const { page } = await openPage(t, browser, srv.url, { allow: [ME] });
  await login(page, 'gulou_chief');
  for (const action of ['accept', 'register']) {
    await page.goto('/tasks?box=todo');
    const row = page.locator('[data-test="tasks"] .el-table__body tr', { hasText: `第 ${id} 号` });
    await row.waitFor();
    await row.getByRole('button', { name: '办理' }).click();
    await page.locator(`[data-test="action-${action}"]`).waitFor();
    await page.getByText(NAME).first().waitFor();
    if (action === 'register') await shot(page, 'register-task');
    await page.locator('textarea[name="opinion"]').fill(action === 'accept' ? '材料齐全，予以受理。' : '准予登记。');
    await page.locator(`[data-test="action-${action}"]`).click();
    await page.waitForURL(/\/tasks\?box=todo$/);
  }
  const rec = { no: sql(`SELECT registration_no FROM e_registration WHERE id = ${id}`),
    state: sql(`SELECT state FROM e_registration WHERE id = ${id}`) };
  assert.equal(rec.state, 'registered');
  assert.match(rec.no, /^350102-\d{4}-00001$/);
  await page.goto(`/records/registration/${id}`);
  await page.getByText(rec.no).first().waitFor();
  await shot(page, 'registered');
  await logout(page);
});

test('the 福州 city supervisor sees it in the statistics and the station lists', async (t) => {
  const { page } = await openPage(t, browser, srv.url, { allow: [ME] });
  await login(page, 'fuzhou');
  await page.locator('.el-menu-item', { hasText: '报监统计' }).click();
  await page.waitForURL(/\/registration\/stats$/);
  const table = page.locator('[data-test="stats-table"]');
  const row = table.locator('.el-table__body tr', { hasText: '鼓楼区' });
  await row.waitFor();
  assert.match(await row.innerText(), /1/);
  assert.equal(await page.locator('[data-test="sum-registered"]').innerText(), '1');
  const list = page.locator('[data-test="station-table"]');
  await list.getByText(NAME).waitFor();
  await page.locator('[data-test="list-issued"]').click();
  await list.getByText(NAME).waitFor();
  await page.locator('[data-test="chart-region"] canvas').waitFor();
  await shot(page, 'stats-city');
  await logout(page);
});

test('a supervisor of another city (厦门) never sees it', async (t) => {
  const { page } = await openPage(t, browser, srv.url, { allow: [ME] });
  await login(page, 'xiamen');
  await page.goto('/registration/stats');
  await page.locator('[data-test="stats-table"]').waitFor();
  await page.locator('[data-test="station-table"] .el-table__empty-text').waitFor();
  // both tables show 0 and 暂无记录 before their answers too: read them once the counts (tally)
  // and then the station list (received) have come and been drawn
  await settled(page, /\/api\/v1\/records\/registration\?.*received_on/);
  assert.equal(await page.locator('[data-test="sum-total"]').innerText(), '0');
  assert.equal(await page.getByText(NAME).count(), 0);
  assert.equal(await page.getByText('鼓楼区').count(), 0);
  await page.locator('[data-test="list-issued"]').click();
  await page.locator('[data-test="station-table"] .el-table__empty-text').waitFor();
  await settled(page, /\/api\/v1\/records\/registration\?.*issued_on/);
  assert.equal(await page.getByText(NAME).count(), 0);
  await shot(page, 'stats-other-city');
  await logout(page);
});
