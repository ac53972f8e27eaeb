// Per-device settings (issue 8): PUT /api/v1/video/devices/{gb_id}/settings sets a device's media
// transport (UDP / TCP passive / TCP active), charset, keepalive overrides and digest password;
// `jianguan video` picks the row up at its settings poll. The real effect is checked end to end:
// with the device set to tcp the next live stream is INVITEd over TCP passive and ffprobe plays it;
// set back to null it is UDP again; a live URL's transport= wins over the device's; a changed
// password refuses the device's old one at its next REGISTER.
//
// Environment: JIANGUAN_TEST_BIN as for the other API tests; JIANGUAN_TEST_GBSIM (default: gbsim
// beside the jianguan binary). Needs ffmpeg and ffprobe.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { CJK, dbExec, req } from './lib/checks.mjs';
import { session, as } from './lib/auth.mjs';
import { DEVICE, ffprobe, gbsim as startGbsim, siteChannelId, stopWorld, until as waitUntil, videoWorld } from './lib/video.mjs';

const CH = ['35010200001310000001', '35010200001310000002', '35010200001310000003'];
const NEW_PASSWORD = 'Dev-Secret-2026';
let srv, video, videoErr = '', sipPort, mediaPort, psFile, sim, inspector, chief, xiamenChief;

const sql = (q) => dbExec(srv.db.url, q).trim();
const until = (what, fn, ms) => waitUntil(what, fn, { ms, proc: video, log: () => videoErr + '\n' + (sim?.out().slice(-2000) ?? '') });
/** Wait for a line of the video service's log (stderr arrives after what it did, e.g. a database row). */
const logged = (re) => until(`the log line ${re}`, () => re.test(videoErr), 5000);
const gbsim = (args) => startGbsim(sipPort, psFile, args);
const channelId = (gbId) => siteChannelId(sql, until, gbId);
const put = (s, body, gb = DEVICE) => as(srv, s, `/api/v1/video/devices/${gb}/settings`, { method: 'PUT', body });
const changes = () => (videoErr.match(new RegExp(`video: settings of device ${DEVICE} changed`, 'g')) || []).length;

/** PUT body as the chief, then wait until the video service has applied it (its settings poll). */
async function apply(body) {
  const before = changes();
  const r = await put(chief, body);
  assert.equal(r.status, 200, r.text);
  await until('the settings poll', () => changes() > before, 10000);
  return r.json;
}

function assertPlayable(r, minFrames) {
  assert.equal(video.exitCode, null, 'jianguan video is running: ' + videoErr.slice(-2000));
  assert.equal(r.code, 0, r.err);
  const v = r.streams.find((s) => s.codec_type === 'video');
  assert.ok(v, 'a video stream: ' + JSON.stringify(r));
  assert.equal(v.codec_name, 'h264');
  assert.ok(Number(v.nb_read_frames) > minFrames, `frames read: ${v.nb_read_frames}`);
}

async function liveUrl(gbId) {
  const r = await as(srv, inspector, `/api/v1/video/channels/${await channelId(gbId)}/live`);
  assert.equal(r.status, 200, r.text);
  return r.json.url;
}

before(async () => {
  ({ srv, video, sipPort, mediaPort, psFile, sim } = await videoWorld({
    env: { JIANGUAN_VIDEO_LIVE_IDLE_S: '2' }, videoEnv: { JIANGUAN_LOG_LEVEL: 'debug' },
    onErr: (d) => { videoErr += d; } }));
  assert.match(videoErr, /\(RTP over udp\)/); // the node's default
  // A Xiamen station chief: video.control, but no channel of this 鼓楼 device in scope.
  sql("UPDATE app_user SET role = 'station_chief' WHERE username = 'xiamen'");
  for (const ch of CH) await channelId(ch);
  inspector = await session(srv, 'gulou');
  chief = await session(srv, 'gulou_chief');
  xiamenChief = await session(srv, 'xiamen');
});

after(() => stopWorld({ srv, video, sim }));

test('validation: unknown fields and bad values are 400 with a Chinese message per field; nothing changes', async () => {
  const before = sql(`SELECT settings_at FROM video_device WHERE gb_id = '${DEVICE}'`);
  const r = await put(chief, {
    media_transport: 'quic', charset: 'BIG5', keepalive_interval_s: 2, keepalive_count: 11, password: 'short', color: 'red',
  });
  assert.equal(r.status, 400, r.text);
  assert.equal(r.json.error.code, 'invalid');
  const f = r.json.error.fields;
  for (const k of ['media_transport', 'charset', 'keepalive_interval_s', 'keepalive_count', 'password', 'color']) {
    assert.ok(f[k], `field error for ${k}: ${r.text}`);
    assert.match(f[k], CJK, `${k}: ${f[k]}`);
  }
  assert.match(f.media_transport, /tcp-active/);
  assert.ok(!r.text.includes('short'), 'the password is never echoed');
  // Wrong types and limits.
  const t = await put(chief, { media_transport: 1, charset: true, keepalive_interval_s: '30', keepalive_count: 1.5, password: 12345678 });
  assert.equal(t.status, 400, t.text);
  assert.deepEqual(Object.keys(t.json.error.fields).sort(), ['charset', 'keepalive_count', 'keepalive_interval_s', 'media_transport', 'password']);
  for (const body of [{ keepalive_interval_s: 3601 }, { keepalive_interval_s: 4 }, { keepalive_count: 0 }, { password: 'x'.repeat(65) }, { password: 'abc\ndefgh' }]) {
    const b = await put(chief, body);
    assert.equal(b.status, 400, `${JSON.stringify(body)}: ${b.text}`);
  }
  const notObject = await as(srv, chief, `/api/v1/video/devices/${DEVICE}/settings`, { method: 'PUT', body: [1] });
  assert.equal(notObject.status, 400, notObject.text);
  const empty = await put(chief, {});
  assert.equal(empty.status, 400, empty.text);
  assert.match(empty.json.error.message, /至少/);
  assert.equal(sql(`SELECT settings_at FROM video_device WHERE gb_id = '${DEVICE}'`), before);
  assert.equal(sql("SELECT COUNT(*) FROM audit_log WHERE action = 'video.device.settings'"), '0');
});

test('scope and permission: video.control in the caller\'s scope, else 404; video.view alone is 403', async () => {
  assert.equal((await req(`${srv.url}/api/v1/video/devices/${DEVICE}/settings`, { method: 'PUT' })).status, 401);
  assert.equal((await put(inspector, { charset: 'UTF-8' })).status, 403); // 鼓楼 inspector: video.view only
  const other = await put(xiamenChief, { charset: 'UTF-8' });
  assert.equal(other.status, 404, other.text);
  assert.equal(other.json.error.code, 'not_found');
  assert.equal((await put(chief, { charset: 'UTF-8' }, '35010200001189999999')).status, 404); // no such device
  assert.equal((await put(chief, { charset: 'UTF-8' }, 'abc')).status, 404);
  assert.equal(sql(`SELECT charset FROM video_device WHERE gb_id = '${DEVICE}'`), '');
});

test('a change is stored, audited with before/after (never the password), and shown with the device', async () => {
  const before = sql(`SELECT settings_at FROM video_device WHERE gb_id = '${DEVICE}'`);
  const r = await put(chief, { charset: 'GB18030', keepalive_interval_s: 30, keepalive_count: 4, password: NEW_PASSWORD });
  assert.equal(r.status, 200, r.text);
  assert.deepEqual(r.json, {
    gb_id: DEVICE, media_transport: null, charset: 'GB18030', keepalive_interval_s: 30, keepalive_count: 4, password_set: true,
  });
  assert.ok(!r.text.includes(NEW_PASSWORD));
  assert.equal(sql(`SELECT charset || '|' || keepalive_interval_s || '|' || keepalive_count FROM video_device WHERE gb_id = '${DEVICE}'`), 'GB18030|30|4');
  assert.ok(sql(`SELECT settings_at FROM video_device WHERE gb_id = '${DEVICE}'`) > before, 'settings_at bumped');
  const enc = sql(`SELECT password_enc FROM video_device WHERE gb_id = '${DEVICE}'`);
  assert.match(enc, /^v1\./, 'sealed with SM4');
  assert.ok(!enc.includes(NEW_PASSWORD));
  const audit = sql("SELECT detail FROM audit_log WHERE action = 'video.device.settings' ORDER BY id DESC LIMIT 1");
  assert.ok(!audit.includes(NEW_PASSWORD), audit);
  const detail = JSON.parse(audit);
  assert.equal(detail.before.password_set, false);
  assert.equal(detail.after.password_set, true);
  assert.equal(detail.before.charset, null);
  assert.equal(detail.after.charset, 'GB18030');
  assert.equal(detail.after.keepalive_interval_s, 30);
  assert.equal(sql(`SELECT record_id FROM audit_log WHERE action = 'video.device.settings' ORDER BY id DESC LIMIT 1`), DEVICE);
  // A field left out is left as it is; null restores the default.
  const back = await put(chief, { charset: null, keepalive_interval_s: null, keepalive_count: null });
  assert.equal(back.status, 200, back.text);
  assert.deepEqual(back.json, {
    gb_id: DEVICE, media_transport: null, charset: null, keepalive_interval_s: null, keepalive_count: null, password_set: true,
  });
  // The password stays until the last test; for now the device keeps its registration (no re-REGISTER yet).
  const clear = await put(chief, { password: null });
  assert.equal(clear.json.password_set, false);
  assert.equal(sql(`SELECT COUNT(*) FROM video_device WHERE gb_id = '${DEVICE}' AND password_enc IS NULL`), '1');
  const dev = await as(srv, inspector, `/api/v1/video/devices/${DEVICE}`);
  assert.equal(dev.status, 200, dev.text);
  assert.equal(dev.json.media_transport, null);
  assert.ok(!('password_enc' in dev.json));
});

test('media transport tcp: the next live stream is INVITEd over TCP passive and plays; null: UDP again', async () => {
  const s = await apply({ media_transport: 'tcp' });
  assert.equal(s.media_transport, 'tcp');
  assert.equal((await as(srv, inspector, `/api/v1/video/devices/${DEVICE}`)).json.media_transport, 'tcp');
  const tcpUrl = await liveUrl(CH[0]);
  assert.ok(!tcpUrl.includes('transport='), tcpUrl);
  assertPlayable(await ffprobe(tcpUrl, 3), 40);
  await logged(new RegExp(`media transport of a new stream of ${DEVICE}: TCP passive \\(device\\)`));
  await logged(new RegExp(`stream ${DEVICE}/${CH[0]} playing \\(TCP passive from `));

  // The URL's transport= wins over the device's tcp.
  assertPlayable(await ffprobe((await liveUrl(CH[1])) + '&transport=udp', 2), 25);
  await logged(new RegExp(`media transport of a new stream of ${DEVICE}: UDP \\(URL\\)`));
  await logged(new RegExp(`stream ${DEVICE}/${CH[1]} playing \\(UDP from `));

  // Back to the node's default (udp).
  const n = await apply({ media_transport: null });
  assert.equal(n.media_transport, null);
  assertPlayable(await ffprobe(await liveUrl(CH[2]), 2), 25);
  await logged(new RegExp(`media transport of a new stream of ${DEVICE}: UDP \\(node\\)`));
  await logged(new RegExp(`stream ${DEVICE}/${CH[2]} playing \\(UDP from `));
  assert.ok(!/RTP connection accepted/.test(sim.out()), 'gbsim never listened for RTP');

  // TCP active (we connect to the device): gbsim listens and accepts our connection.
  await until(`the idle BYE of ${CH[0]}`, () => new RegExp(`no viewer of ${DEVICE}/${CH[0]} for 2 s: BYE`).test(videoErr), 10000);
  await apply({ media_transport: 'tcp-active' });
  assertPlayable(await ffprobe(await liveUrl(CH[0]), 2), 25);
  await logged(new RegExp(`media transport of a new stream of ${DEVICE}: TCP active \\(device\\)`));
  await until('gbsim\'s line', () => new RegExp(`RTP connection accepted \\(TCP passive\\) for ${CH[0]}`).test(sim.out()), 5000);
  await apply({ media_transport: null });
});

test('a changed password: the device\'s old (default) password is refused at its next REGISTER, the new one accepted', async () => {
  await apply({ password: NEW_PASSWORD });
  await sim.stop();
  const fails = () => Number(sql(`SELECT COUNT(*) FROM video_event WHERE device_gb_id = '${DEVICE}' AND kind = 'auth_failed'`));
  const before = fails();
  sim = gbsim(['--devices', '1', '--channels', '3', '--attempts', '1']);
  await until('the old password refused', () => fails() > before, 15000);
  await logged(new RegExp(`REGISTER of ${DEVICE} from udp [0-9.:]+ refused: wrong digest response`));
  await sim.stop();
  assert.ok(!sim.out().includes('devices registered'), sim.out());
  sim = gbsim(['--devices', '1', '--channels', '3', '--password', NEW_PASSWORD]);
  await until('registered with the new password', () => sim.out().includes('all 1 devices registered'), 15000);
  assert.equal(fails(), before + 1);
});
