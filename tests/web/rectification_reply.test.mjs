// The unit's 整改回复 in a real browser (step-granted edits): the contractor, without
// rectification_order.update, is offered 修改 on an issued order at its 整改回复 step, sees the reply
// fields as inputs and the station's fields read-only, and saves its reply; the station, holding no
// step in the readonly state, is offered neither 修改 nor 删除.
//
// Run: node --test tests/web/rectification_reply.test.mjs (web/dist built, or JIANGUAN_WEB_DIST;
// JIANGUAN_TEST_BIN as for the API tests).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { startServer, root } from '../api/lib/harness.mjs';
import { session, as } from '../api/lib/auth.mjs';
import { dbExec } from '../api/lib/checks.mjs';
import { launch, openPage, shot, login, settled } from './lib/browser.mjs';

let srv, browser;
const s = {};
const sql = (q) => dbExec(srv.env.JIANGUAN_DATABASE, q).trim();
const post = (who, path, body) => as(srv, s[who], path, { method: 'POST', body });
let id;

before(async () => {
  const dist = process.env.JIANGUAN_WEB_DIST || join(root, 'web', 'dist');
  if (!existsSync(join(dist, 'index.html'))) execFileSync(join(root, 'scripts', 'web.sh'), { stdio: 'inherit' });
  srv = await startServer({ webDir: dist, projects: 1, env: { JIANGUAN_CAPTCHA: 'off', JIANGUAN_AUTH_RATE_PER_MINUTE: '100000' } });
  for (const u of ['contractor', 'gulou', 'gulou_chief']) s[u] = await session(srv, u);
  const project = Number(sql('SELECT id FROM project ORDER BY id LIMIT 1'));
  let r = await post('gulou', '/api/v1/records/rectification_order', {
    project_id: project, project_name: '整改回复页面测试项目', org_code: '350102', inspected_on: '2026-11-20',
    enterprise_id: s.contractor.user.enterprise_id, enterprise_role: 'contractor', deadline_on: '2026-12-10',
    remark: '监督站备注', issues: [{ description: '临边防护缺失', location: '2#楼', requirement: '设置防护栏杆' }],
  });
  assert.equal(r.status, 201, r.text);
  id = r.json.id;
  r = await post('gulou', '/api/v1/flow/instances', { key: 'rectification_order', entity: 'rectification_order', record_id: id });
  assert.equal(r.status, 201, r.text);
  const [tid, version] = sql(`SELECT t.id, t.version FROM flow_task t JOIN flow_instance i ON i.id = t.instance_id` +
    ` WHERE i.record_id = ${id} AND i.entity = 'rectification_order' AND t.state = 'open'`).split('|').map(Number);
  r = await post('gulou_chief', `/api/v1/flow/tasks/${tid}/complete`, { version, action: 'approve' });
  assert.equal(r.status, 200, r.text);
  assert.equal(sql(`SELECT state FROM e_rectification_order WHERE id = ${id}`), 'issued');
  browser = await launch({ tag: 'reply-' });
});
after(async () => {
  await browser?.close();
  if (srv) assert.equal(await srv.stop(), 0);
});

const ME = [401, /\/api\/v1\/auth\/me$/];

test('the unit is offered 修改 at its reply step and fills in the reply only', async (t) => {
  const { page } = await openPage(t, browser, srv.url, { allow: [ME] });
  await login(page, 'contractor');
  await page.goto(`/records/rectification_order/${id}`);
  const edit = page.locator('[data-test="edit"]');
  await edit.waitFor();
  assert.equal(await page.locator('[data-test="delete"]').count(), 0);
  await edit.click();
  await page.waitForURL(new RegExp(`/records/rectification_order/${id}/edit$`));
  const note = page.locator('[data-test="step-editable"]');
  await note.waitFor();
  assert.match(await note.innerText(), /整改回复/);
  assert.equal(await page.locator('textarea[name="reply_text"]').count(), 1);
  assert.equal(await page.locator('textarea[name="remark"]').count(), 0);
  assert.match(await page.locator('[data-readonly="remark"]').innerText(), /监督站备注/);
  await page.locator('textarea[name="reply_text"]').fill('已设置1.2米高防护栏杆');
  await shot(page, 'reply-form');
  await page.locator('[data-test="save"]').click();
  await page.waitForURL(new RegExp(`/records/rectification_order/${id}$`));
  assert.equal(sql(`SELECT reply_text || '|' || remark FROM e_rectification_order WHERE id = ${id}`), '已设置1.2米高防护栏杆|监督站备注');
});

test('the station, holding no step on the issued order, is offered neither 修改 nor 删除', async (t) => {
  const { page } = await openPage(t, browser, srv.url, { allow: [ME] });
  await login(page, 'gulou');
  const asked = page.waitForResponse((r) => r.url().includes('/api/v1/flow/editable'));
  await page.goto(`/records/rectification_order/${id}`);
  assert.equal((await asked).status(), 200);
  await page.getByText('整改回复页面测试项目').first().waitFor();
  // the buttons follow that answer: read once the page has applied it
  await settled(page, /\/api\/v1\/flow\/editable/);
  assert.equal(await page.locator('[data-test="edit"]').count(), 0);
  assert.equal(await page.locator('[data-test="delete"]').count(), 0);
});
