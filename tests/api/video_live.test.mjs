// Live view end to end with real clients: `jianguan serve` hands out a signed HTTP-FLV URL,
// `jianguan video` INVITEs gbsim (which streams an MPEG-PS file made here by ffmpeg over RTP),
// demuxes the PS and serves FLV, and ffprobe (FFmpeg, which nobody here wrote) reads it:
// codec, resolution and frame count. Two concurrent viewers share one upstream (one INVITE);
// the last one leaving brings a BYE after the idle delay. UDP and TCP passive.
//
// Environment: JIANGUAN_TEST_BIN as for the other API tests; JIANGUAN_TEST_GBSIM (default: gbsim
// beside the jianguan binary). Needs ffmpeg and ffprobe (scripts/install-deps.sh, TEST list).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { dbExec, req } from './lib/checks.mjs';
import { session, as } from './lib/auth.mjs';
import { DEVICE, ffprobe, gbsim as startGbsim, sipPing, siteChannelId, until as waitUntil, videoWorld } from './lib/video.mjs';

let srv, video, videoErr = '', sipPort, mediaPort, psFile, sim, simB, inspector;

const sql = (q) => dbExec(srv.db.url, q).trim();

const until = (what, fn, ms) => waitUntil(what, fn, { ms, proc: video, log: () => videoErr });

const gbsim = (args) => startGbsim(sipPort, psFile, args);


function assertPlayable(r, minFrames) {
  assert.equal(video.exitCode, null, 'jianguan video is running: ' + videoErr.slice(-2000));
  assert.equal(r.code, 0, r.err);
  const v = r.streams.find((s) => s.codec_type === 'video');
  assert.ok(v, 'a video stream: ' + JSON.stringify(r));
  assert.equal(v.codec_name, 'h264');
  assert.equal(v.width, 640);
  assert.equal(v.height, 360);
  assert.ok(Number(v.nb_read_frames) > minFrames, `frames read: ${v.nb_read_frames}`);
}

const invitesOf = (channel) => (videoErr.match(new RegExp(`video: INVITE ${channel} `, 'g')) || []).length;

const channelId = (gbId) => siteChannelId(sql, until, gbId);

async function liveUrl(id, s = inspector) {
  const r = await as(srv, s, `/api/v1/video/channels/${id}/live`);
  assert.equal(r.status, 200, r.text);
  return r.json;
}

before(async () => {
  ({ srv, video, sipPort, mediaPort, psFile, sim } = await videoWorld({
    env: { JIANGUAN_VIDEO_LIVE_IDLE_S: '2' }, onErr: (d) => { videoErr += d; } }));
  assert.match(videoErr, new RegExp(`media listening on http://127\\.0\\.0\\.1:${mediaPort} \\(RTP over udp\\)`));
  inspector = await session(srv, 'gulou');
});

after(async () => {
  for (const s of [sim, simB]) if (s && s.child.exitCode === null) s.child.kill('SIGKILL');
  if (video && video.exitCode === null) video.kill('SIGKILL');
  if (srv) await srv.stop();
});

test('the live URL needs a login and video.view, and names an existing channel', async () => {
  const id = await channelId('35010200001310000001');
  assert.equal((await req(`${srv.url}/api/v1/video/channels/${id}/live`)).status, 401);
  const contractor = await session(srv, 'contractor'); // enterprise_admin: no video.view
  assert.equal((await as(srv, contractor, `/api/v1/video/channels/${id}/live`)).status, 403);
  const missing = await as(srv, inspector, '/api/v1/video/channels/999999/live');
  assert.equal(missing.status, 404);
  assert.equal(missing.json.error.code, 'not_found');
  const live = await liveUrl(id);
  assert.equal(live.protocol, 'http-flv');
  assert.equal(live.gb_id, '35010200001310000001');
  assert.equal(live.device_gb_id, DEVICE);
  assert.match(live.url, new RegExp(`^http://127\\.0\\.0\\.1:${mediaPort}/live/${DEVICE}/35010200001310000001\\.flv\\?exp=\\d+&sig=[0-9a-f]{64}$`));
  assert.ok(Date.parse(live.expires_at) > Date.now() + 200 * 1000, live.expires_at);
});

test('a forged, altered or expired URL is refused by the media node, and starts nothing', async () => {
  const id = await channelId('35010200001310000001');
  const { url } = await liveUrl(id);
  const bad = [
    url.replace(/sig=([0-9a-f])/, (m, c) => `sig=${c === '0' ? '1' : '0'}`),
    url.replace('35010200001310000001.flv', '35010200001310000002.flv'),
    url.replace(/exp=(\d+)/, (m, e) => `exp=${Number(e) + 1}`),
    url.replace(/exp=\d+&sig=[0-9a-f]+/, 'exp=1&sig=' + '0'.repeat(64)),
    url.replace(/\?.*/, ''),
  ];
  for (const u of bad) {
    const r = await req(u);
    assert.ok(r.status === 403 || r.status === 404, `${u}: ${r.status}`);
    if (r.status === 403) assert.equal(r.json.error.code, 'forbidden');
  }
  assert.equal(invitesOf('35010200001310000001'), 0);
  assert.equal(invitesOf('35010200001310000002'), 0);
});

test('ffprobe plays the stream over UDP; two concurrent viewers share one INVITE; BYE after the idle delay', async () => {
  const ch = '35010200001310000001';
  const { url } = await liveUrl(await channelId(ch));
  const first = ffprobe(url, 4);
  // the second viewer joins a running stream (and starts from the cached GOP)
  await until('the stream playing for the first viewer', () => new RegExp(`stream ${DEVICE}/${ch} playing `).test(videoErr), 15000);
  const second = ffprobe(url, 3);
  const [a, b] = await Promise.all([first, second]);
  assertPlayable(a, 60);
  assertPlayable(b, 45);
  assert.equal(invitesOf(ch), 1, 'one upstream for both viewers');
  assert.match(videoErr, new RegExp(`viewer 2 of ${DEVICE}/${ch}`));
  assert.match(videoErr, new RegExp(`stream ${DEVICE}/${ch} playing \\(UDP from 127\\.0\\.1\\.1:\\d+\\)`));
  await until('BYE after 2 idle seconds', () => new RegExp(`no viewer of ${DEVICE}/${ch} for 2 s: BYE`).test(videoErr), 10000);
  const ends = new RegExp(`stream ${DEVICE}/${ch} ends \\(\\d+ RTP packets, 0 lost, \\d+ frames, 0 with a foreign SSRC; video h264, no PSM: codec guessed\\)`);
  await until('the stream\'s counters in the log', () => ends.test(videoErr), 5000);
  // A viewer after the BYE brings a new INVITE.
  assertPlayable(await ffprobe(url, 2), 30);
  assert.equal(invitesOf(ch), 2);
});

test('ffprobe plays the stream over TCP passive (RFC 4571 framing)', async () => {
  const ch = '35010200001310000002';
  const { url } = await liveUrl(await channelId(ch));
  assertPlayable(await ffprobe(url + '&transport=tcp', 3), 50);
  assert.equal(invitesOf(ch), 1);
  assert.match(videoErr, new RegExp(`stream ${DEVICE}/${ch} playing \\(TCP passive from `));
});

test('a device answering with its own y= SSRC and sending a PSM (stream type 0x1B) is followed', async () => {
  simB = gbsim(['--devices', '1', '--channels', '1', '--first-serial', '7', '--ip-base', '127.0.2.1', '--answer-ssrc', '0350001234', '--psm']);
  const dev = '35010200001180000007';
  await until('second device online', () => sql(`SELECT online FROM video_device WHERE gb_id = '${dev}'`) === '1');
  const ch = '35010200001310000007';
  const { url } = await liveUrl(await channelId(ch));
  assertPlayable(await ffprobe(url, 2), 30);
  assert.match(videoErr, new RegExp(`device ${dev} answered SSRC 0350001234 for ${dev}/${ch}`));
  // gbsim stops at the next test; the stream's counters then show the PSM was read.
});

test('an offline device gives 409 from the API; gbsim saw one INVITE per stream and a BYE for each', async () => {
  assert.equal(await simB.stop(), 0);
  await until('the PSM stream ends with its counters', () => /stream 35010200001180000007\/35010200001310000007 ends \(\d+ RTP packets, \d+ lost, \d+ frames, 0 with a foreign SSRC; video h264, stream type from the PSM\)/.test(videoErr), 15000);
  const s = simB.summary();
  assert.equal(s.invites, 1);
  assert.equal(s.acks, 1);
  assert.ok(s.rtp_packets > 20, JSON.stringify(s));
  const id = await channelId('35010200001310000007');
  await until('second device offline', () => sql(`SELECT online FROM video_device WHERE gb_id = '35010200001180000007'`) === '0', 15000);
  const r = await as(srv, inspector, `/api/v1/video/channels/${id}/live`);
  assert.equal(r.status, 409);
  assert.match(r.json.error.message, /不在线/);
  // idle BYE of the TCP stream, sent before gbsim stops (the ping: the service got past it)
  await until('the TCP stream ends', () => new RegExp(`stream ${DEVICE}/35010200001310000002 ends \\(`).test(videoErr), 10000);
  await sipPing(sipPort);
  assert.equal(await sim.stop(), 0);
  const m = sim.summary();
  assert.equal(m.invites, 3, JSON.stringify(m)); // UDP twice (before and after the idle BYE), TCP once
  assert.equal(m.byes, 3, JSON.stringify(m));
});

test('SIGTERM stops the service cleanly', async () => {
  assert.equal(video.exitCode, null, 'still running until now: ' + videoErr.slice(-2000));
  const exited = new Promise((ok) => video.on('exit', (c, sig) => ok(c ?? sig)));
  video.kill('SIGTERM');
  const code = await exited;
  assert.equal(code, 0, videoErr.slice(-2000));
});
