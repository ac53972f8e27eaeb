// The record form at a process step (jg:editable) in a real browser: the 鼓楼 station chief, holding
// the step, sees the step's note, the fields of the step as inputs and the others read-only (a child
// table without its add and delete buttons), and saves a change of an editable field; the applicant,
// holding no step, is not offered 修改 on the record page.
//
// Run: node --test tests/web/flow_editable.test.mjs (web/dist built, or JIANGUAN_WEB_DIST; JIANGUAN_TEST_BIN
// as for the API tests).
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
const flow = (id, from, to) => `<sequenceFlow id="${id}" sourceRef="${from}" targetRef="${to}"/>`;
const XML = '<?xml version="1.0" encoding="UTF-8"?><definitions xmlns="http://www.omg.org/spec/BPMN/20100524/MODEL"' +
  ' xmlns:jg="https://jianguan.fj.gov.cn/schema/bpmn"><process id="ed_web" name="可编辑字段页面测试">' +
  '<startEvent id="s"/>' + flow('f0', 's', 'A') +
  '<userTask id="A" name="核对联系人" jg:candidateRoles="station_chief" jg:level="county" jg:state="submitted"' +
  ' jg:editable="contact_name"/>' + flow('f1', 'A', 'e') + '<endEvent id="e"/></process></definitions>';
let id;

before(async () => {
  const dist = process.env.JIANGUAN_WEB_DIST || join(root, 'web', 'dist');
  if (!existsSync(join(dist, 'index.html'))) execFileSync(join(root, 'scripts', 'web.sh'), { stdio: 'inherit' });
  srv = await startServer({ webDir: dist, projects: 1, env: { JIANGUAN_CAPTCHA: 'off', JIANGUAN_AUTH_RATE_PER_MINUTE: '100000' } });
  for (const u of ['contractor', 'gulou_chief', 'province']) s[u] = await session(srv, u);
  const own = s.contractor.user.enterprise_id;
  const owner = Number(sql(`SELECT id FROM enterprise WHERE id <> ${own} ORDER BY id LIMIT 1`));
  let r = await post('province', '/api/v1/flow/definitions', { xml: XML });
  assert.equal(r.status, 201, r.text);
  r = await post('contractor', '/api/v1/records/registration', {
    project_name: '页面可编辑字段测试项目', project_kind: 'building', org_code: '350102', address: '福州市鼓楼区测试路 7 号',
    applicant_id: own, owner_id: owner, contractor_id: own, total_area: '1000.00', cost: '5000000.00',
    planned_start_on: '2026-12-01', contact_name: '李四', remark: '申报备注', units: [{ unit_name: '1#楼', area: '1000.00' }],
  });
  assert.equal(r.status, 201, r.text);
  id = r.json.id;
  r = await post('contractor', '/api/v1/flow/instances', { key: 'ed_web', entity: 'registration', record_id: id });
  assert.equal(r.status, 201, r.text);
  browser = await launch({ tag: 'editable-' });
});
after(async () => {
  await browser?.close();
  if (srv) assert.equal(await srv.stop(), 0);
});

const ME = [401, /\/api\/v1\/auth\/me$/];

test('the step holder edits the step\'s field; the others are read-only', async (t) => {
  const { page } = await openPage(t, browser, srv.url, { allow: [ME] });
  await login(page, 'gulou_chief');
  await page.goto(`/records/registration/${id}/edit`);
  const note = page.locator('[data-test="step-editable"]');
  await note.waitFor();
  assert.match(await note.innerText(), /核对联系人/);
  assert.equal(await page.locator('input[name="contact_name"]').count(), 1);
  assert.equal(await page.locator('textarea[name="remark"]').count(), 0);
  assert.match(await page.locator('[data-readonly="remark"]').innerText(), /申报备注/);
  assert.equal(await page.locator('[data-readonly="project_name"]').count(), 1);
  assert.equal(await page.getByRole('button', { name: '添加一行' }).count(), 0, 'no rows added to a read-only table');
  await shot(page, 'form-at-step');
  await page.locator('input[name="contact_name"]').fill('王五');
  await page.locator('[data-test="save"]').click();
  await page.waitForURL(new RegExp(`/records/registration/${id}$`));
  assert.equal(sql(`SELECT contact_name || '|' || remark FROM e_registration WHERE id = ${id}`), '王五|申报备注');
});

test('the applicant holding no step is not offered 修改', async (t) => {
  const { page } = await openPage(t, browser, srv.url, { allow: [ME] });
  await login(page, 'contractor');
  const asked = page.waitForResponse((r) => r.url().includes('/api/v1/flow/editable'));
  await page.goto(`/records/registration/${id}`);
  assert.equal((await asked).status(), 200);
  await page.getByText('页面可编辑字段测试项目').first().waitFor();
  // the button follows that answer (and the definitions'): read once the page has applied them
  await settled(page, /\/api\/v1\/flow\/editable/);
  assert.equal(await page.locator('[data-test="edit"]').count(), 0);
});
