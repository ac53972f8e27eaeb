// Device control through the platform API, end to end: `jianguan serve` signs a control request to
// `jianguan video`, which sends MANSCDP to gbsim (a simulated NVR) and answers. PTZ and presets
// (gbsim prints the PTZCmd bytes it received), RecordInfo in chunks (with Dahua's
// <Type>all</Type>), playback (s=Playback, read by ffprobe), MANSRTSP INFO (pause, resume, speed,
// seek) and MediaStatus 121 ending a playback (the one of its dialog), and a device's catalog state.
//
// Environment: JIANGUAN_TEST_BIN as for the other API tests; JIANGUAN_TEST_GBSIM (default: gbsim
// beside the jianguan binary). Needs ffmpeg and ffprobe.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import { dbExec, req } from './lib/checks.mjs';
import { session, as } from './lib/auth.mjs';
import { DEVICE, ffprobe, gbsim as startGbsim, logTime, serviceTimePast, siteChannelId, stopWorld, until as waitUntil, videoWorld } from './lib/video.mjs';

const CH1 = '35010200001310000001';
let srv, video, videoErr = '', sipPort, mediaPort, psFile, sim, inspector, chief;

const sql = (q) => dbExec(srv.db.url, q).trim();

const until = (what, fn, ms) => waitUntil(what, fn, { ms, proc: video, log: () => videoErr + '\n' + (sim?.out().slice(-2000) ?? '') });

const gbsim = (args) => startGbsim(sipPort, psFile, args);


const channelId = (gbId) => siteChannelId(sql, until, gbId);

const ptz = (s, id, body) => as(srv, s, `/api/v1/video/channels/${id}/ptz`, { method: 'POST', body });

before(async () => {
  ({ srv, video, sipPort, mediaPort, psFile, sim } = await videoWorld({
    env: { JIANGUAN_VIDEO_RTP_TIMEOUT_S: '3' }, onErr: (d) => { videoErr += d; } }));
  inspector = await session(srv, 'gulou');
  chief = await session(srv, 'gulou_chief');
});

after(() => stopWorld({ srv, video, sim }));

test('a device\'s state, with its catalog round, is readable with video.view', async () => {
  await channelId(CH1);
  assert.equal((await req(`${srv.url}/api/v1/video/devices/${DEVICE}`)).status, 401);
  const contractor = await session(srv, 'contractor');
  assert.equal((await as(srv, contractor, `/api/v1/video/devices/${DEVICE}`)).status, 403);
  assert.equal((await as(srv, inspector, '/api/v1/video/devices/35010200001180009999')).status, 404);
  assert.equal((await as(srv, inspector, '/api/v1/video/devices/abc')).status, 404);
  let r;
  await until('catalog complete in the device API', async () => {
    r = await as(srv, inspector, `/api/v1/video/devices/${DEVICE}`);
    return r.json?.catalog_state === 'complete' || r.json;
  });
  assert.equal(r.status, 200, r.text);
  assert.equal(r.json.gb_id, DEVICE);
  assert.equal(r.json.online, 1);
  assert.equal(r.json.catalog_tries, 1);
  assert.equal(r.json.catalog_got, 3);
  assert.equal(r.json.catalog_sum, 3);
  assert.equal(r.json.channels, 3);
});

test('PTZ: video.control only; the PTZCmd bytes with their checksum reach the device; audited', async () => {
  const id = await channelId(CH1);
  // The inspector may watch but not steer.
  assert.equal((await ptz(inspector, id, { command: 'up' })).status, 403);
  assert.equal((await ptz(chief, 999999, { command: 'up' })).status, 404);
  const bad = await ptz(chief, id, { command: 'spin', speed: 300, colour: 1 });
  assert.equal(bad.status, 400, bad.text);
  assert.ok(bad.json.error.fields.command);
  assert.ok(bad.json.error.fields.speed);
  assert.ok(bad.json.error.fields.colour);
  const noPreset = await ptz(chief, id, { command: 'preset_call' });
  assert.equal(noPreset.status, 400);
  assert.ok(noPreset.json.error.fields.preset);
  // GB/T 28181 A.3: A5 0F 01, the command, pan speed, tilt speed, zoom speed << 4, then the sum of
  // the 7 bytes mod 256. A50F010800FA00B7 is the standard's own example (up, tilt speed 0xFA).
  const cases = [
    [{ command: 'up', speed: 250 }, 'A50F010800FA00B7'],
    [{ command: 'left', speed: 128 }, 'A50F010280000037'],
    [{ command: 'zoomin', zoom_speed: 8 }, 'A50F011000008045'],
    [{ command: 'downright', speed: 16 }, 'A50F0105101000DA'],
    [{ command: 'stop' }, 'A50F0100000000B5'],
    [{ command: 'preset_set', preset: 3 }, 'A50F018100030039'],
    [{ command: 'preset_call', preset: 3 }, 'A50F01820003003A'],
    [{ command: 'preset_delete', preset: 3 }, 'A50F01830003003B'],
  ];
  for (const [body, hex] of cases) {
    const r = await ptz(chief, id, body);
    assert.equal(r.status, 200, r.text);
    assert.equal(r.json.ptz_cmd, hex, JSON.stringify(body));
    assert.equal(r.json.gb_id, CH1);
    await until(`gbsim received ${hex}`, () => sim.out().includes(`DeviceControl ${CH1} PTZCmd ${hex}\n`), 5000);
  }
  assert.equal(Number(sql(`SELECT COUNT(*) FROM audit_log WHERE action = 'video.ptz' AND record_id = '${id}'`)), cases.length);
  assert.match(sql(`SELECT detail FROM audit_log WHERE action = 'video.ptz' ORDER BY id DESC LIMIT 1`), /"ptz_cmd":"A50F01830003003B"/);
});

test('PTZ waits for the device: a refusal is 502, silence 504', async () => {
  const refusing = gbsim(['--devices', '1', '--channels', '1', '--first-serial', '60', '--ip-base', '127.0.2.1', '--control-answer', '403']);
  const silent = gbsim(['--devices', '1', '--channels', '1', '--first-serial', '70', '--ip-base', '127.0.3.1', '--control-answer', '0']);
  try {
    const a = await channelId('35010200001310000060'), b = await channelId('35010200001310000070');
    await until('both online', () => sql(`SELECT COUNT(*) FROM video_device WHERE gb_id IN ('35010200001180000060', '35010200001180000070') AND online = 1`) === '2');
    const r = await ptz(chief, a, { command: 'left' });
    assert.equal(r.status, 502, r.text);
    assert.equal(r.json.error.code, 'device_refused');
    // gbsim answers before it prints: its line may reach us just after the API's answer.
    await until('the refused PTZCmd in gbsim', () => /DeviceControl 35010200001310000060 PTZCmd A50F010280000037/.test(refusing.out()), 5000);
    const t0 = Date.now();
    const s = await ptz(chief, b, { command: 'right' });
    assert.equal(s.status, 504, s.text);
    assert.ok(Date.now() - t0 >= 3500, 'waited for the device');
    await until('the unanswered PTZCmd in gbsim', () => /DeviceControl 35010200001310000070 PTZCmd A50F0101800000/.test(silent.out()), 5000);
    // Neither is audited as done.
    assert.equal(Number(sql(`SELECT COUNT(*) FROM audit_log WHERE action = 'video.ptz' AND record_id IN ('${a}', '${b}')`)), 0);
  } finally {
    await refusing.stop();
    await silent.stop();
  }
});

test('RecordInfo: chunked replies merged and sorted, Dahua\'s <Type>all</Type> tolerated, bad ranges refused', async () => {
  const id = await channelId(CH1);
  const url = (q) => `/api/v1/video/channels/${id}/records?${q}`;
  assert.equal((await req(srv.url + url('start=2026-11-25T08:00:00&end=2026-11-25T18:30:00'))).status, 401);
  for (const q of ['start=2026-11-25T08:00:00', 'start=2026-11-25 08:00:00&end=2026-11-25T09:00:00',
    'start=2026-11-25T09:00:00&end=2026-11-25T08:00:00', 'start=2026-02-30T09:00:00&end=2026-03-01T08:00:00']) {
    const r = await as(srv, inspector, url(q));
    assert.equal(r.status, 400, `${q}: ${r.text}`);
  }
  const r = await as(srv, inspector, url('start=2026-11-25T08:00:00&end=2026-11-25T18:30:00'));
  assert.equal(r.status, 200, r.text);
  assert.equal(r.json.complete, true);
  assert.equal(r.json.sum_num, 11);
  assert.equal(r.json.items.length, 11); // gbsim: one an hour, the last cut at 18:30; chunks of 4
  assert.equal(r.json.items[0].start_time, '2026-11-25T08:00:00');
  assert.equal(r.json.items[10].end_time, '2026-11-25T18:30:00');
  for (let i = 1; i < 11; i++) assert.ok(r.json.items[i - 1].start_time < r.json.items[i].start_time);
  assert.deepEqual([...new Set(r.json.items.map((x) => x.type))].sort(), ['all', 'time']);
  assert.equal(r.json.items[0].address, '鼓楼区 A&B 工地');
  assert.equal(r.json.items[1].file_size, 2 * 1048576);
  assert.equal(r.json.items[0].gb_id, CH1);
  const recordLine = new RegExp(`RecordInfo ${CH1} 2026-11-25T08:00:00 2026-11-25T18:30:00: 11 records`);
  await until('the RecordInfo line of gbsim', () => recordLine.test(sim.out()), 5000);
  // A one-second range: one recording (cut), answered in one message.
  const none = await as(srv, inspector, url('start=2026-11-25T08:00:00&end=2026-11-25T08:00:01'));
  assert.equal(none.status, 200, none.text);
  assert.equal(none.json.items.length, 1);
});

test('playback: a signed URL, s=Playback played by ffprobe; a forged one refused', async () => {
  const id = await channelId(CH1);
  const q = 'start=2026-11-25T08:00:00&end=2026-11-25T09:00:00';
  const r = await as(srv, inspector, `/api/v1/video/channels/${id}/playback?${q}`);
  assert.equal(r.status, 200, r.text);
  // 2026-11-25T08:00:00 in Beijing is 00:00:00 UTC.
  const s0 = Date.UTC(2026, 10, 25, 0, 0, 0) / 1000;
  assert.match(r.json.url, new RegExp(`^http://127\\.0\\.0\\.1:${mediaPort}/playback/${DEVICE}/${CH1}\\.flv\\?start=${s0}&end=${s0 + 3600}&exp=\\d+&sig=[0-9a-f]{64}$`));
  assert.equal(r.json.ws_url, r.json.url.replace(/^http:/, 'ws:'));
  const forged = await req(r.json.url.replace(`end=${s0 + 3600}`, `end=${s0 + 7200}`));
  assert.equal(forged.status, 403);
  const p = await ffprobe(r.json.url, 2);
  assert.equal(p.code, 0, p.err);
  const v = p.streams.find((x) => x.codec_type === 'video');
  assert.ok(v, JSON.stringify(p));
  assert.equal(v.codec_name, 'h264');
  assert.equal(v.width, 640);
  assert.ok(Number(v.nb_read_frames) > 10, v.nb_read_frames);
  await until('the playback INVITE in gbsim', () => new RegExp(`playback INVITE of ${CH1}`).test(sim.out()), 5000);
  assert.match(videoErr, new RegExp(`stream ${DEVICE}/${CH1}/${s0}-${s0 + 3600} playing`));
});

test('playback control: INFO pause, resume, speed and seek reach the device; MediaStatus 121 ends the playback', async () => {
  const id = await channelId(CH1);
  const range = { start: '2026-11-24T10:00:00', end: '2026-11-24T10:30:00' };
  const { json: pb } = await as(srv, inspector, `/api/v1/video/channels/${id}/playback?start=${range.start}&end=${range.end}`);
  const control = (action, value) => as(srv, inspector, `/api/v1/video/channels/${id}/playback/control`,
    { method: 'POST', body: { ...range, action, ...(value !== undefined ? { value } : {}) } });
  // Nothing runs yet.
  assert.equal((await control('pause')).status, 404);
  const s0 = Date.UTC(2026, 10, 24, 2, 0, 0) / 1000; // 10:00 in Beijing
  const key = `${DEVICE}/${CH1}/${s0}-${s0 + 1800}`;
  const ends = () => sim.out().split(`playback of ${CH1} reached the end: MediaStatus 121`).length - 1;
  const endsBefore = ends();
  // A viewer keeps the playback open, counting bytes.
  let bytes = 0;
  const viewer = http.get(pb.url, (res) => { res.on('data', (d) => { bytes += d.length; }); });
  viewer.on('error', () => {});
  try {
    await until('the playback playing', () => bytes > 10000);
    const bad = await control('jump', 3);
    assert.equal(bad.status, 400);
    assert.equal((await control('speed', 3)).status, 400);
    for (const [action, value, line] of [['pause', undefined, 'INFO pause 0'], ['resume', undefined, 'INFO resume 0'],
      ['speed', 2, 'INFO speed 2'], ['seek', 1, 'INFO seek 1']]) {
      const r = await control(action, value);
      assert.equal(r.status, 200, r.text);
      await until(`gbsim ${line}`, () => sim.out().includes(`${line} of ${CH1}`), 5000);
    }
    // At twice the speed from second 1, the 4 s file ends within 2 s: MediaStatus 121, then BYE.
    await until('MediaStatus 121 from gbsim', () => ends() > endsBefore, 10000);
    await until('the playback ended by the platform', () => videoErr.includes(`playback ${key} reached its end (MediaStatus 121): BYE`), 5000);
    assert.equal((await control('pause')).status, 404);
  } finally {
    viewer.destroy();
  }
});

test('MediaStatus 121 in a playback\'s dialog ends that playback alone, not another of the same channel; a paused playback outlives the RTP timeout', async () => {
  const id = await channelId(CH1);
  const ranges = [{ start: '2026-11-23T10:00:00', end: '2026-11-23T10:30:00' }, { start: '2026-11-23T11:00:00', end: '2026-11-23T11:30:00' }];
  const s0 = Date.UTC(2026, 10, 23, 2, 0, 0) / 1000; // 10:00 in Beijing
  const keys = [`${DEVICE}/${CH1}/${s0}-${s0 + 1800}`, `${DEVICE}/${CH1}/${s0 + 3600}-${s0 + 5400}`];
  const control = (range, action) => as(srv, inspector, `/api/v1/video/channels/${id}/playback/control`, { method: 'POST', body: { ...range, action } });
  const ended = (key) => videoErr.includes(`playback ${key} reached its end (MediaStatus 121): BYE`);
  const bytes = [0, 0];
  const viewers = [];
  try {
    for (const i of [0, 1]) {
      const { json: pb } = await as(srv, inspector, `/api/v1/video/channels/${id}/playback?start=${ranges[i].start}&end=${ranges[i].end}`);
      const v = http.get(pb.url, (res) => { res.on('data', (d) => { bytes[i] += d.length; }); });
      v.on('error', () => {});
      viewers.push(v);
      await until(`playback ${i} playing`, () => bytes[i] > 10000);
    }
    // The second waits, paused, while the first plays its 4 s file to the end.
    assert.equal((await control(ranges[1], 'pause')).status, 200);
    await until('the first playback ended', () => ended(keys[0]), 15000);
    // Paused longer than video_rtp_timeout_s (3 s): no RTP is expected, the stream stays. Paused
    // before the first ended; wait on the service's clock until 3 s and a second more went by since.
    await serviceTimePast(sql, until, logTime(videoErr, `playback ${keys[0]} reached its end`) + 4000);
    assert.ok(!ended(keys[1]), 'the second playback ended with the first');
    assert.doesNotMatch(videoErr, new RegExp(`no RTP for ${keys[1]}`));
    assert.equal((await control(ranges[0], 'pause')).status, 404);
    assert.equal((await control(ranges[1], 'resume')).status, 200);
    await until('the second playback ended', () => ended(keys[1]), 15000);
  } finally {
    for (const v of viewers) v.destroy();
  }
});

test('SIGTERM stops the service cleanly; gbsim counted what it received', async () => {
  const exited = new Promise((ok) => video.on('exit', (code, signal) => ok(code ?? signal)));
  video.kill('SIGTERM');
  assert.equal(await exited, 0, videoErr.slice(-2000));
  assert.equal(await sim.stop(), 0);
  const s = sim.summary();
  assert.equal(s.device_controls, 8);
  assert.equal(s.record_queries, 2);
  assert.equal(s.info_requests, 6); // 4 in the playback control test, 2 (pause, resume) in the dialog test
});
