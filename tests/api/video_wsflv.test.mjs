// WebSocket-FLV on the media node (issue 8): the live answer's ws_url is the signed FLV URL with ws://;
// the node answers the RFC 6455 handshake on the same path and sends exactly the HTTP-FLV bytes, one
// binary message per write. The WebSocket client is the `ws` npm package (not ours); ffprobe reads the
// received FLV. A WS viewer shares the channel's one INVITE with an HTTP-FLV viewer.
//
// Environment: as tests/api/video_live.test.mjs (needs ffmpeg and ffprobe).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { connect } from 'node:net';
import WebSocket from 'ws';
import { dbExec } from './lib/checks.mjs';
import { session, as } from './lib/auth.mjs';
import { DEVICE, sleep, stopWorld, until as waitUntil, videoWorld } from './lib/video.mjs';

let srv, video, videoErr = '', sipPort, mediaPort, psFile, sim, inspector;

const sql = (q) => dbExec(srv.db.url, q).trim();
const until = (what, fn, ms) => waitUntil(what, fn, { ms, proc: video, log: () => videoErr });
const invitesOf = (channel) => (videoErr.match(new RegExp(`video: INVITE ${channel} `, 'g')) || []).length;

async function live(gbId) {
  let id = '';
  await until(`channel ${gbId}`, () => { id = sql(`SELECT id FROM video_channel WHERE gb_id = '${gbId}'`); return id !== ''; });
  if (sql("SELECT COUNT(*) FROM project WHERE code = 'VIDEO-WS-1'") === '0')
    sql("INSERT INTO project (code, name, org_code, status, registered_on, created_at, updated_at) VALUES " +
      "('VIDEO-WS-1', '鼓楼视频测试工地', '350102', 'under_construction', '2026-01-05', '2026-01-05T00:00:00Z', '2026-01-05T00:00:00Z')");
  sql(`UPDATE video_channel SET project_id = (SELECT id FROM project WHERE code = 'VIDEO-WS-1') WHERE id = ${id}`);
  const r = await as(srv, inspector, `/api/v1/video/channels/${id}/live`);
  assert.equal(r.status, 200, r.text);
  return r.json;
}

/** The status line and headers a raw request to the media node gets. */
function raw(path, headers) {
  return new Promise((ok, fail) => {
    const s = connect(mediaPort, '127.0.0.1', () => {
      s.write(`GET ${path} HTTP/1.1\r\nHost: 127.0.0.1\r\n${headers}\r\n`);
    });
    let got = '';
    s.on('data', (d) => { got += d; if (got.includes('\r\n\r\n')) { s.destroy(); ok(got); } });
    s.on('error', fail);
    s.on('close', () => ok(got));
    setTimeout(() => { s.destroy(); ok(got); }, 10000);
  });
}

/** Open url; resolves {ws} once open, or {status} when the handshake is refused. */
function open(url) {
  return new Promise((ok) => {
    const ws = new WebSocket(url);
    ws.binaryType = 'nodebuffer';
    const msgs = [];
    ws.on('message', (d, isBinary) => msgs.push({ d, isBinary }));
    ws.on('open', () => ok({ ws, msgs }));
    ws.on('unexpected-response', (rq, res) => { ok({ status: res.statusCode }); rq.destroy(); });
    ws.on('error', (e) => ok({ error: e }));
  });
}

/** FLV tags of buf after the 13-byte header: [{type, body}]. */
function tags(buf) {
  const out = [];
  for (let at = 13; at + 11 <= buf.length;) {
    const len = buf.readUIntBE(at + 1, 3);
    if (at + 11 + len + 4 > buf.length) break;
    out.push({ type: buf[at], body: buf.subarray(at + 11, at + 11 + len), prev: buf.readUInt32BE(at + 11 + len) });
    at += 11 + len + 4;
  }
  return out;
}

function ffprobeStdin(buf) {
  return new Promise((ok) => {
    const p = spawn('ffprobe', ['-v', 'error', '-show_streams', '-count_frames', '-of', 'json', '-i', 'pipe:0'], { stdio: ['pipe', 'pipe', 'pipe'] });
    let out = '', err = '';
    p.stdout.on('data', (d) => { out += d; });
    p.stderr.on('data', (d) => { err += d; });
    p.stdin.on('error', () => {});
    p.stdin.end(buf);
    const timer = setTimeout(() => p.kill('SIGKILL'), 30000);
    p.on('close', (code) => {
      clearTimeout(timer);
      try { ok({ code, err, ...JSON.parse(out) }); } catch { ok({ code, err, streams: [] }); }
    });
  });
}

before(async () => {
  ({ srv, video, sipPort, mediaPort, psFile, sim } = await videoWorld({ onErr: (d) => { videoErr += d; } }));
  inspector = await session(srv, 'gulou');
});

after(() => stopWorld({ srv, video, sim }));

test('ws_url is the signed FLV URL over ws://; a forged signature or a bad handshake is refused before any upgrade', async () => {
  const ch = '35010200001310000002';
  const j = await live(ch);
  assert.equal(j.ws_url, j.url.replace(/^http:\/\//, 'ws://'));
  assert.match(j.ws_url, new RegExp(`^ws://127\\.0\\.0\\.1:${mediaPort}/live/${DEVICE}/${ch}\\.flv\\?exp=\\d+&sig=[0-9a-f]+$`));
  for (const u of [
    j.ws_url.replace(/sig=([0-9a-f])/, (m, c) => `sig=${c === '0' ? '1' : '0'}`),
    j.ws_url.replace(/exp=(\d+)/, (m, e) => `exp=${Number(e) + 1}`),
    j.ws_url.replace(`${ch}.flv`, '35010200001310000003.flv'),
  ]) {
    const r = await open(u);
    assert.equal(r.status, 403, u);
  }
  const path = j.url.slice(j.url.indexOf('/live/'));
  const up = 'Upgrade: websocket\r\nConnection: Upgrade\r\n';
  for (const h of [
    `${up}Sec-WebSocket-Version: 13\r\n`, // no key
    `${up}Sec-WebSocket-Version: 13\r\nSec-WebSocket-Key: bm90IDE2IGJ5dGVz\r\n`, // not 16 bytes
    `${up}Sec-WebSocket-Version: 8\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n`,
    `Upgrade: websocket\r\nConnection: close\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n`,
  ]) {
    const got = await raw(path, h);
    assert.match(got, /^HTTP\/1\.1 400 /, h);
    assert.match(got, /"code":"bad_request"/);
  }
  // forged signature with a proper handshake: 403, not 101
  assert.match(await raw(path.replace(/sig=[0-9a-f]+/, 'sig=' + '0'.repeat(64)), `${up}Sec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n`), /^HTTP\/1\.1 403 /);
  assert.equal(invitesOf(ch), 0, 'nothing started');
});

test('a WebSocket viewer gets the FLV stream (AVC, read by ffprobe), shares the INVITE with an HTTP-FLV viewer, pings and closes cleanly', async () => {
  const ch = '35010200001310000001';
  const j = await live(ch);
  const path = j.url.slice(j.url.indexOf('/live/'));
  // the accept value for the RFC's key, from the node itself
  const hs = await raw(path, 'Upgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n');
  assert.match(hs, /^HTTP\/1\.1 101 Switching Protocols\r\n/);
  assert.match(hs, /\r\nSec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK\+xOo=\r\n/i);
  // an HTTP-FLV viewer and a WebSocket viewer of the same channel
  const flv = fetch(j.url, { signal: AbortSignal.timeout(5000) }).then(async (r) => { try { await r.arrayBuffer(); } catch { /* cut */ } return r.status; }).catch(() => 0);
  const { ws, msgs, status, error } = await open(j.ws_url);
  assert.ok(ws, `opened: ${status} ${error}`);
  await until('3 s of video over WebSocket', () => {
    const t = tags(Buffer.concat(msgs.map((m) => m.d)));
    return t.filter((x) => x.type === 9).length >= 60;
  }, 20000);
  assert.ok(msgs.every((m) => m.isBinary), 'binary messages only');
  const all = Buffer.concat(msgs.map((m) => m.d));
  assert.equal(all.subarray(0, 3).toString('latin1'), 'FLV');
  assert.equal(all[4] & 1, 1, 'video flag');
  const t = tags(all);
  assert.ok(t.every((x) => x.type === 9 || x.type === 8 || x.type === 18), 'tag types');
  for (const x of t) assert.equal(x.prev, x.body.length + 11, 'PreviousTagSize');
  const v = t.filter((x) => x.type === 9);
  assert.equal(v[0].body[0], 0x17, 'key frame, AVC');
  assert.equal(v[0].body[1], 0, 'AVC sequence header first');
  assert.equal(v[0].body[5], 1, 'AVCDecoderConfigurationRecord version 1');
  assert.ok(v.filter((x) => x.body[1] === 1).length >= 50, 'coded frames');
  // ping gets pong with the same payload
  const pong = new Promise((ok) => ws.once('pong', (d) => ok(d.toString())));
  ws.ping('jg-ping');
  assert.equal(await pong, 'jg-ping');
  // ffprobe reads what came over WebSocket
  const p = await ffprobeStdin(all);
  const pv = p.streams.find((s) => s.codec_type === 'video');
  assert.ok(pv, JSON.stringify(p) + p.err);
  assert.equal(pv.codec_name, 'h264');
  assert.equal(pv.width, 640);
  assert.ok(Number(pv.nb_read_frames) >= 50, `frames: ${pv.nb_read_frames}`);
  assert.equal(await flv, 200);
  assert.equal(invitesOf(ch), 1, 'one upstream for HTTP-FLV and WebSocket-FLV viewers');
  // close: the node answers with the same code and drops the viewer
  const closed = new Promise((ok) => ws.once('close', (code) => ok(code)));
  ws.close(1000, 'bye');
  assert.equal(await closed, 1000);
  await until('BYE once both viewers left', () => videoErr.includes(`no viewer of ${DEVICE}/${ch} for 1 s: BYE`), 15000);
});

test('client frames over 4 KB close with 1009; unmasked frames close with 1002', async () => {
  const ch = '35010200001310000003';
  const j = await live(ch);
  const a = await open(j.ws_url);
  assert.ok(a.ws);
  await until('data flows', () => a.msgs.length > 2, 20000);
  const c1 = new Promise((ok) => a.ws.once('close', (code) => ok(code)));
  a.ws.send(Buffer.alloc(5000, 1));
  assert.equal(await c1, 1009);
  // text from the client is ignored; an unmasked frame (sent raw) closes with 1002
  const b = await open(j.ws_url);
  assert.ok(b.ws);
  b.ws.send('hello');
  await until('data still flows after text', () => b.msgs.length > 5, 20000);
  const c2 = new Promise((ok) => b.ws.once('close', (code) => ok(code)));
  b.ws._socket.write(Buffer.from([0x82, 0x01, 0x00]));
  assert.equal(await c2, 1002);
  await sleep(100);
});
