// Graceful shutdown: requests in flight finish, new connections are not taken, exit status 0.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { startServer } from './lib/harness.mjs';
import { connect, collect, inFlight, parseRaw, req, until } from './lib/checks.mjs';

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

/** Wait until the server took the partial request on sock (its headers read: it is in flight). */
const untilInFlight = (srv) => until('the partial request in flight', async () => await inFlight(srv) >= 2, { log: srv.stderr });

/** SIGTERM (or sig), then wait until the server logged that it stopped taking new connections. */
async function signalled(srv, sig = 'SIGTERM') {
  srv.child.kill(sig);
  await until('the signal in the log', () => /signal \d+: no new connections, finishing requests in flight/.test(srv.stderr()), { log: srv.stderr });
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
  await untilInFlight(srv);
  await signalled(srv);
  assert.equal(srv.child.exitCode, null, 'still running while a request is in flight');
  sock.write(BODY.slice(half));
  const a = parseRaw(await answer);
  assert.ok(a, 'an answer');
  assert.equal(a.status, 200);
  assert.deepEqual(JSON.parse(a.text), expected.json, 'the complete answer');
  // (a hang guard, not a measure: the exit is only awaited, and ASan's leak check takes its time)
  assert.equal(await exitWithin(srv, 30000), 0, 'exit status 0 once the request is done');
  await srv.exited; // its stderr read to the end
  assert.match(srv.stderr(), /stopped/);
  assert.doesNotMatch(srv.stderr(), /still running after/, 'the request finished within the grace period');
});

test('after SIGTERM, new connections are refused', async (t) => {
  const srv = await startServer({ seed: false, env: { JIANGUAN_SHUTDOWN_GRACE_S: '1' } });
  t.after(() => srv.stop());
  // A request that never completes keeps the server in its grace period.
  const sock = await connect(srv.port);
  sock.on('error', () => {});
  sock.write(head(100) + '{"size":');
  await untilInFlight(srv);
  assert.equal((await req(srv.url + '/healthz')).status, 200);
  await signalled(srv);
  assert.equal(srv.child.exitCode, null, 'still draining');
  const got = await tryNewConnection(srv.port);
  assert.equal(got, 'refused', 'a new connection during the grace period');
  // The unfinished request does not hold the server past shutdown_grace_s: it says so and exits 0.
  assert.equal(await exitWithin(srv, 30000), 0);
  await srv.exited;
  assert.match(srv.stderr(), /1 requests still running after 1 s; stopping anyway/);
  sock.destroy();
  assert.equal(await tryNewConnection(srv.port), 'refused', 'and after exit');
});

test('idle keep-alive connections do not delay shutdown; SIGINT is graceful too', async (t) => {
  // A grace period far longer than the wait below: were the idle connections waited for, the
  // server would still be running when exitWithin gives up.
  const srv = await startServer({ seed: false, env: { JIANGUAN_SHUTDOWN_GRACE_S: '300' } });
  t.after(() => srv.stop());
  const socks = [];
  const answered = [];
  for (let i = 0; i < 5; i++) {
    const s = await connect(srv.port);
    s.on('error', () => {});
    let got = '';
    answered.push(new Promise((ok) => s.on('data', (d) => { got += d; if (/\r\n\r\n[\s\S]*"status"/.test(got)) ok(got); })));
    s.write('GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n'); // keep-alive: stays open after the answer
    socks.push(s);
  }
  // Every connection got its answer and is now idle (no request in flight).
  for (const a of await Promise.all(answered)) assert.match(a, /^HTTP\/1\.1 200 /);
  await signalled(srv, 'SIGINT');
  assert.equal(await exitWithin(srv, 60000), 0, 'exited without waiting out the grace period');
  await srv.exited;
  assert.doesNotMatch(srv.stderr(), /still running after/);
  assert.match(srv.stderr(), /stopped/);
  for (const s of socks) s.destroy();
});
