// Helpers shared by the API tests (beside harness.mjs, which starts the server).
import assert from 'node:assert/strict';
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { randomBytes, randomInt } from 'node:crypto';
import dgram from 'node:dgram';
import { readFileSync } from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import { join } from 'node:path';
import { bin, root, START_MS } from './harness.mjs';

/** Some Chinese text: user-facing messages are Chinese (ARCHITECTURE.md). */
export const CJK = /[\u4e00-\u9fff]/;

/**
 * Check an error body against ARCHITECTURE.md: {"error":{"code","message","fields"?}}.
 * body: a string or a parsed object. Returns the inner error object.
 */
export function assertError(body, code) {
  const doc = typeof body === 'string' ? JSON.parse(body) : body;
  assert.equal(typeof doc, 'object');
  assert.deepEqual(Object.keys(doc), ['error'], 'an error body has the single key "error"');
  const e = doc.error;
  for (const k of Object.keys(e)) assert.ok(['code', 'message', 'fields'].includes(k), `unexpected key error.${k}`);
  assert.equal(typeof e.code, 'string');
  assert.match(e.code, /^[a-z_]+$/);
  assert.equal(typeof e.message, 'string');
  assert.match(e.message, CJK, `message is Chinese: ${e.message}`);
  if ('fields' in e) {
    assert.ok(e.fields && typeof e.fields === 'object' && !Array.isArray(e.fields), 'fields is an object');
    for (const [k, v] of Object.entries(e.fields)) {
      assert.equal(typeof v, 'string', `fields.${k} is a string`);
      assert.match(v, CJK, `fields.${k} is Chinese`);
    }
  }
  if (code !== undefined) assert.equal(e.code, code);
  return e;
}

/** fetch and read the body; json is the parsed body or undefined. */
export async function req(url, init = {}) {
  const r = await fetch(url, { ...init, signal: AbortSignal.timeout(10000) });
  const buf = Buffer.from(await r.arrayBuffer());
  const text = buf.toString('utf8');
  let json;
  try { json = JSON.parse(text); } catch { /* not JSON */ }
  return { status: r.status, headers: r.headers, text, json, buf };
}

/** Requests the server is handling now, as its /metrics counts them (that request itself included). */
export async function inFlight(srv) {
  const m = /^jianguan_http_requests_in_flight (\d+)$/m.exec((await req(srv.url + '/metrics')).text);
  return m ? Number(m[1]) : -1;
}

/** GET /healthz must answer 200: the server survived whatever came before. */
export async function assertAlive(srv) {
  const r = await req(srv.url + '/healthz');
  assert.equal(r.status, 200, 'server still answers /healthz');
  assert.equal(r.json.status, 'ok');
  assert.equal(srv.child.exitCode, null, 'server process still running');
}

/**
 * Parse the first HTTP/1.x response in a string returned by rawRequest (latin1).
 * Returns null for an empty answer, else { status, headers (lower-case names), body: Buffer, text }.
 */
export function parseRaw(raw) {
  if (!raw) return null;
  const end = raw.indexOf('\r\n\r\n');
  assert.ok(end > 0, 'a complete response head: ' + JSON.stringify(raw.slice(0, 200)));
  const lines = raw.slice(0, end).split('\r\n');
  const m = /^HTTP\/1\.[01] (\d{3})/.exec(lines[0]);
  assert.ok(m, 'a status line: ' + JSON.stringify(lines[0]));
  const headers = {};
  for (const l of lines.slice(1)) {
    const i = l.indexOf(':');
    headers[l.slice(0, i).trim().toLowerCase()] = l.slice(i + 1).trim();
  }
  let body = Buffer.from(raw.slice(end + 4), 'latin1');
  if (headers['content-length'] !== undefined) body = body.subarray(0, Number(headers['content-length']));
  return { status: Number(m[1]), headers, body, text: body.toString('utf8') };
}

/** A plain node:http GET (no automatic decompression, no default Accept-Encoding). */
export function httpGet(url, headers = {}, method = 'GET') {
  return new Promise((ok, fail) => {
    const r = http.request(url, { method, headers, timeout: 10000 }, (res) => {
      const parts = [];
      res.on('data', (d) => parts.push(d));
      res.on('end', () => ok({ status: res.statusCode, headers: res.headers, body: Buffer.concat(parts) }));
      res.on('error', fail);
    });
    r.on('timeout', () => r.destroy(new Error('timeout')));
    r.on('error', fail);
    r.end();
  });
}

/** Run SQL against a database URL (sqlite:PATH or postgresql://...) with the sqlite3 / psql CLI. */
export function dbExec(url, sql) {
  if (url.startsWith('sqlite:')) {
    let path = url.slice(7);
    if (path.startsWith('//')) path = path.slice(2);
    return execFileSync('sqlite3', ['-bail', path, sql], { encoding: 'utf8' });
  }
  return execFileSync('psql', [url, '-qAtX', '-v', 'ON_ERROR_STOP=1', '-c', sql], { encoding: 'utf8' });
}

/** A fresh PostgreSQL database on the cluster at admin (postgresql://user@host:port). */
export function createPgDatabase(admin) {
  const name = 'jgt_' + randomBytes(6).toString('hex');
  execFileSync('psql', [admin + '/postgres', '-qAtXc', `CREATE DATABASE ${name}`]);
  return {
    url: `${admin}/${name}`,
    drop() {
      try { execFileSync('psql', [admin + '/postgres', '-qAtXc', `DROP DATABASE IF EXISTS ${name} WITH (FORCE)`]); } catch { /* best effort */ }
    },
  };
}

/** The environment without any JIANGUAN_* setting except the test ones. */
export function cleanEnv(extra = {}) {
  const env = {};
  for (const [k, v] of Object.entries(process.env)) if (!k.startsWith('JIANGUAN_') || k.startsWith('JIANGUAN_TEST_')) env[k] = v;
  return { ...env, ...extra };
}

/** Run the binary with a time limit (a verb that wrongly starts serving must not hang the suite;
 * START_MS, as seed-demo under ASan on a busy machine takes many seconds). */
export function run(env, args, { cwd = root, timeout = START_MS } = {}) {
  const r = spawnSync(bin, args, { env: cleanEnv(env), cwd, encoding: 'utf8', timeout });
  return { status: r.status, signal: r.signal, stdout: r.stdout, stderr: r.stderr, error: r.error };
}

/**
 * Start `jianguan ARGS` (normally `serve`) and wait for its "listening" line.
 * Returns { port, url, child, stderr(), exited (promise of the exit code), stop() }.
 */
export async function spawnServe(env, args = ['serve'], { cwd = root } = {}) {
  const child = spawn(bin, args, { env: cleanEnv(env), cwd, stdio: ['ignore', 'ignore', 'pipe'] });
  let err = '';
  // 'close', not 'exit': the last lines of stderr may still be in the pipe when the process exits.
  const exited = new Promise((ok) => child.on('close', (code, signal) => ok(code ?? signal)));
  const port = await new Promise((ok, fail) => {
    const timer = setTimeout(() => { child.kill('SIGKILL'); fail(new Error('server did not start: ' + err)); }, START_MS);
    child.stderr.on('data', (d) => {
      err += d;
      const m = /listening on http:\/\/[^:]+:(\d+)/.exec(err);
      if (m) { clearTimeout(timer); ok(Number(m[1])); }
    });
    exited.then((code) => { clearTimeout(timer); fail(new Error(`server exited ${code}: ${err}`)); });
  });
  return {
    port,
    url: `http://127.0.0.1:${port}`,
    child,
    exited,
    stderr: () => err,
    async stop() { if (child.exitCode === null) child.kill('SIGTERM'); return exited; },
  };
}

/** The kernel's ephemeral port range: where it picks a port for a bind to port 0 and for every
 * outgoing connection (ffprobe, fetch, gbsim's RTP, psql...). */
function ephemeralRange() {
  try {
    const [lo, hi] = readFileSync('/proc/sys/net/ipv4/ip_local_port_range', 'utf8').trim().split(/\s+/).map(Number);
    if (lo > 0 && hi >= lo) return [lo, hi];
  } catch { /* not Linux: the usual range */ }
  return [32768, 60999];
}

const tcpFree = (p) => new Promise((ok) => {
  const s = net.createServer();
  s.once('error', () => ok(false));
  s.listen(p, '127.0.0.1', () => s.close(() => ok(true)));
});
const udpFree = (p) => new Promise((ok) => {
  const s = dgram.createSocket('udp4');
  s.once('error', () => { try { s.close(); } catch { /* never bound */ } ok(false); });
  s.bind(p, '127.0.0.1', () => s.close(() => ok(true)));
});

/**
 * A loopback port for a process the test starts with it in its settings (a port it cannot learn
 * from the process itself): free for TCP at port..port+extra, and for UDP at port too when udp is
 * set (SIP listens on both). It is drawn at random from below (or else above) the kernel's
 * ephemeral range, so that no port-0 bind and no outgoing connection of any process on the machine
 * takes it between this check and its user's bind, however long that is (a server seeded first,
 * a machine under load): only another test drawing the same number could.
 */
export async function freePort({ udp = false, extra = 0 } = {}) {
  const [lo, hi] = ephemeralRange();
  const ranges = [[10000, lo - 1], [hi + 1, 65535 - extra]].filter(([a, b]) => b - a >= 1000);
  for (let tries = 0; ranges.length && tries < 200; tries++) {
    const [a, b] = ranges[tries % ranges.length];
    const p = randomInt(a, b - extra + 1);
    let free = !udp || await udpFree(p);
    for (let k = 0; free && k <= extra; k++) free = await tcpFree(p + k);
    if (free) return p;
  }
  throw new Error(`no free port outside the ephemeral range ${lo}-${hi}`);
}

/** Poll fn until it returns a truthy value or timeoutMs passes; returns the last value. */
export async function waitFor(fn, timeoutMs = 5000, intervalMs = 50) {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn();
    if (v || Date.now() >= until) return v;
    await new Promise((r) => setTimeout(r, intervalMs));
  }
}

export const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/** Poll fn (sync or async) until it returns true; fail after ms, or at once when proc (a process the
 * condition depends on, such as `jianguan video`) exits, with log() (its stderr and whatever helps)
 * in the message. What fn returns otherwise is shown as the last value. */
export async function until(what, fn, { ms = 20000, proc = null, log = () => '' } = {}) {
  const end = Date.now() + ms;
  let last;
  while (Date.now() < end) {
    if (proc && (proc.exitCode !== null || proc.signalCode !== null))
      assert.fail(`${proc.spawnargs.join(' ')} exited (${proc.exitCode ?? proc.signalCode}) while waiting for ${what}\n${log().slice(-3000)}`);
    last = await fn();
    if (last === true) return;
    await sleep(150);
  }
  assert.fail(`timed out waiting for ${what} (last: ${JSON.stringify(last)})\n${log().slice(-5000)}`);
}

/** The exit code (or signal) of child once it has exited AND its stdout and stderr were read to the
 * end: a log line written just before the exit may reach us after the 'exit' event. Safe to call
 * after the process ended. */
export async function exitOf(child) {
  const pipes = [child.stdout, child.stderr].filter((s) => s && !s.closed);
  await Promise.all([
    child.exitCode !== null || child.signalCode !== null ? null : new Promise((ok) => child.once('exit', ok)),
    ...pipes.map((s) => new Promise((ok) => s.once('close', ok))),
  ]);
  return child.exitCode ?? child.signalCode;
}

/** Open a TCP connection; resolves with the socket once connected, rejects with the error (e.g. ECONNREFUSED). */
export function connect(port, timeoutMs = 2000) {
  return new Promise((ok, fail) => {
    const s = net.connect(port, '127.0.0.1');
    const timer = setTimeout(() => { s.destroy(); fail(Object.assign(new Error('connect timeout'), { code: 'TIMEOUT' })); }, timeoutMs);
    s.once('connect', () => { clearTimeout(timer); ok(s); });
    s.once('error', (e) => { clearTimeout(timer); fail(e); });
  });
}

/** Collect everything a socket receives until it closes or timeoutMs passes (latin1 string). */
export function collect(sock, timeoutMs = 5000) {
  return new Promise((ok) => {
    let got = Buffer.alloc(0);
    const done = () => { clearTimeout(timer); ok(got.toString('latin1')); };
    const timer = setTimeout(() => { sock.destroy(); ok(got.toString('latin1')); }, timeoutMs);
    sock.on('data', (d) => { got = Buffer.concat([got, d]); });
    sock.on('close', done);
    sock.on('error', () => { /* close follows */ });
  });
}

export { join };
