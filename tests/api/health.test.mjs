// /healthz, /metrics and the OpenAPI document.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startServer, dbKind } from './lib/harness.mjs';

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
