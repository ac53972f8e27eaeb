// Helpers shared by the API tests (beside harness.mjs, which starts the server).
import assert from 'node:assert/strict';
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import http from 'node:http';
import net from 'node:net';
import { join } from 'node:path';
import { bin, root } from './harness.mjs';

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

/** Run the binary with a time limit (a verb that wrongly starts serving must not hang the suite). */
export function run(env, args, { cwd = root, timeout = 10000 } = {}) {
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
  const exited = new Promise((ok) => child.on('exit', (code, signal) => ok(code ?? signal)));
  const port = await new Promise((ok, fail) => {
    const timer = setTimeout(() => { child.kill('SIGKILL'); fail(new Error('server did not start: ' + err)); }, 10000);
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

/** A TCP port that was free a moment ago. */
export function freePort() {
  return new Promise((ok, fail) => {
    const s = net.createServer();
    s.on('error', fail);
    s.listen(0, '127.0.0.1', () => { const { port } = s.address(); s.close(() => ok(port)); });
  });
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
