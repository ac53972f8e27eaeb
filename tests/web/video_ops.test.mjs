// The video wall's operations (issue 8) in Chromium, with `jianguan serve`, `jianguan video` and gbsim
// (an NVR streaming an ffmpeg-made MPEG-PS over RTP, tests/api/lib/video.mjs):
// - alarms 报警: gbsim (--notify-after) sends two alarms when the video service subscribes; the badge
//   counts them, the drawer lists them (filter by priority), a click on one plays its channel;
// - the device panel: DeviceStatus refreshed on demand, a channel command (RecordCmd) and a reboot
//   (TeleBoot, after a confirm dialog) reaching gbsim, audited;
// - a playback played to its end says 回放结束 (not an error) and 重试 plays the range again;
// - failover: the device restarts (gbsim stopped and started again) while a pane plays; the pane says
//   "正在重新连接…", asks the platform for a fresh live URL and plays again without a click;
// - failover between media nodes: the video service runs as signalling (video_role = signal) with two
//   media-only nodes; kill -9 of the node a pane plays from, and the pane plays again from the other.
// Screenshots for docs/manual/video.md.
//
// Run: node --test tests/web/video_ops.test.mjs (web/dist built, or JIANGUAN_WEB_DIST; JIANGUAN_TEST_BIN;
// JIANGUAN_TEST_GBSIM, default gbsim beside the jianguan binary). Needs ffmpeg.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { execFileSync, spawn } from 'node:child_process';
import { join } from 'node:path';
import { startServer, root, bin } from '../api/lib/harness.mjs';
import { dbExec, freePort } from '../api/lib/checks.mjs';
import { DEVICE, gbsim as startGbsim, makePs, startVideo, until as waitUntil } from '../api/lib/video.mjs';
import { launch, openPage, shot, login, settled } from './lib/browser.mjs';

const CH1 = '35010200001310000001', CH2 = '35010200001310000002';
const ME = [401, /\/api\/v1\/auth\/me$/];
let srv, browser, video, videoErr = '', sipPort, mediaPort, ps, sim, projectId;
const ids = {};
const nodes = {}; // id -> { proc, port, err }
const sql = (q) => dbExec(srv.db.url, q).trim();
const log = () => videoErr + Object.entries(nodes).map(([id, n]) => `\n--- ${id}\n${n.err.slice(-2000)}`).join('') +
  '\n--- gbsim\n' + (sim?.out().slice(-2000) ?? '');
const until = (what, fn, ms) => waitUntil(what, fn, { ms, proc: video, log });

/** A media-only `jianguan video` (video_role = media) reporting to the signalling process. */
async function startNode(id) {
  const port = await freePort();
  const node = { port, err: '', proc: null };
  node.proc = spawn(bin, ['video'], {
    env: {
      ...process.env, ...srv.env, JIANGUAN_VIDEO_ROLE: 'media', JIANGUAN_VIDEO_NODE_ID: id,
      JIANGUAN_VIDEO_NODE_URL: `http://127.0.0.1:${port}`, JIANGUAN_VIDEO_SIGNALLING_URL: `http://127.0.0.1:${mediaPort}`,
      JIANGUAN_VIDEO_MEDIA_LISTEN: `127.0.0.1:${port}`,
    },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  node.proc.stderr.on('data', (d) => { node.err += d; });
  nodes[id] = node;
  await until(`media node ${id} joined`, () => new RegExp(`media node ${id} joined \\(http://127\\.0\\.0\\.1:${port},`).test(videoErr));
}
const nodeOf = (url) => Object.keys(nodes).find((id) => url.startsWith(`http://127.0.0.1:${nodes[id].port}/`));
const gbsim = (args = []) => startGbsim(sipPort, ps, ['--devices', '1', '--channels', '3', ...args]);

before(async () => {
  const dist = process.env.JIANGUAN_WEB_DIST || join(root, 'web', 'dist');
  if (!existsSync(join(dist, 'index.html'))) execFileSync(join(root, 'scripts', 'web.sh'), { stdio: 'inherit' });
  mediaPort = await freePort();
  srv = await startServer({
    webDir: dist, projects: 5,
    env: {
      JIANGUAN_CAPTCHA: 'off', JIANGUAN_AUTH_RATE_PER_MINUTE: '100000',
      JIANGUAN_VIDEO_SIP_LISTEN: '127.0.0.1:0', JIANGUAN_VIDEO_SIP_PASSWORD: 'gb-Default-8',
      JIANGUAN_VIDEO_MEDIA_LISTEN: `127.0.0.1:${mediaPort}`, JIANGUAN_VIDEO_LIVE_IDLE_S: '2',
      JIANGUAN_VIDEO_KEEPALIVE_INTERVAL_S: '2', JIANGUAN_VIDEO_KEEPALIVE_FLUSH_S: '1', JIANGUAN_VIDEO_NODE_DEAD_S: '3',
      // Alarms only: gbsim's catalog notifications would switch the test channels off.
      JIANGUAN_VIDEO_SUBSCRIBE: 'alarm',
    },
  });
  ps = makePs(srv.dir, 15);
  ({ proc: video, sipPort } = await startVideo(srv, (d) => { videoErr += d; }, { JIANGUAN_VIDEO_ROLE: 'signal' }));
  await startNode('node-a');
  await startNode('node-b');
  // MediaStatus outside the playback's dialog, as some devices send it: the channel's playbacks end.
  sim = gbsim(['--notify-after', '1000', '--media-status-outside-dialog']);
  await until('the device online with its catalog', () =>
    sql("SELECT COUNT(*) FROM video_channel c JOIN video_device d ON d.gb_id = c.device_gb_id WHERE d.online = 1") === '3');
  sql("INSERT INTO project (code, name, org_code, status, registered_on, created_at, updated_at) VALUES " +
    "('VW-OPS-1', '鼓楼区西湖综合体工程', '350102', 'under_construction', '2026-03-01', '2026-03-01T00:00:00Z', '2026-03-01T00:00:00Z')");
  projectId = Number(sql("SELECT id FROM project WHERE code = 'VW-OPS-1'"));
  for (const gb of [CH1, CH2]) ids[gb] = Number(sql(`SELECT id FROM video_channel WHERE gb_id = '${gb}'`));
  sql(`UPDATE video_channel SET project_id = ${projectId}, name = '西湖工地 ' || substr(gb_id, 20, 1) WHERE gb_id IN ('${CH1}', '${CH2}')`);
  await until('two alarms stored', () => sql(`SELECT COUNT(*) FROM video_alarm WHERE device_gb_id = '${DEVICE}'`) === '2');
  browser = await launch({ tag: 'video-ops-' });
});

after(async () => {
  if (browser) await browser.close();
  if (sim && sim.child.exitCode === null) sim.child.kill('SIGKILL');
  for (const n of Object.values(nodes)) if (n.proc.exitCode === null) n.proc.kill('SIGKILL');
  if (video && video.exitCode === null) video.kill('SIGKILL');
  if (srv) await srv.stop();
});

/** Frames decoded in pane i: the picture's size, and its clock moving. */
async function decoding(page, i, ms = 25000) {
  const v = page.locator(`[data-test="video-${i}"]`);
  let first = null;
  await until(`frames decoded in pane ${i}`, async () => {
    const s = await v.evaluate((el) => ({ w: el.videoWidth, h: el.videoHeight, t: el.currentTime }));
    if (s.w === 640 && s.h === 360 && s.t > 0) {
      if (first === null) first = s.t;
      else if (s.t > first + 0.3) return true;
    }
    return s;
  }, ms);
}

async function openWall(page) {
  await login(page, 'gulou_chief');
  await page.goto('/video');
  await page.locator('[data-test="node-r3501"]').click();
  await page.locator(`[data-test="project-${projectId}"]`).click();
  await page.locator(`[data-test="channel-${CH1}"]`).waitFor();
}

test('报警: the badge counts new alarms, the drawer lists and filters them, a click plays the channel', async (t) => {
  const { page } = await openPage(t, browser, srv.url, { allow: [ME] });
  await openWall(page);
  const badge = page.locator('[data-test="alarm-badge"] .el-badge__content');
  await badge.waitFor();
  assert.equal((await badge.innerText()).trim(), '2');
  await page.locator('[data-test="alarm-open"]').click();
  const rows = page.locator('[data-test="alarm-table"] .el-table__body tr');
  await until('two alarms listed', async () => (await rows.count()) === 2);
  const text = await page.locator('[data-test="alarm-table"]').innerText();
  assert.match(text, /视频遮挡报警/);
  assert.match(text, /设备报警 A&B/);
  assert.match(text, /一级警情/);
  await shot(page, 'alarms');
  // seen: the badge is gone (and stays gone after the next poll, as the newest alarm is remembered)
  assert.equal(await badge.isVisible(), false);
  // filter: priority 1 only
  await page.locator('[data-test="alarm-priority"]').click();
  await page.locator('.el-select-dropdown__item', { hasText: '一级警情' }).click();
  const filtered = page.waitForResponse((r) => /\/api\/v1\/video\/alarms\?/.test(r.url()) && /priority=1/.test(r.url()));
  await page.locator('[data-test="alarm-search"]').click();
  assert.equal((await filtered).status(), 200);
  await until('one alarm listed', async () => (await rows.count()) === 1);
  // a click on the alarm of channel 1 plays that channel
  await rows.first().click();
  await page.locator('[data-test="alarm-drawer"]').waitFor({ state: 'hidden' });
  await decoding(page, 0);
  assert.match(await page.locator('[data-test="pane-0"] .vw-title').innerText(), /西湖工地 1/);
  await page.reload();
  await page.locator('[data-test="alarm-open"]').waitFor();
  // the badge is hidden until the first poll's answer too: look once it has been counted
  await settled(page, /\/api\/v1\/video\/alarms\?/);
  assert.equal(await badge.isVisible(), false, 'seen alarms are not counted again');
  // A new alarm received in the same second as the newest seen one counts (told apart by its id).
  sql(`INSERT INTO video_alarm (device_gb_id, gb_id, priority, method, alarm_type, alarm_time, description, received_at) ` +
    `SELECT device_gb_id, gb_id, 2, 5, '2', alarm_time, '新的报警', MAX(received_at) FROM video_alarm WHERE device_gb_id = '${DEVICE}' ` +
    `GROUP BY device_gb_id, gb_id, alarm_time ORDER BY MAX(received_at) DESC LIMIT 1`);
  await until('the badge counts the new alarm (polled every 10 s)', async () =>
    (await badge.isVisible()) && (await badge.innerText()).trim() === '1', 15000);
});

test('设备面板: status refreshed, a channel command and a confirmed reboot reach the device', async (t) => {
  const { page } = await openPage(t, browser, srv.url, { allow: [ME] });
  await openWall(page);
  await page.locator(`[data-test="channel-${CH1}"]`).click();
  await decoding(page, 0);
  const panel = page.locator('[data-test="device-panel"]');
  await panel.waitFor();
  const before = (sim.out().match(/DeviceStatus query/g) || []).length;
  const refreshed = page.waitForResponse((r) => /\/status\/refresh$/.test(r.url()));
  await page.locator('[data-test="device-refresh"]').click();
  assert.equal((await refreshed).status(), 200);
  // gbsim's printed line comes through a pipe, apart from the answer
  await until('DeviceStatus sent to the device', () => (sim.out().match(/DeviceStatus query/g) || []).length > before);
  await page.locator('[data-test="device-state"]', { hasText: '正常' }).waitFor();
  await page.locator('.el-message--success', { hasText: '已更新设备状态' }).waitFor();
  // the platform's subscriptions to the device (video_subscribe: alarm here), granted by gbsim
  await panel.locator('[data-test="sub-alarm"]', { hasText: '报警已订阅' }).waitFor();
  assert.equal(await panel.locator('[data-test^="sub-"]').count(), 1);

  const cmd = page.waitForResponse((r) => /\/channels\/\d+\/control$/.test(r.url()));
  await page.locator('[data-test="cmd-record"]').click();
  const answer = await cmd;
  assert.equal(answer.status(), 200);
  assert.equal((await answer.json()).result, 'OK');
  await until('RecordCmd at gbsim', () => sim.out().includes(`DeviceControl ${CH1} RecordCmd Record\n`));
  await page.locator('.el-message--success', { hasText: '设备已开始录像' }).waitFor();
  assert.equal(sql(`SELECT COUNT(*) FROM audit_log WHERE action = 'video.control' AND record_id = '${ids[CH1]}'`), '1');

  // 设备设置: 传输方式 TCP被动 saved with a PUT into the device's row, then back to the platform's default
  const saveSettings = async (option, want) => {
    await page.locator('[data-test="settings-transport"]').click();
    await page.locator('.el-select-dropdown__item:visible', { hasText: option }).click();
    const saved = page.waitForResponse((r) => /\/devices\/\d+\/settings$/.test(r.url()) && r.request().method() === 'PUT');
    await page.locator('[data-test="settings-save"]').click();
    const put = await saved;
    assert.equal(put.status(), 200, await put.text());
    assert.deepEqual(JSON.parse(put.request().postData()), { media_transport: want, charset: null });
    assert.equal((await put.json()).media_transport, want);
    await page.locator('.el-message--success', { hasText: '设备设置已保存' }).last().waitFor();
  };
  await saveSettings('TCP被动', 'tcp');
  assert.equal(sql(`SELECT media_transport FROM video_device WHERE gb_id = '${DEVICE}'`), 'tcp');
  assert.equal(sql(`SELECT COUNT(*) FROM audit_log WHERE action = 'video.device.settings' AND record_id = '${DEVICE}'`), '1');
  await saveSettings('跟随平台默认', null);
  assert.equal(sql(`SELECT COUNT(*) FROM video_device WHERE gb_id = '${DEVICE}' AND media_transport IS NULL`), '1');

  // reboot: cancelled first (nothing sent), then confirmed
  let reboots = 0; // the page's requests to reboot
  page.on('request', (r) => { if (/\/reboot$/.test(r.url())) reboots += 1; });
  await page.locator('[data-test="device-reboot"]').click();
  await page.locator('.el-message-box', { hasText: '重启期间该设备的所有通道都将中断' }).waitFor();
  await page.evaluate(() => window.scrollTo(0, 0)); // the click scrolled: a full-page shot from the top
  await shot(page, 'device-reboot');
  await page.locator('.el-message-box__btns button', { hasText: '取消' }).click();
  await page.locator('.el-message-box', { hasText: '重启期间该设备的所有通道都将中断' }).waitFor({ state: 'hidden' });
  await settled(page); // whatever the cancel started has been answered
  assert.equal(reboots, 0, 'no reboot asked for');
  assert.equal(sim.out().includes('TeleBoot'), false);
  await page.locator('[data-test="device-reboot"]').click();
  const reboot = page.waitForResponse((r) => /\/reboot$/.test(r.url()));
  await page.locator('.el-message-box__btns button', { hasText: '重启' }).click();
  assert.equal((await reboot).status(), 200);
  await until('TeleBoot at gbsim', () => sim.out().includes(`DeviceControl ${DEVICE} TeleBoot Boot\n`));
  assert.equal(sql(`SELECT COUNT(*) FROM audit_log WHERE action = 'video.reboot'`), '1');
  await page.evaluate(() => window.scrollTo(0, 0));
  await shot(page, 'device');
});

test('playback to its end: the buffered picture plays out, then 回放结束 with 重试 playing the range again', async (t) => {
  const { page } = await openPage(t, browser, srv.url, { allow: [ME] });
  await openWall(page);
  await page.locator(`[data-test="channel-${CH1}"]`).click();
  await decoding(page, 0);
  let playbacks = 0;
  page.on('response', (r) => { if (/\/channels\/\d+\/playback\?/.test(r.url()) && r.status() === 200) playbacks += 1; });
  await page.locator('[data-test="record-query"]').click();
  await page.locator('[data-test="record-timeline"] .vw-seg').first().waitFor();
  await page.locator('[data-test="record-timeline"]').click({ position: { x: 20, y: 9 } });
  await page.locator('[data-test="playback-controls"]').waitFor();
  await decoding(page, 0);
  // gbsim plays its 15 s file once, then MediaStatus 121: the stream ends, not an error.
  let played = 0;
  const status = page.locator('[data-test="status-0"]');
  await until('回放结束', async () => {
    played = Math.max(played, await page.locator('[data-test="video-0"]').evaluate((el) => el.currentTime));
    return ((await status.count()) > 0 && /回放结束/.test(await status.innerText())) || played;
  }, 45000);
  assert.ok(played > 10, `the file played out before 回放结束 (${played} s)`);
  assert.equal(playbacks, 1);
  await page.locator('[data-test="retry-0"]').click();
  await decoding(page, 0);
  assert.equal(playbacks, 2);
  assert.match(await page.locator('[data-test="pane-0"] .vw-title').innerText(), /回放/);
});

test('failover: the device restarts while a pane plays; the pane reconnects by itself', async (t) => {
  // While the device is away the platform answers 409 (offline) and the media node may answer an
  // error for the FLV URL it gave just before: expected, the pane retries.
  const { page, problems } = await openPage(t, browser, srv.url, {
    allow: [ME, [409, /\/live$/], [404, /\.flv\?/], [502, /\.flv\?/], [503, /\.flv\?/], [504, /\.flv\?/]],
  });
  await openWall(page);
  let lives = 0;
  page.on('response', (r) => { if (/\/channels\/\d+\/live$/.test(r.url())) lives += 1; });
  await page.locator(`[data-test="channel-${CH1}"]`).click();
  await decoding(page, 0);
  assert.equal(lives, 1);

  await sim.stop();
  const restarted = Date.now();
  await page.locator('[data-test="status-0"]', { hasText: '正在重新连接…' }).waitFor({ timeout: 20000 });
  assert.equal(await page.locator('[data-test="retry-0"]').isVisible(), true, 'a manual 重试 while reconnecting');
  await shot(page, 'reconnecting');
  // 重试 asks at once, and the pane keeps reconnecting by itself while the device is away.
  const asked = lives;
  await page.locator('[data-test="retry-0"]').click();
  await until('a live request at the click', () => lives > asked, 3000);
  await settled(page); // its answer (409 while the device is away) applied
  assert.match(await page.locator('[data-test="status-0"]').innerText(), /正在重新连接…/);
  sim = gbsim();
  await until('the device online again', () => sql(`SELECT online FROM video_device WHERE gb_id = '${DEVICE}'`) === '1');
  await decoding(page, 0, 60000);
  await page.locator('[data-test="status-0"]').waitFor({ state: 'detached' });
  assert.ok(lives >= 2, `a fresh live URL was asked for (${lives})`);
  t.diagnostic(`playing again ${Math.round((Date.now() - restarted) / 1000)} s after the device stopped, ${lives} live requests`);
  // A broken FLV connection may be reported by Chromium as a failed request: that is the event
  // the pane recovers from, not a problem of the page.
  for (let k = problems.length - 1; k >= 0; k--) if (/^request failed: GET .*\.flv\?/.test(problems[k])) problems.splice(k, 1);
});

test('failover between media nodes: kill -9 of the pane\'s node, the pane plays again from the other', async (t) => {
  const { page, problems } = await openPage(t, browser, srv.url, { allow: [ME, [404, /\.flv\?/], [502, /\.flv\?/], [503, /\.flv\?/]] });
  await openWall(page);
  const urls = [];
  // (a body still being read when the page closes is dropped, not an unhandled rejection)
  page.on('response', (r) => {
    if (/\/channels\/\d+\/live$/.test(r.url()) && r.status() === 200) r.json().then((j) => urls.push(j.url), () => {});
  });
  await page.locator(`[data-test="channel-${CH2}"]`).click();
  await decoding(page, 0);
  await until('the live URL seen', () => urls.length === 1);
  const victim = nodeOf(urls[0]);
  assert.ok(victim, urls[0]);
  const survivor = victim === 'node-a' ? 'node-b' : 'node-a';
  const killedAt = Date.now();
  nodes[victim].proc.kill('SIGKILL');
  await page.locator('[data-test="status-0"]', { hasText: '正在重新连接…' }).waitFor({ timeout: 20000 });
  await decoding(page, 0, 60000);
  await page.locator('[data-test="status-0"]').waitFor({ state: 'detached' });
  assert.equal(nodeOf(urls[urls.length - 1]), survivor, urls.join(' '));
  assert.match(nodes[survivor].err, new RegExp(`viewer \\d+ of ${DEVICE}/${CH2}`));
  t.diagnostic(`playing from ${survivor} ${Math.round((Date.now() - killedAt) / 1000)} s after ${victim} was killed, ${urls.length} live URLs`);
  // The dead node's connection breaks, and a URL handed out before the platform knew may be refused:
  // Chromium reports those as failed requests (and console errors) of the FLV URL, which the pane
  // recovers from.
  for (let k = problems.length - 1; k >= 0; k--) if (/\.flv\?/.test(problems[k]) && /^(request failed|console error)/.test(problems[k])) problems.splice(k, 1);
});
