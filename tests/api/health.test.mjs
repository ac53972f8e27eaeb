// /healthz, /metrics and the OpenAPI document.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { startServer, dbKind } from './lib/harness.mjs';
import { waitFor, req } from './lib/checks.mjs';

let srv;
before(async () => { srv = await startServer(); });
after(async () => { assert.equal(await srv.stop(), 0, 'server exits cleanly on SIGTERM'); });

test('healthz reports the database and schema', async () => {
  const r = await fetch(srv.url + '/healthz');
  assert.equal(r.status, 200);
  const body = await r.json();
  assert.equal(body.status, 'ok');
  assert.equal(body.database, dbKind);
  assert.ok(body.schema_version >= 1);
});

test('metrics count requests by route and status', async () => {
  await fetch(srv.url + '/api/v1/public/projects/1');
  await fetch(srv.url + '/api/v1/public/projects/0');
  const text = await (await fetch(srv.url + '/metrics')).text();
  assert.match(text, /jianguan_http_requests_total\{route="\/api\/v1\/public\/projects\/\{id\}",method="GET",status="200"\} [1-9]/);
  assert.match(text, /jianguan_http_requests_total\{route="\/api\/v1\/public\/projects\/\{id\}",method="GET",status="404"\} [1-9]/);
  assert.match(text, /jianguan_http_request_duration_seconds_bucket\{le="\+Inf"\} \d+/);
  assert.match(text, /jianguan_db_pool_connections\{state="in_use"\} \d+/);
  assert.match(text, new RegExp(`jianguan_build_info\\{version="[^"]+",commit="[^"]+",database="${dbKind}"\\} 1`));
});

test('the OpenAPI document lists the registered routes', async () => {
  const r = await fetch(srv.url + '/api/v1/openapi.json');
  assert.equal(r.status, 200);
  const doc = await r.json();
  assert.equal(doc.openapi, '3.0.3');
  assert.ok(doc.paths['/api/v1/public/projects/{id}'].get);
  assert.equal(doc.paths['/api/v1/public/projects/{id}'].get.parameters[0].name, 'id');
  assert.ok(doc.paths['/healthz'].get);
});

test('the access log has one JSON line per request', async () => {
  const lines = () => readFileSync(srv.env.JIANGUAN_ACCESS_LOG, 'utf8').split('\n').filter(Boolean);
  // Lines are written when answers complete, which can be after the client has read them: wait
  // for a marker request's line so no earlier request's line lands inside the window.
  const marker = `/api/v1/marker-${Date.now()}`;
  await req(srv.url + marker);
  assert.ok(await waitFor(() => lines().some((l) => l.includes(marker)), 20000), 'marker line written');
  const start = lines().length;
  const made = [];
  for (const [method, path, body] of [['GET', '/healthz'], ['GET', '/api/v1/public/projects/1'], ['GET', '/api/v1/public/projects/999999'],
    ['POST', '/api/v1/public/projects/query', '{"size":2}'], ['POST', '/healthz'], ['GET', '/api/v1/nope'], ['HEAD', '/'],
    ['GET', '/api/v1/%22quoted%22%5Cback%0Aslash'], ['GET', '/路径/中文']]) {
    const r = await req(srv.url + path, { method, body, headers: body ? { 'content-type': 'application/json' } : {} });
    made.push({ method, status: r.status, bytes: method === 'HEAD' ? null : r.buf.length });
  }
  assert.ok(await waitFor(() => lines().length >= start + made.length, 20000), 'a line for every request');
  const got = lines().slice(start).map((l) => JSON.parse(l));
  assert.equal(got.length, made.length, 'one line per request, no more');
  for (const [i, line] of got.entries()) {
    for (const k of ['method', 'path', 'status', 'bytes', 'us', 'user']) assert.ok(k in line, `line ${i} has ${k}`);
    assert.equal(typeof line.method, 'string');
    assert.equal(typeof line.path, 'string');
    assert.ok(line.path.startsWith('/'));
    assert.ok(Number.isInteger(line.status));
    assert.ok(Number.isInteger(line.bytes) && line.bytes >= 0);
    assert.ok(Number.isInteger(line.us) && line.us >= 0);
    assert.ok(line.user === null || typeof line.user === 'string');
  }
  // Lines are written as answers complete; match them to the requests regardless of order.
  const key = (x) => `${x.method} ${x.status}`;
  assert.deepEqual(got.map(key).sort(), made.map(key).sort());
  for (const m of made.filter((x) => x.bytes !== null)) {
    assert.ok(got.some((l) => l.method === m.method && l.status === m.status && l.bytes === m.bytes), `bytes of ${m.method} ${m.status}: ${m.bytes}`);
  }
  assert.ok(got.some((l) => l.path === '/api/v1/public/projects/999999' && l.status === 404));
  assert.ok(got.some((l) => l.path === '/api/v1/"quoted"\\back\nslash'), 'quotes, backslashes and newlines survive as JSON');
  assert.ok(got.some((l) => l.path === '/路径/中文'), 'UTF-8 paths are kept as they are');
});
