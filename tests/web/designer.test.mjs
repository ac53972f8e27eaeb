// The process designer (业务定制) in a real browser (Debian's chromium via playwright-core) against a
// real server: the province admin opens the process list, loads 项目报监 in the bpmn-js modeler
// (Chinese palette limited to the engine's subset), changes a user task's name and due days in the
// Element Plus panel, validates and deploys; the API then holds version n+1 with the change and the
// jg: settings it did not touch. A broken change (the end event removed) shows the server's Chinese
// error and selects the element it names; a draft kept in the browser is offered again.
//
// Also: bpmn-js stays out of the workbench's first load; an instance's diagram is coloured
// (FlowViewer); 会签 and conditions round-trip; a flow.read user sees processes read-only.
//
// Run: node --test tests/web/designer.test.mjs (web/dist built, or JIANGUAN_WEB_DIST=<a built dist>;
// JIANGUAN_TEST_BIN as for the API tests). JIANGUAN_MANUAL_IMAGES=1 copies the screenshots of the
// manual to docs/manual/images.
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
const VALIDATE_400 = [400, /\/api\/v1\/flow\/definitions\/validate$/];
const good = []; // screenshots for docs/manual/images

before(async () => {
  let dist = process.env.JIANGUAN_WEB_DIST || join(root, 'web', 'dist');
  if (!existsSync(join(dist, 'index.html'))) {
    execFileSync(join(root, 'scripts', 'web.sh'), { stdio: 'inherit' });
    dist = join(root, 'web', 'dist');
  }
  srv = await startServer({ webDir: dist, projects: 2, env: { JIANGUAN_CAPTCHA: 'off', JIANGUAN_AUTH_RATE_PER_MINUTE: '100000' } });
  admin = await session(srv, 'province');
  browser = await launch({ tag: 'designer-' });
  console.log(`# screenshots: ${shotDir}`);
});
after(async () => {
  await browser?.close();
  if (srv) assert.equal(await srv.stop(), 0);
  if (process.env.JIANGUAN_MANUAL_IMAGES) {
    const dir = join(root, 'docs', 'manual', 'images');
    mkdirSync(dir, { recursive: true });
    for (const [file, name] of good) copyFileSync(file, join(dir, name));
  }
});

const get = async (path) => {
  const r = await as(srv, admin, path);
  assert.equal(r.status, 200, r.text);
  return r.json;
};

/** Opens a process in the designer and waits for its diagram. */
async function openDesigner(page, key) {
  await page.goto('/designer');
  await page.locator(`[data-test="open-${key}"]`).click();
  await page.waitForURL(new RegExp(`/designer/${key}$`));
  await page.locator('.djs-element[data-element-id="Accept"]').waitFor();
}

/** Clicks a node on the canvas and waits for the panel to show it. */
async function pick(page, id) {
  await page.locator(`.djs-element.djs-shape[data-element-id="${id}"]`).click();
  await page.waitForFunction((i) => document.querySelector('input[data-test="prop-id"]')?.value === i, id, { timeout: 5000 })
    .catch(async (e) => {
      await shot(page, `pick-${id}-failed`);
      throw e;
    });
}

/** The text input of a panel field (Element Plus puts data-test on the input or on its wrapper). */
const input = (page, name) => page.locator(`input[data-test="${name}"], [data-test="${name}"] input`).first();

test('bpmn-js is not in the workbench\'s first load, only in the designer\'s chunk', async (t) => {
  const { page } = await openPage(t, browser, srv.url, { allow: [ME] });
  const scripts = [];
  page.on('response', (r) => { if (/\.js$/.test(new URL(r.url()).pathname)) scripts.push(r); });
  await login(page, 'province');
  await page.locator('[data-test="count-card"]').first().waitFor();
  await page.waitForLoadState('networkidle');
  const isBpmn = async (r) => (await r.text()).includes('djs-container');
  const first = [...scripts];
  assert.ok(first.length > 0);
  for (const r of first) assert.equal(await isBpmn(r), false, `${r.url()} carries bpmn-js`);
  await page.goto('/designer/registration');
  await page.locator('.djs-element[data-element-id="Accept"]').waitFor();
  const later = scripts.slice(first.length);
  assert.ok((await Promise.all(later.map(isBpmn))).some(Boolean), 'the designer loads bpmn-js on demand');
});

test('the province admin changes a user task in the panel, validates and deploys a new version', async (t) => {
  const before = await get('/api/v1/flow/definitions/registration');
  const { page } = await openPage(t, browser, srv.url, { allow: [ME] });
  await login(page, 'province');
  await page.locator('.el-menu').getByText('业务定制（流程设计）').waitFor({ state: 'attached' });

  await page.goto('/designer');
  const row = page.locator('[data-test="process-list"] .el-table__row')
    .filter({ has: page.getByText('registration', { exact: true }) });
  await row.getByText('项目报监', { exact: true }).waitFor();
  await row.locator('.el-table__expand-icon').click();
  await page.locator('[data-test="versions-registration"]').getByText('系统内置').first().waitFor();
  good.push([await shot(page, 'process-list'), 'designer-list.png']);

  await openDesigner(page, 'registration');
  // the palette: Chinese titles, only what the engine runs
  const palette = page.locator('.djs-palette');
  await palette.locator('[data-action="create.user-task"][aria-label="人工办理环节（用户任务）"]').waitFor();
  assert.equal(await palette.locator('[data-action="create.service-task"]').count(), 1);
  for (const gone of ['create.data-object', 'create.data-store', 'create.participant-expanded', 'create.subprocess-expanded', 'create.task']) {
    assert.equal(await palette.locator(`[data-action="${gone}"]`).count(), 0, `${gone} is not offered`);
  }
  // every node of the hand-written process got a shape (the designer lays it out)
  for (const id of ['Start', 'Accept', 'Accept_overdue', 'Correct', 'Register', 'Issue', 'End', 'Supervise']) {
    assert.equal(await page.locator(`.djs-shape[data-element-id="${id}"]`).count(), 1, id);
  }

  await pick(page, 'Accept');
  const panel = page.locator('[data-test="props-panel"]');
  assert.equal(await input(panel, 'prop-name').inputValue(), '监督站受理');
  assert.equal(await input(panel, 'prop-due').inputValue(), '3');
  await panel.locator('[data-test="prop-roles"]').getByText('窗口受理员（clerk）').waitFor();
  // the context pad offers our user task and the replace menu only the supported kinds
  await page.locator('.djs-context-pad [data-action="append.user-task"]').waitFor();
  assert.equal(await page.locator('.djs-context-pad [data-action="append.intermediate-event"]').count(), 0);
  await page.locator('.djs-context-pad [data-action="replace"]').click();
  const menu = page.locator('.djs-popup');
  await menu.getByText('服务任务（系统动作）').waitFor();
  assert.equal(await menu.locator('[data-id="replace-with-script-task"]').count(), 0, 'no script task');
  await menu.locator('[data-id="toggle-parallel-mi"]').waitFor();
  const box = await page.locator('[data-test="canvas"]').boundingBox();
  await page.mouse.click(box.x + box.width - 60, box.y + box.height - 60); // empty canvas: the menu closes
  await menu.waitFor({ state: 'detached' });
  await pick(page, 'Accept');

  await input(panel, 'prop-name').fill('监督站受理（设计器）');
  await input(panel, 'prop-name').press('Tab');
  await input(panel, 'prop-due').fill('4');
  await input(panel, 'prop-due').press('Tab');
  // the label on the canvas follows (wrapped over lines: compare the text without them)
  await page.waitForFunction(() => document.querySelector('.djs-element[data-element-id="Accept"] text')?.textContent
    .replace(/\s/g, '') === '监督站受理（设计器）');
  good.push([await shot(page, 'designer-edit'), 'designer-edit.png']);

  await page.locator('[data-test="validate"]').click();
  await page.locator('.el-message--success').getByText(/校验通过/).waitFor();
  await page.locator('[data-test="deploy"]').click();
  await page.locator('.el-message--success').getByText(`第 ${before.version + 1} 版`).waitFor();
  await page.locator('[data-test="designer-version"]').getByText(`v${before.version + 1}`).waitFor();

  const after = await get('/api/v1/flow/definitions/registration');
  assert.equal(after.version, before.version + 1);
  assert.equal(after.source, 'designer');
  const accept = after.nodes.find((n) => n.id === 'Accept');
  assert.equal(accept.name, '监督站受理（设计器）');
  assert.equal(accept.due_days, 4);
  // what the panel did not touch round-trips through bpmn-js with the jg: descriptor
  assert.equal(accept.candidate_roles, 'clerk,station_chief');
  assert.equal(accept.on_timeout, 'remind');
  assert.equal(after.nodes.find((n) => n.id === 'End').state, 'registered');
  assert.equal(after.nodes.find((n) => n.id === 'Issue').action, 'registration.issue');
  assert.equal(after.flows.find((f) => f.id === 'Flow_accept').action, 'accept');
  assert.equal(after.nodes.find((n) => n.id === 'Correct').level, 'applicant');
  assert.match(after.xml, /BPMNDiagram/, 'the diagram is kept with the process');
  const versions = await get('/api/v1/flow/definitions/registration/versions');
  assert.equal(versions.items[0].version, before.version + 1);
  assert.equal(versions.items[1].name, '项目报监');
});

test('a broken process shows the server\'s error and selects the element; a draft is kept locally', async (t) => {
  const { page } = await openPage(t, browser, srv.url, { allow: [ME, VALIDATE_400] });
  await login(page, 'province');
  const version = (await get('/api/v1/flow/definitions/registration')).version;
  await openDesigner(page, 'registration');
  await pick(page, 'End');
  await page.locator('.djs-context-pad [data-action="delete"]').click();
  assert.equal(await page.locator('.djs-shape[data-element-id="End"]').count(), 0);

  await page.locator('[data-test="validate"]').click();
  const error = page.locator('[data-test="designer-error"]');
  await error.waitFor();
  const text = await error.innerText();
  assert.match(text, /节点 Issue（结果下达）/, text);
  // the element the message names is selected, and shown in the panel
  await page.locator('.djs-shape.selected[data-element-id="Issue"]').waitFor();
  assert.equal(await input(page, 'prop-id').inputValue(), 'Issue');
  good.push([await shot(page, 'designer-error'), 'designer-error.png']);

  // 保存草稿: kept in this browser, offered again when the process is opened
  await page.locator('[data-test="save-draft"]').click();
  await page.locator('.el-message--success').getByText(/草稿已保存/).waitFor();
  await page.reload();
  await page.locator('.djs-element[data-element-id="Accept"]').waitFor();
  await page.locator('[data-test="draft-alert"]').waitFor();
  assert.equal(await page.locator('.djs-shape[data-element-id="End"]').count(), 1, 'the server version is shown first');
  await page.locator('[data-test="load-draft"]').click();
  await page.waitForFunction(() => !document.querySelector('.djs-shape[data-element-id="End"]'));

  // nothing was deployed
  assert.equal((await get('/api/v1/flow/definitions/registration')).version, version);
});

test('a BPMN file is downloaded and imported back', async (t) => {
  const { page } = await openPage(t, browser, srv.url, { allow: [ME] });
  await login(page, 'province');
  await openDesigner(page, 'registration');
  const [download] = await Promise.all([page.waitForEvent('download'), page.locator('[data-test="download"]').click()]);
  assert.equal(download.suggestedFilename(), 'registration.bpmn');
  const file = join(shotDir, 'designer-registration.bpmn');
  await download.saveAs(file);
  await page.goto('/designer/new');
  await page.locator('.djs-shape[data-element-id="Review"]').waitFor();
  await page.locator('[data-test="import-file"]').setInputFiles(file);
  await page.locator('.djs-shape[data-element-id="Register"]').waitFor();
  await page.locator('[data-test="validate"]').click();
  await page.locator('.el-message--success').getByText(/校验通过/).waitFor();
});

test('an instance\'s diagram shows done, current and pending steps (FlowViewer)', async (t) => {
  const contractor = await session(srv, 'contractor');
  const own = contractor.user.enterprise_id;
  const owner = Number(dbExec(srv.env.JIANGUAN_DATABASE, `SELECT id FROM enterprise WHERE id <> ${own} ORDER BY id LIMIT 1`).trim());
  const rec = await as(srv, contractor, '/api/v1/records/registration', { method: 'POST', body: {
    project_name: '流程图测试楼', project_kind: 'building', org_code: '350102', address: '福州市鼓楼区流程图路 8 号',
    applicant_id: own, owner_id: owner, contractor_id: own, total_area: '1000.00', cost: '5000000.00',
    planned_start_on: '2026-12-01', contact_name: '李四',
  } });
  assert.equal(rec.status, 201, rec.text);
  const inst = await as(srv, contractor, '/api/v1/flow/instances', { method: 'POST', body: { key: 'registration', entity: 'registration', record_id: rec.json.id } });
  assert.equal(inst.status, 201, inst.text);

  const { page } = await openPage(t, browser, srv.url, { allow: [ME] });
  await login(page, 'province');
  await page.goto(`/designer?instance=${inst.json.id}`);
  const viewer = page.locator('[data-test="flow-viewer"]');
  await viewer.locator('.djs-shape[data-element-id="Accept"]').waitFor();
  const cls = (id) => viewer.locator(`.djs-element[data-element-id="${id}"]`).getAttribute('class');
  await page.waitForFunction(() => document.querySelector('.djs-element[data-element-id="Accept"]')?.classList.contains('jg-current'));
  assert.match(await cls('Start'), /jg-done/);
  assert.match(await cls('Register'), /jg-pending/);
  assert.match(await cls('End'), /jg-pending/);
  // read-only: no palette, no context pad
  assert.equal(await viewer.locator('.djs-palette').count(), 0);
  good.push([await shot(page, 'instance-viewer'), 'designer-instance.png']);
});

test('会签 and a flow condition set in the panel reach the deployed version', async (t) => {
  const before = (await get('/api/v1/flow/definitions/registration')).version;
  const { page } = await openPage(t, browser, srv.url, { allow: [ME] });
  await login(page, 'province');
  await openDesigner(page, 'registration');
  await pick(page, 'Register');
  const panel = page.locator('[data-test="props-panel"]');
  await panel.getByText('此环节为会签').click();
  await panel.getByText('任一通过').click();
  await page.locator('.djs-shape[data-element-id="Register"] .djs-visual').waitFor();
  // the marker of a parallel multi-instance task is drawn
  await page.waitForFunction(() => document.querySelector('.djs-element[data-element-id="Register"] [data-marker="parallel"]'));

  // the selected task's context pad may lie over the flow: click the empty canvas first
  const box = await page.locator('[data-test="canvas"]').boundingBox();
  await page.mouse.click(box.x + box.width - 60, box.y + box.height - 60);
  await page.locator('.djs-context-pad.open').waitFor({ state: 'detached' }).catch(() => {});
  // a straight flow has no height for playwright's visibility check: click the middle of its line
  // (half its length along the path, so a bent line is hit too)
  const r = await page.evaluate(() => {
    const hit = document.querySelector('.djs-connection[data-element-id="Flow_register"] .djs-hit');
    const p = hit.getPointAtLength(hit.getTotalLength() / 2).matrixTransform(hit.getScreenCTM());
    return { x: p.x, y: p.y };
  });
  await page.mouse.click(r.x, r.y);
  await page.waitForFunction(() => document.querySelector('input[data-test="prop-id"]')?.value === 'Flow_register');
  const cond = page.locator('textarea[data-test="prop-condition"], [data-test="prop-condition"] textarea').first();
  await cond.fill('record.cost >= 1000000');
  await cond.press('Tab');
  await page.locator('[data-test="deploy"]').click();
  await page.locator('[data-test="designer-version"]').getByText(`v${before + 1}`).waitFor();

  const d = await get('/api/v1/flow/definitions/registration');
  assert.equal(d.version, before + 1);
  assert.equal(d.nodes.find((n) => n.id === 'Register').countersign, 'any');
  assert.match(d.flows.find((f) => f.id === 'Flow_register').condition, /record\.cost >= 1000000/);
  assert.match(d.xml, /jg:complete="any"/);
  assert.equal(d.flows.find((f) => f.id === 'Flow_register').action, 'register', 'the action stays');
});

test('a station chief (flow.read) sees processes read-only, without the menu entry', async (t) => {
  const { page } = await openPage(t, browser, srv.url, { allow: [ME] });
  await login(page, 'gulou_chief');
  // textContent: the items of closed groups too (innerText leaves out what is not shown)
  const menu = await page.locator('[data-test="side-menu"]').textContent();
  assert.match(menu, /项目报监/); // an item of the 业务办理 group
  assert.doesNotMatch(menu, /业务定制/);
  await page.goto('/designer');
  await page.locator('[data-test="open-registration"]').waitFor(); // the list is drawn
  assert.equal(await page.locator('[data-test="new-process"]').count(), 0);
  await page.locator('[data-test="open-registration"]').getByText('查看').click();
  const viewer = page.locator('[data-test="flow-viewer"]');
  await viewer.locator('.djs-shape[data-element-id="Register"]').waitFor();
  assert.equal(await page.locator('.djs-palette').count(), 0, 'no palette');
  assert.equal(await page.locator('[data-test="deploy"]').count(), 0, 'no 发布');
});
