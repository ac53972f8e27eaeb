// Device commands, status and subscriptions end to end (issue 8): `jianguan serve` signs control
// requests to `jianguan video`, which sends MANSCDP to gbsim (a simulated NVR) and reports the
// device's <Response>. At registration the video service subscribes (SUBSCRIBE Catalog, Alarm,
// MobilePosition), refreshes the subscriptions in their dialogs before they expire and ends them at
// shutdown; gbsim (--notify-after) then sends catalog events (OFF, DEL, UPDATE, ADD), alarms (by
// NOTIFY and by MESSAGE) and positions, which end up in the database and the API. Old device events
// and alarms are deleted after video_event_keep_days.
//
// Environment: JIANGUAN_TEST_BIN as for the other API tests; JIANGUAN_TEST_GBSIM (default: gbsim
// beside the jianguan binary).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { root, startServer } from './lib/harness.mjs';
import { dbExec, freePort, req } from './lib/checks.mjs';
import { session, as } from './lib/auth.mjs';
import { DEVICE, gbsim as startGbsim, siteChannelId, startVideo, stopWorld, until as waitUntil } from './lib/video.mjs';

const { JianguanVideo } = await import(join(root, 'sdk/js/jianguan-video.js'));
const { sm2 } = createRequire(import.meta.url)('sm-crypto');
const CH = ['35010200001310000001', '35010200001310000002', '35010200001310000003', '35010200001310000004'];
const RETAINED = '35010200001180000999';
let srv, video, videoErr = '', sipPort, mediaPort, sim, inspector, chief, xiamen;

const sql = (q) => dbExec(srv.db.url, q).trim();
const until = (what, fn, ms) => waitUntil(what, fn, { ms, proc: video, log: () => videoErr + '\n' + (sim?.out().slice(-3000) ?? '') });
const gbsim = (args) => startGbsim(sipPort, null, args);

const channelId = (gbId) => siteChannelId(sql, until, gbId);

const control = (s, id, body) => as(srv, s, `/api/v1/video/channels/${id}/control`, { method: 'POST', body });
const post = (s, path) => as(srv, s, path, { method: 'POST' });

before(async () => {
  mediaPort = await freePort();
  srv = await startServer({
    projects: 5,
    env: {
      JIANGUAN_VIDEO_SIP_LISTEN: '127.0.0.1:0',
      JIANGUAN_VIDEO_SIP_PASSWORD: 'gb-Default-8',
      JIANGUAN_VIDEO_MEDIA_LISTEN: `127.0.0.1:${mediaPort}`,
      JIANGUAN_VIDEO_KEEPALIVE_INTERVAL_S: '2',
      JIANGUAN_VIDEO_KEEPALIVE_FLUSH_S: '1',
      JIANGUAN_VIDEO_SUBSCRIBE: 'catalog,alarm,position',
      JIANGUAN_VIDEO_SUBSCRIBE_EXPIRES_S: '10',
      JIANGUAN_VIDEO_POSITION_INTERVAL_S: '1',
      JIANGUAN_VIDEO_EVENT_KEEP_DAYS: '30',
    },
  });
  // Retention (video_event_keep_days 30): an event and an alarm of 31 days ago and of 29 days ago, of
  // a device of their own; the service's first purge takes the older ones.
  for (const [days, tag] of [[31, 'old'], [29, 'kept']]) {
    const at = new Date(Date.now() - days * 86400000).toISOString();
    sql(`INSERT INTO video_event (device_gb_id, kind, at, detail) VALUES ('${RETAINED}', 'online', '${at}', '${tag}')`);
    sql(`INSERT INTO video_alarm (device_gb_id, gb_id, alarm_type, description, received_at) VALUES ('${RETAINED}', '${RETAINED}', '1', '${tag}', '${at}')`);
  }
  ({ proc: video, sipPort } = await startVideo(srv, (d) => { videoErr += d; }));
  sim = gbsim(['--devices', '1', '--channels', '3', '--notify-after', '1500']);
  await until('device online', () => sql(`SELECT online FROM video_device WHERE gb_id = '${DEVICE}'`) === '1');
  inspector = await session(srv, 'gulou');
  chief = await session(srv, 'gulou_chief');
  xiamen = await session(srv, 'xiamen');
});

after(() => stopWorld({ srv, video, sim }));

test('retention: device events and alarms older than video_event_keep_days are deleted, newer ones kept', async () => {
  await until('the purge', () => videoErr.includes('video: 1 device events and 1 alarms from before'));
  assert.equal(sql(`SELECT detail FROM video_event WHERE device_gb_id = '${RETAINED}'`), 'kept');
  assert.equal(sql(`SELECT description FROM video_alarm WHERE device_gb_id = '${RETAINED}'`), 'kept');
  sql(`DELETE FROM video_event WHERE device_gb_id = '${RETAINED}'`);
  sql(`DELETE FROM video_alarm WHERE device_gb_id = '${RETAINED}'`);
});

test('subscriptions: Catalog, Alarm and MobilePosition are subscribed at registration and refreshed in their dialogs', async () => {
  await until('three SUBSCRIBEs', () => ['Catalog', 'Alarm', 'MobilePosition'].every((k) => sim.out().includes(`SUBSCRIBE ${k} expires 10\n`)));
  // Expires 10: refreshed at 8 s, in the same dialog (gbsim knows it by its Call-ID).
  await until('refreshes', () => ['Catalog', 'Alarm', 'MobilePosition'].every((k) => sim.out().includes(`re-SUBSCRIBE ${k} expires 10\n`)), 15000);
  assert.equal((sim.out().match(/gbsim: SUBSCRIBE /g) || []).length, 3, 'no new dialog for a refresh');
  // Their states are the platform's to show (video_subscription): the device's page lists them in the
  // order catalog, alarm, position, each granted 10 s; a refresh granting the same writes nothing new.
  await channelId(CH[0]); // the device is in the inspector's scope through a channel bound to a site
  const path = `/api/v1/video/devices/${DEVICE}`;
  let subs = [];
  await until('three states recorded', async () => {
    const r = await as(srv, inspector, path);
    subs = r.json?.subscriptions ?? [];
    return subs.length === 3 || r.text;
  });
  assert.deepEqual(subs.map((x) => [x.kind, x.state, x.granted_s, x.code, x.failures, x.retry_at]), [
    ['catalog', 'active', 10, null, 0, null], ['alarm', 'active', 10, null, 0, null], ['position', 'active', 10, null, 0, null]]);
  for (const x of subs) assert.ok(Date.parse(x.at) <= Date.now(), x.at);
  const refreshes = (k) => sim.out().split(`re-SUBSCRIBE ${k} expires 10\n`).length - 1;
  const seen = Object.fromEntries(['Catalog', 'Alarm', 'MobilePosition'].map((k) => [k, refreshes(k)]));
  await until('one more refresh of each', () => Object.keys(seen).every((k) => refreshes(k) > seen[k]), 15000);
  assert.deepEqual((await as(srv, inspector, path)).json.subscriptions, subs);
  // Another city does not see the device, nor its subscriptions.
  const other = await as(srv, xiamen, path);
  assert.equal(other.status, 404, other.text);
});

test('catalog notifications: OFF, DEL, UPDATE and ADD are applied to the channels and recorded as events', async () => {
  await until('notification sent', () => sim.out().includes('NOTIFY Catalog OFF'));
  await until('events applied', () => sql(`SELECT COUNT(*) FROM video_event WHERE device_gb_id = '${DEVICE}' AND kind LIKE 'channel_%'`) === '4');
  assert.equal(sql(`SELECT status FROM video_channel WHERE gb_id = '${CH[0]}'`), 'OFF');
  // DEL keeps the row (its project binding, shares and recordings refer to it), marked DEL.
  assert.equal(sql(`SELECT status FROM video_channel WHERE gb_id = '${CH[1]}'`), 'DEL');
  assert.equal(sql(`SELECT name FROM video_channel WHERE gb_id = '${CH[2]}'`), '更新后的通道');
  assert.equal(sql(`SELECT name || '|' || status || '|' || device_gb_id FROM video_channel WHERE gb_id = '${CH[3]}'`), `新增通道|ON|${DEVICE}`);
  const kinds = sql(`SELECT kind || ' ' || detail FROM video_event WHERE device_gb_id = '${DEVICE}' AND kind LIKE 'channel_%' ORDER BY kind`).split('\n');
  assert.deepEqual(kinds, [`channel_add ${CH[3]} 新增通道`, `channel_del ${CH[1]}`, `channel_off ${CH[0]}`, `channel_update ${CH[2]} 更新后的通道`]);
});

test('alarms: stored from NOTIFY and MESSAGE, answered, listed in the caller\'s scope', async () => {
  const id = await channelId(CH[0]);
  assert.ok(id > 0);
  await until('two alarms', () => sql(`SELECT COUNT(*) FROM video_alarm WHERE device_gb_id = '${DEVICE}'`) === '2');
  // Each alarm is answered with a <Response> (devices repeat unanswered alarms).
  await until('both answered', () => (sim.out().match(/Alarm answered SN/g) || []).length >= 2);
  assert.equal((await req(`${srv.url}/api/v1/video/alarms`)).status, 401);
  const r = await as(srv, inspector, '/api/v1/video/alarms');
  assert.equal(r.status, 200, r.text);
  assert.equal(r.json.items.length, 2);
  const byPriority = Object.fromEntries(r.json.items.map((a) => [a.priority, a]));
  assert.equal(byPriority[1].gb_id, CH[0]);
  assert.equal(byPriority[1].method, 5);
  assert.equal(byPriority[1].alarm_type, '2');
  assert.equal(byPriority[1].description, '视频遮挡报警');
  assert.equal(byPriority[1].alarm_time, '2026-11-26T10:00:00');
  assert.equal(byPriority[1].longitude, 119.3);
  assert.equal(byPriority[1].latitude, 26.08);
  assert.equal(typeof byPriority[1].channel_name, 'string'); // the channel's catalog name
  assert.equal(byPriority[4].gb_id, DEVICE);
  assert.equal(byPriority[4].description, '设备报警 A&B'); // GB18030 with a stray '&'
  assert.equal(byPriority[4].longitude, null);
  const one = await as(srv, inspector, `/api/v1/video/alarms?priority=1&device_gb_id=${DEVICE}`);
  assert.equal(one.status, 200, one.text);
  assert.deepEqual(one.json.items.map((a) => a.priority), [1]);
  const future = await as(srv, inspector, '/api/v1/video/alarms?since=2100-01-01T00:00:00Z');
  assert.equal(future.json.items.length, 0);
  const bad = await as(srv, inspector, '/api/v1/video/alarms?priority=9&device_gb_id=abc&since=yesterday');
  assert.equal(bad.status, 400, bad.text);
  assert.ok(bad.json.error.fields.priority && bad.json.error.fields.device_gb_id && bad.json.error.fields.since);
  // Xiamen sees no channel of this device, hence none of its alarms.
  const other = await as(srv, xiamen, '/api/v1/video/alarms');
  assert.equal(other.status, 200, other.text);
  assert.equal(other.json.items.length, 0);
});

test('positions: MobilePosition notifications kept as history and as the channel\'s latest position', async () => {
  const id = await channelId(CH[0]);
  await until('positions', () => Number(sql(`SELECT COUNT(*) FROM video_position WHERE gb_id = '${CH[0]}'`)) >= 3);
  const r = await as(srv, inspector, `/api/v1/video/channels/${id}/positions?limit=2`);
  assert.equal(r.status, 200, r.text);
  assert.equal(r.json.items.length, 2);
  const [a, b] = r.json.items;
  assert.ok(a.longitude > b.longitude, 'newest first');
  assert.ok(a.longitude > 119.3 && a.longitude < 119.4, String(a.longitude));
  assert.equal(a.speed, 12.5);
  assert.equal(a.direction, 90);
  assert.equal(a.altitude, 30);
  assert.match(a.at, /^2026-11-26T10:00:\d\d$/);
  assert.notEqual(sql(`SELECT pos_at FROM video_channel WHERE gb_id = '${CH[0]}'`), '');
  assert.equal((await as(srv, inspector, `/api/v1/video/channels/${id}/positions?limit=0`)).status, 400);
  assert.equal((await as(srv, xiamen, `/api/v1/video/channels/${id}/positions`)).status, 404);
});

test('DeviceStatus: asked at registration, shown with the device, refreshed on request', async () => {
  await channelId(CH[0]);
  let r;
  await until('status stored', async () => {
    r = await as(srv, inspector, `/api/v1/video/devices/${DEVICE}`);
    return r.json?.device_status != null;
  });
  assert.equal(r.json.device_status.online, 'ONLINE');
  assert.equal(r.json.device_status.status, 'OK');
  assert.equal(r.json.device_status.encode, 'ON');
  assert.equal(r.json.device_status.record, 'OFF');
  assert.match(r.json.device_status.device_time, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d$/);
  assert.deepEqual(r.json.device_status.alarm_states, [{ gb_id: CH[0], duty_status: 'ONDUTY' }]);
  const before = (sim.out().match(/DeviceStatus query/g) || []).length;
  const f = await post(inspector, `/api/v1/video/devices/${DEVICE}/status/refresh`);
  assert.equal(f.status, 200, f.text);
  assert.equal(f.json.device_status.online, 'ONLINE');
  assert.equal((sim.out().match(/DeviceStatus query/g) || []).length, before + 1);
  assert.equal((await post(xiamen, `/api/v1/video/devices/${DEVICE}/status/refresh`)).status, 404);
});

test('DeviceControl: record, stop_record, guard, reset_guard and iframe reach the channel; the result is reported and audited', async () => {
  const id = await channelId(CH[0]);
  assert.equal((await control(inspector, id, { cmd: 'record' })).status, 403); // video.view only
  const bad = await control(chief, id, { cmd: 'explode', extra: 1 });
  assert.equal(bad.status, 400, bad.text);
  assert.ok(bad.json.error.fields.cmd && bad.json.error.fields.extra);
  assert.match(bad.json.error.fields.cmd, /record/);
  assert.equal((await control(xiamen, id, { cmd: 'record' })).status, 403);
  const cases = [['record', 'RecordCmd Record'], ['stop_record', 'RecordCmd StopRecord'], ['guard', 'GuardCmd SetGuard'],
    ['reset_guard', 'GuardCmd ResetGuard'], ['iframe', 'IFameCmd Send']];
  for (const [cmd, wire] of cases) {
    const r = await control(chief, id, { cmd });
    assert.equal(r.status, 200, r.text);
    assert.equal(r.json.result, 'OK');
    assert.equal(r.json.cmd, cmd);
    assert.equal(r.json.gb_id, CH[0]);
    assert.equal(r.json.channel_id, id);
    // gbsim answers before it prints: wait for its line
    await until(`gbsim's ${wire}`, () => sim.out().includes(`DeviceControl ${CH[0]} ${wire}\n`), 5000);
  }
  assert.equal(Number(sql(`SELECT COUNT(*) FROM audit_log WHERE action = 'video.control' AND record_id = '${id}'`)), cases.length);
  assert.match(sql("SELECT detail FROM audit_log WHERE action = 'video.control' ORDER BY id DESC LIMIT 1"), /"cmd":"iframe".*"outcome":"OK"|"outcome":"OK".*"cmd":"iframe"/);
});

test('reboot: TeleBoot to the device, taken with its 200 (a rebooting device sends no result), audited', async () => {
  await channelId(CH[0]);
  assert.equal((await post(inspector, `/api/v1/video/devices/${DEVICE}/reboot`)).status, 403);
  assert.equal((await post(chief, '/api/v1/video/devices/35010200001189999999/reboot')).status, 404);
  const r = await post(chief, `/api/v1/video/devices/${DEVICE}/reboot`);
  assert.equal(r.status, 200, r.text);
  assert.equal(r.json.result, 'accepted');
  await until('gbsim\'s TeleBoot', () => sim.out().includes(`DeviceControl ${DEVICE} TeleBoot Boot\n`), 5000);
  assert.equal(sql(`SELECT COUNT(*) FROM audit_log WHERE action = 'video.reboot' AND record_id = '${DEVICE}'`), '1');
});

test('a device that answers ERROR is 502, a silent one 504, an offline one 409', async () => {
  const failing = gbsim(['--devices', '1', '--channels', '1', '--first-serial', '60', '--ip-base', '127.0.2.1', '--control-result', 'ERROR']);
  const silent = gbsim(['--devices', '1', '--channels', '1', '--first-serial', '70', '--ip-base', '127.0.3.1', '--control-answer', '0']);
  try {
    const a = await channelId('35010200001310000060'), b = await channelId('35010200001310000070');
    await until('both online', () => sql("SELECT COUNT(*) FROM video_device WHERE gb_id IN ('35010200001180000060', '35010200001180000070') AND online = 1") === '2');
    const r = await control(chief, a, { cmd: 'guard' });
    assert.equal(r.status, 502, r.text);
    assert.equal(r.json.error.code, 'device_refused');
    // gbsim answers before it prints: its line may reach us just after the API's answer.
    await until('the refused GuardCmd in gbsim', () => /DeviceControl 35010200001310000060 GuardCmd SetGuard/.test(failing.out()), 5000);
    const t0 = Date.now();
    const s = await control(chief, b, { cmd: 'record' });
    assert.equal(s.status, 504, s.text);
    assert.ok(Date.now() - t0 >= 3500, 'waited for the device');
    // Both were sent, so both are audited with what came of them.
    assert.match(sql(`SELECT detail FROM audit_log WHERE action = 'video.control' AND record_id = '${a}'`), /"outcome":"refused"/);
    assert.match(sql(`SELECT detail FROM audit_log WHERE action = 'video.control' AND record_id = '${b}'`), /"outcome":"timeout"/);
    sql("UPDATE video_device SET online = 0 WHERE gb_id = '35010200001180000070'");
    const off = await control(chief, b, { cmd: 'record' });
    assert.equal(off.status, 409, off.text);
    assert.equal((await post(chief, '/api/v1/video/devices/35010200001180000070/reboot')).status, 409);
  } finally {
    await failing.stop();
    await silent.stop();
  }
});

test('the JavaScript SDK reaches the same routes', async () => {
  const id = await channelId(CH[0]);
  const jv = await JianguanVideo.login({ baseUrl: srv.url, username: 'gulou_chief', password: 'Jg@demo2026',
    encrypt: (text, key) => sm2.doEncrypt(text, key, 1) });
  assert.equal((await jv.control(id, 'iframe')).result, 'OK');
  assert.equal((await jv.refreshStatus(DEVICE)).device_status.encode, 'ON');
  assert.equal((await jv.alarms({ priority: 4 })).items[0].description, '设备报警 A&B');
  assert.ok((await jv.positions(id, 1)).items.length === 1);
  await assert.rejects(jv.control(id, 'explode'), (e) => e.status === 400);
});

test('shutdown: the video service ends its subscriptions (SUBSCRIBE Expires: 0)', async () => {
  video.kill('SIGTERM');
  await new Promise((ok) => (video.exitCode !== null ? ok() : video.on('exit', ok)));
  await waitUntil('un-SUBSCRIBEs', () => ['Catalog', 'Alarm', 'MobilePosition'].every((k) => sim.out().includes(`un-SUBSCRIBE ${k}\n`)), { ms: 5000, log: () => videoErr });
});
