// The JavaScript SDK (sdk/js/jianguan-video.js) against the real platform: a session login with an
// SM2-encrypted password (the province binds a channel to a 鼓楼 site and steers it: the PTZ bytes
// reach gbsim), and an app client of 鼓楼 (HMAC-SM3 signed requests) listing devices and channels in
// its scope, getting a live URL and a device's recordings, refused PTZ without video.control.
// Runs `jianguan video` and gbsim (no media).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { bin, root, startServer } from './lib/harness.mjs';
import { dbExec, freePort } from './lib/checks.mjs';
import { session, as } from './lib/auth.mjs';
import { DEVICE, gbsim as startGbsim, PASSWORD, startVideo, stopWorld, until as waitUntil } from './lib/video.mjs';

const { JianguanVideo, JianguanError } = await import(join(root, 'sdk/js/jianguan-video.js'));
const { sm2 } = createRequire(import.meta.url)('sm-crypto');
const CH1 = '35010200001310000001';
let srv, video, videoErr = '', sim, projectId, channelId, client;
const sql = (q) => dbExec(srv.db.url, q).trim();

const until = (what, fn, ms) => waitUntil(what, fn, { ms, proc: video, log: () => videoErr });

before(async () => {
  const mediaPort = await freePort();
  srv = await startServer({
    projects: 5,
    env: {
      JIANGUAN_VIDEO_SIP_LISTEN: '127.0.0.1:0', JIANGUAN_VIDEO_SIP_PASSWORD: PASSWORD,
      JIANGUAN_VIDEO_MEDIA_LISTEN: `127.0.0.1:${mediaPort}`,
      JIANGUAN_VIDEO_KEEPALIVE_INTERVAL_S: '2', JIANGUAN_VIDEO_KEEPALIVE_FLUSH_S: '1',
    },
  });
  let sipPort;
  ({ proc: video, sipPort } = await startVideo(srv, (d) => { videoErr += d; }));
  sim = startGbsim(sipPort, null, ['--devices', '1', '--channels', '2']);
  await until('device online', () => sql(`SELECT COUNT(*) FROM video_channel c JOIN video_device d ON d.gb_id = c.device_gb_id WHERE d.online = 1`) === '2');
  sql("INSERT INTO project (code, name, org_code, status, registered_on, created_at, updated_at) VALUES " +
    "('SDK-GL-1', 'SDK 测试工地', '350102', 'under_construction', '2026-04-01', '2026-04-01T00:00:00Z', '2026-04-01T00:00:00Z')");
  projectId = Number(sql("SELECT id FROM project WHERE code = 'SDK-GL-1'"));
  channelId = Number(sql(`SELECT id FROM video_channel WHERE gb_id = '${CH1}'`));
  const secadmin = await session(srv, 'secadmin');
  const r = await as(srv, secadmin, '/api/v1/app-clients', { method: 'POST', body: { name: '鼓楼视频对接', role: 'inspector', org_code: '350102' } });
  assert.equal(r.status, 201, r.text);
  client = r.json;
});

after(() => stopWorld({ srv, video, sim }));

test('a session login binds and steers a channel', async () => {
  const jv = await JianguanVideo.login({ baseUrl: srv.url, username: 'province', password: 'Jg@demo2026',
    encrypt: (text, key) => sm2.doEncrypt(text, key, 1) });
  const list = await jv.channels({ unbound: 1 });
  assert.equal(list.items.length, 2);
  const bound = await jv.bindProject(channelId, projectId, { longitude: 119.3, latitude: 26.08 });
  assert.equal(bound.project_id, projectId);
  const p = await jv.ptz(channelId, 'left', { speed: 128 });
  assert.equal(p.ptz_cmd, 'A50F010280000037');
  await until('PTZ at gbsim', () => sim.out().includes(`DeviceControl ${CH1} PTZCmd A50F010280000037`), 5000);
  await assert.rejects(jv.ptz(channelId, 'spin'), (e) => e instanceof JianguanError && e.status === 400 && !!e.fields.command);
  const snap = await jv.snapshotUrl(channelId);
  assert.match(snap, new RegExp(`/live/${DEVICE}/${CH1}\\.jpg\\?exp=\\d+&sig=[0-9a-f]{64}$`));
});

test('an app client of 鼓楼 sees its scope, gets live URLs and recordings, may not steer', async () => {
  const jv = new JianguanVideo({ baseUrl: srv.url, appKey: client.app_key, appSecret: client.secret });
  const devices = await jv.devices();
  assert.deepEqual(devices.items.map((d) => d.gb_id), [DEVICE]);
  assert.equal((await jv.device(DEVICE)).channels, 2);
  const channels = await jv.channels({ online: 1, keyword: '' });
  assert.deepEqual(channels.items.map((c) => c.gb_id), [CH1]); // the other channel is unbound
  assert.equal(channels.items[0].project_name, 'SDK 测试工地');
  const tree = await jv.tree();
  assert.deepEqual(tree.items.map((n) => n.code), ['3501']);
  assert.equal((await jv.tree('3501')).items[0].id, projectId);
  const live = await jv.liveUrl(channelId);
  assert.match(live.url, new RegExp(`/live/${DEVICE}/${CH1}\\.flv\\?exp=\\d+&sig=[0-9a-f]{64}$`));
  const recs = await jv.records(channelId, '2026-11-25T08:00:00', '2026-11-25T10:30:00');
  assert.equal(recs.items.length, 3);
  assert.equal(recs.items[0].start_time, '2026-11-25T08:00:00');
  const pb = await jv.playbackUrl(channelId, '2026-11-25T08:00:00', '2026-11-25T09:00:00');
  assert.match(pb.url, /\/playback\//);
  await assert.rejects(jv.ptz(channelId, 'left'), (e) => e.status === 403);
  const other = Number(sql("SELECT id FROM video_channel WHERE gb_id = '35010200001310000002'"));
  await assert.rejects(jv.liveUrl(other), (e) => e.status === 404 && /没有这个视频通道/.test(e.message));
  // Every route of the SDK is in the OpenAPI document (generated from the route table).
  const doc = await (await fetch(srv.url + '/api/v1/openapi.json')).json();
  for (const [path, method] of [['/api/v1/video/devices', 'get'], ['/api/v1/video/devices/{gb_id}', 'get'],
    ['/api/v1/video/channels', 'get'], ['/api/v1/video/tree', 'get'], ['/api/v1/video/channels/{id}/live', 'get'],
    ['/api/v1/video/channels/{id}/ptz', 'post'], ['/api/v1/video/channels/{id}/records', 'get'],
    ['/api/v1/video/channels/{id}/playback', 'get'], ['/api/v1/video/channels/{id}/playback/control', 'post'],
    ['/api/v1/video/channels/{id}/project', 'put'], ['/api/v1/video/channels/{id}/project', 'delete']])
    assert.ok(doc.paths[path]?.[method], `${method} ${path} in openapi.json`);
  // A wrong secret is refused as the platform refuses any bad signature.
  const bad = new JianguanVideo({ baseUrl: srv.url, appKey: client.app_key, appSecret: '0'.repeat(64) });
  await assert.rejects(bad.devices(), (e) => e.status === 401 && e.code === 'signature_invalid');
});

test('the C example (sdk/c/example.c) signs with HMAC-SM3 and reads the channels and a live URL', async (t) => {
  const example = process.env.JIANGUAN_TEST_VIDEO_EXAMPLE || join(dirname(bin), 'jianguan-video-example');
  if (!existsSync(example)) return t.skip('jianguan-video-example not built (JG_SDK_EXAMPLE=OFF)');
  const run = (...args) => spawnSync(example, [srv.url, client.app_key, client.secret, ...args], { encoding: 'utf8', timeout: 20000 });
  let r = run();
  assert.equal(r.status, 0, r.stderr + r.stdout);
  assert.deepEqual(JSON.parse(r.stdout).items.map((c) => c.gb_id), [CH1]);
  r = run(String(channelId));
  assert.equal(r.status, 0, r.stderr + r.stdout);
  assert.match(JSON.parse(r.stdout).url, /\/live\/35010200001180000001\/35010200001310000001\.flv\?exp=/);
  const other = sql("SELECT id FROM video_channel WHERE gb_id = '35010200001310000002'");
  r = run(other);
  assert.equal(r.status, 1);
  assert.match(r.stderr, /HTTP 404/);
  r = spawnSync(example, [srv.url, client.app_key, 'f'.repeat(64)], { encoding: 'utf8', timeout: 20000 });
  assert.match(r.stderr, /HTTP 401/);
});
