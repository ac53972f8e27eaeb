// jianguan video, the GB/T 28181 signalling service, run as a process on loopback with a fresh,
// migrated database, driven by gbsim (tools/gbsim: many devices from one process) and by SIPp
// (Debian's sip-tester, a SIP user agent nobody here wrote). The database is checked directly.
//
// Environment: JIANGUAN_TEST_BIN as for the other API tests; JIANGUAN_TEST_GBSIM (default: gbsim
// beside the jianguan binary).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import dgram from 'node:dgram';
import net from 'node:net';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { bin, root, freshDatabase, runVerb, START_MS } from './lib/harness.mjs';
import { dbExec, cleanEnv, freePort, until as waitUntil } from './lib/checks.mjs';

const gbsimBin = process.env.JIANGUAN_TEST_GBSIM || join(dirname(bin), 'gbsim');
const PASSWORD = 'gb-Default-8';
let dir, db, env, video, port, stderr = '', exited;
const sims = []; // every gbsim started, killed in after() if a failed test left one running

const sql = (q) => dbExec(db.url, q).trim();
const num = (q) => Number(sql(q));
/** Poll fn until it returns true, or fail after ms (or when the service exits). */
const until = (what, fn, ms = 20000) => waitUntil(what, fn, { ms, proc: video, log: () => stderr });

/** Start gbsim with args; resolves { child, out() , summary() , done }. */
function gbsim(args) {
  const child = spawn(gbsimBin, ['--server', `127.0.0.1:${port}`, '--password', PASSWORD, ...args], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '', err = '';
  child.stdout.on('data', (d) => { out += d; });
  child.stderr.on('data', (d) => { err += d; });
  // 'close', not 'exit': the last lines of stdout may still be in the pipe when the process exits.
  const done = new Promise((ok) => child.on('close', (code) => ok(code)));
  sims.push(child);
  return {
    child,
    done,
    out: () => out,
    err: () => err,
    summary: () => JSON.parse(out.trim().split('\n').pop()),
    stop: async (signal = 'SIGTERM') => { child.kill(signal); return done; },
  };
}

before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'jianguan-video-'));
  db = freshDatabase(dir);
  env = cleanEnv({
    JIANGUAN_DATABASE: db.url,
    JIANGUAN_DATA_DIR: join(dir, 'data'),
    JIANGUAN_VIDEO_SIP_LISTEN: '127.0.0.1:0',
    JIANGUAN_VIDEO_MEDIA_LISTEN: '127.0.0.1:0',
    JIANGUAN_VIDEO_SIP_PASSWORD: PASSWORD,
    JIANGUAN_VIDEO_KEEPALIVE_INTERVAL_S: '1',
    JIANGUAN_VIDEO_KEEPALIVE_COUNT: '3',
    JIANGUAN_VIDEO_KEEPALIVE_FLUSH_S: '1',
    JIANGUAN_DB_POOL_SIZE: '2',
  });
  const r = runVerb(env, 'migrate');
  assert.equal(r.status, 0, r.stderr);
  video = spawn(bin, ['video'], { env, stdio: ['ignore', 'ignore', 'pipe'] });
  port = await new Promise((ok, fail) => {
    const timer = setTimeout(() => fail(new Error('video did not start: ' + stderr)), START_MS);
    video.stderr.on('data', (d) => {
      stderr += d;
      const m = /SIP listening on udp\+tcp 127\.0\.0\.1:(\d+)/.exec(stderr);
      if (m) { clearTimeout(timer); ok(Number(m[1])); }
    });
    video.on('exit', (code) => { clearTimeout(timer); fail(new Error(`video exited ${code}: ${stderr}`)); });
  });
  video.removeAllListeners('exit');
  // 'close', not 'exit': the last lines of stderr may still be in the pipe when the process exits.
  exited = new Promise((ok) => video.on('close', (code, signal) => ok(code ?? signal)));
});

after(async () => {
  for (const c of sims) if (c.exitCode === null) c.kill('SIGKILL');
  if (video && video.exitCode === null) video.kill('SIGKILL');
  db?.drop();
  rmSync(dir, { recursive: true, force: true });
});

test('50 devices x 4 channels register over UDP, load their catalogs, go offline when keepalives stop', async () => {
  const sim = gbsim(['--devices', '50', '--channels', '4', '--chunk', '4', '--keepalive', '1', '--first-serial', '1000']);
  const ids = "gb_id BETWEEN '35010200001180001000' AND '35010200001180001049'";
  await until('50 devices online', () => num(`SELECT COUNT(*) FROM video_device WHERE ${ids} AND online = 1`) === 50);
  await until('gbsim reports the registrations', () => /all 50 devices registered in \d+ ms/.test(sim.out()));
  // Addresses are the packets' own: 127.0.1.1 ... 127.0.1.50, one per device.
  assert.equal(num(`SELECT COUNT(DISTINCT address) FROM video_device WHERE ${ids} AND address LIKE '127.0.1.%' AND transport = 'udp'`), 50);
  await until('200 channels', () => num(`SELECT COUNT(*) FROM video_channel WHERE device_gb_id BETWEEN '35010200001180001000' AND '35010200001180001049'`) === 200);
  // GB2312 names decoded, the unescaped & kept, positions and PTZ type stored.
  assert.equal(num(`SELECT COUNT(*) FROM video_channel WHERE name LIKE '工地% 摄像机%' AND address = '鼓楼区 A&B 工地东门' AND status = 'ON' AND longitude >= 119 AND latitude >= 26 AND ptz_type = 1 AND manufacturer = '建管模拟'`), 200);
  await until('catalogs complete', () => num(`SELECT COUNT(*) FROM video_device WHERE ${ids} AND catalog_sum = 4`) === 50);
  await until('DeviceInfo stored', () => num(`SELECT COUNT(*) FROM video_device WHERE ${ids} AND name LIKE '模拟录像机%' AND manufacturer = 'jianguan' AND firmware = 'V1.0.0' AND channel_count = 4`) === 50);
  // Keepalive times arrive in batches (flush every second here).
  await until('keepalive times written', () => num(`SELECT COUNT(*) FROM video_device WHERE ${ids} AND last_keepalive_at > registered_at`) === 50);
  assert.equal(num(`SELECT COUNT(*) FROM video_event WHERE device_gb_id BETWEEN '35010200001180001000' AND '35010200001180001049' AND kind = 'online'`), 50);

  sim.child.kill('SIGUSR1'); // keepalives stop
  await until('all 50 offline after 3 missed keepalives', () => num(`SELECT COUNT(*) FROM video_device WHERE ${ids} AND online = 0`) === 50, 15000);
  assert.equal(num(`SELECT COUNT(*) FROM video_event WHERE device_gb_id BETWEEN '35010200001180001000' AND '35010200001180001049' AND kind = 'offline' AND detail = 'keepalive_timeout'`), 50);
  assert.equal(await sim.stop(), 0);
  const s = sim.summary();
  assert.equal(s.registered, 50);
  assert.equal(s.catalog_queries, 50);
  assert.equal(s.deviceinfo_queries, 50);
});

test('a catalog chunk lost on the way: the catalog is asked for again and arrives whole, without duplicates', async () => {
  // 10 channels in chunks of 4: chunk 2 (channels 5-8) of the first answer is never sent.
  const sim = gbsim(['--devices', '1', '--channels', '10', '--chunk', '4', '--keepalive', '1', '--first-serial', '1500', '--drop-catalog-chunk', '2']);
  const dev = "gb_id = '35010200001180001500'";
  await until('the device online', () => num(`SELECT COUNT(*) FROM video_device WHERE ${dev} AND online = 1`) === 1);
  await until('gbsim dropped chunk 2', () => /dropped catalog chunk 2/.test(sim.out()));
  await until('6 of 10 channels from the first answer', () => num(`SELECT COUNT(*) FROM video_channel WHERE device_gb_id = '35010200001180001500'`) === 6);
  assert.equal(sql(`SELECT catalog_state || ' ' || catalog_tries FROM video_device WHERE ${dev}`), 'querying 1');
  // After 5 quiet seconds the query goes again; the second answer is whole.
  await until('the catalog complete after a second query', () => sql(`SELECT catalog_state || ' ' || catalog_tries || ' ' || catalog_got || ' ' || catalog_sum FROM video_device WHERE ${dev}`) === 'complete 2 10 10', 15000);
  assert.equal(num(`SELECT COUNT(*) FROM video_channel WHERE device_gb_id = '35010200001180001500'`), 10);
  // The log may reach us after the database shows the state.
  await until('the second query in the log', () => /catalog of 35010200001180001500 incomplete \(6 of 10 channels\): query 2/.test(stderr), 5000);
  await until('the completion in the log', () => /catalog of 35010200001180001500 complete: 10 channels \(2 queries\)/.test(stderr), 5000);
  assert.equal(await sim.stop(), 0);
  const s = sim.summary();
  assert.equal(s.catalog_queries, 2);
  assert.equal(s.catalog_chunks_dropped, 1);
  assert.equal(s.catalog_items_sent, 6 + 10);
});

test('devices over TCP register, and Expires: 0 takes them offline', async () => {
  const sim = gbsim(['--transport', 'tcp', '--devices', '5', '--channels', '2', '--keepalive', '1', '--first-serial', '2000', '--unregister-on-exit']);
  const ids = "gb_id BETWEEN '35010200001180002000' AND '35010200001180002004'";
  await until('5 TCP devices online', () => num(`SELECT COUNT(*) FROM video_device WHERE ${ids} AND online = 1 AND transport = 'tcp'`) === 5);
  await until('10 channels over TCP', () => num(`SELECT COUNT(*) FROM video_channel WHERE device_gb_id BETWEEN '35010200001180002000' AND '35010200001180002004'`) === 10);
  assert.equal(await sim.stop(), 0);
  assert.equal(sim.summary().registered, 0, 'all unregistered before exit');
  await until('5 offline (unregistered)', () => num(`SELECT COUNT(*) FROM video_device WHERE ${ids} AND online = 0`) === 5);
  assert.equal(num(`SELECT COUNT(*) FROM video_event WHERE device_gb_id BETWEEN '35010200001180002000' AND '35010200001180002004' AND kind = 'offline' AND detail = 'unregistered'`), 5);
});

test('a wrong password gets 403, and 5 failures lock the device ID out even for the right one', async () => {
  // gbsim runs until its last attempt was refused (not for a fixed time, which a slow machine may
  // not fit the six round trips into).
  const bad = gbsim(['--devices', '1', '--wrong-password', '1', '--attempts', '6', '--first-serial', '3000']);
  await until('6 attempts refused', () => /refused \(403\), attempt 6\n/.test(bad.out()) || bad.out());
  assert.equal(await bad.stop(), 0);
  assert.equal(bad.summary().forbidden, 6);
  assert.equal(bad.summary().registered, 0);
  const id = '35010200001180003000';
  await until('auth_failed and locked events', () => num(`SELECT COUNT(*) FROM video_event WHERE device_gb_id = '${id}' AND kind = 'locked'`) === 1);
  assert.equal(num(`SELECT COUNT(*) FROM video_event WHERE device_gb_id = '${id}' AND kind = 'auth_failed'`), 5);
  assert.equal(num(`SELECT COUNT(*) FROM video_device WHERE gb_id = '${id}'`), 0, 'no device row for a failed login');
  const good = gbsim(['--devices', '1', '--first-serial', '3000']);
  await until('the right password refused', () => /refused \(403\), attempt 1\n/.test(good.out()) || good.out());
  assert.equal(await good.stop(), 0);
  assert.equal(good.summary().registered, 0);
  assert.equal(good.summary().forbidden, 1, 'locked: refused with the right password too');
  await until('the lockout in the log', () => new RegExp(`device ${id} locked out for 600 s after 5 failed logins`).test(stderr), 5000);
});

test('SIPp, a real SIP user agent, registers through digest authentication (qop=auth)', async () => {
  const work = mkdtempSync(join(tmpdir(), 'jianguan-sipp-'));
  const id = '35010200001320004000';
  const localPort = await freePort({ udp: true }); // SIPp's own SIP port (UDP)
  const sipp = (password) => spawnSync('sipp', [`127.0.0.1:${port}`, '-sf', join(root, 'tests/video/register_auth.xml'),
    '-m', '1', '-key', 'dev', id, '-key', 'platform', '35000000002000000001', '-au', id, '-ap', password,
    '-i', '127.0.0.1', '-p', String(localPort), '-timeout', '10s', '-nostdin'], { cwd: work, encoding: 'utf8', timeout: 20000 });
  const wrong = sipp('not-the-password');
  assert.notEqual(wrong.status, 0, 'SIPp expected 200 and got 403');
  const r = sipp(PASSWORD);
  rmSync(work, { recursive: true, force: true });
  assert.equal(r.status, 0, `sipp failed: ${r.stdout}\n${r.stderr}`);
  await until('SIPp device online', () => num(`SELECT COUNT(*) FROM video_device WHERE gb_id = '${id}' AND online = 1 AND address = '127.0.0.1' AND port = ${localPort}`) === 1);
});

test('garbage over UDP and TCP is dropped without harm', async () => {
  const sock = dgram.createSocket('udp4');
  const junk = [Buffer.alloc(0), Buffer.from('\r\n\r\n'), Buffer.from('INVITE'), Buffer.alloc(1400, 0xff),
    Buffer.from('REGISTER sip:x SIP/2.0\r\nVia: \r\n\r\n'), Buffer.from('SIP/2.0 200 OK\r\nCSeq: 1 MESSAGE\r\n\r\n')];
  for (let i = 0; i < 200; i++) junk.push(Buffer.from(Array.from({ length: 1 + (i * 37) % 900 }, (_, k) => (k * 131 + i) & 0xff)));
  for (const j of junk) await new Promise((ok) => sock.send(j, port, '127.0.0.1', ok));
  sock.close();
  await new Promise((ok) => {
    const c = net.connect(port, '127.0.0.1', () => {
      c.write('MESSAGE sip:a@b SIP/2.0\r\nContent-Length: 99999999\r\n\r\n');
      c.end();
    });
    c.on('close', ok);
    c.on('error', ok);
  });
  // Devices that register after the garbage prove the service read past it (UDP and TCP are read in
  // order); gbsim runs until they did, not for a fixed time.
  const sim = gbsim(['--devices', '2', '--channels', '1', '--first-serial', '5000']);
  await until('2 devices registered after the garbage', () => /all 2 devices registered/.test(sim.out()) || sim.out());
  assert.equal(video.exitCode, null, 'still running');
  assert.equal(await sim.stop(), 0);
  await until('the garbage counted in the log', () => /that are no SIP message/.test(stderr), 5000);
});

test('SIGTERM stops the service cleanly', async () => {
  video.kill('SIGTERM');
  assert.equal(await exited, 0, stderr.slice(-2000));
  assert.match(stderr, /video: signal 15: stopping \(sent by pid \d+\)/);
  assert.match(stderr, /video: stopped \(\d+ registrations, \d+ keepalives, \d+ unreadable messages\)/);
});
