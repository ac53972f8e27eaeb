// The task operations of the workbench in a real browser (Debian's chromium via playwright-core)
// against a real server (issue 6 with the operations of issue 5): 签收 and 释放 from the 待办 list,
// 转办 with the picker of the task's candidates (the same station), 抄送, 撤回 from the 已办 list,
// 批量办理 with its per-task results, 意见模板 (own and shared: pick, save, delete), 电子签单 (a key made
// and registered in the browser, the opinion signed there and verified by the server, a tampered
// opinion shown as invalid), 绿色通道 and 终止, and the efficiency statistics page (办件效能统计) with
// its chart and table. Every page fails its test on a console error or a failed request.
//
// Run: node --test tests/web/tasks_ops.test.mjs (web/dist built, or JIANGUAN_WEB_DIST; JIANGUAN_TEST_BIN
// and JIANGUAN_TEST_DB as for the API tests).
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
const id = {};
let own, owner;
const sql = (q) => dbExec(srv.env.JIANGUAN_DATABASE, q).trim();

before(async () => {
  const dist = process.env.JIANGUAN_WEB_DIST || join(root, 'web', 'dist');
  if (!existsSync(join(dist, 'index.html'))) execFileSync(join(root, 'scripts', 'web.sh'), { stdio: 'inherit' });
  srv = await startServer({ webDir: dist, projects: 5, env: { JIANGUAN_CAPTCHA: 'off', JIANGUAN_AUTH_RATE_PER_MINUTE: '100000' } });
  // A second station chief of 鼓楼 (a candidate of 受理 and 登记 like gulou_chief), made from the demo account.
  sql(`INSERT INTO app_user (username, password_hash, display_name, role, org_code, status, kind, department_id,
    enterprise_id, must_change_password, password_changed_at, created_at, updated_at)
    SELECT 'gulou_chief2', password_hash, '鼓楼区监督站副站长', role, org_code, status, kind, department_id, enterprise_id,
    must_change_password, password_changed_at, created_at, updated_at FROM app_user WHERE username = 'gulou_chief'`);
  for (const u of ['contractor', 'gulou_chief', 'gulou_chief2', 'gulou', 'province']) {
    s[u] = await session(srv, u);
    id[u] = Number(sql(`SELECT id FROM app_user WHERE username = '${u}'`));
  }
  own = s.contractor.user.enterprise_id;
  owner = Number(sql(`SELECT id FROM enterprise WHERE id <> ${own} ORDER BY id LIMIT 1`));
  browser = await launch({ tag: 'tasks_ops-' });
  console.log(`# screenshots: ${shotDir}`);
});
after(async () => {
  await browser?.close();
  if (srv) assert.equal(await srv.stop(), 0);
});

const post = (who, path, body) => as(srv, s[who], path, { method: 'POST', body });
const get = (who, path) => as(srv, s[who], path);
const ME = [401, /\/api\/v1\/auth\/me$/];

/** A declaration of the contractor in 鼓楼 submitted to 项目报监: { record, instance, task } (受理 open). */
async function submitted(name) {
  let r = await post('contractor', '/api/v1/records/registration', {
    project_name: name, project_kind: 'building', org_code: '350102', address: `福州市鼓楼区${name}路 8 号`,
    applicant_id: own, owner_id: owner, contractor_id: own, total_area: '1000.00', cost: '5000000.00',
    planned_start_on: '2026-12-01', contact_name: '李四',
  });
  assert.equal(r.status, 201, r.text);
  const record = r.json.id;
  r = await post('contractor', '/api/v1/flow/instances', { key: 'registration', entity: 'registration', record_id: record });
  assert.equal(r.status, 201, r.text);
  return { record, instance: r.json.id, task: r.json.tasks[0] };
}
const instance = async (who, iid) => (await get(who, `/api/v1/flow/instances/${iid}`)).json;
const rowOf = (page, record) => page.locator('[data-test="tasks"] .el-table__body-wrapper tr', { hasText: `第 ${record} 号` });
/** Confirms the open message box with its button named name. */
const confirmBox = (page, name) => page.locator('.el-message-box').getByRole('button', { name }).click();

test('the people picker route: candidates of the same station for 转办, colleagues for 委托, only for who may act', async () => {
  const { task } = await submitted('人员选择测试楼');
  let r = await get('gulou_chief', `/api/v1/flow/tasks/${task.id}/people?for=transfer`);
  assert.equal(r.status, 200, r.text);
  const names = r.json.items.map((u) => u.username);
  assert.ok(names.includes('gulou_chief2'), names.join());
  assert.ok(!names.includes('gulou') && !names.includes('gulou_chief') && !names.includes('xiamen'), names.join());
  r = await get('gulou_chief', `/api/v1/flow/tasks/${task.id}/people?for=delegate`);
  assert.ok(r.json.items.some((u) => u.username === 'gulou'), 'the inspector of the same station is a colleague');
  assert.ok(r.json.items.every((u) => u.username !== 'xiamen'));
  r = await get('gulou_chief', `/api/v1/flow/tasks/${task.id}/people?for=copy&keyword=${encodeURIComponent('副站长')}`);
  assert.deepEqual(r.json.items.map((u) => u.username), ['gulou_chief2']);
  r = await get('gulou', `/api/v1/flow/tasks/${task.id}/people?for=transfer`);
  assert.equal(r.status, 404, r.text);
  r = await get('gulou_chief', `/api/v1/flow/tasks/${task.id}/people?for=everyone`);
  assert.equal(r.status, 400, r.text);
});

test('签收 and 释放 from the 待办 list; 转办 to a candidate picked from the same station; 抄送', async (t) => {
  const { record, instance: iid, task } = await submitted('签收转办测试楼');
  const { page } = await openPage(t, browser, srv.url, { allow: [ME] });
  await login(page, 'gulou_chief');
  await page.goto('/tasks?box=todo');
  const row = rowOf(page, record);
  await row.waitFor();
  await row.locator(`[data-test="claim-${task.id}"]`).click();
  await page.locator('.el-message-box').getByText('签收后只由您办理').waitFor();
  await confirmBox(page, '签收');
  await page.locator('.el-message--success', { hasText: '已签收' }).waitFor();
  await row.locator(`[data-test="release-${task.id}"]`).waitFor();
  let inst = await instance('gulou_chief', iid);
  assert.equal(inst.tasks[0].assignee_id, id.gulou_chief);
  assert.equal((await get('gulou_chief2', '/api/v1/flow/tasks?box=todo&size=100')).json.items.some((x) => x.id === task.id), false,
    'a claimed task leaves the other candidates\' 待办');
  await shot(page, 'claimed');
  // 释放: back to the pool
  await row.locator(`[data-test="release-${task.id}"]`).click();
  await confirmBox(page, '释放');
  await page.locator('.el-message--success', { hasText: '已释放' }).waitFor();
  await row.locator(`[data-test="claim-${task.id}"]`).waitFor();

  // 更多 → 抄送 in the list: the task page with the dialog open; 抄送 to the inspector
  await row.locator(`[data-test="more-${task.id}"]`).click();
  await page.locator('.el-dropdown-menu:visible').getByText('抄送').click();
  await page.waitForURL(/\/tasks\/instance\/\d+\?task=\d+&op=copy$/);
  const dialog = page.locator('.el-dialog[data-test="op-dialog"]');
  await dialog.getByText('抄送给').waitFor();
  await dialog.locator('[data-test="user-picker"]').click();
  await page.locator('.el-select-dropdown__item:visible', { hasText: '市/县监督员' }).first().click();
  await dialog.locator('textarea[name="op-opinion"]').fill('请知悉');
  await dialog.locator('[data-test="op-confirm"]').click();
  await page.locator('.el-message--success', { hasText: '已抄送 1 人' }).waitFor();
  const copies = (await get('gulou', '/api/v1/flow/copies')).json.items;
  assert.ok(copies.some((c) => c.instance_id === iid && c.note === '请知悉'), JSON.stringify(copies));
  // the task page: the operations the chief may do; 转办 to the deputy
  const ops = page.locator('[data-test="task-ops"]');
  for (const op of ['claim', 'transfer', 'delegate', 'copy', 'jump', 'terminate']) await ops.locator(`[data-test="op-${op}"]`).waitFor();
  assert.equal(await ops.locator('[data-test="op-withdraw"]').count(), 0, 'nothing done yet to withdraw');

  await ops.locator('[data-test="op-transfer"]').click();
  await dialog.waitFor();
  await dialog.locator('[data-test="op-confirm"]').click(); // nobody chosen: said at once
  await dialog.locator('.el-form-item__error', { hasText: '请选择人员' }).waitFor();
  await dialog.locator('[data-test="user-picker"]').click();
  const options = page.locator('.el-select-dropdown__item:visible');
  await options.first().waitFor();
  const offered = await options.allInnerTexts();
  assert.ok(offered.some((x) => x.includes('鼓楼区监督站副站长')), offered.join('|'));
  assert.ok(offered.every((x) => !x.includes('监督员')), 'the inspector is no candidate of 受理');
  await options.filter({ hasText: '鼓楼区监督站副站长' }).click();
  await dialog.locator('textarea[name="op-opinion"]').fill('请副站长办理');
  await shot(page, 'transfer-dialog');
  await dialog.locator('[data-test="op-confirm"]').click();
  await page.locator('.el-message--success', { hasText: '已转办' }).waitFor();
  await page.waitForURL(/\/tasks\?box=todo$/);
  inst = await instance('gulou_chief', iid);
  assert.equal(inst.tasks.find((x) => x.id === task.id).assignee_id, id.gulou_chief2);
  assert.ok(inst.log.some((l) => l.action === 'transfer' && l.to_user === 'gulou_chief2' && l.opinion === '请副站长办理'));
  await logout(page);
});

test('委托 to a colleague of the same station, who sees it as 受托; the delegator takes it back (收回委托)', async (t) => {
  const { instance: iid, task } = await submitted('委托测试楼');
  const { page } = await openPage(t, browser, srv.url, { allow: [ME] });
  await login(page, 'gulou_chief');
  await page.goto(`/tasks/instance/${iid}?task=${task.id}`);
  await page.locator('[data-test="op-delegate"]').click();
  const dialog = page.locator('.el-dialog[data-test="op-dialog"]');
  await dialog.locator('[data-test="user-picker"]').click();
  await page.locator('.el-select-dropdown__item:visible', { hasText: '市/县监督员' }).first().click();
  await dialog.locator('textarea[name="op-opinion"]').fill('出差期间委托办理');
  await dialog.locator('[data-test="op-confirm"]').click();
  await page.locator('.el-message--success', { hasText: '已委托' }).waitFor();
  await page.waitForURL(/\/tasks\?box=todo$/);
  let t1 = (await instance('gulou_chief', iid)).tasks.find((x) => x.id === task.id);
  assert.deepEqual([t1.assignee_id, t1.delegated_by], [id.gulou, id.gulou_chief]);
  const theirs = (await get('gulou', '/api/v1/flow/tasks?box=todo&size=100')).json.items.find((x) => x.id === task.id);
  assert.equal(theirs.delegated_by, id.gulou_chief);
  // the delegator, on the instance: 收回委托 (and no handling card: it is not theirs now)
  await page.goto(`/tasks/instance/${iid}?task=${task.id}`);
  await page.locator('[data-test="log"]').getByText('受托人：gulou').waitFor();
  // the card follows the caller's 待办, asked after the instance (its log) was drawn
  await settled(page, /\/api\/v1\/flow\/tasks\?box=todo/);
  assert.equal(await page.locator('[data-test="handle"]').count(), 0);
  await page.locator('[data-test="op-recall"]').click();
  await confirmBox(page, '收回委托');
  await page.locator('.el-message--success', { hasText: '已收回委托' }).waitFor();
  await page.locator('[data-test="handle"]').waitFor();
  t1 = (await instance('gulou_chief', iid)).tasks.find((x) => x.id === task.id);
  assert.equal(t1.delegated_by, null);
  assert.ok((await get('gulou', '/api/v1/flow/tasks?box=todo&size=100')).json.items.every((x) => x.id !== task.id));
  await logout(page);
});

test('撤回 from the 已办 list while the next step is untouched; the step reopens for its actor', async (t) => {
  const { record, instance: iid, task } = await submitted('撤回测试楼');
  const r = await post('gulou_chief', `/api/v1/flow/tasks/${task.id}/complete`, { version: task.version, action: 'accept', opinion: '予以受理' });
  assert.equal(r.status, 200, r.text);
  const { page } = await openPage(t, browser, srv.url, { allow: [ME] });
  await login(page, 'gulou_chief');
  await page.goto('/tasks?box=done');
  const row = rowOf(page, record);
  await row.waitFor();
  await row.locator(`[data-test="withdraw-${task.id}"]`).click();
  await page.locator('.el-message-box input').fill('受理意见有误，撤回重办');
  await shot(page, 'withdraw-confirm');
  await confirmBox(page, '撤回');
  await page.locator('.el-message--success', { hasText: '已撤回' }).waitFor();
  await page.waitForURL(/\/tasks\/instance\/\d+\?task=\d+$/);
  await page.locator('[data-test="action-accept"]').waitFor();
  const inst = await instance('gulou_chief', iid);
  const open = inst.tasks.filter((x) => x.state === 'open');
  assert.deepEqual(open.map((x) => [x.node, x.assignee_id]), [['Accept', id.gulou_chief]]);
  await page.locator('[data-test="log"]').getByText('受理意见有误，撤回重办').waitFor();
  await logout(page);
});

test('批量办理 of selected 待办: one action and opinion, a result per task, a failure beside the successes', async (t) => {
  const three = [];
  for (const n of ['甲', '乙', '丙']) three.push(await submitted(`批量办理测试楼${n}`));
  const { page } = await openPage(t, browser, srv.url, { allow: [ME] });
  await login(page, 'gulou_chief');
  await page.goto('/tasks?box=todo');
  for (const x of three) await rowOf(page, x.record).locator('.el-checkbox').click();
  await page.locator('[data-test="selected-count"]', { hasText: '已选 3 件' }).waitFor();
  // meanwhile the deputy takes one of them
  const taken = three[2];
  const c = await post('gulou_chief2', `/api/v1/flow/tasks/${taken.task.id}/claim`, { version: taken.task.version });
  assert.equal(c.status, 200, c.text);
  await page.locator('[data-test="bulk-open"]').click();
  const dialog = page.locator('.el-dialog[data-test="bulk-dialog"]');
  await dialog.getByText('已选择 3 件待办').waitFor();
  await dialog.locator('[data-test="bulk-action"]').click();
  await page.locator('.el-select-dropdown__item:visible', { hasText: '受理' }).first().click();
  await dialog.locator('textarea[name="bulk-opinion"]').fill('批量受理');
  await dialog.locator('[data-test="bulk-submit"]').click();
  await confirmBox(page, '办理');
  const summary = dialog.locator('[data-test="bulk-summary"]');
  await summary.waitFor();
  assert.match(await summary.innerText(), /成功 2 件，失败 1 件/);
  const results = dialog.locator('[data-test="bulk-results"] .el-table__body-wrapper tr');
  assert.equal(await results.count(), 3);
  const failed = results.filter({ hasText: `第 ${taken.record} 号` });
  assert.match(await failed.innerText(), /失败/);
  assert.match(await failed.innerText(), /[\u4e00-\u9fff]{4,}/, 'the server\'s reason in Chinese');
  await shot(page, 'bulk-results');
  await dialog.locator('[data-test="bulk-close"]').click();
  for (const x of three.slice(0, 2)) {
    const inst = await instance('gulou_chief', x.instance);
    assert.equal(inst.tasks.find((y) => y.id === x.task.id).state, 'done');
    assert.ok(inst.log.some((l) => l.opinion === '批量受理'));
  }
  assert.equal((await instance('gulou_chief', taken.instance)).tasks.find((y) => y.id === taken.task.id).state, 'open');
  await logout(page);
});

test('意见模板: shared ones apart, the opinion saved as one\'s own, picked into the box, deleted', async (t) => {
  let r = await post('province', '/api/v1/flow/opinion-templates', { text: '经审查，符合受理条件，予以受理。', shared: true });
  assert.equal(r.status, 201, r.text);
  const { instance: iid, task } = await submitted('意见模板测试楼');
  const { page } = await openPage(t, browser, srv.url, { allow: [ME] });
  await login(page, 'gulou_chief');
  await page.goto(`/tasks/instance/${iid}?task=${task.id}`);
  const box = page.locator('textarea[name="opinion"]');
  await box.fill('资料已核对，同意受理。');
  await page.locator('[data-test="tpl-save"]').click();
  await page.locator('.el-message--success', { hasText: '已存为意见模板' }).waitFor();
  const mine = (await get('gulou_chief', '/api/v1/flow/opinion-templates')).json.items;
  const saved = mine.find((x) => x.text === '资料已核对，同意受理。' && !x.shared);
  assert.ok(saved, JSON.stringify(mine));
  // pick: the shared one into an empty box
  await box.fill('');
  await page.locator('[data-test="tpl-pick"]').click();
  const menu = page.locator('.el-dropdown-menu:visible');
  await menu.getByText('共享模板').waitFor();
  await menu.getByText('我的模板').waitFor();
  await shot(page, 'templates-menu');
  await menu.getByText('经审查，符合受理条件，予以受理。').click();
  assert.equal(await box.inputValue(), '经审查，符合受理条件，予以受理。');
  // manage: one's own deleted; the shared one listed apart, not deletable by a station chief
  await page.locator('[data-test="tpl-manage"]').click();
  const dialog = page.locator('.el-dialog[data-test="tpl-dialog"]');
  await dialog.locator('[data-test="tpl-shared"]').getByText('经审查，符合受理条件').waitFor();
  assert.equal(await dialog.locator('[data-test="tpl-shared"]').getByRole('button', { name: '删除' }).count(), 0);
  await dialog.locator(`[data-test="tpl-del-${saved.id}"]`).click();
  await confirmBox(page, '删除');
  await page.locator('.el-message--success', { hasText: '模板已删除' }).waitFor();
  await dialog.locator('[data-test="tpl-own"]').getByText('暂无个人模板').waitFor();
  await shot(page, 'templates-manage');
  await dialog.locator('.el-dialog__headerbtn').click();
  await dialog.waitFor({ state: 'hidden' });
  r = await get('gulou_chief', '/api/v1/flow/opinion-templates');
  assert.equal(r.json.items.some((x) => x.id === saved.id), false);
  await logout(page);
});

test('电子签单: a key made in the browser, the opinion signed there, verified by the server; a changed opinion shows invalid', async (t) => {
  const { instance: iid, task } = await submitted('电子签单测试楼');
  const { page } = await openPage(t, browser, srv.url, { allow: [ME] });
  await login(page, 'gulou_chief');
  await page.goto(`/tasks/instance/${iid}?task=${task.id}`);
  await page.locator('[data-test="sign-register"]').click();
  await page.locator('.el-message--success', { hasText: '签名密钥已登记' }).waitFor();
  await page.locator('[data-test="sign-on"]').waitFor();
  const key = (await get('gulou_chief', '/api/v1/flow/sign-key')).json;
  assert.match(key.public_key, /^04[0-9a-f]{128}$/i);
  await page.locator('textarea[name="opinion"]').fill('材料齐全，予以受理（电子签名）。');
  await shot(page, 'sign');
  await page.locator('[data-test="action-accept"]').click();
  await page.waitForURL(/\/tasks\?box=todo$/);
  let inst = await instance('gulou_chief', iid);
  const line = inst.log.find((l) => l.action === 'complete:accept');
  assert.equal(line.signature, 'valid');
  await page.goto(`/tasks/instance/${iid}`);
  await page.locator('[data-test="signature-valid"]').waitFor();
  // someone with the database changes the opinion: the signature no longer verifies
  sql(`UPDATE flow_log SET opinion = '材料不全' WHERE id = ${line.id}`);
  await page.reload();
  await page.locator('[data-test="signature-invalid"]').waitFor();
  await shot(page, 'sign-invalid');
  inst = await instance('gulou_chief', iid);
  assert.equal(inst.log.find((l) => l.id === line.id).signature, 'invalid');
  await logout(page);
});

test('绿色通道 to a later step and 终止 with a reason, by a station chief holding the permissions', async (t) => {
  const { instance: iid, task } = await submitted('绿色通道终止测试楼');
  const { page } = await openPage(t, browser, srv.url, { allow: [ME] });
  await login(page, 'gulou_chief');
  await page.goto(`/tasks/instance/${iid}?task=${task.id}`);
  const ops = page.locator('[data-test="task-ops"]');
  await ops.locator('[data-test="op-jump"]').click();
  const dialog = page.locator('.el-dialog[data-test="op-dialog"]');
  await dialog.locator('[data-test="op-confirm"]').click();
  await dialog.locator('.el-form-item__error', { hasText: '请选择要跳转到的环节' }).waitFor();
  await dialog.locator('[data-test="jump-node"]').click();
  await page.locator('.el-select-dropdown__item:visible', { hasText: '登记' }).first().click();
  await dialog.locator('textarea[name="op-opinion"]').fill('重点民生项目，开通绿色通道');
  await dialog.locator('[data-test="op-confirm"]').click();
  await page.locator('.el-message--success', { hasText: '已通过绿色通道跳转' }).waitFor();
  let inst = await instance('gulou_chief', iid);
  assert.deepEqual(inst.tasks.filter((x) => x.state === 'open').map((x) => x.node), ['Register']);
  await ops.locator('[data-test="op-terminate"]').click();
  await dialog.locator('[data-test="op-confirm"]').click();
  await dialog.locator('.el-form-item__error', { hasText: '请填写理由' }).waitFor();
  await dialog.locator('textarea[name="op-opinion"]').fill('申报单位撤回申请');
  await shot(page, 'terminate-dialog');
  await dialog.locator('[data-test="op-confirm"]').click();
  await page.locator('.el-message--success', { hasText: '流程已终止' }).waitFor();
  await page.locator('[data-test="instance-state"]', { hasText: '已终止' }).waitFor();
  inst = await instance('gulou_chief', iid);
  assert.equal(inst.state, 'terminated');
  assert.equal(await page.locator('[data-test="task-ops"] [data-test="op-terminate"]').count(), 0, 'nothing left to terminate');
  await logout(page);
});

test('an inspector without the permissions sees neither 终止 nor 绿色通道 nor the statistics', async (t) => {
  const { instance: iid } = await submitted('无权限测试楼');
  const { page } = await openPage(t, browser, srv.url, { allow: [ME] });
  await login(page, 'gulou');
  await page.goto(`/tasks/instance/${iid}`);
  await page.locator('[data-test="log"]').getByText('发起').first().waitFor();
  assert.equal(await page.locator('[data-test="op-terminate"], [data-test="op-jump"]').count(), 0);
  assert.equal(await page.locator('.el-menu').getByText('效能统计').count(), 0);
  await logout(page);
});

test('办件效能统计: by process, step and department, a chart and a table of the steps done', async (t) => {
  const today = new Intl.DateTimeFormat('en-CA', { timeZone: 'Asia/Shanghai' }).format(new Date());
  let r = await get('gulou_chief', `/api/v1/flow/stats?from=${today}&to=${today}&by=process`);
  assert.equal(r.status, 200, r.text);
  const reg = r.json.items.find((x) => x.key === 'registration');
  assert.ok(reg && reg.handled >= 3 && reg.name, JSON.stringify(r.json));
  r = await get('gulou_chief', `/api/v1/flow/stats?from=${today}&to=${today}&by=node`);
  assert.ok(r.json.items.some((x) => x.node === 'Accept' && x.name === '监督站受理'), JSON.stringify(r.json));
  const { page } = await openPage(t, browser, srv.url, { allow: [ME] });
  await login(page, 'gulou_chief');
  await page.locator('.el-menu').getByText('效能统计').click();
  await page.waitForURL(/\/flow\/stats$/);
  const table = page.locator('[data-test="stats-table"]');
  await table.getByText(reg.name).waitFor();
  await page.locator('[data-test="stats-chart"] canvas').waitFor();
  assert.equal(Number(await page.locator('[data-test="sum-handled"]').innerText()), reg.handled);
  await shot(page, 'stats-process');
  await page.locator('[data-test="by-node"]').click();
  await table.getByText('监督站受理').first().waitFor();
  await shot(page, 'stats-node');
  await page.locator('[data-test="by-department"]').click();
  await table.getByText('监督站').first().waitFor();
  await page.locator('[data-test="stats-chart"] canvas').waitFor();
  await shot(page, 'stats-department');
  await logout(page);
});

// Last: it deploys a new version of 项目报监 whose 受理 asks for a signed opinion.
test('a step with jg:sign="required": the page asks for the signature, a key made here signs it', async (t) => {
  // the version the server runs, with the setting added to 受理
  const shipped = await get('province', '/api/v1/flow/definitions/registration');
  assert.equal(shipped.status, 200, shipped.text);
  const xml = shipped.json.xml
    .replace('<bpmn:userTask id="Accept"', '<bpmn:userTask id="Accept" jg:sign="required"');
  assert.match(xml, /jg:sign="required"/);
  let r = await post('province', '/api/v1/flow/definitions', { xml });
  assert.equal(r.status, 201, r.text);
  const { instance: iid, task } = await submitted('须电子签名测试楼');
  const { page } = await openPage(t, browser, srv.url, { allow: [ME] });
  await login(page, 'gulou_chief');
  await page.goto(`/tasks/instance/${iid}?task=${task.id}`);
  const sign = page.locator('[data-test="sign"]');
  // a new browser: the chief's key (registered in an earlier test) is not here
  await sign.getByText('本环节须电子签名').waitFor();
  await page.locator('textarea[name="opinion"]').fill('同意受理。');
  await page.locator('[data-test="action-accept"]').click();
  await page.locator('[data-test="handle"] .el-form-item__error', { hasText: '本环节须电子签名' }).waitFor();
  assert.equal((await instance('gulou_chief', iid)).tasks.find((x) => x.id === task.id).state, 'open', 'nothing sent');
  await page.locator('[data-test="sign-register"]').click();
  await confirmBox(page, '登记');
  await page.locator('.el-message--success', { hasText: '签名密钥已登记' }).waitFor();
  assert.equal(await page.locator('[data-test="sign-on"] input').isDisabled(), true, 'always on at this step');
  await page.locator('[data-test="action-accept"]').click();
  await page.waitForURL(/\/tasks\?box=todo$/);
  const line = (await instance('gulou_chief', iid)).log.find((l) => l.action === 'complete:accept');
  assert.deepEqual([line.opinion, line.signature], ['同意受理。', 'valid']);
  r = await get('gulou_chief', `/api/v1/flow/instances/${iid}`);
  assert.equal(r.json.definition.version > 1, true);
  await logout(page);
});
