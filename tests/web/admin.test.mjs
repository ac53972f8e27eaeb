// The administration pages in a real browser against a real server: the 系统管理员 creates a
// government account (department from the region tree), disables it and resets its password; the
// 安全管理员 grants it a role and edits a role template; the 省厅管理员 adds, disables and reorders
// dictionary items and browses the regions and departments; the 审计员 finds those actions in the
// audit log. Menus and buttons follow the permissions (the 三员 share none).
//
// Run: node --test tests/web/admin.test.mjs (web/dist built; JIANGUAN_TEST_BIN as for the API tests).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { startServer, root } from '../api/lib/harness.mjs';
import { dbExec } from '../api/lib/checks.mjs';
import { launch, openPage, shot, shotDir, login, logout, settled } from './lib/browser.mjs';

let srv, browser;
const ME = [401, /\/api\/v1\/auth\/me$/];

before(async () => {
  const dist = process.env.JIANGUAN_WEB_DIST || join(root, 'web', 'dist'); // another build of the web UI
  if (!existsSync(join(dist, 'index.html'))) execFileSync(join(root, 'scripts', 'web.sh'), { stdio: 'inherit' });
  srv = await startServer({ webDir: dist, projects: 5, env: { JIANGUAN_CAPTCHA: 'off', JIANGUAN_AUTH_RATE_PER_MINUTE: '100000' } });
  browser = await launch({ tag: 'admin-' });
  console.log(`# screenshots: ${shotDir}`);
});
after(async () => {
  await browser?.close();
  if (srv) assert.equal(await srv.stop(), 0);
});

const menuItems = async (page) => {
  const menu = page.locator('[data-test="side-menu"]');
  const group = menu.getByText('系统管理');
  if (await group.count()) await group.click();
  return menu.innerText();
};

test('the 系统管理员 creates an account, disables it and resets its password', async (t) => {
  const { page } = await openPage(t, browser, srv.url, { allow: [ME] });
  await login(page, 'admin');
  const menu = await menuItems(page);
  assert.match(menu, /用户管理/);
  assert.doesNotMatch(menu, /审计日志|数据字典/);
  await page.locator('[data-test="side-menu"]').getByText('用户管理').click();
  await page.waitForURL(/\/admin\/users$/);
  await page.locator('[data-test="users"] .el-table__body tr', { hasText: 'gulou_chief' }).waitFor();
  // the 三员 accounts cannot be changed here
  assert.match(await page.locator('[data-test="users"] .el-table__body tr', { hasText: 'auditor' }).first().innerText(), /三员账号不可修改/);
  assert.equal(await page.locator('[data-test="role-gulou"]').count(), 0, 'granting roles is the 安全管理员\'s');

  await page.locator('[data-test="user-new"]').click();
  const dialog = page.locator('.el-dialog', { hasText: '新增用户' });
  await dialog.locator('input[name="username"]').fill('web_test01');
  await dialog.locator('input[name="display_name"]').fill('浏览器测试监督员');
  await dialog.locator('[data-test="department"] input').fill('鼓楼区建设');
  await page.locator('.el-cascader__suggestion-item', { hasText: '监督站' }).first().click();
  await shot(page, 'user-create');
  await page.locator('[data-test="user-save"]').click();
  const box = page.locator('.el-message-box', { hasText: '初始密码' });
  await box.waitFor();
  assert.match(await box.innerText(), /账号 web_test01 已创建。初始密码：\S{12}/);
  await box.getByRole('button', { name: '我已记下' }).click();
  const row = page.locator('[data-test="users"] .el-table__body tr', { hasText: 'web_test01' });
  await row.waitFor();
  assert.match(await row.innerText(), /鼓楼区建设工程质量安全监督站/);
  assert.match(await row.innerText(), /未授权/);

  // disable (confirmed), then a password reset shows the new password once
  await page.locator('[data-test="toggle-web_test01"]').click();
  await page.locator('.el-message-box').getByRole('button', { name: 'OK' }).or(page.locator('.el-message-box').getByRole('button', { name: '确定' })).click();
  await row.getByText('已停用').waitFor();
  await page.locator('[data-test="reset-web_test01"]').click();
  await page.locator('.el-message-box', { hasText: '重置' }).getByRole('button', { name: 'OK' }).or(page.locator('.el-message-box', { hasText: '重置' }).getByRole('button', { name: '确定' })).click();
  const reset = page.locator('.el-message-box', { hasText: '新的初始密码' });
  await reset.waitFor();
  await shot(page, 'user-reset');
  await reset.getByRole('button', { name: '我已记下' }).click();
  await page.locator('[data-test="toggle-web_test01"]', { hasText: '启用' }).click();
  await row.getByText('正常').waitFor();
  await shot(page, 'users');
  await logout(page);
});

test('the 安全管理员 grants a role and edits a role template', async (t) => {
  const { page } = await openPage(t, browser, srv.url, { allow: [ME] });
  await login(page, 'secadmin');
  assert.doesNotMatch(await menuItems(page), /审计日志/);
  await page.goto('/admin/users');
  // the page is drawn (its list came) before the button is looked for
  await page.locator('[data-test="users"] .el-table__body tr', { hasText: 'web_test01' }).waitFor();
  assert.equal(await page.locator('[data-test="user-new"]').count(), 0, 'creating accounts is the 系统管理员\'s');
  await page.locator('[data-test="role-web_test01"]').click();
  await page.locator('[data-test="role-select"]').click();
  await page.locator('.el-select-dropdown__item:visible', { hasText: '市/县监督员' }).click();
  await page.locator('[data-test="role-save"]').click();
  const granted = page.locator('[data-test="users"] .el-table__body tr', { hasText: 'web_test01' });
  await granted.getByText('市/县监督员', { exact: true }).waitFor();

  await page.goto('/admin/roles');
  const inspector = page.locator('[data-test="roles"] .el-table__body tr', { hasText: 'inspector' });
  await inspector.waitFor();
  assert.equal(await page.locator('[data-test="edit-auditor"]').count(), 0, 'the reserved roles are not edited');
  await page.locator('[data-test="edit-inspector"]').click();
  const dialog = page.locator('.el-dialog', { hasText: '编辑角色' });
  await dialog.locator('input[name="role-name"]').fill('监督员（县区）');
  await dialog.locator('.el-checkbox', { hasText: '查看企业库' }).click(); // take enterprise.read away
  await shot(page, 'role-edit');
  await page.locator('[data-test="role-dialog-save"]').click();
  await inspector.getByText('监督员（县区）').waitFor();
  assert.match(await inspector.innerText(), /\s4\s/); // five permissions less one
  await shot(page, 'roles');
  await logout(page);
});

test('the 省厅管理员 adds, disables and reorders dictionary items, and browses the regions', async (t) => {
  const { page } = await openPage(t, browser, srv.url, { allow: [ME] });
  await login(page, 'province');
  await page.goto('/admin/dictionaries');
  await page.locator('[data-test="dicts"] .el-table__body tr', { hasText: 'structure_type' }).click();
  const items = page.locator('[data-test="dict-items"]');
  await items.locator('.el-table__body tr').first().waitFor();
  await items.locator('input[name="item-code"]').fill('web_test');
  await items.locator('input[name="item-label"]').fill('浏览器测试结构<b>粗</b>');
  await page.locator('[data-test="item-add"]').click();
  const row = items.locator('.el-table__body tr', { hasText: 'web_test' });
  await row.waitFor();
  assert.match(await row.innerText(), /浏览器测试结构<b>粗<\/b>/); // as text
  await page.locator('[data-test="toggle-web_test"]').click();
  await row.getByText('停用', { exact: true }).first().waitFor();
  // last → one up, saved
  await row.getByRole('button', { name: '上移' }).click();
  await page.locator('[data-test="save-order"]').click();
  await page.locator('.el-message--success', { hasText: '排序已保存' }).waitFor();
  await settled(page); // the items asked again after the save: the server's order, not the page's
  const codes = await items.locator('.el-table__body tr td:nth-child(2)').allInnerTexts();
  assert.equal(codes[codes.length - 2], 'web_test');
  await shot(page, 'dictionaries');

  await page.goto('/admin/orgs');
  const tree = page.locator('[data-test="org-tree"]');
  await tree.getByText('福建省', { exact: true }).waitFor();
  await page.locator('input[name="org-filter"]').fill('鼓楼');
  await tree.getByText('鼓楼区', { exact: true }).waitFor();
  await shot(page, 'orgs');
  await logout(page);
});

test('the 系统管理员 names the 鼓楼 station\'s leader for workflow steps', async (t) => {
  const { page } = await openPage(t, browser, srv.url, { allow: [ME] });
  await login(page, 'admin');
  await page.goto('/admin/orgs');
  // a filter typed before the regions came applies to them once they are drawn
  await page.locator('input[name="org-filter"]').fill('350102');
  await page.locator('[data-test="set-leader-350102-station"]').click();
  const dialog = page.locator('.el-dialog', { hasText: '设置负责人' });
  // the select opens at once, saying 正在加载人员… until the candidates come
  await dialog.locator('[data-test="leader-select"]').click();
  await page.locator('.el-select-dropdown__item', { hasText: 'gulou_chief' }).click();
  await shot(page, 'department-leader');
  await dialog.locator('[data-test="leader-save"]').click();
  await page.locator('.el-message--success', { hasText: '负责人已设置' }).waitFor();
  await page.locator('[data-test="org-tree"] [data-test="leader"]', { hasText: '鼓楼区监督站站长' }).waitFor();
  const one = (q) => Number(dbExec(srv.env.JIANGUAN_DATABASE, q).trim());
  assert.equal(one("SELECT leader_id FROM department WHERE code = '350102-station'"),
    one("SELECT id FROM app_user WHERE username = 'gulou_chief'"));
  await logout(page);
});

test('the 审计员 finds the administrators\' actions in the audit log', async (t) => {
  const { page } = await openPage(t, browser, srv.url, { allow: [ME] });
  await login(page, 'auditor');
  const menu = await menuItems(page);
  assert.match(menu, /审计日志/);
  assert.doesNotMatch(menu, /用户管理|角色与权限/);
  await page.locator('[data-test="side-menu"]').getByText('审计日志').click();
  await page.waitForURL(/\/admin\/audit$/);
  await page.locator('[data-test="audit"] .el-table__body tr').first().waitFor();
  await page.locator('input[name="filter-username"]').fill('admin');
  // the unfiltered page (50 rows) may hold the rows below too: read the table once the filtered
  // answer has replaced it
  const filtered = page.waitForResponse((r) => /\/api\/v1\/audit\?.*username=admin/.test(r.url()));
  await page.locator('[data-test="audit-search"]').click();
  assert.equal((await filtered).status(), 200);
  await settled(page, /\/api\/v1\/audit\?.*username=admin/);
  await page.locator('[data-test="audit"] .el-table__body tr', { hasText: '新增用户' }).waitFor();
  await page.locator('[data-test="audit"] .el-table__body tr', { hasText: '重置密码' }).waitFor();
  // a change shows the fields it changed, old → new
  await page.locator('[data-test="audit"] .el-table__body tr', { hasText: 'status：active → disabled' }).waitFor();
  const users = await page.locator('[data-test="audit"] .el-table__body tr td:nth-child(3)').allInnerTexts();
  assert.ok(users.length > 0 && users.every((u) => u === 'admin'), users.join(','));
  await shot(page, 'audit');
  // others do not get the page
  await logout(page);
  await login(page, 'admin');
  await page.goto('/admin/audit');
  await page.waitForURL((u) => u.pathname === '/');
  await logout(page);
});
