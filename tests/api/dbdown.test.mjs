// PostgreSQL goes away and comes back: 503 "unavailable" meanwhile, no crash, reconnection after.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { readFileSync, readdirSync, rmSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startServer, dbKind, root } from './lib/harness.mjs';
import { assertError, req, createPgDatabase, freePort, waitFor, dbExec, CJK } from './lib/checks.mjs';

const skip = dbKind === 'postgresql' ? false : 'needs JIANGUAN_TEST_DB=postgresql (a private PostgreSQL cluster is stopped and restarted)';
const script = join(root, 'scripts/pg-cluster.sh');
const PROJECTS = 15;
let dir, port, db, srv, listBefore;

function bindir() {
  const versions = readdirSync('/usr/lib/postgresql').filter((v) => /^\d+$/.test(v)).sort((a, b) => a - b);
  return `/usr/lib/postgresql/${versions.at(-1)}/bin`;
}
/** pg_ctl as the cluster's owner (initdb refuses root, so as root the cluster belongs to postgres). */
function pgCtl(...args) {
  const cmd = [join(bindir(), 'pg_ctl'), '-D', join(dir, 'data'), ...args];
  if (process.getuid() === 0) execFileSync('runuser', ['-u', 'postgres', '--', ...cmd], { stdio: 'ignore' });
  else execFileSync(cmd[0], cmd.slice(1), { stdio: 'ignore' });
}
/** The server options scripts/pg-cluster.sh starts the cluster with, for this port and directory. */
function serverOptions() {
  const m = /-o "([^"]*\$port[^"]*)"/.exec(readFileSync(script, 'utf8'));
  const opts = m ? m[1] : '-p $port -k $dir -c listen_addresses=127.0.0.1 -c fsync=off';
  return opts.replaceAll('$port', String(port)).replaceAll('$dir', dir);
}
const stopCluster = () => pgCtl('-m', 'fast', '-w', 'stop');
const startCluster = () => pgCtl('-l', join(dir, 'server.log'), '-w', '-t', '60', '-o', serverOptions(), 'start');

before(async () => {
  if (skip) return;
  dir = join(tmpdir(), 'jianguan-pgdown-' + randomBytes(4).toString('hex'));
  port = await freePort();
  execFileSync(script, ['start', dir, String(port)], { stdio: 'ignore' });
  db = createPgDatabase(`postgresql://postgres@127.0.0.1:${port}`);
  srv = await startServer({ seed: false, env: { JIANGUAN_DATABASE: db.url } });
  // A few projects, without seed-demo (its password hashing is slow under the sanitizers).
  const rows = Array.from({ length: PROJECTS }, (_, i) => `('T${i}', '项目${i}', '350102', 'under_construction', '2024-01-${String(i + 1).padStart(2, '0')}', 'x', 'x')`);
  dbExec(db.url, `INSERT INTO project (code, name, org_code, status, registered_on, created_at, updated_at) VALUES ${rows.join(', ')}`);
});
after(async () => {
  if (skip) return;
  try {
    if (srv) assert.equal(await srv.stop(), 0, 'the server exits cleanly after the outage');
  } finally {
    try { execFileSync(script, ['stop', dir], { stdio: 'ignore' }); } catch { rmSync(dir, { recursive: true, force: true }); }
  }
});

test('with the database up, all is well', { skip }, async () => {
  const h = await req(srv.url + '/healthz');
  assert.equal(h.status, 200);
  assert.equal(h.json.database, 'postgresql');
  const l = await req(srv.url + '/api/v1/public/projects?sort=id&size=50');
  assert.equal(l.status, 200);
  assert.equal(l.json.items.length, PROJECTS);
  listBefore = l.json;
});

test('with the database down: 503 "unavailable" in Chinese, and the server stays up', { skip }, async () => {
  stopCluster();
  const h = await req(srv.url + '/healthz');
  assert.equal(h.status, 503);
  assert.equal(h.json.status, 'unavailable');
  assert.equal(h.json.database, 'postgresql');
  assert.equal(h.json.error.code, 'unavailable');
  assert.match(h.json.error.message, CJK);
  const t0 = Date.now();
  const answers = await Promise.all([
    ...Array.from({ length: 10 }, () => req(srv.url + '/api/v1/public/projects')),
    ...Array.from({ length: 5 }, (_, i) => req(srv.url + `/api/v1/public/projects/${i + 1}`)),
    ...Array.from({ length: 5 }, () => req(srv.url + '/api/v1/public/projects/query', { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"size":3}' })),
  ]);
  for (const r of answers) {
    assert.equal(r.status, 503, r.text);
    assert.match(r.headers.get('content-type'), /^application\/json/);
    assertError(r.json, 'unavailable');
  }
  assert.ok(Date.now() - t0 < 5000, `503s come quickly (${Date.now() - t0} ms)`);
  // What does not need the database still works.
  assert.equal((await req(srv.url + '/metrics')).status, 200);
  assert.equal((await req(srv.url + '/api/v1/openapi.json')).status, 200);
  assert.equal((await req(srv.url + '/')).status, 200);
  assert.equal((await req(srv.url + '/api/v1/public/projects?size=0')).status, 400, 'validation still answers 400 first');
  assert.equal(srv.child.exitCode, null, 'no crash');
});

test('with the database back, /healthz is 200 again within a few seconds', { skip }, async () => {
  startCluster();
  // (room for a busy machine under ASan: the pool reconnects at the next request)
  const ok = await waitFor(async () => (await req(srv.url + '/healthz')).status === 200, 20000, 100);
  assert.ok(ok, 'reconnected');
  // every pooled connection comes back: several requests at once, all 200 and as before
  const all = await Promise.all(Array.from({ length: 8 }, () => req(srv.url + '/api/v1/public/projects?sort=id&size=50')));
  for (const r of all) {
    assert.equal(r.status, 200, r.text);
    assert.deepEqual(r.json, listBefore);
  }
  const p = await req(srv.url + '/api/v1/public/projects/query', { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"sort":"id","size":50}' });
  assert.deepEqual(p.json, listBefore);
});
