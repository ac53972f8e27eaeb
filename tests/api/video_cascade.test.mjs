// Cascade (级联): two `jianguan video` processes on loopback, each with its own fresh database.
// The lower platform (video_upper set) registers to the upper one through digest auth, sends
// keepalives, and answers the upper's Catalog query with the channels shared with it
// (video_share); a gbsim device supplies the lower's channels. The upper restarting on an empty
// database (it forgets the lower) makes the lower register again. Both databases are checked
// directly, on SQLite and PostgreSQL.
//
// Environment: JIANGUAN_TEST_BIN as for the other API tests; JIANGUAN_TEST_GBSIM (default: gbsim
// beside the jianguan binary).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, execFileSync } from 'node:child_process';
import dgram from 'node:dgram';
import net from 'node:net';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { bin, freshDatabase, runVerb, START_MS } from './lib/harness.mjs';
import { dbExec, cleanEnv, until as waitUntil } from './lib/checks.mjs';
import { freeSipPort } from './lib/video.mjs';

const gbsimBin = process.env.JIANGUAN_TEST_GBSIM || join(dirname(bin), 'gbsim');
const UPPER = '35000000002000000001';
const LOWER = '35010000002000000007';
const UPPER_PW = 'upper-Secret-9';
const DEVICE_PW = 'gb-Default-8';
const dirs = [];
const children = [];
const dbs = [];

const num = (db, q) => Number(dbExec(db.url, q).trim());
const until = (what, fn, ms = 20000, log = () => '') => waitUntil(what, fn, { ms, log });

function database() {
  const dir = mkdtempSync(join(tmpdir(), 'jianguan-cascade-'));
  dirs.push(dir);
  const db = freshDatabase(dir);
  dbs.push(db);
  const env = cleanEnv({ JIANGUAN_DATABASE: db.url, JIANGUAN_DATA_DIR: join(dir, 'data'), JIANGUAN_DB_POOL_SIZE: '2' });
  const r = runVerb(env, 'migrate');
  assert.equal(r.status, 0, r.stderr);
  return { db, env };
}

/** Start `jianguan video` with extra env; resolves { child, port, log(), stop() }. */
async function video(base, extra) {
  const child = spawn(bin, ['video'], { env: { ...base.env, ...extra }, stdio: ['ignore', 'ignore', 'pipe'] });
  children.push(child);
  let log = '';
  // 'close', not 'exit': the last lines of stderr may still be in the pipe when the process exits.
  const exited = new Promise((ok) => child.on('close', (code, signal) => ok(code ?? signal)));
  const port = await new Promise((ok, fail) => {
    const timer = setTimeout(() => fail(new Error('video did not start: ' + log)), START_MS);
    child.stderr.on('data', (d) => {
      log += d;
      const m = /SIP listening on udp\+tcp 127\.0\.0\.1:(\d+)/.exec(log);
      if (m) { clearTimeout(timer); ok(Number(m[1])); }
    });
    exited.then((code) => { clearTimeout(timer); fail(new Error(`video exited ${code}: ${log}`)); });
  });
  return { child, port, log: () => log, stop: async () => { child.kill('SIGTERM'); return exited; } };
}

const common = {
  JIANGUAN_VIDEO_MEDIA_LISTEN: '127.0.0.1:0',
  JIANGUAN_VIDEO_KEEPALIVE_INTERVAL_S: '1',
  JIANGUAN_VIDEO_KEEPALIVE_COUNT: '3',
  JIANGUAN_VIDEO_KEEPALIVE_FLUSH_S: '1',
  JIANGUAN_VIDEO_LIVE_IDLE_S: '1',
};

after(async () => {
  for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
  for (const db of dbs) db.drop();
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

let lowerBase, upperBase, upperPort, lowerPort, psFile;

before(async () => {
  lowerBase = database();
  upperBase = database();
  upperPort = await freeSipPort(); // the upper keeps its port across its restart
  lowerPort = await freeSipPort();
  // 4 s of H.264 as MPEG-PS for gbsim to stream (as in video_live.test.mjs).
  psFile = join(dirs[0], 'test.mpg');
  execFileSync('ffmpeg', ['-v', 'error', '-y', '-f', 'lavfi', '-i', 'testsrc=size=320x240:rate=25', '-t', '4',
    '-c:v', 'libx264', '-g', '25', '-bf', '0', '-f', 'vob', psFile]);
});

/** One SIP request from the test's own UDP socket (acting as the upper platform for INVITE/BYE). */
function sipRequest(method, uri, { callId, cseq, fromTag, toTag = '', body = '', port }) {
  const lines = [
    `${method} ${uri} SIP/2.0`,
    `Via: SIP/2.0/UDP 127.0.0.1:${port};rport;branch=z9hG4bK${method}${cseq}${callId}`,
    `From: <sip:${UPPER}@3500000000>;tag=${fromTag}`,
    `To: <sip:${uri.slice(4, 24)}@3501000000>${toTag ? ';tag=' + toTag : ''}`,
    `Call-ID: ${callId}`,
    `CSeq: ${cseq} ${method}`,
    `Contact: <sip:${UPPER}@127.0.0.1:${port}>`,
    'Max-Forwards: 70',
  ];
  if (body) lines.push('Content-Type: APPLICATION/SDP');
  lines.push(`Content-Length: ${Buffer.byteLength(body)}`, '', body);
  return Buffer.from(lines.join('\r\n'));
}

test('the lower platform registers with digest auth, keeps alive, and shares only the channels in video_share', async () => {
  // The lower platform first runs alone: a gbsim device with 4 channels registers to it.
  let lower = await video(lowerBase, { ...common, JIANGUAN_VIDEO_SIP_LISTEN: `127.0.0.1:${lowerPort}`, JIANGUAN_VIDEO_SIP_ID: LOWER, JIANGUAN_VIDEO_SIP_PASSWORD: DEVICE_PW });
  // The device keeps running (and streaming on INVITE) across the lower platform's restart below.
  const sim = spawn(gbsimBin, ['--server', `127.0.0.1:${lower.port}`, '--password', DEVICE_PW, '--devices', '1', '--channels', '4', '--keepalive', '1', '--first-serial', '4000', '--ps', psFile], { stdio: ['ignore', 'pipe', 'pipe'] });
  let simOut = '';
  sim.stdout.on('data', (d) => { simOut += d; });
  children.push(sim);
  const simDone = new Promise((ok) => sim.on('close', ok));
  await until('4 channels at the lower platform', () => num(lowerBase.db, 'SELECT COUNT(*) FROM video_channel') === 4, 20000, lower.log);
  const channels = dbExec(lowerBase.db.url, 'SELECT gb_id FROM video_channel ORDER BY gb_id').trim().split('\n');
  assert.equal(channels.length, 4);
  // Share three of them (the table the platform API will write; SQL today).
  for (const ch of channels.slice(0, 3)) {
    dbExec(lowerBase.db.url, `INSERT INTO video_share (upper_id, channel_gb_id, created_at) VALUES ('${UPPER}', '${ch}', '2026-11-26T00:00:00Z')`);
  }
  assert.equal(await lower.stop(), 0);

  // The upper platform: its default device password is what the lower presents.
  let upper = await video(upperBase, { ...common, JIANGUAN_VIDEO_SIP_LISTEN: `127.0.0.1:${upperPort}`, JIANGUAN_VIDEO_SIP_ID: UPPER, JIANGUAN_VIDEO_SIP_PASSWORD: UPPER_PW });
  lower = await video(lowerBase, {
    ...common,
    JIANGUAN_VIDEO_SIP_LISTEN: `127.0.0.1:${lowerPort}`,
    JIANGUAN_VIDEO_SIP_ID: LOWER,
    JIANGUAN_VIDEO_SIP_PASSWORD: DEVICE_PW,
    JIANGUAN_VIDEO_UPPER: `${UPPER}@127.0.0.1:${upperPort};password=${UPPER_PW};expires=60;keepalive=1`,
  });
  const both = () => `--- lower\n${lower.log()}\n--- upper\n${upper.log()}`;
  await until('the lower registered and online at the upper', () => num(upperBase.db, `SELECT COUNT(*) FROM video_device WHERE gb_id = '${LOWER}' AND online = 1 AND address = '127.0.0.1' AND port = ${lower.port}`) === 1, 20000, both);
  // The upper may write its row before the lower's log line has reached this process: wait for both.
  await until('the lower\'s log of its registration', () => new RegExp(`cascade: registered at upper platform ${UPPER} for 60 s`).test(lower.log()), 5000, both);
  // The password never reaches the log.
  assert.ok(!lower.log().includes(UPPER_PW));
  // The catalog the upper received: exactly the three shared channels, with their names.
  await until('the shared catalog at the upper', () => num(upperBase.db, `SELECT COUNT(*) FROM video_device WHERE gb_id = '${LOWER}' AND catalog_state = 'complete' AND catalog_sum = 3`) === 1, 20000, both);
  const got = dbExec(upperBase.db.url, `SELECT gb_id FROM video_channel WHERE device_gb_id = '${LOWER}' ORDER BY gb_id`).trim().split('\n');
  assert.deepEqual(got, channels.slice(0, 3));
  const names = dbExec(lowerBase.db.url, `SELECT name FROM video_channel WHERE gb_id = '${channels[0]}'`).trim();
  assert.equal(dbExec(upperBase.db.url, `SELECT name FROM video_channel WHERE gb_id = '${channels[0]}'`).trim(), names);
  assert.equal(num(upperBase.db, `SELECT COUNT(*) FROM video_channel WHERE device_gb_id = '${LOWER}' AND status = 'ON' AND parent_id = '${LOWER}'`), 3);
  // DeviceInfo answered: the channel count is the shared one.
  await until('DeviceInfo at the upper', () => num(upperBase.db, `SELECT COUNT(*) FROM video_device WHERE gb_id = '${LOWER}' AND manufacturer = 'jianguan' AND channel_count = 3`) === 1, 20000, both);
  // Keepalives (every second) reach the upper: its keepalive time moves.
  await until('keepalive times at the upper', () => num(upperBase.db, `SELECT COUNT(*) FROM video_device WHERE gb_id = '${LOWER}' AND last_keepalive_at > registered_at`) === 1, 20000, both);
  // Still online past 3 keepalive intervals: wait for a keepalive the upper took 4 s after the
  // registration (its own clock), rather than sleeping 4 s of ours and hoping it kept up.
  const span = () => {
    const [reg, last] = dbExec(upperBase.db.url, `SELECT registered_at, last_keepalive_at FROM video_device WHERE gb_id = '${LOWER}'`).trim().split('|');
    return Date.parse(last) - Date.parse(reg);
  };
  await until('keepalives 4 s after the registration at the upper', () => span() >= 4000 || span(), 20000, both);
  assert.equal(num(upperBase.db, `SELECT online FROM video_device WHERE gb_id = '${LOWER}'`), 1);
  assert.equal(num(upperBase.db, `SELECT COUNT(*) FROM video_event WHERE device_gb_id = '${LOWER}' AND kind = 'offline'`), 0);

  // An INVITE from the upper platform (this test's socket, From the upper's ID on its address) for a
  // shared channel: the lower INVITEs the device and relays its RTP to the offered port with the
  // offered SSRC; an unshared channel is refused (404); BYE ends the relay and the device's stream.
  const sip = dgram.createSocket('udp4');
  let server;
  const rtp = dgram.createSocket('udp4');
  await new Promise((ok) => sip.bind(0, '127.0.0.1', ok));
  await new Promise((ok) => rtp.bind(0, '127.0.0.1', ok));
  const sipPort = sip.address().port, rtpPort = rtp.address().port;
  const answers = [];
  sip.on('message', (m) => answers.push(m.toString()));
  let packets = 0, foreign = 0, psStart = 0;
  rtp.on('message', (m) => {
    if (m.readUInt32BE(8) === 1350001234) packets++; else foreign++;
    if (m.length > 16 && m.readUInt32BE(12) === 0x000001ba) psStart++;
  });
  try {
    const offer = ['v=0', `o=${UPPER} 0 0 IN IP4 127.0.0.1`, 's=Play', 'c=IN IP4 127.0.0.1', 't=0 0',
      `m=video ${rtpPort} RTP/AVP 96`, 'a=recvonly', 'a=rtpmap:96 PS/90000', 'y=1350001234', ''].join('\r\n');
    const unshared = channels[3];
    sip.send(sipRequest('INVITE', `sip:${unshared}@127.0.0.1:${lowerPort}`, { callId: 'cas-0', cseq: 1, fromTag: 'u0', body: offer, port: sipPort }), lowerPort, '127.0.0.1');
    await until('404 for an unshared channel', () => answers.some((a) => a.startsWith('SIP/2.0 404') && a.includes('cas-0')), 10000, both);
    sip.send(sipRequest('INVITE', `sip:${channels[0]}@127.0.0.1:${lowerPort}`, { callId: 'cas-1', cseq: 1, fromTag: 'u1', body: offer, port: sipPort }), lowerPort, '127.0.0.1');
    await until('200 with an SDP answer', () => answers.some((a) => a.startsWith('SIP/2.0 200') && a.includes('cas-1')), 15000, both);
    const ok = answers.find((a) => a.startsWith('SIP/2.0 200') && a.includes('cas-1'));
    assert.match(ok, /m=video \d+ RTP\/AVP 96/);
    assert.match(ok, /a=sendonly/);
    assert.match(ok, /y=1350001234/);
    const toTag = /\nTo: [^\r\n]*;tag=([^;\r\n]+)/i.exec(ok)[1];
    sip.send(sipRequest('ACK', `sip:${channels[0]}@127.0.0.1:${lowerPort}`, { callId: 'cas-1', cseq: 1, fromTag: 'u1', toTag, port: sipPort }), lowerPort, '127.0.0.1');
    await until('RTP/PS relayed to the upper\'s port with its SSRC', () => packets >= 40 && psStart > 0 || `${packets}/${psStart}`, 20000, both);
    assert.equal(foreign, 0);
    await until('the relay in the lower\'s log', () => new RegExp(`cascade: relaying ${channels[0]} \\(device \\d+\\) to upper platform ${UPPER}`).test(lower.log()), 5000, both);
    sip.send(sipRequest('BYE', `sip:${channels[0]}@127.0.0.1:${lowerPort}`, { callId: 'cas-1', cseq: 2, fromTag: 'u1', toTag, port: sipPort }), lowerPort, '127.0.0.1');
    await until('200 to the BYE', () => answers.some((a) => a.startsWith('SIP/2.0 200') && a.includes('2 BYE') && a.includes('cas-1')), 10000, both);
    const after = packets;
    // Without viewers the device's stream idles out: BYE to the device (gbsim counts it below). That
    // comes a second after the relay ended: no more RTP to the upper meanwhile (a few may have been
    // on their way when the 200 came).
    await until('the device\'s stream ends', () => new RegExp(`no viewer of \\d+/${channels[0]} for 1 s: BYE`).test(lower.log()), 10000, both);
    assert.ok(packets - after < 5, `RTP still flowing after BYE: ${packets - after}`);

    // TCP: the upper offers TCP/RTP/AVP with a=setup:passive (it listens); the lower connects
    // (TCP active) and sends RFC 4571 frames (2-byte length, then the RTP packet).
    let tcpPackets = 0, tcpForeign = 0;
    server = net.createServer((sock) => {
      let buf = Buffer.alloc(0);
      sock.on('data', (d) => {
        buf = Buffer.concat([buf, d]);
        while (buf.length >= 2 && buf.length >= 2 + buf.readUInt16BE(0)) {
          const pkt = buf.subarray(2, 2 + buf.readUInt16BE(0));
          if (pkt.length >= 12 && pkt.readUInt32BE(8) === 1350001234) tcpPackets++; else tcpForeign++;
          buf = buf.subarray(2 + pkt.length);
        }
      });
      sock.on('error', () => {});
    });
    await new Promise((ok) => server.listen(0, '127.0.0.1', ok));
    const tcpOffer = ['v=0', `o=${UPPER} 0 0 IN IP4 127.0.0.1`, 's=Play', 'c=IN IP4 127.0.0.1', 't=0 0',
      `m=video ${server.address().port} TCP/RTP/AVP 96`, 'a=recvonly', 'a=setup:passive', 'a=connection:new',
      'a=rtpmap:96 PS/90000', 'y=1350001234', ''].join('\r\n');
    sip.send(sipRequest('INVITE', `sip:${channels[1]}@127.0.0.1:${lowerPort}`, { callId: 'cas-3', cseq: 1, fromTag: 'u3', body: tcpOffer, port: sipPort }), lowerPort, '127.0.0.1');
    await until('200 for the TCP offer', () => answers.some((a) => a.startsWith('SIP/2.0 200') && a.includes('cas-3')), 15000, both);
    const ok3 = answers.find((a) => a.startsWith('SIP/2.0 200') && a.includes('cas-3'));
    assert.match(ok3, /m=video \d+ TCP\/RTP\/AVP 96/);
    assert.match(ok3, /a=setup:active/);
    const toTag3 = /\nTo: [^\r\n]*;tag=([^;\r\n]+)/i.exec(ok3)[1];
    sip.send(sipRequest('ACK', `sip:${channels[1]}@127.0.0.1:${lowerPort}`, { callId: 'cas-3', cseq: 1, fromTag: 'u3', toTag: toTag3, port: sipPort }), lowerPort, '127.0.0.1');
    await until('RTP/PS in RFC 4571 frames over TCP', () => tcpPackets >= 40 || tcpPackets, 20000, both);
    assert.equal(tcpForeign, 0);
    sip.send(sipRequest('BYE', `sip:${channels[1]}@127.0.0.1:${lowerPort}`, { callId: 'cas-3', cseq: 2, fromTag: 'u3', toTag: toTag3, port: sipPort }), lowerPort, '127.0.0.1');
    await until('200 to the TCP BYE', () => answers.some((a) => a.startsWith('SIP/2.0 200') && a.includes('2 BYE') && a.includes('cas-3')), 10000, both);

    // An upper that connects itself (a=setup:active, RFC 4145): we answer a=setup:passive with the
    // port we listen on, and send the frames over its connection once it came.
    const activeOffer = ['v=0', `o=${UPPER} 0 0 IN IP4 127.0.0.1`, 's=Play', 'c=IN IP4 127.0.0.1', 't=0 0',
      'm=video 9 TCP/RTP/AVP 96', 'a=recvonly', 'a=setup:active', 'a=connection:new',
      'a=rtpmap:96 PS/90000', 'y=1350004321', ''].join('\r\n');
    sip.send(sipRequest('INVITE', `sip:${channels[1]}@127.0.0.1:${lowerPort}`, { callId: 'cas-4', cseq: 1, fromTag: 'u4', body: activeOffer, port: sipPort }), lowerPort, '127.0.0.1');
    await until('200 for the TCP active offer', () => answers.some((a) => a.startsWith('SIP/2.0 200') && a.includes('cas-4')), 15000, both);
    const ok4 = answers.find((a) => a.startsWith('SIP/2.0 200') && a.includes('cas-4'));
    assert.match(ok4, /a=setup:passive/);
    const ourPort = Number(/m=video (\d+) TCP\/RTP\/AVP 96/.exec(ok4)[1]);
    const toTag4 = /\nTo: [^\r\n]*;tag=([^;\r\n]+)/i.exec(ok4)[1];
    sip.send(sipRequest('ACK', `sip:${channels[1]}@127.0.0.1:${lowerPort}`, { callId: 'cas-4', cseq: 1, fromTag: 'u4', toTag: toTag4, port: sipPort }), lowerPort, '127.0.0.1');
    let activePackets = 0, activeForeign = 0, abuf = Buffer.alloc(0);
    const conn = net.connect(ourPort, '127.0.0.1');
    conn.on('error', () => {});
    conn.on('data', (d) => {
      abuf = Buffer.concat([abuf, d]);
      while (abuf.length >= 2 && abuf.length >= 2 + abuf.readUInt16BE(0)) {
        const pkt = abuf.subarray(2, 2 + abuf.readUInt16BE(0));
        if (pkt.length >= 12 && pkt.readUInt32BE(8) === 1350004321) activePackets++; else activeForeign++;
        abuf = abuf.subarray(2 + pkt.length);
      }
    });
    try {
      await until('RTP/PS over the upper\'s own connection', () => activePackets >= 40 || activePackets, 20000, both);
      assert.equal(activeForeign, 0);
      await until('the connection in the lower\'s log', () => /upper platform \d+ connected for the RTP of/.test(lower.log()), 5000, both);
    } finally {
      conn.destroy();
    }
    sip.send(sipRequest('BYE', `sip:${channels[1]}@127.0.0.1:${lowerPort}`, { callId: 'cas-4', cseq: 2, fromTag: 'u4', toTag: toTag4, port: sipPort }), lowerPort, '127.0.0.1');
    await until('200 to the second TCP BYE', () => answers.some((a) => a.startsWith('SIP/2.0 200') && a.includes('2 BYE') && a.includes('cas-4')), 10000, both);
  } finally {
    sip.close();
    rtp.close();
    server?.close();
  }

  // The upper restarts on an empty database: it refuses the next keepalive (403), the lower registers again.
  // The new database is made first, so the upper is usually down for less than 3 keepalives; under ASan
  // its exit (the leak check) can take longer, and the lower then registers again because its
  // keepalives went unanswered — also right, and accepted.
  const emptyBase = database();
  assert.equal(await upper.stop(), 0);
  upperBase = emptyBase;
  upper = await video(upperBase, { ...common, JIANGUAN_VIDEO_SIP_LISTEN: `127.0.0.1:${upperPort}`, JIANGUAN_VIDEO_SIP_ID: UPPER, JIANGUAN_VIDEO_SIP_PASSWORD: UPPER_PW });
  await until('registered again at the restarted upper', () => num(upperBase.db, `SELECT COUNT(*) FROM video_device WHERE gb_id = '${LOWER}' AND online = 1 AND catalog_sum = 3`) === 1, 20000, both);
  await until('the loss in the lower\'s log', () => /registration at upper platform \d+ lost \((keepalive answered 403|keepalives unanswered)\)/.test(lower.log()), 5000, both);

  // Stopping the lower unregisters it (Expires: 0): offline at the upper at once.
  assert.equal(await lower.stop(), 0);
  await until('unregistered at the upper', () => num(upperBase.db, `SELECT COUNT(*) FROM video_event WHERE device_gb_id = '${LOWER}' AND kind = 'offline' AND detail = 'unregistered'`) === 1, 10000, both);
  assert.equal(await upper.stop(), 0);
  sim.kill('SIGTERM');
  await simDone;
  const summary = JSON.parse(simOut.trim().split('\n').pop());
  assert.ok(summary.invites >= 1 && summary.byes >= 1, JSON.stringify(summary));
});
