// HLS and snapshots on the media node (issue 8): `jianguan serve` hands out the signed live URL,
// the same signature opens /live/D/C.m3u8 (a live playlist with a sliding window), its segments
// /live/D/C/SEQ.ts and /live/D/C.jpg (the last key frame as JPEG, decoded by ffmpeg). gbsim streams
// an ffmpeg-made PS; ffprobe (FFmpeg, which nobody here wrote) reads the playlist, a segment and
// the snapshot. HLS shares the channel's one INVITE with HTTP-FLV viewers.
//
// Environment: as tests/api/video_live.test.mjs (needs ffmpeg and ffprobe).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { readdirSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { dbExec, req } from './lib/checks.mjs';
import { session, as } from './lib/auth.mjs';
import { DEVICE, siteChannelId, sleep, stopWorld, until as waitUntil, videoWorld } from './lib/video.mjs';

let srv, video, videoErr = '', sipPort, mediaPort, psFile, sim, inspector;

const sql = (q) => dbExec(srv.db.url, q).trim();

const until = (what, fn, ms) => waitUntil(what, fn, { ms, proc: video, log: () => videoErr });

function ffprobe(args) {
  return new Promise((ok) => {
    const p = spawn('ffprobe', ['-v', 'error', '-show_streams', '-count_frames', '-of', 'json', ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '', err = '';
    p.stdout.on('data', (d) => { out += d; });
    p.stderr.on('data', (d) => { err += d; });
    const timer = setTimeout(() => p.kill('SIGKILL'), 30000);
    p.on('close', (code) => {
      clearTimeout(timer);
      try { ok({ code, err, ...JSON.parse(out) }); } catch { ok({ code, err, streams: [] }); }
    });
  });
}

const invitesOf = (channel) => (videoErr.match(new RegExp(`video: INVITE ${channel} `, 'g')) || []).length;

const channelId = (gbId) => siteChannelId(sql, until, gbId);

async function liveUrl(gbId) {
  const r = await as(srv, inspector, `/api/v1/video/channels/${await channelId(gbId)}/live`);
  assert.equal(r.status, 200, r.text);
  // the API hands out the HLS and snapshot URLs with the same signature
  assert.equal(r.json.hls_url, r.json.url.replace('.flv?', '.m3u8?'));
  assert.equal(r.json.snapshot_url, r.json.url.replace('.flv?', '.jpg?'));
  return r.json.url;
}

before(async () => {
  // A key frame every 25 frames of the 25 fps test file: 1 s segments.
  ({ srv, video, sipPort, mediaPort, psFile, sim } = await videoWorld({
    env: { JIANGUAN_VIDEO_HLS_SEGMENT_S: '1', JIANGUAN_VIDEO_HLS_WINDOW: '3' },
    onErr: (d) => { videoErr += d; },
  }));
  inspector = await session(srv, 'gulou');
});

after(() => stopWorld({ srv, video, sim }));

test('a forged or altered signature opens no playlist, segment or snapshot, and starts nothing', async () => {
  const ch = '35010200001310000002';
  const url = await liveUrl(ch);
  const base = url.replace('.flv?', '.m3u8?');
  for (const u of [
    base.replace(/sig=([0-9a-f])/, (m, c) => `sig=${c === '0' ? '1' : '0'}`),
    base.replace(/exp=(\d+)/, (m, e) => `exp=${Number(e) + 1}`),
    base.replace(`${ch}.m3u8`, '35010200001310000003.m3u8'),
    url.replace('.flv?', '.jpg?').replace(/sig=[0-9a-f]+/, 'sig=' + '0'.repeat(64)),
    url.replace('.flv?', '/0.ts?').replace(/sig=[0-9a-f]+/, 'sig=' + '0'.repeat(64)),
  ]) {
    const r = await req(u);
    assert.equal(r.status, 403, u);
    assert.equal(r.json.error.code, 'forbidden');
  }
  // signed, but no such segment (the stream is not running): 404, nothing started
  const seg = await req(url.replace('.flv?', '/0.ts?'));
  assert.equal(seg.status, 404);
  assert.equal(seg.json.error.code, 'not_found');
  for (const bad of ['.m3u8x?', '/x.ts?', '/.ts?', '.png?']) assert.equal((await req(url.replace('.flv?', bad))).status, 404, bad);
  assert.equal(invitesOf(ch), 0);
});

test('the live playlist slides; ffprobe reads the playlist and a segment (h264 640x360); one INVITE with an FLV viewer', async () => {
  const ch = '35010200001310000001';
  const url = await liveUrl(ch);
  const m3u8 = url.replace('.flv?', '.m3u8?');
  const sig = url.slice(url.indexOf('?') + 1);
  // The first request starts the stream and waits for the first segment (listed below).
  const first = await req(m3u8);
  assert.equal(first.status, 200, first.text);
  assert.match(first.headers.get('content-type'), /mpegurl/);
  assert.match(first.text, /^#EXTM3U\n#EXT-X-VERSION:3\n#EXT-X-TARGETDURATION:\d+\n#EXT-X-MEDIA-SEQUENCE:0\n#EXTINF:/);
  assert.ok(first.text.includes(`\n${ch}/0.ts?${sig}\n`), first.text);
  assert.equal(invitesOf(ch), 1);
  // An FLV viewer of the same channel shares the stream.
  const flv = fetch(url, { signal: AbortSignal.timeout(2500) }).then(async (r) => { try { await r.arrayBuffer(); } catch { /* cut */ } return r.status; }).catch(() => 0);
  // Wait for the window to slide: at most 3 segments listed, numbers counting up.
  let text = '';
  await until('the window slides', async () => {
    const r = await req(m3u8);
    text = r.text;
    const m = /#EXT-X-MEDIA-SEQUENCE:(\d+)/.exec(text);
    return m !== null && Number(m[1]) >= 2;
  }, 20000);
  const segs = text.split('\n').filter((l) => l.endsWith(sig) && l.includes('.ts?'));
  assert.equal(segs.length, 3, text);
  const seqs = segs.map((l) => Number(/\/(\d+)\.ts/.exec(l)[1]));
  assert.deepEqual(seqs, [seqs[0], seqs[0] + 1, seqs[0] + 2]);
  for (const d of text.matchAll(/#EXTINF:([\d.]+),/g)) assert.ok(Number(d[1]) > 0.5 && Number(d[1]) <= 3.05, text); // 1 s, or more if a key frame was lost under load
  assert.equal(await flv, 200);
  assert.equal(invitesOf(ch), 1, 'one upstream for FLV and HLS');
  // A segment: video/mp2t, 188-byte packets with sync bytes, read by ffprobe.
  const seg = await req(url.replace('.flv?', `/${seqs[2]}.ts?`));
  assert.equal(seg.status, 200);
  assert.equal(seg.headers.get('content-type'), 'video/mp2t');
  assert.equal(seg.buf.length % 188, 0);
  for (let i = 0; i < seg.buf.length; i += 188) assert.equal(seg.buf[i], 0x47);
  const file = join(srv.dir, 'seg.ts');
  writeFileSync(file, seg.buf);
  const p = await ffprobe([file]);
  assert.equal(p.code, 0, p.err);
  const v = p.streams.find((s) => s.codec_type === 'video');
  assert.ok(v, JSON.stringify(p));
  assert.equal(v.codec_name, 'h264');
  assert.equal(v.width, 640);
  assert.equal(v.height, 360);
  assert.ok(Number(v.nb_read_frames) >= 20, `frames in a 1 s segment: ${v.nb_read_frames}`);
  assert.equal(p.err.trim(), '', 'ffprobe reports no error (continuity, PES, PCR)');
  // ffprobe plays the live playlist itself (it reloads it and fetches segments with the signature).
  const live = await ffprobe(['-read_intervals', '%+3', m3u8]);
  assert.equal(live.code, 0, live.err);
  const lv = live.streams.find((s) => s.codec_type === 'video');
  assert.equal(lv.codec_name, 'h264');
  assert.ok(Number(lv.nb_read_frames) >= 40, `frames read: ${lv.nb_read_frames}`);
  // A segment not made yet is not found.
  assert.equal((await req(url.replace('.flv?', `/${seqs[2] + 100}.ts?`))).status, 404);
});

test('HLS keeps the stream up while polled, then BYE when the polling stops', async () => {
  const ch = '35010200001310000001';
  const url = await liveUrl(ch);
  const byes = () => (videoErr.match(new RegExp(`no viewer of ${DEVICE}/${ch} for 1 s: BYE`, 'g')) || []).length;
  // (the previous test's stream may have ended meanwhile on a loaded machine: count from here)
  assert.equal((await req(url.replace('.flv?', '.m3u8?'))).status, 200);
  const b0 = byes(), i0 = invitesOf(ch);
  for (let i = 0; i < 4; i++) {
    await sleep(800); // longer than video_live_idle_s (1 s) in all
    assert.equal((await req(url.replace('.flv?', '.m3u8?'))).status, 200);
  }
  assert.equal(byes(), b0, 'no BYE while polled');
  assert.equal(invitesOf(ch), i0, 'no new INVITE while polled');
  await until('BYE after the polling stops', () => byes() === b0 + 1, 10000);
});

test('a snapshot is the last key frame as JPEG (640x360), starting the stream when needed', async () => {
  const ch = '35010200001310000003';
  const url = await liveUrl(ch);
  const r = await req(url.replace('.flv?', '.jpg?'));
  assert.equal(r.status, 200, r.text);
  assert.equal(r.headers.get('content-type'), 'image/jpeg');
  assert.equal(r.buf[0], 0xFF);
  assert.equal(r.buf[1], 0xD8);
  const file = join(srv.dir, 'snap.jpg');
  writeFileSync(file, r.buf);
  const p = await ffprobe([file]);
  assert.equal(p.code, 0, p.err);
  assert.equal(p.streams[0].codec_name, 'mjpeg');
  assert.equal(p.streams[0].width, 640);
  assert.equal(p.streams[0].height, 360);
  assert.equal(invitesOf(ch), 1);
  // A second snapshot of the running stream needs no new INVITE.
  const again = await req(url.replace('.flv?', '.jpg?'));
  assert.equal(again.status, 200);
  assert.equal(invitesOf(ch), 1);
});

/** Beijing time text of Unix seconds t (the API's time format). */
const cst = (t) => new Date((t + 8 * 3600) * 1000).toISOString().slice(0, 19);

test('cloud recording: a plan records TS segments with an index; HLS VOD and download of a range; retention', async () => {
  const ch = '35010200001310000002';
  const id = await channelId(ch);
  const t0 = Math.floor(Date.now() / 1000) - 1;
  const now = new Date().toISOString();
  sql(`INSERT INTO video_record_plan (device_gb_id, channel_gb_id, enabled, segment_s, created_at, updated_at) VALUES ('${DEVICE}', '${ch}', 1, 1, '${now}', '${now}')`);
  await until('3 segments indexed', () => Number(sql(`SELECT COUNT(*) FROM video_record_segment WHERE channel_gb_id = '${ch}'`)) >= 3, 30000);
  assert.match(videoErr, new RegExp(`recording ${DEVICE}/${ch}`));
  assert.equal(invitesOf(ch), 1);
  // the index: path under data_dir/records, bytes as on disk, times in order
  const rows = sql(`SELECT path, bytes, start_at, end_at, duration_ms FROM video_record_segment WHERE channel_gb_id = '${ch}' ORDER BY start_at, id`)
    .split('\n').map((l) => l.split('|'));
  const { existsSync } = await import('node:fs');
  assert.equal(new Set(rows.map((r) => r[0])).size, rows.length, 'every segment has its own file');
  for (const [path, bytes, start, end, dur] of rows) {
    assert.match(path, new RegExp(`^${DEVICE}/${ch}/\\d{8}/\\d+(-\\d+)?\\.ts$`));
    assert.equal(statSync(join(srv.dir, 'data', 'records', path)).size, Number(bytes));
    assert.ok(Number(end) >= Number(start) && Number(dur) >= 900 && Number(dur) <= 3100, `${start} ${end} ${dur}`);
  }
  // playback of the range as HLS VOD, through the platform's signed playback URL
  const t1 = Math.floor(Date.now() / 1000) + 5;
  const pb = await as(srv, inspector, `/api/v1/video/channels/${id}/playback?start=${cst(t0)}&end=${cst(t1)}`);
  assert.equal(pb.status, 200, pb.text);
  const vod = pb.json.url.replace('/playback/', '/record/').replace('.flv?', '.m3u8?');
  const pl = await req(vod);
  assert.equal(pl.status, 200, pl.text);
  assert.match(pl.text, /^#EXTM3U\n#EXT-X-VERSION:3\n#EXT-X-PLAYLIST-TYPE:VOD\n#EXT-X-TARGETDURATION:\d+\n/);
  assert.match(pl.text, /#EXT-X-ENDLIST\n$/);
  assert.ok((pl.text.match(/#EXTINF/g) || []).length >= 3, pl.text);
  const p = await ffprobe([vod]);
  assert.equal(p.code, 0, p.err);
  const v = p.streams.find((s) => s.codec_type === 'video');
  assert.equal(v.codec_name, 'h264');
  assert.equal(v.width, 640);
  assert.ok(Number(v.nb_read_frames) >= 60, `frames: ${v.nb_read_frames}`);
  // the range as one TS file
  const dl = await req(vod.replace('.m3u8?', '.ts?'));
  assert.equal(dl.status, 200);
  assert.match(dl.headers.get('content-disposition'), /attachment/);
  assert.equal(dl.buf.length % 188, 0);
  const file = join(srv.dir, 'download.ts');
  writeFileSync(file, dl.buf);
  const d = await ffprobe([file]);
  assert.equal(d.code, 0, d.err);
  assert.ok(Number(d.streams.find((s) => s.codec_type === 'video').nb_read_frames) >= 60);
  // a forged signature, another channel, a range without recordings
  assert.equal((await req(vod.replace(/sig=([0-9a-f])/, (m, c) => `sig=${c === '0' ? '1' : '0'}`))).status, 403);
  assert.equal((await req(vod.replace(`/${ch}.m3u8`, '/35010200001310000003.m3u8'))).status, 403);
  const old = await as(srv, inspector, `/api/v1/video/channels/${id}/playback?start=2026-01-01T00:00:00&end=2026-01-01T01:00:00`);
  const none = await req(old.json.url.replace('/playback/', '/record/').replace('.flv?', '.m3u8?'));
  assert.equal(none.status, 404);
  // retention: the plan off with 0 days: every segment goes (file and row); the stream idles out
  sql(`UPDATE video_record_plan SET enabled = 0, retention_days = 0 WHERE channel_gb_id = '${ch}'`);
  await until('the recording stops', () => new RegExp(`recording of ${DEVICE}/${ch} stops`).test(videoErr), 10000);
  await until('segments deleted', () => sql(`SELECT COUNT(*) FROM video_record_segment WHERE channel_gb_id = '${ch}'`) === '0', 15000);
  for (const [path] of rows) assert.equal(existsSync(join(srv.dir, 'data', 'records', path)), false, path);
  assert.match(videoErr, /recording retention removed \d+ segments/);
  await until('BYE once nothing holds the stream', () => new RegExp(`no viewer of ${DEVICE}/${ch} for 1 s: BYE`).test(videoErr), 10000);
});

test('SIGTERM while recording and serving HLS: the open segment is indexed, the process exits cleanly', async () => {
  const ch = '35010200001310000003';
  const now = new Date().toISOString();
  sql(`INSERT INTO video_record_plan (device_gb_id, channel_gb_id, enabled, segment_s, created_at, updated_at) VALUES ('${DEVICE}', '${ch}', 1, 600, '${now}', '${now}')`);
  await until('recording', () => new RegExp(`recording ${DEVICE}/${ch}\\n`).test(videoErr), 15000);
  const url = await liveUrl(ch);
  assert.equal((await req(url.replace('.flv?', '.m3u8?'))).status, 200);
  // frames in the open segment (the earlier segments of this channel were removed above)
  const dir = join(srv.dir, 'data', 'records', DEVICE, ch);
  await until('the open segment written to', () => {
    try {
      return readdirSync(dir, { recursive: true }).some((f) => f.endsWith('.ts') && statSync(join(dir, f)).size > 0);
    } catch { return false; }
  }, 15000);
  assert.equal(sql(`SELECT COUNT(*) FROM video_record_segment WHERE channel_gb_id = '${ch}'`), '0');
  const exited = new Promise((ok) => video.on('exit', (c, sig) => ok(c ?? sig)));
  video.kill('SIGTERM');
  assert.equal(await exited, 0, videoErr.slice(-3000));
  assert.equal(sql(`SELECT COUNT(*) FROM video_record_segment WHERE channel_gb_id = '${ch}'`), '1');
});
