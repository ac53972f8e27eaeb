// Test harness: a real `jianguan serve` on a loopback port with a fresh database.
//
// Environment (set by scripts/test.sh):
//   JIANGUAN_TEST_BIN  path of the jianguan binary (default build/jianguan)
//   JIANGUAN_TEST_DB   sqlite | postgresql (default sqlite)
//   JIANGUAN_TEST_PG   admin URL of the test cluster, e.g. postgresql://postgres@127.0.0.1:55432
import { spawn, execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, mkdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { randomBytes } from 'node:crypto';
import net from 'node:net';

export const root = resolve(dirname(fileURLToPath(import.meta.url)), '../../..');
export const bin = process.env.JIANGUAN_TEST_BIN || join(root, 'build/jianguan');
export const dbKind = process.env.JIANGUAN_TEST_DB || 'sqlite';
/** How long a process may take to start listening (or a verb to run) before the test gives up: a
 * guard against hangs, not a measure. Generous: the ASan build on a loaded 2-core CI machine starts
 * far slower than a release build on a quiet one, and a wait on the real event costs nothing more. */
export const START_MS = 60000;

/** Create an empty database; returns { url, drop() }. */
export function freshDatabase(dir) {
  if (dbKind === 'sqlite') {
    return { url: `sqlite:${join(dir, 'jianguan.db')}`, drop() {} };
  }
  const admin = process.env.JIANGUAN_TEST_PG;
  if (!admin) throw new Error('JIANGUAN_TEST_PG is not set');
  const name = 'jg_' + randomBytes(6).toString('hex');
  execFileSync('psql', [admin + '/postgres', '-qAtc', `CREATE DATABASE ${name}`]);
  return {
    url: `${admin}/${name}`,
    drop() {
      try { execFileSync('psql', [admin + '/postgres', '-qAtc', `DROP DATABASE IF EXISTS ${name} WITH (FORCE)`]); } catch { /* best effort */ }
    },
  };
}

/** Run a jianguan verb synchronously; returns { status, stdout, stderr }. */
export function runVerb(env, ...args) {
  try {
    const stdout = execFileSync(bin, args, { env: { ...process.env, ...env }, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
    return { status: 0, stdout, stderr: '' };
  } catch (e) {
    return { status: e.status, stdout: String(e.stdout || ''), stderr: String(e.stderr || '') };
  }
}

/**
 * Start a server over a fresh, migrated and seeded database.
 * options: { projects: N (seed size, default 60), env: {...extra JIANGUAN_* }, webDir, seed: bool }
 * Returns { url, port, env, dir, db, stop() -> exit code, stderr() }.
 */
export async function startServer(options = {}) {
  const dir = mkdtempSync(join(tmpdir(), 'jianguan-test-'));
  const db = freshDatabase(dir);
  let webDir = options.webDir;
  if (!webDir) {
    webDir = join(dir, 'web');
    mkdirSync(join(webDir, 'assets'), { recursive: true });
    writeFileSync(join(webDir, 'index.html'), '<!doctype html><title>建管</title><p>首页</p>');
  }
  const env = {
    JIANGUAN_DATABASE: db.url,
    JIANGUAN_DATA_DIR: join(dir, 'data'),
    JIANGUAN_WEB_DIR: webDir,
    JIANGUAN_LISTEN: '127.0.0.1:0',
    JIANGUAN_ACCESS_LOG: join(dir, 'access.log'),
    JIANGUAN_THREADS: '4',
    JIANGUAN_DB_POOL_SIZE: '4',
    ...(options.env || {}),
  };
  let r = runVerb(env, 'migrate');
  if (r.status !== 0) throw new Error('migrate failed: ' + r.stderr);
  if (options.seed !== false) {
    r = runVerb(env, 'seed-demo', '--projects', String(options.projects ?? 60));
    if (r.status !== 0) throw new Error('seed-demo failed: ' + r.stderr);
  }
  const child = spawn(bin, ['serve'], { env: { ...process.env, ...env }, stdio: ['ignore', 'ignore', 'pipe'] });
  let err = '';
  const port = await new Promise((ok, fail) => {
    const timer = setTimeout(() => fail(new Error('server did not start: ' + err)), START_MS);
    child.stderr.on('data', (d) => {
      err += d;
      const m = /listening on http:\/\/[^:]+:(\d+)/.exec(err);
      if (m) { clearTimeout(timer); ok(Number(m[1])); }
    });
    child.on('exit', (code) => { clearTimeout(timer); fail(new Error(`server exited ${code}: ${err}`)); });
  });
  child.removeAllListeners('exit');
  // 'close', not 'exit': the last lines of stderr may still be in the pipe when the process exits.
  const exited = new Promise((ok) => child.on('close', (code, signal) => ok(code ?? signal)));
  return {
    url: `http://127.0.0.1:${port}`,
    port,
    env,
    dir,
    db,
    child,
    stderr: () => err,
    exited,
    /** SIGTERM, wait for exit, clean up; returns the exit code (0 expected, also under ASan). */
    async stop() {
      child.kill('SIGTERM');
      const code = await exited;
      db.drop();
      rmSync(dir, { recursive: true, force: true });
      return code;
    },
  };
}

/** Send raw bytes over TCP and collect what comes back until the server closes or timeoutMs passes
 * (a guard for a request the server does not end: with Connection: close it ends with the answer,
 * which a busy machine under ASan may take seconds to give). */
export function rawRequest(port, data, { timeoutMs = 30000, endAfterWrite = false } = {}) {
  return new Promise((ok, fail) => {
    const sock = net.connect(port, '127.0.0.1');
    let got = Buffer.alloc(0);
    const timer = setTimeout(() => { sock.destroy(); ok(got.toString('latin1')); }, timeoutMs);
    sock.on('data', (d) => { got = Buffer.concat([got, d]); });
    sock.on('end', () => { clearTimeout(timer); ok(got.toString('latin1')); });
    sock.on('close', () => { clearTimeout(timer); ok(got.toString('latin1')); });
    sock.on('error', (e) => { clearTimeout(timer); if (got.length) ok(got.toString('latin1')); else fail(e); });
    sock.write(data, () => { if (endAfterWrite) sock.end(); });
  });
}
