// Downloads of a device's recordings (s=Download, issue 8): POST /api/v1/video/channels/{id}/downloads
// asks the media node (signed control request) to INVITE the device with s=Download, u=, t= and
// a=downloadspeed; gbsim streams its PS file at that many times its pace for the range's length,
// then MediaStatus 121; the node writes MPEG-TS as it arrives. GET /api/v1/video/downloads/{id}
// reports state, bytes and progress, and once done a signed URL of the file (attachment), which
// ffprobe (FFmpeg, which nobody here wrote) reads: codec, size and frame count. DELETE cancels one.
//
// Environment: as tests/api/video_live.test.mjs (needs ffmpeg and ffprobe).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, readdirSync, utimesSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { assertError, dbExec, exitOf, req } from './lib/checks.mjs';
import { session, as } from './lib/auth.mjs';
import { DEVICE, siteChannelId, startVideo, stopWorld, until as waitUntil, videoWorld } from './lib/video.mjs';

let srv, video, videoErr = '', sipPort, mediaPort, psFile, sim;
const users = {};

const sql = (q) => dbExec(srv.db.url, q).trim();
const until = (what, fn, ms) => waitUntil(what, fn, { ms, proc: video, log: () => videoErr + '\n--- gbsim ---\n' + (sim ? sim.out() + sim.err() : '') });

/** Beijing time text of Unix seconds t (the API's time format). */
const cst = (t) => new Date((t + 8 * 3600) * 1000).toISOString().slice(0, 19);

function ffprobe(file) {
  return new Promise((ok) => {
    const p = spawn('ffprobe', ['-v', 'error', '-show_streams', '-count_frames', '-of', 'json', file], { stdio: ['ignore', 'pipe', 'pipe'] });
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

const channelId = (gbId) => siteChannelId(sql, until, gbId, 'VIDEO-DL-1', '鼓楼视频下载测试工地');

before(async () => {
  ({ srv, video, sipPort, mediaPort, psFile, sim } = await videoWorld({
    env: { JIANGUAN_VIDEO_DOWNLOAD_MAX_S: '3600', JIANGUAN_VIDEO_DOWNLOAD_MAX: '1', JIANGUAN_VIDEO_DOWNLOAD_KEEP_H: '1' },
    onErr: (d) => { videoErr += d; },
  }));
  for (const u of ['gulou', 'xiamen', 'contractor']) users[u] = await session(srv, u);
});

after(() => stopWorld({ srv, video, sim }));

test('a download at speed 2: progress up to 100, a signed attachment ffprobe reads (h264 640x360, 10 s of frames), audited', async () => {
  const ch = '35010200001310000001';
  const id = await channelId(ch);
  const t0 = Math.floor(Date.now() / 1000) - 3600;
  const r = await as(srv, users.gulou, `/api/v1/video/channels/${id}/downloads`, { method: 'POST', body: { start: cst(t0), end: cst(t0 + 10), speed: 2 } });
  assert.equal(r.status, 202, r.text);
  assert.match(r.json.id, /^[0-9a-f]{32}$/);
  assert.equal(r.json.state, 'running');
  assert.equal(r.json.start, cst(t0));
  assert.equal(r.json.speed, 2);
  const dl = r.json.id;
  // the INVITE: s=Download with the range and the speed, as gbsim saw it
  await until('gbsim got the download INVITE', () => new RegExp(`download INVITE of ${ch} \\(speed 2, 10 s\\)`).test(sim.out()));
  // progress while it runs, then done
  const seen = [];
  let st;
  await until('the download is done', async () => {
    st = await as(srv, users.gulou, `/api/v1/video/downloads/${dl}`);
    assert.equal(st.status, 200, st.text);
    seen.push(st.json.progress);
    return st.json.state === 'done';
  }, 30000);
  assert.equal(st.json.progress, 100);
  assert.ok(seen.some((p) => p > 0 && p < 100), `a progress between 0 and 100 was seen: ${seen}`);
  for (let i = 1; i < seen.length; i++) assert.ok(seen[i] >= seen[i - 1], `progress only grows: ${seen}`);
  assert.ok(st.json.bytes > 100000, `bytes: ${st.json.bytes}`);
  assert.equal(st.json.channel_id, id);
  assert.equal(st.json.gb_id, ch);
  assert.match(st.json.url, new RegExp(`^http://127\\.0\\.0\\.1:${mediaPort}/download/${dl}\\.ts\\?exp=\\d+&sig=[0-9a-f]{64}$`));
  // the device ended it with MediaStatus 121 (faster than real time: 10 s of video in about 5)
  await until('MediaStatus 121 in gbsim\'s output', () => /MediaStatus 121/.test(sim.out()), 5000);
  await until('the end in the log', () => new RegExp(`download ${DEVICE}/${ch}/dl-${dl} reached its end \\(MediaStatus 121\\): BYE`).test(videoErr) &&
    new RegExp(`download ${dl} of ${DEVICE}/${ch} done`).test(videoErr), 5000);
  // the file: an attachment, whole TS packets, as many bytes as reported
  const f = await req(st.json.url);
  assert.equal(f.status, 200);
  assert.equal(f.headers.get('content-type'), 'video/mp2t');
  assert.match(f.headers.get('content-disposition'), new RegExp(`attachment; filename="${dl}\\.ts"`));
  assert.equal(f.buf.length, st.json.bytes);
  assert.equal(f.buf.length % 188, 0);
  assert.equal(f.buf[0], 0x47);
  const file = join(srv.dir, 'dl.ts');
  writeFileSync(file, f.buf);
  const p = await ffprobe(file);
  assert.equal(p.code, 0, p.err);
  assert.equal(p.err.trim(), '', 'ffprobe reports no error');
  const v = p.streams.find((s) => s.codec_type === 'video');
  assert.equal(v.codec_name, 'h264');
  assert.equal(v.width, 640);
  assert.equal(v.height, 360);
  const frames = Number(v.nb_read_frames);
  // gbsim cuts the range at pack SCRs, which run ahead of the frames in an ffmpeg-made PS: up to ~1 s more
  assert.ok(frames >= 225 && frames <= 290, `10 s at 25 fps: ${frames} frames`);
  // a forged or expired signature, another id
  assert.equal((await req(st.json.url.replace(/sig=([0-9a-f])/, (m, c) => `sig=${c === '0' ? '1' : '0'}`))).status, 403);
  assert.equal((await req(st.json.url.replace(/exp=(\d+)/, (m, e) => `exp=${Number(e) + 1}`))).status, 403);
  assert.equal((await req(st.json.url.replace(dl, 'f'.repeat(32)))).status, 403);
  // audited, with the range and speed
  const audit = JSON.parse(sql(`SELECT detail FROM audit_log WHERE action = 'video.download' AND record_id = '${id}'`));
  assert.equal(audit.download_id, dl);
  assert.equal(audit.start, t0);
  assert.equal(audit.end, t0 + 10);
  assert.equal(audit.speed, 2);
  // retention: the file past video_download_keep_h (1 h) goes; the status says expired
  const path = join(srv.dir, 'data', 'downloads', `${dl}.ts`);
  assert.ok(existsSync(path));
  const old = new Date(Date.now() - 2 * 3600 * 1000);
  utimesSync(path, old, old);
  await until('the expired file is removed', () => !existsSync(path), 15000);
  const gone = await as(srv, users.gulou, `/api/v1/video/downloads/${dl}`);
  assert.equal(gone.status, 200);
  assert.equal(gone.json.state, 'expired');
  assert.equal(gone.json.url, undefined);
  assert.equal((await req(st.json.url)).status, 404);
});

test('bad ranges and speeds: 400 with Chinese field errors; nothing is asked of the device', async () => {
  const id = await channelId('35010200001310000002');
  const t0 = Math.floor(Date.now() / 1000) - 3600;
  const invites = (sim.out().match(/download INVITE/g) || []).length;
  const cases = [
    [{ start: cst(t0 + 10), end: cst(t0) }, 'end', /晚于/],
    [{ start: cst(t0), end: cst(t0 + 3601) }, 'end', /过长/],
    [{ start: '2026-13-01T00:00:00', end: cst(t0) }, 'start', /YYYY-MM-DD/],
    [{ start: cst(t0), end: '2026-02-30T00:00:00' }, 'end', /YYYY-MM-DD/],
    [{ start: cst(t0), end: cst(t0 + 10), speed: 3 }, 'speed', /倍速/],
    [{ start: cst(t0), end: cst(t0 + 10), speed: '4' }, 'speed', /倍速/],
    [{ start: cst(t0), end: cst(t0 + 10), path: '/etc/passwd' }, 'path', /不支持/],
  ];
  for (const [body, field, msg] of cases) {
    const r = await as(srv, users.gulou, `/api/v1/video/channels/${id}/downloads`, { method: 'POST', body });
    assert.equal(r.status, 400, JSON.stringify(body) + r.text);
    const e = assertError(r.json, 'invalid');
    assert.match(e.fields[field], msg, JSON.stringify(e));
  }
  assert.equal((sim.out().match(/download INVITE/g) || []).length, invites);
});

test('scope: another city gets 404 for the channel and for the download; without video.view 403; unknown id 404', async () => {
  const id = await channelId('35010200001310000002');
  const t0 = Math.floor(Date.now() / 1000) - 3600;
  const body = { start: cst(t0), end: cst(t0 + 4), speed: 4 };
  const x = await as(srv, users.xiamen, `/api/v1/video/channels/${id}/downloads`, { method: 'POST', body });
  assert.equal(x.status, 404, x.text);
  assertError(x.json, 'not_found');
  const c = await as(srv, users.contractor, `/api/v1/video/channels/${id}/downloads`, { method: 'POST', body });
  assert.equal(c.status, 403, c.text);
  const r = await as(srv, users.gulou, `/api/v1/video/channels/${id}/downloads`, { method: 'POST', body });
  assert.equal(r.status, 202, r.text);
  const dl = r.json.id;
  const y = await as(srv, users.xiamen, `/api/v1/video/downloads/${dl}`);
  assert.equal(y.status, 404, y.text);
  assertError(y.json, 'not_found');
  assert.equal((await as(srv, users.contractor, `/api/v1/video/downloads/${dl}`)).status, 403);
  for (const bad of ['0'.repeat(32), 'xyz', '../../etc']) assert.equal((await as(srv, users.gulou, `/api/v1/video/downloads/${bad}`)).status, 404, bad);
  await until('that download is done', async () => (await as(srv, users.gulou, `/api/v1/video/downloads/${dl}`)).json.state === 'done', 20000);
});

test('cancel: who asked it or video.control; a running one stops (BYE, partial file removed, slot freed), a done one loses its file; audited; twice is the same', async () => {
  const ch = '35010200001310000003';
  const id = await channelId(ch);
  const t0 = Math.floor(Date.now() / 1000) - 5400;
  const dir = join(srv.dir, 'data', 'downloads');
  for (const u of ['fuzhou', 'gulou_chief']) users[u] ??= await session(srv, u);
  const long = await as(srv, users.gulou, `/api/v1/video/channels/${id}/downloads`, { method: 'POST', body: { start: cst(t0), end: cst(t0 + 600), speed: 1 } });
  assert.equal(long.status, 202, long.text);
  const dl = long.json.id;
  await until('the download is writing', () => existsSync(join(dir, `${dl}.ts.part`)) && new RegExp(`stream ${DEVICE}/${ch}/dl-${dl}`).test(videoErr));
  // not the asker and without video.control: 403; another city: 404; no video.view: 403
  const other = await as(srv, users.fuzhou, `/api/v1/video/downloads/${dl}`, { method: 'DELETE' });
  assert.equal(other.status, 403, other.text);
  assert.match(assertError(other.json, 'forbidden').message, /自己发起/);
  assert.equal((await as(srv, users.xiamen, `/api/v1/video/downloads/${dl}`, { method: 'DELETE' })).status, 404);
  assert.equal((await as(srv, users.contractor, `/api/v1/video/downloads/${dl}`, { method: 'DELETE' })).status, 403);
  assert.equal((await as(srv, users.gulou, `/api/v1/video/downloads/${'0'.repeat(32)}`, { method: 'DELETE' })).status, 404);
  assert.equal((await as(srv, users.gulou, `/api/v1/video/downloads/${dl}`)).json.state, 'running');
  // the asker cancels: the stream ends with a BYE, the partial file goes
  const c = await as(srv, users.gulou, `/api/v1/video/downloads/${dl}`, { method: 'DELETE' });
  assert.equal(c.status, 200, c.text);
  assert.equal(c.json.state, 'cancelled');
  // the service logs before it answers, but its stderr may reach us after the API's answer
  await until('the cancel in the log', () => new RegExp(`download stream ${DEVICE}/${ch}/dl-${dl} cancelled: BYE`).test(videoErr) &&
    new RegExp(`download ${dl} of ${DEVICE}/${ch} cancelled`).test(videoErr), 5000);
  assert.ok(!existsSync(join(dir, `${dl}.ts.part`)) && !existsSync(join(dir, `${dl}.ts`)));
  const st = await as(srv, users.gulou, `/api/v1/video/downloads/${dl}`);
  assert.equal(st.json.state, 'cancelled');
  assert.equal(st.json.cancelled_at, c.json.cancelled_at);
  assert.equal(st.json.progress, null);
  const again = await as(srv, users.gulou, `/api/v1/video/downloads/${dl}`, { method: 'DELETE' });
  assert.equal(again.status, 200);
  assert.equal(again.json.cancelled_at, c.json.cancelled_at);
  assert.equal(sql(`SELECT COUNT(*) FROM audit_log WHERE action = 'video.download.cancel' AND detail LIKE '%${dl}%'`), '1');
  assert.equal(sql(`SELECT cancelled_by = (SELECT id FROM app_user WHERE username = 'gulou') FROM video_download WHERE download_id = '${dl}'`).replace('t', '1'), '1');
  // the node's one download slot is free again: a short one runs to the end, then video.control cancels it
  const short = await as(srv, users.gulou, `/api/v1/video/channels/${id}/downloads`, { method: 'POST', body: { start: cst(t0), end: cst(t0 + 4), speed: 4 } });
  assert.equal(short.status, 202, short.text);
  let done;
  await until('the short download is done', async () => (done = await as(srv, users.gulou, `/api/v1/video/downloads/${short.json.id}`)).json.state === 'done', 20000);
  assert.ok(existsSync(join(dir, `${short.json.id}.ts`)));
  const byChief = await as(srv, users.gulou_chief, `/api/v1/video/downloads/${short.json.id}`, { method: 'DELETE' });
  assert.equal(byChief.status, 200, byChief.text);
  assert.ok(!existsSync(join(dir, `${short.json.id}.ts`)));
  assert.equal((await req(done.json.url)).status, 404);
  assert.equal((await as(srv, users.gulou, `/api/v1/video/downloads/${short.json.id}`)).json.state, 'cancelled');
});

test('limits: one download at a time on the node (429 in Chinese); an offline device 409', async () => {
  const id = await channelId('35010200001310000003');
  const t0 = Math.floor(Date.now() / 1000) - 7200;
  const long = await as(srv, users.gulou, `/api/v1/video/channels/${id}/downloads`, { method: 'POST', body: { start: cst(t0), end: cst(t0 + 600), speed: 1 } });
  assert.equal(long.status, 202, long.text);
  const second = await as(srv, users.gulou, `/api/v1/video/channels/${id}/downloads`, { method: 'POST', body: { start: cst(t0), end: cst(t0 + 10), speed: 4 } });
  assert.equal(second.status, 429, second.text);
  const e = assertError(second.json, 'rate_limited');
  assert.match(e.message, /上限/);
  const st = await as(srv, users.gulou, `/api/v1/video/downloads/${long.json.id}`);
  assert.equal(st.json.state, 'running');
  assert.ok(st.json.progress < 100);
  // the device goes offline: no download can start
  sql(`UPDATE video_device SET online = 0 WHERE gb_id = '${DEVICE}'`);
  const off = await as(srv, users.gulou, `/api/v1/video/channels/${id}/downloads`, { method: 'POST', body: { start: cst(t0), end: cst(t0 + 10) } });
  assert.equal(off.status, 409, off.text);
  assertError(off.json, 'conflict');
  sql(`UPDATE video_device SET online = 1 WHERE gb_id = '${DEVICE}'`);
});

test('SIGTERM while a download runs: a clean exit (no sanitizer report), the partial file removed, finished files kept', async () => {
  const dir = join(srv.dir, 'data', 'downloads');
  const parts = () => readdirSync(dir).filter((f) => f.endsWith('.ts.part'));
  assert.equal(parts().length, 1, 'the long download of the previous test is running');
  const done = readdirSync(dir).filter((f) => f.endsWith('.ts'));
  assert.ok(done.length >= 1);
  video.kill('SIGTERM');
  assert.equal(await exitOf(video), 0, videoErr.slice(-3000)); // its stderr read to the end
  assert.doesNotMatch(videoErr, /AddressSanitizer|LeakSanitizer|runtime error/);
  assert.match(videoErr, /download [0-9a-f]{32} of \d{20}\/\d{20} failed \(stream_failed/);
  assert.deepEqual(parts(), []);
  assert.deepEqual(readdirSync(dir).filter((f) => f.endsWith('.ts')), done);
  // the status of a finished download outlives the process (read from the directory)
  ({ proc: video } = await startVideo(srv, (d) => { videoErr += d; }));
  const id = done[0].slice(0, 32);
  await until('the restarted node answers', async () => {
    const r = await as(srv, users.gulou, `/api/v1/video/downloads/${id}`);
    return r.status === 200 && r.json.state === 'done' && r.json.progress === 100 && typeof r.json.url === 'string';
  }, 15000);
});
