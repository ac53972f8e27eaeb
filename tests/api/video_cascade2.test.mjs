// Cascade (级联), the platform side and what an upper platform may ask beyond the catalog: the
// lower platform is `jianguan serve` + `jianguan video` (demo data, a gbsim device with 4
// channels), registered to an upper `jianguan video` on its own fresh database. The channels shared
// with the upper are set through the API (GET/PUT/DELETE /api/v1/video/uppers/{id}/shares:
// province scope with video.control, validated, audited). The test's own UDP socket then speaks as
// the upper platform (its ID, from its address): DeviceControl and RecordInfo for a shared channel
// are relayed to the device (unshared: 404), their answers come back under the upper's SN with the
// channel's ID; a playback INVITE is relayed with its range, INFO passed on, MediaStatus 121 and BYE
// at the end, and so is a download (s=Download at the upper's a=downloadspeed); a Catalog SUBSCRIBE is accepted with Expires and NOTIFYs follow share changes
// (ADD/DEL, also at the real upper through its own subscription) and the device going offline and
// online (OFF/ON); Expires: 0 ends it. A second lower registers over transport=tcp and reconnects
// after the upper restarts. SQLite and PostgreSQL.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import dgram from 'node:dgram';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { bin, freshDatabase, runVerb, startServer, START_MS } from './lib/harness.mjs';
import { dbExec, cleanEnv } from './lib/checks.mjs';
import { session, as } from './lib/auth.mjs';
import { DEVICE, gbsim as startGbsim, logTime, makePs, serviceTimePast, startVideo, until as waitUntil } from './lib/video.mjs';

const UPPER = '35000000002000000001';
const LOWER = '35010000002000000007';
const UPPER_PW = 'upper-Secret-9';
const CH = [1, 2, 3, 4].map((i) => `3501020000131000000${i}`);
let srv, upper, upperDb, upperDir, lower, lowerErr = '', upperErr = '', lowerPort, sim, users = {};
let sip, sipPort, inbox = [], psFile, upperPort, upperEnv;
let answerNotify = true; // the test's socket answers NOTIFYs 200 (else the lower retransmits them)
const unanswered = new Set(); // SNs of MESSAGEs the test's socket leaves unanswered (probes, below)
const children = [];

const sql = (q) => dbExec(srv.db.url, q).trim();
const log = () => `--- lower\n${lowerErr.slice(-4000)}\n--- upper\n${upperErr.slice(-2000)}\n--- inbox\n${inbox.slice(-6).join('\n---\n')}`;
const until = (what, fn, ms = 20000) => waitUntil(what, fn, { ms, proc: lower, log });
const shares = (who, method, body) => as(srv, users[who], `/api/v1/video/uppers/${UPPER}/shares`, { method, body });

/** One SIP request from the test's socket as the upper platform. */
function request(method, uri, { callId, cseq, fromTag = 'up1', toTag = '', body = '', type = 'Application/MANSCDP+xml', headers = [] }) {
  const lines = [
    `${method} ${uri} SIP/2.0`,
    `Via: SIP/2.0/UDP 127.0.0.1:${sipPort};rport;branch=z9hG4bK${method}${cseq}${callId}`,
    `From: <sip:${UPPER}@3500000000>;tag=${fromTag}`,
    `To: <sip:${LOWER}@3501000000>${toTag ? ';tag=' + toTag : ''}`,
    `Call-ID: ${callId}`,
    `CSeq: ${cseq} ${method}`,
    `Contact: <sip:${UPPER}@127.0.0.1:${sipPort}>`,
    'Max-Forwards: 70',
    ...headers,
  ];
  if (body) lines.push(`Content-Type: ${type}`);
  lines.push(`Content-Length: ${Buffer.byteLength(body)}`, '', body);
  sip.send(Buffer.from(lines.join('\r\n')), lowerPort, '127.0.0.1');
}

const xml = (root, cmd, sn, id, inner = '') =>
  `<?xml version="1.0" encoding="GB2312"?>\r\n<${root}>\r\n<CmdType>${cmd}</CmdType>\r\n<SN>${sn}</SN>\r\n<DeviceID>${id}</DeviceID>\r\n${inner}</${root}>\r\n`;
const answered = (callId, code) => inbox.find((m) => m.startsWith(`SIP/2.0 ${code}`) && m.includes(`Call-ID: ${callId}`));
const notifies = () => inbox.filter((m) => m.startsWith('NOTIFY '));
/** A 200 to the request text from the lower, as a real upper sends it. */
function answer(text, from) {
  const head = (name) => (new RegExp(`\r\n${name}: ([^\r\n]*)`, 'i').exec(text) || [])[1];
  const ok = ['SIP/2.0 200 OK', `Via: ${head('Via')}`, `From: ${head('From')}`, `To: ${head('To')}`,
    `Call-ID: ${head('Call-ID')}`, `CSeq: ${head('CSeq')}`, 'Content-Length: 0', '', ''].join('\r\n');
  sip.send(Buffer.from(ok), from.port, from.address);
}

let barriers = 0, probes = 0;
/** The lower handled everything before: a request it answers at once (DeviceControl for a channel
 * never shared, as it does not exist: 404) sent now is answered only after what it was doing (a timer
 * pass included), and over the same socket, so whatever it sent before is in the inbox when the 404 is. */
const NO_CHANNEL = '35010200001310009999';
async function barrier() {
  const callId = `barrier-${++barriers}`;
  request('MESSAGE', `sip:${NO_CHANNEL}@127.0.0.1:${lowerPort}`, { callId, cseq: 1, body: xml('Control', 'DeviceControl', 800 + barriers, NO_CHANNEL, '<PTZCmd>A50F0100000000B5</PTZCmd>\r\n') });
  await until(`404 to ${callId}`, () => answered(callId, 404) !== undefined);
}

/**
 * Wait for passes of the lower's cascade timers, on its own clock: the device's answer to a RecordCmd
 * for CH[1] is relayed up as a MESSAGE, which this socket leaves unanswered until the lower sent it
 * `copies` times (T1 = 500 ms doubling to T2, the schedule of its NOTIFYs too: copy k goes out a
 * timer pass at least 0.5, 1.5, 3.5, 7.5 s after the first); then answered, then a barrier. So a
 * NOTIFY due by then (a share poll, a retransmission) has been sent and is in the inbox.
 */
async function timerPasses(copies) {
  const sn = 7000 + ++probes;
  unanswered.add(sn);
  const seen = () => inbox.filter((m) => m.startsWith('MESSAGE ') && m.includes(`<SN>${sn}</SN>`));
  request('MESSAGE', `sip:${CH[1]}@127.0.0.1:${lowerPort}`, { callId: `probe-${sn}`, cseq: 1, body: xml('Control', 'DeviceControl', sn, CH[1], '<RecordCmd>Record</RecordCmd>\r\n') });
  await until(`${copies} copies of the relayed answer ${sn}`, () => seen().length >= copies || seen().length, 30000);
  unanswered.delete(sn);
  answer(seen()[0], { port: lowerPort, address: '127.0.0.1' });
  await barrier();
}

const events = (ev) => notifies().flatMap((m) => [...m.matchAll(/<Item>\r\n<DeviceID>(\d+)<\/DeviceID>\r\n<Event>(\w+)<\/Event>/g)])
  .filter((x) => x[2] === ev).map((x) => x[1]).sort();

before(async () => {
  // The upper platform: a bare `jianguan video` on its own database, its default device password
  // being what the lower presents.
  upperDir = mkdtempSync(join(tmpdir(), 'jianguan-cascade2-'));
  upperDb = freshDatabase(upperDir);
  upperEnv = cleanEnv({ JIANGUAN_DATABASE: upperDb.url, JIANGUAN_DATA_DIR: join(upperDir, 'data'), JIANGUAN_DB_POOL_SIZE: '2' });
  assert.equal(runVerb(upperEnv, 'migrate').status, 0);
  upper = spawn(bin, ['video'], {
    env: { ...upperEnv, JIANGUAN_VIDEO_SIP_LISTEN: '127.0.0.1:0', JIANGUAN_VIDEO_MEDIA_LISTEN: '127.0.0.1:0', JIANGUAN_VIDEO_SIP_ID: UPPER, JIANGUAN_VIDEO_SIP_PASSWORD: UPPER_PW, JIANGUAN_VIDEO_KEEPALIVE_FLUSH_S: '1' },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  children.push(upper);
  upperPort = await new Promise((ok, fail) => {
    const timer = setTimeout(() => fail(new Error('upper did not start: ' + upperErr)), START_MS);
    upper.stderr.on('data', (d) => {
      upperErr += d;
      const m = /SIP listening on udp\+tcp 127\.0\.0\.1:(\d+)/.exec(upperErr);
      if (m) { clearTimeout(timer); ok(Number(m[1])); }
    });
  });
  srv = await startServer({ projects: 1 });
  ({ proc: lower, sipPort: lowerPort } = await startVideo(srv, (d) => { lowerErr += d; }, {
    JIANGUAN_VIDEO_SIP_LISTEN: '127.0.0.1:0',
    JIANGUAN_VIDEO_MEDIA_LISTEN: '127.0.0.1:0',
    JIANGUAN_VIDEO_SIP_ID: LOWER,
    JIANGUAN_VIDEO_SIP_PASSWORD: 'gb-Default-8',
    JIANGUAN_VIDEO_KEEPALIVE_INTERVAL_S: '1',
    JIANGUAN_VIDEO_KEEPALIVE_COUNT: '3',
    JIANGUAN_VIDEO_KEEPALIVE_FLUSH_S: '1',
    JIANGUAN_VIDEO_UPPER: `${UPPER}@127.0.0.1:${upperPort};password=${UPPER_PW};expires=60;keepalive=1`,
  }));
  children.push(lower);
  psFile = makePs(upperDir, 4);
  sim = startGbsim(lowerPort, psFile, ['--devices', '1', '--channels', '4']);
  children.push(sim.child);
  await until('4 channels at the lower platform', () => sql('SELECT COUNT(*) FROM video_channel') === '4');
  await until('the lower registered at the upper', () =>
    dbExec(upperDb.url, `SELECT COUNT(*) FROM video_device WHERE gb_id = '${LOWER}' AND online = 1`).trim() === '1');
  // The upper subscribes to the catalog of what registers to it (video_subscribe): share changes
  // below reach it as NOTIFY ADD/DEL (the first poll of the shares happens at once).
  await until('the upper subscribed to the lower\'s catalog', () => /upper platform \d+ subscribed to the catalog/.test(lowerErr));
  // That first poll runs at the lower's next timer pass (every loop, 100 ms at most): wait until its
  // loop took the device's keepalive a second after the subscription (its own clock), so that the
  // share changes of the first test are changes, not the starting point.
  await serviceTimePast(sql, until, logTime(lowerErr, 'subscribed to the catalog') + 1000, DEVICE);
  for (const u of ['province', 'gulou', 'gulou_chief']) users[u] = await session(srv, u);
  sip = dgram.createSocket('udp4');
  await new Promise((ok) => sip.bind(0, '127.0.0.1', ok));
  sipPort = sip.address().port;
  sip.on('message', (m, from) => {
    const text = m.toString();
    inbox.push(text);
    // Like a real upper: every MESSAGE is answered (else the lower sends it again over UDP), NOTIFYs
    // unless a test turns that off.
    const sn = Number((/<SN>(\d+)<\/SN>/.exec(text) || [])[1]);
    if ((text.startsWith('NOTIFY ') && answerNotify) || (text.startsWith('MESSAGE ') && !unanswered.has(sn))) answer(text, from);
  });
});

after(async () => {
  sip?.close();
  for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
  if (srv) await srv.stop();
  upperDb?.drop();
  if (upperDir) rmSync(upperDir, { recursive: true, force: true });
});

test('the sharing API: province scope with video.control, validated, idempotent, audited', async () => {
  assert.equal((await shares('gulou', 'PUT', { channels: [CH[0]] })).status, 403); // no video.control
  let r = await shares('gulou_chief', 'PUT', { channels: [CH[0]] }); // region scope
  assert.equal(r.status, 403);
  assert.equal(r.json.error.code, 'forbidden');
  assert.match(r.json.error.message, /省级/);
  assert.equal((await shares('gulou_chief', 'GET')).status, 403);
  r = await as(srv, users.province, '/api/v1/video/uppers/123/shares', { method: 'PUT', body: { channels: [CH[0]] } });
  assert.equal(r.status, 400);
  assert.ok(r.json.error.fields.upper_id);
  r = await shares('province', 'PUT', { channels: [], colour: 1 });
  assert.equal(r.status, 400);
  assert.deepEqual(Object.keys(r.json.error.fields).sort(), ['channels', 'colour']);
  for (const bad of [['12'], [CH[0], CH[0]], [7], 'x']) {
    r = await shares('province', 'PUT', { channels: bad });
    assert.equal(r.status, 400, JSON.stringify(bad));
    assert.ok(r.json.error.fields.channels);
  }
  // A channel the platform does not know: refused, and nothing of the request is written.
  r = await shares('province', 'PUT', { channels: [CH[0], '35010200001310009999'] });
  assert.equal(r.status, 400);
  assert.match(r.json.error.fields.channels, /35010200001310009999/);
  assert.equal(sql('SELECT COUNT(*) FROM video_share'), '0');

  r = await shares('province', 'PUT', { channels: [CH[0], CH[1], CH[2]] });
  assert.equal(r.status, 200, r.text);
  assert.deepEqual(r.json, { upper_id: UPPER, added: [CH[0], CH[1], CH[2]], total: 3 });
  r = await shares('province', 'PUT', { channels: [CH[0]] }); // again: nothing added, nothing audited
  assert.deepEqual(r.json, { upper_id: UPPER, added: [], total: 3 });
  assert.equal(sql("SELECT COUNT(*) FROM audit_log WHERE action = 'video.share'"), '1');
  const audit = JSON.parse(sql(`SELECT detail FROM audit_log WHERE action = 'video.share' AND entity = 'video_upper' AND record_id = '${UPPER}'`));
  assert.deepEqual(audit, { before: { shared: 0 }, after: { shared: 3, added: [CH[0], CH[1], CH[2]] } });

  // The real upper (subscribed) learns the new channels from the NOTIFY ADD: rows under the lower.
  const upperSql = (q) => dbExec(upperDb.url, q).trim();
  await until('the upper got the shared channels', () =>
    upperSql(`SELECT COUNT(*) FROM video_channel WHERE device_gb_id = '${LOWER}' AND gb_id IN ('${CH[0]}', '${CH[1]}', '${CH[2]}')`) === '3');

  r = await shares('province', 'GET');
  assert.equal(r.status, 200, r.text);
  assert.deepEqual(r.json.items.map((i) => i.channel_gb_id), [CH[0], CH[1], CH[2]]);
  assert.equal(r.json.items[0].device_gb_id, '35010200001180000001');
  assert.ok(r.json.items[0].name);
  assert.equal(r.json.has_more, false);
  r = await as(srv, users.province, `/api/v1/video/uppers/${UPPER}/shares?size=2`);
  assert.equal(r.json.items.length, 2);
  assert.equal(r.json.has_more, true);

  r = await shares('province', 'DELETE', { channels: [CH[2], CH[3]] });
  assert.equal(r.status, 200, r.text);
  assert.deepEqual(r.json, { upper_id: UPPER, removed: [CH[2]], total: 2 });
  const un = JSON.parse(sql("SELECT detail FROM audit_log WHERE action = 'video.unshare'"));
  assert.deepEqual(un.after.removed, [CH[2]]);
  assert.equal(sql(`SELECT COUNT(*) FROM video_share WHERE upper_id = '${UPPER}'`), '2');
  // ... and DEL for the one no longer shared (the upper keeps the row, marked DEL).
  await until('DEL at the upper', () => upperSql(`SELECT status FROM video_channel WHERE device_gb_id = '${LOWER}' AND gb_id = '${CH[2]}'`) === 'DEL');
});

test('DeviceControl and RecordInfo from the upper: relayed for shared channels, 404 for others', async () => {
  // PTZ right at speed 0x40 for a shared channel reaches the device as sent.
  const ptz = 'A50F01014000003F';
  request('MESSAGE', `sip:${CH[0]}@127.0.0.1:${lowerPort}`, { callId: 'ctl-1', cseq: 1, body: xml('Control', 'DeviceControl', 501, CH[0], `<PTZCmd>${ptz}</PTZCmd>\r\n`) });
  await until('200 to the DeviceControl', () => answered('ctl-1', 200) !== undefined);
  await until('PTZ at the device', () => sim.out().includes(`gbsim: DeviceControl ${CH[0]} PTZCmd ${ptz}`));
  request('MESSAGE', `sip:${CH[3]}@127.0.0.1:${lowerPort}`, { callId: 'ctl-2', cseq: 1, body: xml('Control', 'DeviceControl', 502, CH[3], `<PTZCmd>${ptz}</PTZCmd>\r\n`) });
  await until('404 for an unshared channel', () => answered('ctl-2', 404) !== undefined);
  // A command the device answers with a <Response> (RecordCmd): the answer goes back up under the upper's SN.
  request('MESSAGE', `sip:${CH[0]}@127.0.0.1:${lowerPort}`, { callId: 'ctl-3', cseq: 1, body: xml('Control', 'DeviceControl', 503, CH[0], '<RecordCmd>Record</RecordCmd>\r\n') });
  await until('RecordCmd at the device', () => sim.out().includes(`gbsim: DeviceControl ${CH[0]} RecordCmd Record`));
  // The command after it reached the device: the unshared one, handled first, was not relayed.
  assert.ok(!sim.out().includes(`gbsim: DeviceControl ${CH[3]}`));
  await until('the device\'s answer at the upper', () => inbox.some((m) => m.startsWith('MESSAGE ') &&
    /<Response>\r\n<CmdType>DeviceControl<\/CmdType>\r\n<SN>503<\/SN>\r\n/.test(m) && m.includes(`<DeviceID>${CH[0]}</DeviceID>`) && m.includes('<Result>OK</Result>')));

  // RecordInfo over three hours: the device's records come back under the upper's SN, as the channel.
  const range = '<StartTime>2026-11-25T08:00:00</StartTime>\r\n<EndTime>2026-11-25T11:00:00</EndTime>\r\n<Type>all</Type>\r\n';
  request('MESSAGE', `sip:${CH[1]}@127.0.0.1:${lowerPort}`, { callId: 'rec-1', cseq: 1, body: xml('Query', 'RecordInfo', 9001, CH[1], range) });
  const replies = () => inbox.filter((m) => m.startsWith('MESSAGE ') && m.includes('<CmdType>RecordInfo</CmdType>') && m.includes('<SN>9001</SN>'));
  const items = () => replies().reduce((n, m) => n + (m.match(/<Item>/g) || []).length, 0);
  await until('3 records at the upper', () => items() === 3 || items());
  for (const m of replies()) {
    assert.match(m, new RegExp(`<Response>\\r\\n<CmdType>RecordInfo</CmdType>\\r\\n<SN>9001</SN>\\r\\n<DeviceID>${CH[1]}</DeviceID>`));
    assert.match(m, /<SumNum>3<\/SumNum>/);
    const ids = [...m.matchAll(/<Item>\r\n<DeviceID>(\d+)<\/DeviceID>/g)].map((x) => x[1]);
    assert.ok(ids.length > 0 && ids.every((id) => id === CH[1]), m);
  }
  assert.match(replies().join(''), /<StartTime>2026-11-25T08:00:00<\/StartTime>/);
  request('MESSAGE', `sip:${CH[3]}@127.0.0.1:${lowerPort}`, { callId: 'rec-2', cseq: 1, body: xml('Query', 'RecordInfo', 9002, CH[3], range) });
  await until('404 for RecordInfo of an unshared channel', () => answered('rec-2', 404) !== undefined);
});

test('playback from the upper: s=Playback relayed with its range, INFO passed on, MediaStatus 121 and BYE at the end', async () => {
  const rtp = dgram.createSocket('udp4');
  await new Promise((ok) => rtp.bind(0, '127.0.0.1', ok));
  let packets = 0, foreign = 0;
  rtp.on('message', (m) => { if (m.readUInt32BE(8) === 1350005678) packets++; else foreign++; });
  try {
    const start = 1764028800, end = start + 3600;
    const offer = (s, t) => ['v=0', `o=${UPPER} 0 0 IN IP4 127.0.0.1`, `s=${s}`, `u=${CH[1]}:0`, 'c=IN IP4 127.0.0.1', t,
      `m=video ${rtp.address().port} RTP/AVP 96`, 'a=recvonly', 'a=rtpmap:96 PS/90000', 'y=1350005678', ''].join('\r\n');
    const invite = (callId, body) => request('INVITE', `sip:${CH[1]}@127.0.0.1:${lowerPort}`, { callId, cseq: 1, fromTag: 'pb', body, type: 'APPLICATION/SDP' });
    // A playback or a download without its range is refused (488).
    invite('pb-0', offer('Playback', 't=0 0'));
    invite('pb-00', offer('Download', 't=0 0'));
    await until('488 twice', () => answered('pb-0', 488) !== undefined && answered('pb-00', 488) !== undefined);

    invite('pb-1', offer('Playback', `t=${start} ${end}`));
    await until('200 to the playback INVITE', () => answered('pb-1', 200) !== undefined, 15000);
    const ok = answered('pb-1', 200);
    assert.match(ok, /\r\ns=Playback\r\n/);
    assert.match(ok, new RegExp(`\\r\\nt=${start} ${end}\\r\\n`));
    const toTag = /\r\nTo: [^\r\n]*;tag=([^;\r\n]+)/i.exec(ok)[1];
    // No ACK yet: the 200 is retransmitted (UDP, T1 = 500 ms); after the ACK, no more.
    const oks = () => inbox.filter((m) => m.startsWith('SIP/2.0 200') && m.includes('Call-ID: pb-1') && m.includes('CSeq: 1 INVITE')).length;
    await until('the 200 retransmitted while no ACK came', () => oks() >= 2, 5000);
    request('ACK', `sip:${CH[1]}@127.0.0.1:${lowerPort}`, { callId: 'pb-1', cseq: 1, fromTag: 'pb', toTag });
    await barrier(); // the ACK was taken: every 200 sent before it is in the inbox
    const acked = oks(); // (checked again once the playback is over: no 200 after the ACK)
    await until('the device INVITEd with s=Playback', () => sim.out().includes(`gbsim: playback INVITE of ${CH[1]}`));
    await until('playback RTP relayed with the upper\'s SSRC', () => packets >= 20 || packets, 15000);
    assert.equal(foreign, 0);
    // MANSRTSP INFO in the upper's dialog reaches the device's dialog: pause, then resume.
    const info = (cseq, body) => request('INFO', `sip:${CH[1]}@127.0.0.1:${lowerPort}`, { callId: 'pb-1', cseq, fromTag: 'pb', toTag, body, type: 'Application/MANSRTSP' });
    const infoOk = (cseq, code = 200) => inbox.some((m) => m.startsWith(`SIP/2.0 ${code}`) && m.includes('Call-ID: pb-1') && m.includes(`CSeq: ${cseq} INFO`));
    info(2, 'PAUSE RTSP/1.0\r\nCSeq: 1\r\nPauseTime: now\r\n\r\n');
    await until('pause at the device', () => infoOk(2) && new RegExp(`gbsim: INFO pause \\S+ of ${CH[1]}`).test(sim.out()));
    info(3, 'PLAY RTSP/1.0\r\nCSeq: 2\r\nRange: npt=now-\r\n\r\n');
    await until('resume at the device', () => infoOk(3) && new RegExp(`gbsim: INFO resume \\S+ of ${CH[1]}`).test(sim.out()));
    info(4, 'DANCE RTSP/1.0\r\nCSeq: 3\r\n\r\n');
    await until('400 for a body that is not MANSRTSP', () => infoOk(4, 400));
    // The 4 s file ends: the device's MediaStatus 121 ends the playback; the upper gets MediaStatus 121 in the
    // playback's dialog, then BYE.
    await until('MediaStatus 121 at the upper', () => inbox.some((m) => m.startsWith('MESSAGE ') && m.includes('Call-ID: pb-1') && m.includes('<NotifyType>121</NotifyType>') && m.includes(`<DeviceID>${CH[1]}</DeviceID>`)), 20000);
    await until('BYE at the upper', () => inbox.some((m) => m.startsWith('BYE ') && m.includes('Call-ID: pb-1')), 10000);
    assert.equal(oks(), acked, 'the 200 is not sent again after the ACK');
  } finally {
    rtp.close();
  }
});

test('download from the upper: s=Download relayed with its range and a=downloadspeed, MediaStatus 121 in the dialog and BYE at the end', async () => {
  const rtp = dgram.createSocket('udp4');
  await new Promise((ok) => rtp.bind(0, '127.0.0.1', ok));
  let packets = 0;
  rtp.on('message', (m) => { if (m.readUInt32BE(8) === 1350005679) packets++; });
  try {
    const start = 1764032400, end = start + 8;
    const body = ['v=0', `o=${UPPER} 0 0 IN IP4 127.0.0.1`, 's=Download', `u=${CH[1]}:0`, 'c=IN IP4 127.0.0.1', `t=${start} ${end}`,
      `m=video ${rtp.address().port} RTP/AVP 96`, 'a=recvonly', 'a=rtpmap:96 PS/90000', 'a=downloadspeed:4', 'y=1350005679', ''].join('\r\n');
    request('INVITE', `sip:${CH[1]}@127.0.0.1:${lowerPort}`, { callId: 'dl-1', cseq: 1, fromTag: 'dl', body, type: 'APPLICATION/SDP' });
    await until('200 to the download INVITE', () => answered('dl-1', 200) !== undefined, 15000);
    const ok = answered('dl-1', 200);
    assert.match(ok, /\r\ns=Download\r\n/);
    assert.match(ok, new RegExp(`\\r\\nt=${start} ${end}\\r\\n`));
    const toTag = /\r\nTo: [^\r\n]*;tag=([^;\r\n]+)/i.exec(ok)[1];
    request('ACK', `sip:${CH[1]}@127.0.0.1:${lowerPort}`, { callId: 'dl-1', cseq: 1, fromTag: 'dl', toTag });
    // the device is asked for the same range at the upper's speed
    await until('the device INVITEd with s=Download', () => sim.out().includes(`gbsim: download INVITE of ${CH[1]} (speed 4, 8 s)`));
    await until('download RTP relayed with the upper\'s SSRC', () => packets >= 20 || packets, 15000);
    // 8 s at 4x: the device's MediaStatus 121 ends it; the upper gets MediaStatus 121 in its dialog, then BYE.
    await until('MediaStatus 121 at the upper', () => inbox.some((m) => m.startsWith('MESSAGE ') && m.includes('Call-ID: dl-1') && m.includes('<NotifyType>121</NotifyType>')), 20000);
    await until('BYE at the upper', () => inbox.some((m) => m.startsWith('BYE ') && m.includes('Call-ID: dl-1')), 10000);
    await until('the download stream in the lower\'s log', () => new RegExp(`stream \\d{20}/${CH[1]}/dl-up[0-9a-f]+ `).test(lowerErr), 5000);
  } finally {
    rtp.close();
  }
});

test('a catalog SUBSCRIBE: 200 with Expires, NOTIFY on share changes and on the device going offline and online', async () => {
  const sub = (cseq, expires) => request('SUBSCRIBE', `sip:${LOWER}@127.0.0.1:${lowerPort}`, {
    callId: 'sub-1', cseq, body: xml('Query', 'Catalog', 300 + cseq, LOWER), headers: ['Event: Catalog;id=7', `Expires: ${expires}`],
  });
  sub(1, 90);
  await until('200 to the SUBSCRIBE', () => answered('sub-1', 200) !== undefined);
  const ok = answered('sub-1', 200);
  assert.match(ok, /\r\nExpires: 90\r\n/i);
  assert.match(ok, /\r\nTo: [^\r\n]*;tag=/i);
  const toTag = /\r\nTo: [^\r\n]*;tag=([^;\r\n]+)/i.exec(ok)[1];
  // The first share poll takes the shares as they are: no NOTIFY for them. It runs at the first timer
  // pass after the SUBSCRIBE; the change below must come after it to be notified.
  await timerPasses(2);
  assert.equal(notifies().length, 0);

  // Shares changed through the API: ADD (with the channel's fields), then DEL.
  assert.equal((await shares('province', 'PUT', { channels: [CH[3]] })).status, 200);
  await until('NOTIFY ADD', () => events('ADD').length === 1);
  assert.deepEqual(events('ADD'), [CH[3]]);
  const add = notifies().find((m) => m.includes('<Event>ADD</Event>'));
  assert.match(add, /\r\nEvent: Catalog;id=7\r\n/);
  assert.match(add, /\r\nSubscription-State: active;expires=\d+\r\n/);
  assert.match(add, new RegExp(`\\r\\nFrom: [^\\r\\n]*tag=${toTag}`));
  assert.match(add, /\r\nTo: [^\r\n]*tag=up1/);
  assert.match(add, /<Notify>\r\n<CmdType>Catalog<\/CmdType>/);
  assert.match(add, /<Name>[^<]+<\/Name>/);
  // Answered NOTIFYs are sent once; an unanswered one is retransmitted (UDP) until answered. (The ADD,
  // had it been unanswered, would have gone again before the probe's third copy.)
  await timerPasses(3);
  assert.equal(notifies().filter((m) => m.includes('<Event>ADD</Event>')).length, 1);
  answerNotify = false;
  assert.equal((await shares('province', 'DELETE', { channels: [CH[0]] })).status, 200);
  const dels = () => notifies().filter((m) => m.includes('<Event>DEL</Event>'));
  await until('NOTIFY DEL retransmitted while unanswered', () => dels().length >= 2);
  const cseqs = new Set(dels().map((m) => /\r\nCSeq: (\d+) NOTIFY/.exec(m)[1]));
  assert.equal(cseqs.size, 1); // the same request again
  answerNotify = true;
  await until('the retransmission answered', () => dels().length >= 3, 10000);
  const settled = dels().length;
  await timerPasses(4); // the next copy of the DEL would have been due 2 s after the last
  assert.equal(dels().length, settled);
  assert.deepEqual([...new Set(events('DEL'))], [CH[0]]);

  // The device goes silent (gbsim stops its keepalives): offline after 3 s, OFF for the shared channels.
  sim.child.kill('SIGUSR1');
  await until('NOTIFY OFF', () => events('OFF').length === 2, 15000);
  assert.deepEqual(events('OFF'), [CH[1], CH[3]]);
  // A fresh gbsim registers the device again: ON.
  await sim.stop();
  sim = startGbsim(lowerPort, psFile, ['--devices', '1', '--channels', '4']);
  children.push(sim.child);
  await until('NOTIFY ON', () => events('ON').length === 2, 15000);
  assert.deepEqual(events('ON'), [CH[1], CH[3]]);

  // Expires: 0 in the same dialog ends the subscription: no NOTIFY for the next change.
  request('SUBSCRIBE', `sip:${LOWER}@127.0.0.1:${lowerPort}`, {
    callId: 'sub-1', cseq: 2, toTag, body: xml('Query', 'Catalog', 302, LOWER), headers: ['Event: Catalog;id=7', 'Expires: 0'],
  });
  await until('200 to the unsubscribe', () => inbox.some((m) => m.startsWith('SIP/2.0 200') && m.includes('Call-ID: sub-1') && m.includes('CSeq: 2 SUBSCRIBE')));
  await until('the subscription ended in the log', () => /ended its catalog subscription/.test(lowerErr));
  const before = notifies().length;
  assert.equal((await shares('province', 'PUT', { channels: [CH[0]] })).status, 200);
  await timerPasses(3); // shares are polled every second: the change would have been notified by now
  assert.equal(notifies().length, before);
  // A SUBSCRIBE for something else than the catalog is refused (489 Bad Event).
  request('SUBSCRIBE', `sip:${LOWER}@127.0.0.1:${lowerPort}`, {
    callId: 'sub-2', cseq: 1, body: xml('Query', 'Alarm', 303, LOWER), headers: ['Event: presence', 'Expires: 60'],
  });
  await until('489 for another event', () => answered('sub-2', 489) !== undefined);
});

/** `jianguan video` on env with extra settings; resolves { proc, port, log() }. */
async function videoProc(env, extra, onErr = () => {}) {
  const proc = spawn(bin, ['video'], { env: { ...env, ...extra }, stdio: ['ignore', 'ignore', 'pipe'] });
  children.push(proc);
  let text = '';
  const port = await new Promise((ok, fail) => {
    const timer = setTimeout(() => fail(new Error('video did not start: ' + text)), START_MS);
    proc.stderr.on('data', (d) => {
      text += d;
      onErr(String(d));
      const m = /SIP listening on udp\+tcp 127\.0\.0\.1:(\d+)/.exec(text);
      if (m) { clearTimeout(timer); ok(Number(m[1])); }
    });
  });
  // 'close', not 'exit': the last lines of stderr may still be in the pipe when the process exits.
  const exited = new Promise((ok) => proc.on('close', (code, signal) => ok(code ?? signal)));
  return { proc, port, log: () => text, stop: async () => { proc.kill('SIGTERM'); return exited; } };
}

test('SIP over TCP to the upper: one kept connection, the catalog over it, reconnected with backoff when the upper restarts', async () => {
  const LOWER2 = '35010000002000000008';
  const dir = mkdtempSync(join(tmpdir(), 'jianguan-cascade2-tcp-'));
  const db2 = freshDatabase(dir);
  try {
    const env2 = cleanEnv({ JIANGUAN_DATABASE: db2.url, JIANGUAN_DATA_DIR: join(dir, 'data'), JIANGUAN_DB_POOL_SIZE: '2' });
    assert.equal(runVerb(env2, 'migrate').status, 0);
    const lower2 = await videoProc(env2, {
      JIANGUAN_VIDEO_SIP_LISTEN: '127.0.0.1:0', JIANGUAN_VIDEO_MEDIA_LISTEN: '127.0.0.1:0', JIANGUAN_VIDEO_SIP_ID: LOWER2,
      JIANGUAN_VIDEO_KEEPALIVE_FLUSH_S: '1',
      JIANGUAN_VIDEO_UPPER: `${UPPER}@127.0.0.1:${upperPort};password=${UPPER_PW};expires=60;keepalive=1;transport=tcp`,
    });
    const both = () => `--- lower2\n${lower2.log()}\n--- upper\n${upperErr.slice(-3000)}`;
    const up = (q) => dbExec(upperDb.url, q).trim();
    await until('the TCP lower registered at the upper', () =>
      up(`SELECT COUNT(*) FROM video_device WHERE gb_id = '${LOWER2}' AND online = 1 AND transport = 'tcp'`) === '1' || both(), 20000);
    // The upper's Catalog query came over the connection and was answered over it (nothing shared: SumNum 0).
    await until('the catalog over TCP', () =>
      up(`SELECT COUNT(*) FROM video_device WHERE gb_id = '${LOWER2}' AND catalog_state = 'complete' AND catalog_sum = 0`) === '1' || both(), 20000);
    await until('keepalives over TCP', () =>
      up(`SELECT COUNT(*) FROM video_device WHERE gb_id = '${LOWER2}' AND last_keepalive_at > registered_at`) === '1' || both(), 20000);
    assert.equal((lower2.log().match(/opening a TCP connection to upper platform/g) || []).length, 1);

    // The upper restarts on the same port and database: the connection ends, the lower reconnects after its backoff.
    upper.kill('SIGTERM');
    await new Promise((ok) => upper.on('exit', ok));
    await until('the lower noticed the closed connection', () => /registration at upper platform \d+ lost \(its TCP connection closed\)/.test(lower2.log()) || both(), 10000);
    const restarted = await videoProc(upperEnv, { JIANGUAN_VIDEO_SIP_LISTEN: `127.0.0.1:${upperPort}`, JIANGUAN_VIDEO_MEDIA_LISTEN: '127.0.0.1:0', JIANGUAN_VIDEO_SIP_ID: UPPER, JIANGUAN_VIDEO_SIP_PASSWORD: UPPER_PW, JIANGUAN_VIDEO_KEEPALIVE_FLUSH_S: '1' }, (d) => { upperErr += d; });
    upper = restarted.proc;
    await until('registered again over a new connection', () =>
      (lower2.log().match(/cascade: registered at upper platform/g) || []).length === 2 || both(), 30000);
    assert.equal((lower2.log().match(/opening a TCP connection to upper platform/g) || []).length, 2);
    await until('online at the restarted upper', () =>
      up(`SELECT COUNT(*) FROM video_device WHERE gb_id = '${LOWER2}' AND online = 1 AND transport = 'tcp'`) === '1' || both(), 20000);
    // Stopping the lower unregisters over the connection (Expires: 0): offline at once.
    assert.equal(await lower2.stop(), 0);
    await until('unregistered over TCP', () =>
      up(`SELECT COUNT(*) FROM video_event WHERE device_gb_id = '${LOWER2}' AND kind = 'offline' AND detail = 'unregistered'`) === '1' || both(), 10000);
    assert.ok(!lower2.log().includes(UPPER_PW));
  } finally {
    db2.drop();
    rmSync(dir, { recursive: true, force: true });
  }
});
