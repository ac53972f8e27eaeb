// A SIP user agent nobody here wrote registers to `jianguan video` through its digest auth: baresip
// (Debian's baresip-core), configured from a temporary directory (no audio or video modules), with
// a 20-digit GB ID as the user part of its account. Over UDP and TCP with the right password the
// device row becomes registered and online from baresip's address; with a wrong password the
// registrar answers 403 (baresip reports it, an auth_failed event is written, the row is not
// registered); baresip stopping unregisters (Expires: 0). The database is checked directly, on
// SQLite and PostgreSQL.
//
// baresip absent: the test is skipped with a message (CI installs it: scripts/install-deps.sh test).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { bin, freshDatabase, runVerb, START_MS } from './lib/harness.mjs';
import { dbExec, cleanEnv, sleep, until as waitUntil } from './lib/checks.mjs';
import { freeSipPort } from './lib/video.mjs';

const PASSWORD = 'gb-Default-8';
const UDP_ID = '35010000001320000101';
const TCP_ID = '35010000001320000102';
const BAD_ID = '35010000001320000103';
const haveBaresip = spawnSync('baresip', ['-h'], { stdio: 'ignore' }).error === undefined;
const skip = haveBaresip ? false : 'baresip is not installed (apt-get install baresip-core; scripts/install-deps.sh test)';

let dir, db, video, port, stderr = '', exited;
const agents = [];
const sql = (q) => dbExec(db.url, q).trim();
const num = (q) => Number(sql(q));

const until = (what, fn, ms = 20000, log = () => '') =>
  waitUntil(what, fn, { ms, proc: video, log: () => `--- video\n${stderr.slice(-3000)}\n${log().slice(-3000)}` });

/** baresip with one account for id over transport, from its own config directory. Another process
 *  may take its ports between our check and its bind ("init failed"): then it is started again on
 *  other ports, up to five times. */
async function baresip(id, password, transport) {
  const home = join(dir, `baresip-${id}`);
  mkdirSync(home, { recursive: true });
  // regint: REGISTER refreshed every 60 s; the registrar grants what is asked.
  writeFileSync(join(home, 'accounts'),
    `<sip:${id}@127.0.0.1:${port};transport=${transport}>;auth_pass=${password};regint=60\n`);
  writeFileSync(join(home, 'contacts'), '');
  let failures = '';
  for (let attempt = 0; attempt < 5; attempt++) {
    const listen = await freeSipPort(1); // baresip also listens on TCP one above (TLS)
    writeFileSync(join(home, 'config'), [
      'poll_method\t\tepoll',
      `sip_listen\t\t127.0.0.1:${listen}`,
      'module_path\t\t/usr/lib/baresip/modules',
      'module_app\t\taccount.so',
      '',
    ].join('\n'));
    const child = spawn('baresip', ['-f', home, '-s'], { stdio: ['ignore', 'pipe', 'pipe'] });
    agents.push(child);
    let out = '';
    child.stdout.on('data', (d) => { out += d; });
    child.stderr.on('data', (d) => { out += d; });
    const done = new Promise((ok) => child.on('close', (code, signal) => ok(code ?? signal)));
    const stop = async () => { child.kill('SIGTERM'); return done; };
    const end = Date.now() + 10000;
    while (Date.now() < end && !/init failed|Populated \d+ account/.test(out)) await sleep(50);
    if (!/init failed/.test(out)) return { child, listen, out: () => out, stop };
    failures += out;
    await stop();
  }
  assert.fail(`baresip did not start in five attempts:\n${failures.slice(-3000)}`);
}

before(async () => {
  if (skip) return;
  dir = mkdtempSync(join(tmpdir(), 'jianguan-baresip-'));
  db = freshDatabase(dir);
  const env = cleanEnv({
    JIANGUAN_DATABASE: db.url,
    JIANGUAN_DATA_DIR: join(dir, 'data'),
    JIANGUAN_VIDEO_SIP_LISTEN: '127.0.0.1:0',
    JIANGUAN_VIDEO_MEDIA_LISTEN: '127.0.0.1:0',
    JIANGUAN_VIDEO_SIP_PASSWORD: PASSWORD,
    // baresip sends no MANSCDP keepalives: the registration alone keeps it online for the test.
    JIANGUAN_VIDEO_KEEPALIVE_INTERVAL_S: '60',
    JIANGUAN_VIDEO_KEEPALIVE_FLUSH_S: '1',
    JIANGUAN_DB_POOL_SIZE: '2',
  });
  const r = runVerb(env, 'migrate');
  assert.equal(r.status, 0, r.stderr);
  video = spawn(bin, ['video'], { env, stdio: ['ignore', 'ignore', 'pipe'] });
  exited = new Promise((ok) => video.on('close', (code, signal) => ok(code ?? signal)));
  port = await new Promise((ok, fail) => {
    const timer = setTimeout(() => fail(new Error('video did not start: ' + stderr)), START_MS);
    video.stderr.on('data', (d) => {
      stderr += d;
      const m = /SIP listening on udp\+tcp 127\.0\.0\.1:(\d+)/.exec(stderr);
      if (m) { clearTimeout(timer); ok(Number(m[1])); }
    });
  });
});

after(async () => {
  for (const a of agents) if (a.exitCode === null && a.signalCode === null) a.kill('SIGKILL');
  if (video && video.exitCode === null) { video.kill('SIGTERM'); await exited; }
  db?.drop();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

test('baresip registers over UDP through the digest challenge; stopping it unregisters', { skip }, async () => {
  const ua = await baresip(UDP_ID, PASSWORD, 'udp');
  await until('baresip registered over UDP', () =>
    num(`SELECT COUNT(*) FROM video_device WHERE gb_id = '${UDP_ID}' AND online = 1 AND transport = 'udp' AND address = '127.0.0.1' AND port = ${ua.listen} AND registered_at IS NOT NULL`) === 1, 20000, ua.out);
  // SIGTERM: baresip sends REGISTER with Expires: 0 before it exits.
  await ua.stop();
  await until('baresip unregistered', () =>
    num(`SELECT COUNT(*) FROM video_event WHERE device_gb_id = '${UDP_ID}' AND kind = 'offline' AND detail = 'unregistered'`) === 1, 10000, ua.out);
  assert.equal(num(`SELECT online FROM video_device WHERE gb_id = '${UDP_ID}'`), 0);
  // The challenge was met (baresip's SIP trace, -s; its stdout is a pipe, complete once it exited): a 401 with our realm (the first 10 digits of
  // the platform ID) and qop, then a REGISTER with the MD5 digest for the GB ID, then the 200.
  const trace = ua.out();
  assert.match(trace, /SIP\/2\.0 401 Unauthorized/);
  assert.match(trace, /WWW-Authenticate: Digest [^\r\n]*qop="auth"/i);
  assert.match(trace, new RegExp(`Authorization: Digest [^\\r\\n]*username="${UDP_ID}"`, 'i'));
  assert.match(trace, /SIP\/2\.0 200 OK/);
  assert.equal(num(`SELECT COUNT(*) FROM video_event WHERE device_gb_id = '${UDP_ID}' AND kind = 'auth_failed'`), 0);
  assert.equal(num(`SELECT COUNT(*) FROM video_event WHERE device_gb_id = '${UDP_ID}' AND kind = 'online'`), 1);
});

test('baresip registers over TCP (RFC 3261 framing on a kept connection)', { skip }, async () => {
  const ua = await baresip(TCP_ID, PASSWORD, 'tcp');
  await until('baresip registered over TCP', () =>
    num(`SELECT COUNT(*) FROM video_device WHERE gb_id = '${TCP_ID}' AND online = 1 AND transport = 'tcp' AND address = '127.0.0.1'`) === 1, 20000, ua.out);
  await ua.stop();
  await until('baresip unregistered over TCP', () =>
    num(`SELECT COUNT(*) FROM video_event WHERE device_gb_id = '${TCP_ID}' AND kind = 'offline' AND detail = 'unregistered'`) === 1, 10000, ua.out);
  assert.match(ua.out(), /SIP\/2\.0 200 OK/);
  assert.match(ua.out(), /REGISTER sip:[^\r\n]*transport=tcp/i);
});

test('a wrong password gets 403 and the device is not registered', { skip }, async () => {
  const ua = await baresip(BAD_ID, 'not-the-password', 'udp');
  await until('auth_failed event', () => num(`SELECT COUNT(*) FROM video_event WHERE device_gb_id = '${BAD_ID}' AND kind = 'auth_failed'`) >= 1, 20000, ua.out);
  await ua.stop();
  assert.match(ua.out(), /SIP\/2\.0 401 Unauthorized/);
  assert.match(ua.out(), /SIP\/2\.0 403 Forbidden/);
  assert.equal(num(`SELECT COUNT(*) FROM video_device WHERE gb_id = '${BAD_ID}' AND (online = 1 OR registered_at IS NOT NULL)`), 0);
  assert.doesNotMatch(ua.out(), /SIP\/2\.0 200 OK/);
  // The password never reaches the service's log.
  assert.ok(!stderr.includes(PASSWORD) && !stderr.includes('not-the-password'));
});
