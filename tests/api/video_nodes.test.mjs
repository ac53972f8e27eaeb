// Several media nodes (src/video/nodes.c, node_client.c): one signalling process
// (video_role = signal) and two media-only processes (video_role = media) reporting to it, gbsim
// streaming an ffmpeg-made PS. The platform's live URLs spread four channels 2/2 over the nodes;
// ffprobe plays through the node each URL names (RTP went to that node: its log and gbsim's
// destination ports say so); kill -9 of one node moves its streams to the other within seconds,
// and a new live URL for a moved channel plays there. A playback (s=Playback) of a fifth channel is
// placed on a node too: the signalling service INVITEs and holds the dialog, pause/resume reach
// the device through it (and the node, whose RTP timeout spares the paused stream), and the
// device's MediaStatus 121 at the end of the 4 s file ends the stream on the node.
//
// Environment: JIANGUAN_TEST_BIN as for the other API tests; needs ffmpeg, ffprobe and gbsim.
import { test, before, after } from 'node:test';
import http from 'node:http';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { startServer, bin } from './lib/harness.mjs';
import { dbExec, exitOf, freePort, req } from './lib/checks.mjs';
import { session, as } from './lib/auth.mjs';
import { DEVICE, ffprobe, gbsim as startGbsim, logTime, makePs, serviceTimePast, siteChannelId, startVideo, until as waitUntil } from './lib/video.mjs';

const CHANNELS = ['35010200001310000001', '35010200001310000002', '35010200001310000003', '35010200001310000004'];
const PB_CHANNEL = '35010200001310000005'; // played back only: the live tests count four channels

let srv, video, videoErr = '', sipPort, mediaPort, psFile, sim, inspector, chief;
const nodes = {}; // id -> { proc, port, err }

const sql = (q) => dbExec(srv.db.url, q).trim();
const log = () => videoErr + Object.entries(nodes).map(([id, n]) => `\n--- ${id}\n${n.err.slice(-3000)}`).join('');
const until = (what, fn, ms) => waitUntil(what, fn, { ms, proc: video, log });

async function startNode(id) {
  const port = await freePort();
  const node = { port, err: '', proc: null };
  node.proc = spawn(bin, ['video'], {
    env: {
      ...process.env, ...srv.env,
      JIANGUAN_VIDEO_ROLE: 'media',
      JIANGUAN_VIDEO_NODE_ID: id,
      JIANGUAN_VIDEO_NODE_URL: `http://127.0.0.1:${port}`,
      JIANGUAN_VIDEO_SIGNALLING_URL: `http://127.0.0.1:${mediaPort}`,
      JIANGUAN_VIDEO_MEDIA_LISTEN: `127.0.0.1:${port}`,
      JIANGUAN_VIDEO_RTP_TIMEOUT_S: '4', // a paused playback outlives it (the heartbeat says paused)
    },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  node.proc.stderr.on('data', (d) => { node.err += d; });
  nodes[id] = node;
  await until(`media node ${id} running`, () => node.proc.exitCode === null ? /media node \S+ running \(no SIP\)/.test(node.err) : `exited: ${node.err}`);
  await until(`media node ${id} joined`, () => new RegExp(`media node ${id} joined \\(http://127\\.0\\.0\\.1:${port}, RTP to 127\\.0\\.0\\.1\\)`).test(videoErr));
  return node;
}

const channelId = (gbId) => siteChannelId(sql, until, gbId);

async function live(gbId) {
  const r = await as(srv, inspector, `/api/v1/video/channels/${await channelId(gbId)}/live`);
  assert.equal(r.status, 200, r.text);
  return r.json;
}
const liveUrl = async (gbId) => (await live(gbId)).url;

const nodeOf = (url) => Object.keys(nodes).find((id) => url.startsWith(`http://127.0.0.1:${nodes[id].port}/live/`));

function assertPlayable(r, minFrames, what) {
  assert.equal(r.code, 0, `${what}: ${r.err}\n${log().slice(-4000)}`);
  const v = r.streams.find((s) => s.codec_type === 'video');
  assert.ok(v, `${what}: a video stream: ${JSON.stringify(r)}`);
  assert.equal(v.codec_name, 'h264');
  assert.equal(v.width, 640);
  assert.ok(Number(v.nb_read_frames) > minFrames, `${what}: frames read: ${v.nb_read_frames}`);
}

before(async () => {
  mediaPort = await freePort();
  srv = await startServer({
    projects: 5,
    env: {
      JIANGUAN_VIDEO_SIP_LISTEN: '127.0.0.1:0',
      JIANGUAN_VIDEO_SIP_PASSWORD: 'gb-Default-8',
      JIANGUAN_VIDEO_MEDIA_LISTEN: `127.0.0.1:${mediaPort}`,
      JIANGUAN_VIDEO_LIVE_IDLE_S: '30',
      JIANGUAN_VIDEO_KEEPALIVE_INTERVAL_S: '2',
      JIANGUAN_VIDEO_KEEPALIVE_FLUSH_S: '1',
      JIANGUAN_VIDEO_NODE_DEAD_S: '3',
    },
  });
  psFile = makePs(srv.dir);
  ({ proc: video, sipPort } = await startVideo(srv, (d) => { videoErr += d; }, { JIANGUAN_VIDEO_ROLE: 'signal' }));
  await startNode('node-a');
  await startNode('node-b');
  sim = startGbsim(sipPort, psFile, ['--devices', '1', '--channels', '5']);
  await until('device online', () => sql(`SELECT online FROM video_device WHERE gb_id = '${DEVICE}'`) === '1');
  inspector = await session(srv, 'gulou');
  chief = await session(srv, 'gulou_chief');
});

after(async () => {
  if (sim && sim.child.exitCode === null) sim.child.kill('SIGKILL');
  for (const n of Object.values(nodes)) if (n.proc.exitCode === null) n.proc.kill('SIGKILL');
  if (video && video.exitCode === null) video.kill('SIGKILL');
  if (srv) await srv.stop();
});

test('node requests are signed: a forged heartbeat or INVITE request is refused', async () => {
  const base = `http://127.0.0.1:${mediaPort}`;
  const beat = await req(`${base}/ctl/node/beat?node=evil&url=http://127.0.0.1:1&ip=127.0.0.1&streams=0&viewers=0&bps=0&cpu=0&exp=9999999999&sig=${'0'.repeat(64)}`);
  assert.equal(beat.status, 403);
  assert.equal(beat.json.error.code, 'forbidden');
  const inv = await req(`${base}/ctl/node/invite?node=node-a&device=${DEVICE}&channel=${CHANNELS[0]}&ip=127.0.0.1&port=9&tcp=0&ssrc=0100000001&exp=9999999999&sig=${'1'.repeat(64)}`);
  assert.equal(inv.status, 403);
  assert.doesNotMatch(videoErr, /media node evil/);
  assert.doesNotMatch(videoErr, /placed on media node/);
});

test('four channels spread 2/2 over two media nodes; each URL plays through its node', async () => {
  const urls = [];
  for (const ch of CHANNELS) urls.push(await liveUrl(ch));
  const where = urls.map(nodeOf);
  assert.ok(where.every(Boolean), `every URL names a node: ${urls.join(' ')}`);
  assert.equal(where.filter((w) => w === 'node-a').length, 2, where.join(','));
  assert.equal(where.filter((w) => w === 'node-b').length, 2, where.join(','));
  // The platform asks again while nothing is open yet: the same node (the placement is held).
  assert.equal(nodeOf(await liveUrl(CHANNELS[0])), where[0]);
  const results = await Promise.all(urls.map((u) => ffprobe(u, 3)));
  results.forEach((r, i) => assertPlayable(r, 40, CHANNELS[i]));
  for (let i = 0; i < CHANNELS.length; i++) {
    const key = `${DEVICE}/${CHANNELS[i]}`;
    assert.match(videoErr, new RegExp(`stream ${key} placed on media node ${where[i]} \\(RTP to 127\\.0\\.0\\.1:\\d+, SSRC \\d{10}\\)`));
    assert.match(videoErr, new RegExp(`stream ${key} playing on media node ${where[i]}`));
    assert.match(nodes[where[i]].err, new RegExp(`stream ${key} playing`));
    const other = where[i] === 'node-a' ? 'node-b' : 'node-a';
    assert.doesNotMatch(nodes[other].err, new RegExp(`viewer \\d+ of ${key}`));
  }
  // One INVITE per channel, all from the signalling process; the nodes hold no SIP.
  for (const ch of CHANNELS) assert.equal((videoErr.match(new RegExp(`video: INVITE ${ch} `, 'g')) || []).length, 1, ch);
  for (const n of Object.values(nodes)) assert.doesNotMatch(n.err, /video: INVITE /);
  // HLS and snapshots of the same answer are served by the same node, from the running stream.
  const l0 = await live(CHANNELS[0]);
  assert.ok(l0.hls_url.startsWith(`http://127.0.0.1:${nodes[where[0]].port}/live/`), l0.hls_url);
  const m3u8 = await req(l0.hls_url);
  assert.equal(m3u8.status, 200, m3u8.text);
  assert.match(m3u8.text, /^#EXTM3U/);
  // A second viewer asking the platform now is sent where the stream runs.
  for (let i = 0; i < CHANNELS.length; i++) assert.equal(nodeOf(await liveUrl(CHANNELS[i])), where[i]);
  // The platform shows the nodes (video.control): both live, two streams each (held 30 s idle).
  assert.equal((await as(srv, inspector, '/api/v1/video/nodes')).status, 403);
  const r = await as(srv, chief, '/api/v1/video/nodes');
  assert.equal(r.status, 200, r.text);
  assert.equal(r.json.role, 'signal');
  const byId = Object.fromEntries(r.json.nodes.map((n) => [n.id, n]));
  assert.deepEqual(Object.keys(byId).sort(), ['node-a', 'node-b']);
  for (const id of ['node-a', 'node-b']) {
    assert.equal(byId[id].live, true);
    assert.equal(byId[id].streams, 2, JSON.stringify(byId[id]));
    assert.equal(byId[id].url, `http://127.0.0.1:${nodes[id].port}`);
    assert.ok(byId[id].last_heartbeat_ms_ago < 3000, JSON.stringify(byId[id]));
  }
  await until('the nodes report their streams and bytes', async () => {
    const x = (await as(srv, chief, '/api/v1/video/nodes')).json.nodes;
    return x.every((n) => n.reported_streams === 2 && n.bytes_per_s > 0) || JSON.stringify(x);
  }, 5000);
});

test('a playback runs on a media node: placed there, INVITEd and controlled by signalling, ended by MediaStatus 121', async () => {
  const id = await channelId(PB_CHANNEL);
  const range = { start: '2026-11-24T10:00:00', end: '2026-11-24T10:30:00' };
  const s0 = Date.UTC(2026, 10, 24, 2, 0, 0) / 1000; // 10:00 in Beijing
  const key = `${DEVICE}/${PB_CHANNEL}/${s0}-${s0 + 1800}`;
  const r = await as(srv, inspector, `/api/v1/video/channels/${id}/playback?start=${range.start}&end=${range.end}`);
  assert.equal(r.status, 200, r.text);
  const at = Object.keys(nodes).find((n) => r.json.url.startsWith(`http://127.0.0.1:${nodes[n].port}/playback/`));
  assert.ok(at, `the playback URL names a media node: ${r.json.url}`);
  assert.match(r.json.url, new RegExp(`/playback/${DEVICE}/${PB_CHANNEL}\\.flv\\?start=${s0}&end=${s0 + 1800}&exp=\\d+&sig=[0-9a-f]{64}$`));
  // Cloud recordings stay on the signalling service: record_url names it, and its signature holds there.
  assert.equal(r.json.record_url, `http://127.0.0.1:${mediaPort}/record/${DEVICE}/${PB_CHANNEL}.m3u8?${r.json.url.split('?')[1]}`);
  const rec = await req(r.json.record_url);
  assert.equal(rec.status, 404, rec.text);
  assert.equal(rec.json.error.message, '该时间段没有云录像');
  // Asked again before it opens: the same node (the placement is held for this range).
  const again = await as(srv, inspector, `/api/v1/video/channels/${id}/playback?start=${range.start}&end=${range.end}`);
  assert.ok(again.json.url.startsWith(`http://127.0.0.1:${nodes[at].port}/playback/`), again.json.url);
  // The node checks the signature like the embedded one: another range with this signature is refused.
  assert.equal((await req(r.json.url.replace(`end=${s0 + 1800}`, `end=${s0 + 3600}`))).status, 403);
  const control = (action) => as(srv, inspector, `/api/v1/video/channels/${id}/playback/control`, { method: 'POST', body: { ...range, action } });
  assert.equal((await control('pause')).status, 404); // nothing runs yet
  let bytes = 0, ended = false;
  const viewer = http.get(r.json.url, (res) => {
    res.on('data', (d) => { bytes += d.length; });
    res.on('end', () => { ended = true; });
    res.on('close', () => { ended = true; });
  });
  viewer.on('error', () => {});
  try {
    await until('the playback playing through the node', () => bytes > 10000, 15000);
    // the processes' output may reach us after the stream's bytes
    await until('the placement in the logs', () =>
      new RegExp(`stream ${key} placed on media node ${at} \\(RTP to 127\\.0\\.0\\.1:\\d+, SSRC \\d{10}\\)`).test(videoErr) &&
      new RegExp(`stream ${key} playing on media node ${at}`).test(videoErr) &&
      new RegExp(`stream ${key} playing`).test(nodes[at].err) && new RegExp(`playback INVITE of ${PB_CHANNEL}`).test(sim.out()), 5000);
    assert.equal((videoErr.match(new RegExp(`video: INVITE ${PB_CHANNEL} `, 'g')) || []).length, 1);
    for (const n of Object.values(nodes)) assert.doesNotMatch(n.err, /video: INVITE /);
    // Pause and resume go to the signalling service, which sends INFO in the dialog it holds.
    assert.equal((await control('pause')).status, 200);
    await until('gbsim INFO pause', () => sim.out().includes(`INFO pause 0 of ${PB_CHANNEL}`), 5000);
    // The node's stream gets no RTP either: the heartbeat answer says it is paused, so the node's
    // 4 s RTP timeout spares it.
    const pausedLine = `playback ${key} paused by the signalling service`;
    await until('the node told of the pause', () => nodes[at].err.includes(pausedLine), 10000);
    await serviceTimePast(sql, until, logTime(nodes[at].err, pausedLine) + 5000);
    assert.doesNotMatch(nodes[at].err, new RegExp(`no RTP for ${key}`));
    const probe = ffprobe(r.json.url, 2); // a second viewer joins the same stream on the node
    await until('the second viewer on the node', () => new RegExp(`viewer 2 of ${key}`).test(nodes[at].err), 10000);
    assert.equal((await control('resume')).status, 200);
    await until('gbsim INFO resume', () => sim.out().includes(`INFO resume 0 of ${PB_CHANNEL}`), 5000);
    await until('the node told of the resume', () => nodes[at].err.includes(`playback ${key} resumed by the signalling service`), 10000);
    assertPlayable(await probe, 10, 'the playback through the node');
    assert.match(nodes[at].err, new RegExp(`viewer 2 of ${key}`));
    // The 4 s file ends: MediaStatus 121 in the dialog ends the proxy (BYE), then the node's stream.
    await until('MediaStatus 121 from gbsim', () => sim.out().includes(`playback of ${PB_CHANNEL} reached the end: MediaStatus 121`), 15000);
    await until('the playback ended by signalling', () => videoErr.includes(`playback ${key} reached its end (MediaStatus 121): BYE`), 5000);
    await until('the stream ended on the node', () => nodes[at].err.includes(`the signalling service no longer holds ${key} for this node: ending it (the playback's dialog ended)`), 5000);
    assert.match(nodes[at].err, new RegExp(`stream ${key} ends \\(`));
    await until('the viewer got the end of the FLV', () => ended, 5000);
    assert.equal((await control('pause')).status, 404);
  } finally {
    viewer.destroy();
  }
});

test('kill -9 of a node: its streams move to the other node and a new live URL plays there', async () => {
  const where = [];
  for (const ch of CHANNELS) where.push(nodeOf(await liveUrl(ch)));
  const victim = where[0];
  const survivor = victim === 'node-a' ? 'node-b' : 'node-a';
  const moved = CHANNELS.filter((_, i) => where[i] === victim);
  assert.equal(moved.length, 2);
  // The streams still run (30 s idle delay): kill the node abruptly. They move once its silence is
  // noticed (the log says it was the silence), however long a busy machine makes that take.
  nodes[victim].proc.kill('SIGKILL');
  for (const ch of moved) {
    const key = `${DEVICE}/${ch}`;
    await until(`${key} moved to ${survivor}`, () => new RegExp(`stream ${key} playing on media node ${survivor}`).test(videoErr), 20000);
  }
  assert.match(videoErr, new RegExp(`media node ${victim} silent for 3 s: it is dead; moving its streams`));
  for (const ch of moved) {
    assert.match(videoErr, new RegExp(`media node ${victim} is gone: BYE for ${DEVICE}/${ch}`));
    assert.match(videoErr, new RegExp(`${DEVICE}/${ch} moves from media node ${victim} to ${survivor}`));
  }
  // The platform now hands out the survivor's URL for every channel, and it plays.
  for (const ch of CHANNELS) {
    const url = await liveUrl(ch);
    assert.equal(nodeOf(url), survivor, `${ch}: ${url}`);
  }
  const r = await ffprobe(await liveUrl(moved[0]), 2);
  assertPlayable(r, 25, `${moved[0]} after the move`);
  assert.match(nodes[survivor].err, new RegExp(`viewer 1 of ${DEVICE}/${moved[0]}`));
  const list = (await as(srv, chief, '/api/v1/video/nodes')).json.nodes;
  const byId = Object.fromEntries(list.map((n) => [n.id, n]));
  assert.equal(byId[victim].live, false);
  assert.equal(byId[victim].streams, 0);
  assert.equal(byId[survivor].live, true);
  assert.equal(byId[survivor].streams, 4);
  // The device got a BYE for the dead node's dialogs and a second INVITE for each moved channel.
  for (const ch of moved) assert.equal((videoErr.match(new RegExp(`video: INVITE ${ch} `, 'g')) || []).length, 2, ch);
});

test('SIGTERM of a node: it says it leaves, its streams move at once, it exits cleanly', async () => {
  const survivor = Object.keys(nodes).find((id) => nodes[id].proc.exitCode === null && nodes[id].proc.signalCode === null);
  assert.ok(survivor);
  await startNode('node-c');
  const before = videoErr.length;
  nodes[survivor].proc.kill('SIGTERM');
  assert.equal(await exitOf(nodes[survivor].proc), 0, nodes[survivor].err.slice(-3000)); // its stderr read to the end
  assert.match(nodes[survivor].err, /the signalling service moves this node's streams/);
  assert.doesNotMatch(nodes[survivor].err, /ERROR|AddressSanitizer|runtime error/);
  for (const ch of CHANNELS)
    await until(`${ch} on node-c`, () => new RegExp(`stream ${DEVICE}/${ch} playing on media node node-c`).test(videoErr.slice(before)), 10000);
  // The leave was heard, not the silence (which takes 3 s).
  assert.match(videoErr.slice(before), new RegExp(`media node ${survivor} is stopping; moving its streams`));
  assert.doesNotMatch(videoErr.slice(before), new RegExp(`media node ${survivor} silent`));
  const url = await liveUrl(CHANNELS[3]);
  assert.equal(nodeOf(url), 'node-c');
  assertPlayable(await ffprobe(url, 2), 25, `${CHANNELS[3]} on node-c`);
  // A forged leave for node-c (wrong boot ID, properly unsigned) changes nothing.
  const forged = await req(`http://127.0.0.1:${mediaPort}/ctl/node/leave?node=node-c&boot=0&exp=9999999999&sig=${'0'.repeat(64)}`);
  assert.equal(forged.status, 403);
  const list = (await as(srv, chief, '/api/v1/video/nodes')).json.nodes;
  assert.equal(list.find((n) => n.id === 'node-c').live, true);
  assert.equal(list.find((n) => n.id === survivor).live, false);
});
