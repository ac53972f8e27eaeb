// The video wall (视频监控, issue 8) in Chromium: `jianguan serve`, `jianguan video` and gbsim (an NVR
// streaming an ffmpeg-made MPEG-PS over RTP) as in tests/api/video_live.test.mjs. Two channels are
// bound to a 鼓楼 site through the API; the 鼓楼 station chief opens /video, finds them in the tree
// (福州市 → the site → the channels), plays one by a click and one by dragging it onto another pane,
// and mpegts.js must decode frames in the <video> elements (videoWidth 640, currentTime advancing).
// A PTZ click must reach gbsim as DeviceControl with the GB/T 28181 bytes; the recordings of the
// last hour are drawn on the timeline and a click there plays back. A county inspector of another
// city sees no channel at all. The cloud recording switch writes the channel's plan (record.c then
// records) and a download of a short range (s=Download) ends with a link to the signed file.
// Screenshots for docs/manual/video.md.
//
// Run: node --test tests/web/video.test.mjs (web/dist built, or JIANGUAN_WEB_DIST; JIANGUAN_TEST_BIN;
// JIANGUAN_TEST_GBSIM, default gbsim beside the jianguan binary). Needs ffmpeg.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { spawn, execFileSync } from 'node:child_process';
import { dirname, join } from 'node:path';
import { startServer, root, bin } from '../api/lib/harness.mjs';
import { session, as } from '../api/lib/auth.mjs';
import { dbExec, freePort } from '../api/lib/checks.mjs';
import { launch, openPage, shot, login, settled } from './lib/browser.mjs';

const gbsimBin = process.env.JIANGUAN_TEST_GBSIM || join(dirname(bin), 'gbsim');
const PASSWORD = 'gb-Default-8';
const CH1 = '35010200001310000001', CH2 = '35010200001310000002';
const ME = [401, /\/api\/v1\/auth\/me$/];
let srv, browser, video, videoErr = '', sim, simOut = '', projectId;
const ids = {};
const sql = (q) => dbExec(srv.db.url, q).trim();
const sleep = (ms) => new Promise((ok) => setTimeout(ok, ms));

async function until(what, fn, ms = 20000) {
  const end = Date.now() + ms;
  let last;
  while (Date.now() < end) {
    last = await fn();
    if (last === true) return;
    await sleep(200);
  }
  assert.fail(`timed out waiting for ${what} (last: ${JSON.stringify(last)})\n${videoErr.slice(-2000)}\n${simOut.slice(-1000)}`);
}

before(async () => {
  const dist = process.env.JIANGUAN_WEB_DIST || join(root, 'web', 'dist');
  if (!existsSync(join(dist, 'index.html'))) execFileSync(join(root, 'scripts', 'web.sh'), { stdio: 'inherit' });
  const mediaPort = await freePort();
  srv = await startServer({
    webDir: dist, projects: 5,
    env: {
      JIANGUAN_CAPTCHA: 'off', JIANGUAN_AUTH_RATE_PER_MINUTE: '100000',
      JIANGUAN_VIDEO_SIP_LISTEN: '127.0.0.1:0', JIANGUAN_VIDEO_SIP_PASSWORD: PASSWORD,
      JIANGUAN_VIDEO_MEDIA_LISTEN: `127.0.0.1:${mediaPort}`, JIANGUAN_VIDEO_LIVE_IDLE_S: '2',
      JIANGUAN_VIDEO_KEEPALIVE_INTERVAL_S: '2', JIANGUAN_VIDEO_KEEPALIVE_FLUSH_S: '1',
    },
  });
  const ps = join(srv.dir, 'test.mpg');
  execFileSync('ffmpeg', ['-v', 'error', '-y', '-f', 'lavfi', '-i', 'testsrc=size=640x360:rate=25', '-t', '15',
    '-c:v', 'libx264', '-g', '25', '-bf', '0', '-f', 'vob', ps]);
  video = spawn(bin, ['video'], { env: { ...process.env, ...srv.env }, stdio: ['ignore', 'ignore', 'pipe'] });
  const sipPort = await new Promise((ok, fail) => {
    const timer = setTimeout(() => fail(new Error('video did not start: ' + videoErr)), 15000);
    video.stderr.on('data', (d) => {
      videoErr += d;
      const m = /SIP listening on udp\+tcp 127\.0\.0\.1:(\d+)/.exec(videoErr);
      if (m) { clearTimeout(timer); ok(Number(m[1])); }
    });
    video.on('exit', (code) => { clearTimeout(timer); fail(new Error(`video exited ${code}: ${videoErr}`)); });
  });
  video.removeAllListeners('exit');
  sim = spawn(gbsimBin, ['--server', `127.0.0.1:${sipPort}`, '--password', PASSWORD, '--keepalive', '1', '--ps', ps,
    '--devices', '1', '--channels', '3'], { stdio: ['ignore', 'pipe', 'pipe'] });
  sim.stdout.on('data', (d) => { simOut += d; });
  sim.stderr.on('data', () => {});
  await until('the device online with its catalog', () =>
    sql("SELECT COUNT(*) FROM video_channel c JOIN video_device d ON d.gb_id = c.device_gb_id WHERE d.online = 1") === '3');
  sql("INSERT INTO project (code, name, org_code, status, registered_on, created_at, updated_at) VALUES " +
    "('VW-GL-1', '鼓楼区东街口综合体工程', '350102', 'under_construction', '2026-03-01', '2026-03-01T00:00:00Z', '2026-03-01T00:00:00Z')");
  projectId = Number(sql("SELECT id FROM project WHERE code = 'VW-GL-1'"));
  for (const gb of [CH1, CH2]) ids[gb] = Number(sql(`SELECT id FROM video_channel WHERE gb_id = '${gb}'`));
  sql(`UPDATE video_channel SET name = '东街口塔吊 ' || substr(gb_id, 20, 1) WHERE gb_id IN ('${CH1}', '${CH2}')`);
  // The province binds two channels to the site (the third stays unbound: the province's alone).
  const province = await session(srv, 'province');
  for (const [gb, lon] of [[CH1, 119.2981], [CH2, 119.2990]]) {
    const r = await as(srv, province, `/api/v1/video/channels/${ids[gb]}/project`,
      { method: 'PUT', body: { project_id: projectId, longitude: lon, latitude: 26.0866 } });
    assert.equal(r.status, 200, r.text);
  }
  browser = await launch({ tag: 'video-' });
});

after(async () => {
  if (browser) await browser.close();
  if (sim && sim.exitCode === null) sim.kill('SIGKILL');
  if (video && video.exitCode === null) video.kill('SIGKILL');
  if (srv) await srv.stop();
});

/** Frames decoded in pane i: the picture's size, and its clock moving. */
async function decoding(page, i) {
  const v = page.locator(`[data-test="video-${i}"]`);
  let first = null;
  await until(`frames decoded in pane ${i}`, async () => {
    const s = await v.evaluate((el) => ({ w: el.videoWidth, h: el.videoHeight, t: el.currentTime }));
    if (s.w === 640 && s.h === 360 && s.t > 0) {
      if (first === null) first = s.t;
      else if (s.t > first + 0.3) return true;
    }
    return s;
  }, 25000);
}

test('视频监控: tree in scope, live view in panes, PTZ reaching the device, playback', async (t) => {
  const { page } = await openPage(t, browser, srv.url, { allow: [ME] });
  await login(page, 'gulou_chief');
  await page.locator('.el-menu-item', { hasText: '视频监控' }).click();
  await page.waitForURL(/\/video$/);
  await page.locator('[data-test="node-r3501"]').click();
  await page.locator(`[data-test="project-${projectId}"]`).click();
  await page.locator(`[data-test="channel-${CH1}"]`).waitFor();
  assert.equal(await page.locator('[data-test="node-unbound"]').count(), 0, 'unbound channels are the province\'s');

  // A click plays the channel in the selected pane (the first).
  await page.locator(`[data-test="channel-${CH1}"]`).click();
  await decoding(page, 0);
  // Dragging the second channel onto pane 2 plays it there.
  // (HTML5 drag and drop through the page's own DataTransfer: Playwright's mouse-driven dragTo does
  // not start a native drag from inside el-tree's node.)
  const dt = await page.evaluateHandle(() => new DataTransfer());
  await page.locator(`[data-test="channel-${CH2}"]`).dispatchEvent('dragstart', { dataTransfer: dt });
  await page.locator('[data-test="pane-1"]').dispatchEvent('dragover', { dataTransfer: dt });
  await page.locator('[data-test="pane-1"]').dispatchEvent('drop', { dataTransfer: dt });
  await decoding(page, 1);
  assert.match(await page.locator('[data-test="pane-1"] .vw-title').innerText(), /东街口塔吊 2/);
  await shot(page, 'wall');

  // PTZ for the selected pane: press and release 上 = up at speed 128, then stop.
  await page.locator('[data-test="pane-0"]').click();
  await page.locator('[data-test="ptz-up"]').click();
  await until('PTZ up and stop at gbsim', () =>
    simOut.includes(`DeviceControl ${CH1} PTZCmd A50F01080080003D`) && simOut.includes(`DeviceControl ${CH1} PTZCmd A50F0100000000B5`), 8000);
  await page.locator('[data-test="ptz-zoomin"]').click();
  await until('zoom in at gbsim', () => /DeviceControl 35010200001310000001 PTZCmd A50F0110/.test(simOut), 8000);
  // the platform audits a command after the device took it, and the zoom's stop (the release) may
  // still be on its way: count once the page's four PTZ requests are answered
  await settled(page, /\/ptz$/);
  assert.equal(Number(sql(`SELECT COUNT(*) FROM audit_log WHERE action = 'video.ptz' AND record_id = '${ids[CH1]}'`)), 4);

  // Playback: the last hour's recordings (gbsim: one an hour) on the timeline; a click plays back.
  await page.locator('[data-test="record-query"]').click();
  await page.locator('[data-test="record-timeline"] .vw-seg').first().waitFor();
  await page.locator('[data-test="record-timeline"]').click({ position: { x: 20, y: 9 } });
  await page.locator('[data-test="playback-controls"]').waitFor();
  await decoding(page, 0);
  assert.match(await page.locator('[data-test="pane-0"] .vw-title').innerText(), /回放/);
  await shot(page, 'playback');
  const control = page.waitForResponse((r) => /\/playback\/control$/.test(r.url()));
  await page.locator('[data-test="playback-pause"]').click();
  assert.equal((await control).status(), 200);
  await page.locator('[data-test="playback-pause"]', { hasText: '继续' }).waitFor();
  // Speed and seek (a click on the timeline inside the running playback) go to the device as INFO.
  const speed = page.waitForResponse((r) => /\/playback\/control$/.test(r.url()));
  await page.locator('[data-test="playback-speed"]').click();
  await page.locator('.el-select-dropdown__item', { hasText: '2 倍速' }).click();
  assert.equal((await speed).status(), 200);
  assert.equal(JSON.parse((await speed).request().postData()).value, 2);
  const seek = page.waitForResponse((r) => /\/playback\/control$/.test(r.url()));
  const box = await page.locator('[data-test="record-timeline"]').boundingBox();
  await page.locator('[data-test="record-timeline"]').click({ position: { x: box.width / 2, y: 9 } });
  assert.equal((await seek).status(), 200);
  assert.equal(JSON.parse((await seek).request().postData()).action, 'seek');

  // 9 panes; closing all stops the players.
  await page.locator('[data-test="layout"] label', { hasText: '9 画面' }).click();
  assert.equal(await page.locator('.vw-pane').count(), 9);
  await page.locator('[data-test="back-live"]').click();
  await decoding(page, 0);
});

test('cloud recording switch and a download of a range from the device (s=Download)', async (t) => {
  const { page } = await openPage(t, browser, srv.url, { allow: [ME] });
  await login(page, 'gulou_chief');
  await page.goto(srv.url + '/video');
  await page.locator('[data-test="node-r3501"]').click();
  await page.locator(`[data-test="project-${projectId}"]`).click();
  await page.locator(`[data-test="channel-${CH2}"]`).click();
  // the switch: on writes an enabled plan (record.c then records), off disables it
  const sw = page.locator('[data-test="record-plan-switch"]');
  await sw.waitFor();
  const on = page.waitForResponse((r) => /\/record-plan$/.test(r.url()) && r.request().method() === 'PUT');
  await sw.click();
  assert.equal((await on).status(), 200);
  assert.equal(sql(`SELECT enabled FROM video_record_plan WHERE channel_gb_id = '${CH2}'`), '1');
  await until('the recording starts', () => videoErr.includes(`video: recording 35010200001180000001/${CH2}`), 10000);
  const off = page.waitForResponse((r) => /\/record-plan$/.test(r.url()) && r.request().method() === 'PUT');
  await sw.click();
  assert.equal((await off).status(), 200);
  assert.equal(sql(`SELECT enabled FROM video_record_plan WHERE channel_gb_id = '${CH2}'`), '0');
  // download 8 s of an hour ago at 4x: progress, then a link to the signed file
  const t0 = new Date(Date.now() - 3600 * 1000 + 8 * 3600 * 1000);
  const text = (d) => d.toISOString().slice(0, 19).replace('T', ' ');
  const inputs = page.locator('[data-test="record-range"] input');
  for (const [k, d] of [[0, t0], [1, new Date(t0.getTime() + 8000)]]) {
    await inputs.nth(k).fill(text(d));
    await inputs.nth(k).press('Enter');
  }
  const post = page.waitForResponse((r) => /\/downloads$/.test(r.url()));
  await page.locator('[data-test="record-download"]').click();
  const started = await post;
  assert.equal(started.status(), 202, await started.text());
  assert.equal(JSON.parse(started.request().postData()).end, text(new Date(t0.getTime() + 8000)).replace(' ', 'T'));
  const link = page.locator('[data-test="download-link"]');
  await link.waitFor({ timeout: 20000 });
  assert.match(await page.locator('[data-test="download-status"]').innerText(), /下载完成，100%/);
  assert.match(await link.getAttribute('href'), /\/download\/[0-9a-f]{32}\.ts\?exp=\d+&sig=[0-9a-f]{64}$/);
  await shot(page, 'download');
  // delete the file: confirmed, the link goes, the status says cancelled
  await page.locator('[data-test="download-cancel"]', { hasText: '删除文件' }).click();
  await page.locator('.el-message-box', { hasText: '确定删除已下载的录像文件吗' }).waitFor();
  const del = page.waitForResponse((r) => /\/downloads\/[0-9a-f]{32}$/.test(r.url()) && r.request().method() === 'DELETE');
  await page.locator('.el-message-box__btns button', { hasText: '确定' }).click();
  assert.equal((await del).status(), 200);
  await page.locator('[data-test="download-status"]', { hasText: '下载已取消' }).waitFor();
  assert.equal(await link.count(), 0);
  assert.equal(sql("SELECT COUNT(*) FROM video_download WHERE cancelled_at IS NOT NULL"), '1');
});

test('another city\'s inspector sees no channel of the 鼓楼 site', async (t) => {
  const { page } = await openPage(t, browser, srv.url, { allow: [ME] });
  await login(page, 'xiamen');
  await page.goto('/video');
  await page.locator('[data-test="video-tree"]', { hasText: '数据范围内没有视频通道' }).waitFor();
  assert.equal(await page.locator('[data-test="ptz-panel"]').count(), 0);
});
