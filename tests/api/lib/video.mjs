// What the video API tests share: the test stream, `jianguan video` started beside the server,
// gbsim devices, ffprobe of a URL and polling with the video service's log in the failure.
import assert from 'node:assert/strict';
import { spawn, execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import dgram from 'node:dgram';
import { dirname, join } from 'node:path';
import { bin, startServer, START_MS } from './harness.mjs';
import { dbExec, freePort, sleep, until } from './checks.mjs';

export { sleep, until };

export const gbsimBin = process.env.JIANGUAN_TEST_GBSIM || join(dirname(bin), 'gbsim');
export const PASSWORD = 'gb-Default-8';
export const DEVICE = '35010200001180000001';

/** The test stream in dir: seconds of 640x360 H.264 at 25 fps, GOP 25, no B-frames, as MPEG-PS.
 * ffmpeg's muxer writes no PSM and packs several frames per PES, so this also covers that path. */
export function makePs(dir, seconds = 4) {
  const file = join(dir, 'test.mpg');
  execFileSync('ffmpeg', ['-v', 'error', '-y', '-f', 'lavfi', '-i', 'testsrc=size=640x360:rate=25', '-t', String(seconds),
    '-c:v', 'libx264', '-g', '25', '-bf', '0', '-f', 'vob', file]);
  return file;
}

/** `jianguan video` with srv's environment (plus env); onErr gets its stderr. Resolves to
 * { proc, sipPort } once it listens. */
export async function startVideo(srv, onErr, env = {}) {
  const proc = spawn(bin, ['video'], { env: { ...process.env, ...srv.env, ...env }, stdio: ['ignore', 'ignore', 'pipe'] });
  let text = '';
  const sipPort = await new Promise((ok, fail) => {
    const timer = setTimeout(() => fail(new Error('video did not start: ' + text)), START_MS);
    proc.stderr.on('data', (d) => {
      text += d;
      onErr(String(d));
      const m = /SIP listening on udp\+tcp 127\.0\.0\.1:(\d+)/.exec(text);
      if (m) { clearTimeout(timer); ok(Number(m[1])); }
    });
    proc.on('exit', (code) => { clearTimeout(timer); fail(new Error(`video exited ${code}: ${text}`)); });
  });
  proc.removeAllListeners('exit');
  return { proc, sipPort };
}

/** gbsim registering to sipPort with the test password, streaming psFile. */
export function gbsim(sipPort, psFile, args) {
  const child = spawn(gbsimBin, ['--server', `127.0.0.1:${sipPort}`, '--password', PASSWORD, '--keepalive', '1',
    ...(psFile ? ['--ps', psFile] : []), ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '', err = '';
  child.stdout.on('data', (d) => { out += d; });
  child.stderr.on('data', (d) => { err += d; });
  const done = new Promise((ok) => child.on('close', (code) => ok(code)));
  return {
    child, out: () => out, err: () => err,
    summary: () => JSON.parse(out.trim().split('\n').pop()),
    stop: async () => { child.kill('SIGTERM'); return done; },
  };
}

/** ffprobe reading seconds of url: { streams: [...] } with counted frames, or { error }. */
export function ffprobe(url, seconds = 3) {
  return new Promise((ok) => {
    const p = spawn('ffprobe', ['-v', 'error', '-show_streams', '-count_frames', '-read_intervals', `%+${seconds}`,
      '-of', 'json', url], { stdio: ['ignore', 'pipe', 'pipe'] });
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

/** The id of channel gbId once the catalog brought it, bound to a site (project code in region
 * org, made on first use; by default a 鼓楼 site, so that the 鼓楼 inspector and chief see it):
 * channels are read in the caller's data scope through their project (tests/api/video_scope.test.mjs
 * tests the scope). sql runs a statement on the test database; wait is the test's `until`. */
export async function siteChannelId(sql, wait, gbId, code = 'VIDEO-GL-1', name = '鼓楼视频测试工地', org = '350102') {
  let id = '';
  await wait(`channel ${gbId}`, () => { id = sql(`SELECT id FROM video_channel WHERE gb_id = '${gbId}'`); return id !== ''; });
  if (sql(`SELECT COUNT(*) FROM project WHERE code = '${code}'`) === '0')
    sql("INSERT INTO project (code, name, org_code, status, registered_on, created_at, updated_at) VALUES " +
      `('${code}', '${name}', '${org}', 'under_construction', '2026-01-05', '2026-01-05T00:00:00Z', '2026-01-05T00:00:00Z')`);
  sql(`UPDATE video_channel SET project_id = (SELECT id FROM project WHERE code = '${code}') WHERE id = ${id}`);
  return Number(id);
}

/** The world most video API tests need: `jianguan serve` (5 projects) and `jianguan video` beside
 * it (SIP on a free port, media on mediaPort, streams idle out 1 s after their last viewer,
 * keepalives every 2 s), the test PS file and gbsim (one NVR of 3 channels, or simArgs) online. env
 * adds to or overrides those settings; videoEnv is for the video service alone (a log level, say);
 * onErr receives the video service's stderr. */
export async function videoWorld({ env = {}, videoEnv = {}, simArgs = ['--devices', '1', '--channels', '3'], onErr = () => {} } = {}) {
  const mediaPort = await freePort();
  const srv = await startServer({
    projects: 5,
    env: {
      JIANGUAN_VIDEO_SIP_LISTEN: '127.0.0.1:0',
      JIANGUAN_VIDEO_SIP_PASSWORD: PASSWORD,
      JIANGUAN_VIDEO_MEDIA_LISTEN: `127.0.0.1:${mediaPort}`,
      JIANGUAN_VIDEO_LIVE_IDLE_S: '1',
      JIANGUAN_VIDEO_KEEPALIVE_INTERVAL_S: '2',
      JIANGUAN_VIDEO_KEEPALIVE_FLUSH_S: '1',
      ...env,
    },
  });
  // 4 s of 640x360 H.264 at 25 fps as MPEG-PS; gbsim loops it.
  const psFile = makePs(srv.dir);
  let log = '';
  const { proc: video, sipPort } = await startVideo(srv, (d) => { log += d; onErr(d); }, videoEnv);
  const sim = gbsim(sipPort, psFile, simArgs);
  await until('device online', () => dbExec(srv.db.url, `SELECT online FROM video_device WHERE gb_id = '${DEVICE}'`).trim() === '1',
    { proc: video, log: () => log + '\n--- gbsim ---\n' + sim.out() });
  return { srv, video, sipPort, mediaPort, psFile, sim };
}

/** The time (ms since the epoch) of the first line of a service's log that includes text (its lines
 * start with an ISO time), NaN if there is none. */
export function logTime(log, text) {
  const line = log.split('\n').find((l) => l.includes(text));
  return line ? Date.parse(line.split(' ')[0]) : NaN;
}

/** Wait until `jianguan video` took a keepalive of device at its time t (ms since the epoch) or later
 * (the database holds its receipt time): its clock, and its loop with its timers, got past t. This
 * waits for what a fixed sleep would only hope for, on a machine too busy to keep the service on
 * time. sql runs a statement on its database; wait is the test's `until`. */
export async function serviceTimePast(sql, wait, t, device = DEVICE) {
  assert.ok(Number.isFinite(t), 'a time to wait past (a log line with its time?)');
  let last = NaN;
  await wait(`a keepalive of ${device} taken after ${new Date(t).toISOString()}`, () => {
    last = Date.parse(sql(`SELECT last_keepalive_at FROM video_device WHERE gb_id = '${device}'`));
    return last >= t || (Number.isNaN(last) ? 'none' : new Date(last).toISOString());
  }, 30000);
}

/** Stop a video world: gbsim, the video service (as the test left them) and the server. */
export async function stopWorld({ srv, video, sim }) {
  if (sim && sim.child.exitCode === null) sim.child.kill('SIGKILL');
  if (video && video.exitCode === null) video.kill('SIGKILL');
  if (srv) await srv.stop();
}

/** A loopback port free for SIP over UDP and TCP alike (the video service listens on both), and for
 * TCP on the next `extra` ports too (baresip's TLS listener takes the one above); see freePort. */
export const freeSipPort = (extra = 0) => freePort({ udp: true, extra });

/**
 * A barrier for `jianguan video` listening on sipPort: an OPTIONS it answers 200 only once it has done
 * what it was doing when the request came (one event loop: a timer pass, a stream's end and the BYE
 * it sends included). So what it logged before, it has also carried out: a BYE logged is on its way
 * to the device, and in the device's socket before the device is stopped. Sent again every second
 * until answered (UDP).
 */
export async function sipPing(sipPort, ms = 30000) {
  const sock = dgram.createSocket('udp4');
  await new Promise((ok) => sock.bind(0, '127.0.0.1', ok));
  const callId = 'ping-' + randomBytes(6).toString('hex');
  const msg = Buffer.from([`OPTIONS sip:35000000002000000099@127.0.0.1:${sipPort} SIP/2.0`,
    `Via: SIP/2.0/UDP 127.0.0.1:${sock.address().port};rport;branch=z9hG4bK${callId}`,
    `From: <sip:35000000002000000098@127.0.0.1>;tag=${callId}`, 'To: <sip:35000000002000000099@127.0.0.1>',
    `Call-ID: ${callId}`, 'CSeq: 1 OPTIONS', 'Max-Forwards: 70', 'Content-Length: 0', '', ''].join('\r\n'));
  let timer, resend;
  try {
    await new Promise((ok, fail) => {
      sock.on('message', (m) => { const t = m.toString(); if (t.startsWith('SIP/2.0 200') && t.includes(callId)) ok(); });
      timer = setTimeout(() => fail(new Error(`no answer to OPTIONS from jianguan video on ${sipPort} in ${ms} ms`)), ms);
      const send = () => sock.send(msg, sipPort, '127.0.0.1');
      send();
      resend = setInterval(send, 1000);
    });
  } finally {
    clearTimeout(timer);
    clearInterval(resend);
    sock.close();
  }
}
