// 业务定制（表单设计） in a real browser (Debian's chromium via playwright-core) against a real server:
// the 省厅管理员 opens 项目报监 in the definitions editor, adds a field (with the live preview),
// keeps the draft over a reload, validates (the server's diff), publishes without a restart and
// finds the field on the record list and form; a bad change (a label without Chinese) shows the
// server's error beside the field it names; a later change is rolled back, and a roll back that
// would drop a field is refused with the server's Chinese reason.
//
// Run: node --test tests/web/customize.test.mjs (web/dist built, or JIANGUAN_WEB_DIST=<a built dist>;
// JIANGUAN_TEST_BIN and JIANGUAN_TEST_DB as for the API tests). JIANGUAN_MANUAL_IMAGES=1 copies the
// screenshots of the manual (docs/manual/customize.md) to docs/manual/images.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { copyFileSync, existsSync, mkdirSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { startServer, root } from '../api/lib/harness.mjs';
import { session, as } from '../api/lib/auth.mjs';
import { dbExec } from '../api/lib/checks.mjs';
import { launch, openPage, shot, shotDir, login } from './lib/browser.mjs';

let srv, browser, admin;
const ME = [401, /\/api\/v1\/auth\/me$/];
const DRAFT_400 = [400, /\/api\/v1\/admin\/definitions\/registration\/draft$/];
const ROLLBACK_409 = [409, /\/api\/v1\/admin\/definitions\/registration\/rollback$/];
const manual = []; // [screenshot, name in docs/manual/images]

before(async () => {
  let dist = process.env.JIANGUAN_WEB_DIST || join(root, 'web', 'dist');
  if (!existsSync(join(dist, 'index.html'))) {
    execFileSync(join(root, 'scripts', 'web.sh'), { stdio: 'inherit' });
    dist = join(root, 'web', 'dist');
  }
  srv = await startServer({ webDir: dist, projects: 3, env: { JIANGUAN_CAPTCHA: 'off', JIANGUAN_AUTH_RATE_PER_MINUTE: '100000' } });
  admin = await session(srv, 'province');
  browser = await launch({ tag: 'customize-' });
  console.log(`# screenshots: ${shotDir}`);
});
after(async () => {
  await browser?.close();
  if (srv) assert.equal(await srv.stop(), 0);
  if (process.env.JIANGUAN_MANUAL_IMAGES) {
    const dir = join(root, 'docs', 'manual', 'images');
    mkdirSync(dir, { recursive: true });
    for (const [file, name] of manual) copyFileSync(file, join(dir, name));
  }
});

const get = async (path) => {
  const r = await as(srv, admin, path);
  assert.equal(r.status, 200, r.text);
  return r.json;
};
const active = async () => (await get('/api/v1/admin/definitions/registration')).active;

/** Opens 项目报监 in the editor through the menu and the entity chooser. */
async function openEditor(page) {
  await page.locator('[data-test="side-menu"]').getByText('系统管理').click();
  await page.locator('[data-test="side-menu"]').getByText('业务定制（表单设计）').click();
  await page.waitForURL(/\/customize$/);
  await page.locator('[data-test="entity-select"]').click();
  await page.locator('.el-select-dropdown__item', { hasText: '（registration）' }).click();
  await page.waitForURL(/\/customize\/registration$/);
  await page.locator('[data-test="fields-fields"] .el-table__body tr', { hasText: '项目名称' }).waitFor();
}

/** Fills and confirms the field dialog. */
async function addField(page, { name, label, help, list }) {
  await page.locator('[data-test="add-field-fields"]').click();
  const dialog = page.locator('[data-test="field-dialog"]');
  await dialog.locator('input[name="field-name"]').fill(name);
  await dialog.locator('input[name="field-label"]').fill(label);
  if (help) await dialog.locator('input[name="field-help"]').fill(help);
  if (list) await dialog.locator('[data-test="field-list"]').click();
  await dialog.locator('[data-test="field-ok"]').click();
  await dialog.waitFor({ state: 'hidden' });
}

/** Clicks 发布 and confirms; waits for the success message. */
async function publish(page) {
  await page.locator('[data-test="publish"]').click();
  const box = page.locator('.el-message-box', { hasText: '发布业务定义' });
  await box.waitFor();
  const text = await box.innerText();
  await box.getByRole('button', { name: '发布' }).click();
  await page.locator('.el-message--success', { hasText: '已发布' }).waitFor();
  return text;
}

test('add a field, keep the draft over a reload, validate, publish: the record list and form show it', async (t) => {
  const { page } = await openPage(t, browser, srv.url, { allow: [ME] });
  const before = await active();
  assert.ok(!before.doc.fields.some((f) => f.name === 'green_code'));
  await login(page, 'province');
  await openEditor(page);
  assert.match(await page.locator('[data-test="active-version"]').innerText(), new RegExp(`生效版本 ${before.version}`));
  manual.push([await shot(page, 'editor'), 'customize-editor.png']);

  // a live field cannot be removed; a new one has the 新增 tag and shows in the preview
  const liveRow = page.locator('[data-test="fields-fields"] .el-table__body tr', { hasText: '项目名称' });
  assert.equal(await liveRow.getByRole('button', { name: '删除' }).isDisabled(), true);
  await addField(page, { name: 'green_code', label: '绿色建筑标识', help: '取得绿色建筑标识的填写证书编号', list: true });
  const row = page.locator('[data-test="fields-fields"] .el-table__body tr', { hasText: '绿色建筑标识' });
  assert.match(await row.innerText(), /新增/);
  await page.locator('[data-test="preview"] [data-preview="green_code"]', { hasText: '绿色建筑标识' }).waitFor();
  // a live field's type is fixed in the dialog
  await page.locator('[data-test="edit-project_name"]').click();
  const dlg = page.locator('[data-test="field-dialog"]');
  assert.equal(await dlg.locator('input[name="field-name"]').isDisabled(), true);
  // narrowing a live field is refused online: explained, and 确定 is disabled
  await dlg.locator('[data-test="field-max_length"] input').fill('50');
  await dlg.locator('[data-test="field-max_length"] input').blur();
  await dlg.locator('[data-test="field-problem"]', { hasText: '最大长度只能增大（原为 100）' }).waitFor();
  assert.equal(await dlg.locator('[data-test="field-ok"]').isDisabled(), true);
  manual.push([await shot(page, 'refused'), 'customize-refused.png']);
  await dlg.getByRole('button', { name: '取消' }).click();

  // the form layout: the new field went to the last section; move it up by keyboard-usable buttons
  await page.locator('.el-tabs__item', { hasText: '表单布局' }).click();
  const chip = page.locator('[data-test="chip-green_code"]');
  await chip.waitFor();
  const sec = page.locator('[data-test^="section-"]', { has: chip });
  assert.match((await sec.locator('.chip').allInnerTexts()).at(-1), /绿色建筑标识/, 'appended to the last section of fields');
  await chip.getByRole('button', { name: '上移绿色建筑标识' }).click();
  assert.match((await sec.locator('.chip').allInnerTexts()).at(-2), /绿色建筑标识/);
  const sectionLabel = await sec.locator('.sec-label input').inputValue();
  manual.push([await shot(page, 'layout'), 'customize-layout.png']);

  // the draft survives a reload (kept in this browser until published or discarded)
  await page.reload();
  await page.locator('[data-test="local-alert"]', { hasText: '已恢复本机未发布的修改' }).waitFor();
  await page.locator('[data-test="fields-fields"] .el-table__body tr', { hasText: '绿色建筑标识' }).waitFor();

  // validate: the server's diff and statements
  await page.locator('[data-test="validate"]').click();
  const diff = page.locator('[data-test="diff"]');
  await diff.getByText('新增字段“绿色建筑标识”（green_code，string）').waitFor();
  assert.match(await diff.innerText(), /可以发布/);
  manual.push([await shot(page, 'validate'), 'customize-validate.png']);
  const draft = (await get('/api/v1/admin/definitions/registration')).draft;
  assert.ok(draft.doc.fields.some((f) => f.name === 'green_code' && f.list === true), 'the draft is on the server');

  const confirm = await publish(page);
  assert.match(confirm, /绿色建筑标识/);
  const after = await active();
  assert.ok(after.version > before.version);
  const f = after.doc.fields.find((x) => x.name === 'green_code');
  assert.equal(f.label, '绿色建筑标识');
  assert.ok(after.doc.list.columns.includes('green_code'), 'chosen as a list column');
  const placed = after.doc.form.sections.find((x) => x.label === sectionLabel);
  assert.equal(placed.fields.at(-2), 'green_code', 'moved up one place');
  await page.locator('[data-test="active-version"]', { hasText: `生效版本 ${after.version}` }).waitFor();
  assert.equal(await page.locator('[data-test="local-alert"]').count(), 0, 'nothing left in the browser');

  // the record pages and the records API use the new definition at once (no restart)
  const contractor = await session(srv, 'contractor');
  const own = contractor.user.enterprise_id;
  const owner = Number(dbExec(srv.env.JIANGUAN_DATABASE, `SELECT id FROM enterprise WHERE id <> ${own} ORDER BY id LIMIT 1`).trim());
  const rec = await as(srv, contractor, '/api/v1/records/registration', { method: 'POST', body: {
    project_name: '定制字段测试楼', project_kind: 'building', org_code: '350102', address: '福州市鼓楼区定制路 6 号',
    applicant_id: own, owner_id: owner, contractor_id: own, green_code: 'LS2026-0001',
  } });
  assert.equal(rec.status, 201, rec.text);
  assert.equal(rec.json.green_code, 'LS2026-0001');
  await page.goto('/records/registration');
  await page.locator('.el-table__header', { hasText: '绿色建筑标识' }).first().waitFor();
  await page.locator('.el-table__body tr', { hasText: '定制字段测试楼' }).getByText('LS2026-0001').waitFor();
  manual.push([await shot(page, 'list'), 'customize-list.png']);
  await page.goto(`/records/registration/${rec.json.id}/edit`);
  const input = page.locator('[data-field="green_code"] input');
  await input.waitFor();
  assert.equal(await input.inputValue(), 'LS2026-0001');
  await page.locator('[data-field="green_code"]').getByText('取得绿色建筑标识的填写证书编号').waitFor();
  await shot(page, 'record-form');
});

test('a bad change shows the server\'s error beside the field; discard restores the active version', async (t) => {
  const { page } = await openPage(t, browser, srv.url, { allow: [ME, DRAFT_400] });
  await login(page, 'province');
  await openEditor(page);
  await addField(page, { name: 'gps_code', label: 'GPS' });
  await page.locator('[data-test="save-draft"]').click();
  const err = page.locator('[data-test="server-error"]');
  await err.getByText('业务定义有误，未保存').waitFor();
  const beside = page.locator('[data-test="field-error-gps_code"]');
  await beside.waitFor();
  assert.match(await beside.innerText(), /显示名称必须含有中文/, 'the server\'s Chinese message, beside the field');
  manual.push([await shot(page, 'error'), 'customize-error.png']);
  // the dialog of that field shows the same message
  await page.locator('[data-test="edit-gps_code"]').click();
  await page.locator('[data-test="field-server-error"]').waitFor();
  await page.locator('[data-test="field-dialog"]').getByRole('button', { name: '取消' }).click();

  // drag and drop in the form layout: a field onto another section's first field goes before it
  await page.locator('.el-tabs__item', { hasText: '表单布局' }).click();
  await page.locator('[data-test="chip-permit_no"]').dragTo(page.locator('[data-test="section-0"] [data-test="chip-project_name"]'));
  assert.match((await page.locator('[data-test="section-0"] .chip').allInnerTexts())[0], /施工许可证号/);
  await page.locator('[data-test="section-1"]').locator('.sec-head').dragTo(page.locator('[data-test="section-0"]'));
  assert.equal(await page.locator('[data-test="section-0"] .sec-label input').inputValue(), '参建单位', 'sections move too');

  await page.locator('[data-test="discard"]').click();
  await page.locator('.el-message-box', { hasText: '放弃修改' }).getByRole('button', { name: '放弃' }).click();
  await page.locator('[data-test="fields-fields"] .el-table__body tr', { hasText: 'GPS' }).waitFor({ state: 'detached' });
  assert.equal((await get('/api/v1/admin/definitions/registration')).draft, null);
});

test('roll back a change; a roll back that would drop a field is refused with the reason', async (t) => {
  const { page } = await openPage(t, browser, srv.url, { allow: [ME, ROLLBACK_409] });
  await login(page, 'province');
  await openEditor(page);
  const v1 = await active();
  assert.ok(v1.doc.fields.some((f) => f.name === 'green_code'), 'the first test published it');
  // change the help of the field and publish
  await page.locator('[data-test="edit-green_code"]').click();
  const dialog = page.locator('[data-test="field-dialog"]');
  await dialog.locator('input[name="field-help"]').fill('填写绿色建筑标识证书编号（新）');
  await dialog.locator('[data-test="field-ok"]').click();
  await publish(page);
  const v2 = await active();
  assert.equal(v2.doc.fields.find((f) => f.name === 'green_code').help, '填写绿色建筑标识证书编号（新）');

  await page.locator('[data-test="history"]').click();
  const drawer = page.locator('[data-test="history-drawer"]');
  await drawer.locator(`[data-test="rollback-${v1.version}"]`).waitFor();
  manual.push([await shot(page, 'history'), 'customize-history.png']);
  await drawer.locator(`[data-test="rollback-${v1.version}"]`).click();
  await page.locator('.el-message-box', { hasText: '回退' }).getByRole('button', { name: '回退' }).click();
  await page.locator('.el-message--success', { hasText: '已回退' }).waitFor();
  const v3 = await active();
  assert.ok(v3.version > v2.version);
  assert.equal(v3.note, `回退到版本 ${v1.version}`);
  assert.equal(v3.doc.fields.find((f) => f.name === 'green_code').help, '取得绿色建筑标识的填写证书编号');

  // the shipped version has no green_code: going back to it would drop the field
  const shipped = (await get('/api/v1/admin/definitions/registration/versions')).items.find((x) => x.source === 'shipped');
  await drawer.locator(`[data-test="rollback-${shipped.version}"]`).click();
  await page.locator('.el-message-box', { hasText: '回退' }).getByRole('button', { name: '回退' }).click();
  const refusal = drawer.locator('[data-test="rollback-error"]');
  await refusal.waitFor();
  assert.match(await refusal.innerText(), /不能在线生效.*绿色建筑标识/);
  assert.equal((await active()).version, v3.version);
});

test('a child table with its fields, an enum field, a state and list columns: the server\'s diff names each', async (t) => {
  const { page } = await openPage(t, browser, srv.url, { allow: [ME] });
  await login(page, 'province');
  await openEditor(page);
  // a child table and its field
  await page.locator('.el-tabs__item', { hasText: '子表' }).click();
  await page.locator('[data-test="add-child"]').click();
  const cd = page.locator('.el-dialog', { hasText: '新增子表' });
  await cd.locator('input[name="child-name"]').fill('checks');
  await cd.locator('input[name="child-label"]').fill('自查记录');
  await cd.locator('[data-test="child-ok"]').click();
  await page.locator('[data-test="add-field-child-checks"]').click();
  const dialog = page.locator('[data-test="field-dialog"]');
  await dialog.locator('input[name="field-name"]').fill('checked_on');
  await dialog.locator('input[name="field-label"]').fill('自查日期');
  await dialog.locator('[data-test="field-type"]').click();
  await page.locator('.el-select-dropdown__item:visible', { hasText: '日期（date）' }).click();
  await dialog.locator('[data-test="field-required"]').click();
  await dialog.locator('[data-test="field-ok"]').click();
  await page.locator('[data-test="fields-child-checks"] .el-table__body tr', { hasText: '自查日期' }).waitFor();
  await page.locator('[data-test="preview"] th', { hasText: '自查日期' }).waitFor();
  // an enum field on its dictionary
  await page.locator('.el-tabs__item', { hasText: '字段' }).first().click();
  await page.locator('[data-test="add-field-fields"]').click();
  await dialog.locator('input[name="field-name"]').fill('energy_level');
  await dialog.locator('input[name="field-label"]').fill('节能等级');
  await dialog.locator('[data-test="field-type"]').click();
  await page.locator('.el-select-dropdown__item:visible', { hasText: '字典选项（enum）' }).click();
  await dialog.locator('[data-test="field-dict"]').click();
  await page.locator('.el-select-dropdown__item:visible', { hasText: '（project_kind）' }).click();
  await dialog.locator('[data-test="field-ok"]').click();
  await page.locator('[data-test="preview"] [data-preview="energy_level"]').waitFor();
  // a state
  await page.locator('.el-tabs__item', { hasText: '状态' }).click();
  await page.locator('input[name="state-name"]').fill('archived');
  await page.locator('input[name="state-label"]').fill('已归档');
  await page.getByRole('button', { name: '新增状态' }).click();
  await page.locator('[data-test="states"] .el-table__body tr', { hasText: 'archived' }).waitFor();
  // list columns: 创建时间 added, 工程造价 removed
  await page.locator('.el-tabs__item', { hasText: '列表' }).click();
  await page.locator('[data-test="col-remove-cost"]').click();
  await page.locator('[data-test="col-add"]').click();
  await page.locator('.el-select-dropdown__item:visible', { hasText: '创建时间（created_at）' }).click();
  await page.locator('[data-test="list-columns"] .el-table__body tr', { hasText: '创建时间' }).waitFor();

  await page.locator('[data-test="validate"]').click();
  const diff = page.locator('[data-test="diff"]');
  await diff.getByText('新增子表“自查记录”（checks）').waitFor();
  const text = await diff.innerText();
  assert.match(text, /新增字段“节能等级”（energy_level，enum）/);
  assert.match(text, /新增状态“已归档”（archived）/);
  assert.match(text, /列表设置/);
  assert.match(text, /可以发布/);
  await shot(page, 'child-validate');
  const draft = (await get('/api/v1/admin/definitions/registration')).draft.doc;
  assert.deepEqual(draft.children.find((c) => c.name === 'checks').fields, [{ name: 'checked_on', label: '自查日期', type: 'date', required: true }]);
  assert.equal(draft.fields.find((f) => f.name === 'energy_level').dict, 'project_kind');
  assert.ok(draft.list.columns.includes('created_at') && !draft.list.columns.includes('cost'));
  assert.ok(!draft.fields.find((f) => f.name === 'cost').list, 'the field\'s list flag follows the columns');

  await page.locator('[data-test="discard"]').click();
  await page.locator('.el-message-box', { hasText: '放弃修改' }).getByRole('button', { name: '放弃' }).click();
  await page.locator('[data-test="diff"]').waitFor({ state: 'detached' });
  assert.equal((await get('/api/v1/admin/definitions/registration')).draft, null);
});

test('a new entity: kept in the browser over a reload, given fields and permissions, published as a table', async (t) => {
  const { page } = await openPage(t, browser, srv.url, { allow: [ME] });
  await login(page, 'province');
  await page.goto('/customize');
  await page.locator('[data-test="new-entity"]').click();
  const nd = page.locator('.el-dialog', { hasText: '新建业务类型' });
  await nd.locator('input[name="entity-name"]').fill('site_visit');
  await nd.locator('input[name="entity-label"]').fill('现场走访');
  await nd.locator('[data-test="entity-ok"]').click();
  await page.waitForURL(/\/customize\/site_visit$/);
  await addField(page, { name: 'visit_no', label: '走访编号', list: true });
  await page.reload();
  await page.locator('[data-test="fields-fields"] .el-table__body tr', { hasText: '走访编号' }).waitFor();
  assert.equal(await page.locator('[data-test="history"]').count(), 0, 'no versions yet');
  // permissions the province administrator holds, so the new kind is visible at once
  await page.locator('.el-tabs__item', { hasText: '基本信息' }).click();
  for (const [op, code] of [['read', 'registration.read'], ['create', 'registration.update'], ['update', 'registration.update']]) {
    await page.locator(`[data-test="perm-${op}"]`).click();
    await page.locator(`[data-test="perm-${op}"] input`).fill(code); // filterable: the list is long
    await page.locator(`[data-test="perm-${op}"] input`).press('Enter');
    await page.locator(`[data-test="perm-${op}"]`, { hasText: `（${code}）` }).waitFor();
  }
  await page.locator('[data-test="validate"]').click();
  const diff = page.locator('[data-test="diff"]');
  await diff.getByText('可以发布').waitFor();
  await diff.getByText(/表结构变更语句/).click();
  assert.match(await diff.innerText(), /CREATE TABLE e_site_visit/);
  await publish(page);
  const def = await get('/api/v1/admin/definitions/site_visit');
  assert.equal(def.active.source, 'custom');
  assert.deepEqual(def.active.doc.permissions, { read: 'registration.read', create: 'registration.update', update: 'registration.update' });
  await page.goto('/records/site_visit/new');
  await page.locator('[data-field="visit_no"]', { hasText: '走访编号' }).waitFor();
  await page.locator('[data-field="visit_no"] input').fill('ZF-001');
  await page.locator('[data-test="save"]').click();
  await page.waitForURL(/\/records\/site_visit\/\d+$/);
  await page.getByText('ZF-001').first().waitFor();
  await shot(page, 'new-entity-record');
});
