// Graceful shutdown: requests in flight finish, new connections are not taken, exit status 0.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { startServer } from './lib/harness.mjs';
import { connect, collect, parseRaw, sleep, req } from './lib/checks.mjs';

const QUERY = '/api/v1/public/projects/query';
const BODY = JSON.stringify({ status: ['under_construction', 'completed'], sort: 'id', size: 5 });
const head = (len) => `POST ${QUERY} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: ${len}\r\n\r\n`;

/** Exit code (or signal name) of the server's process, or 'running' after ms. */
function exitWithin(srv, ms) {
  return new Promise((ok) => {
    if (srv.child.exitCode !== null || srv.child.signalCode !== null) return ok(srv.child.exitCode ?? srv.child.signalCode);
    const timer = setTimeout(() => ok('running'), ms);
    srv.child.once('exit', (c, s) => { clearTimeout(timer); ok(c ?? s); });
  });
}

/** What a new connection attempt gets: 'refused', or what it read before closing / timing out. */
async function tryNewConnection(port) {
  let s;
  try {
    s = await connect(port, 1000);
  } catch (e) {
    return e.code === 'ECONNREFUSED' ? 'refused' : e.code;
  }
  s.write('GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n');
  const got = await collect(s, 500);
  return got ? got.split('\r\n')[0] : 'accepted, no answer';
}

test('a request in flight at SIGTERM completes with 200, then the server exits 0', async (t) => {
  const srv = await startServer({ projects: 20 });
  t.after(() => srv.stop());
  const expected = await req(srv.url + QUERY, { method: 'POST', headers: { 'content-type': 'application/json' }, body: BODY });
  assert.equal(expected.status, 200);
  const sock = await connect(srv.port);
  const answer = collect(sock, 8000);
  const half = Math.floor(BODY.length / 2);
  sock.write(head(Buffer.byteLength(BODY)) + BODY.slice(0, half));
  await sleep(100);
  srv.child.kill('SIGTERM');
  await sleep(300);
  assert.equal(srv.child.exitCode, null, 'still running while a request is in flight');
  sock.write(BODY.slice(half));
  const a = parseRaw(await answer);
  assert.ok(a, 'an answer');
  assert.equal(a.status, 200);
  assert.deepEqual(JSON.parse(a.text), expected.json, 'the complete answer');
  assert.equal(await exitWithin(srv, 5000), 0, 'exit status 0 once the request is done');
  assert.match(srv.stderr(), /stopped/);
});

test('after SIGTERM, new connections are refused', async (t) => {
  const srv = await startServer({ seed: false, env: { JIANGUAN_SHUTDOWN_GRACE_S: '1' } });
  t.after(() => srv.stop());
  // A request that never completes keeps the server in its grace period.
  const sock = await connect(srv.port);
  sock.on('error', () => {});
  sock.write(head(100) + '{"size":');
  await sleep(100);
  assert.equal((await req(srv.url + '/healthz')).status, 200);
  srv.child.kill('SIGTERM');
  await sleep(200);
  assert.equal(srv.child.exitCode, null, 'still draining');
  const got = await tryNewConnection(srv.port);
  assert.equal(got, 'refused', 'a new connection during the grace period');
  // The unfinished request does not hold the server past shutdown_grace_s.
  assert.equal(await exitWithin(srv, 5000), 0);
  sock.destroy();
  assert.equal(await tryNewConnection(srv.port), 'refused', 'and after exit');
});

test('idle keep-alive connections do not delay shutdown; SIGINT is graceful too', async (t) => {
  const srv = await startServer({ seed: false });
  t.after(() => srv.stop());
  const socks = [];
  for (let i = 0; i < 5; i++) {
    const s = await connect(srv.port);
    s.on('error', () => {});
    s.write('GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n'); // keep-alive: stays open after the answer
    socks.push(s);
  }
  await sleep(200);
  const t0 = Date.now();
  srv.child.kill('SIGINT');
  assert.equal(await exitWithin(srv, 5000), 0);
  assert.ok(Date.now() - t0 < 2000, `exited in ${Date.now() - t0} ms`);
  for (const s of socks) s.destroy();
});
