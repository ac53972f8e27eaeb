// Bad input of every kind: the answer is a 4xx in the error format, and the server stays up.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startServer, rawRequest } from './lib/harness.mjs';
import { assertError, assertAlive, req, parseRaw, connect, inFlight, until } from './lib/checks.mjs';

const MAX_BODY = 4096;
const QUERY = '/api/v1/public/projects/query';
let srv;
before(async () => { srv = await startServer({ projects: 12, env: { JIANGUAN_MAX_BODY_BYTES: String(MAX_BODY) } }); });
after(async () => { assert.equal(await srv.stop(), 0, 'server exits cleanly on SIGTERM'); });

// type null: no Content-Type at all (fetch adds text/plain to a string body, nothing to bytes).
const post = (body, type = 'application/json', path = QUERY) =>
  req(srv.url + path, type === null
    ? { method: 'POST', body: Buffer.from(body) }
    : { method: 'POST', headers: { 'content-type': type }, body });

/** Raw HTTP with Connection: close, so the answer ends with the connection. */
const raw = (text, opts) => rawRequest(srv.port, text, opts);
const postHead = (extra) =>
  `POST ${QUERY} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nConnection: close\r\n${extra}\r\n`;

function nested(depth, inner = '1') {
  let s = inner;
  for (let i = 0; i < depth; i++) s = `{"a":${s}}`;
  return s;
}

test('malformed JSON is 400 "invalid" with a Chinese message', async () => {
  for (const body of ['{bad', '{"size":1,}', '{"size":1} x', '[1,2', 'nul', '{"size":1,"size":2}', '"\\ud800"', '{"keyword":"\\x"}', '   ']) {
    const r = await post(body);
    assert.equal(r.status, 400, `body ${JSON.stringify(body)}`);
    const e = assertError(r.text, 'invalid');
    assert.equal(e.fields, undefined, 'a parse error names no field');
    assert.match(r.headers.get('content-type'), /^application\/json/);
    await assertAlive(srv);
  }
});

test('a body that is not valid UTF-8 is 400', async () => {
  const bodies = [
    Buffer.from([0x7b, 0xff, 0x7d]), // a stray byte
    Buffer.concat([Buffer.from('{"keyword":"'), Buffer.from([0xc0, 0xaf]), Buffer.from('"}')]), // overlong '/'
    Buffer.concat([Buffer.from('{"keyword":"'), Buffer.from([0xed, 0xa0, 0x80]), Buffer.from('"}')]), // a surrogate
    Buffer.concat([Buffer.from('{"keyword":"'), Buffer.from([0xe5, 0x8c]), Buffer.from('"}')]), // cut short
    Buffer.concat([Buffer.from('{"keyword":"a'), Buffer.from([0x00]), Buffer.from('"}')]), // a NUL byte
  ];
  for (const body of bodies) {
    const r = await post(body);
    assert.equal(r.status, 400, `body ${body.toString('hex')}`);
    assertError(r.text, 'invalid');
    await assertAlive(srv);
  }
});

test('an empty body is 400', async () => {
  const r = await post('');
  assert.equal(r.status, 400);
  assertError(r.text, 'invalid');
  await assertAlive(srv);
});

test('JSON nested deeper than max_json_depth (32) is 400 before parsing', async () => {
  for (const body of [nested(33), '['.repeat(33) + ']'.repeat(33), '['.repeat(2000) + ']'.repeat(2000), '{"a":' + '['.repeat(40)]) {
    const r = await post(body);
    assert.equal(r.status, 400);
    const e = assertError(r.text, 'invalid');
    assert.equal(e.fields, undefined);
    assert.match(e.message, /嵌套|层级/, 'the message says the nesting is too deep');
    await assertAlive(srv);
  }
});

test('JSON nested 30 and 32 deep is parsed (then fails validation, not parsing)', async () => {
  for (const depth of [30, 32]) {
    let r = await post(nested(depth));
    assert.equal(r.status, 400);
    let e = assertError(r.text, 'invalid');
    assert.deepEqual(Object.keys(e.fields), ['a'], 'the unknown key "a" is named: the body was parsed');
    r = await post('['.repeat(depth) + ']'.repeat(depth));
    assert.equal(r.status, 400);
    e = assertError(r.text, 'invalid');
    assert.ok(e.fields.body, 'a non-object body is named as "body"');
  }
  await assertAlive(srv);
});

test('brackets inside JSON strings do not count as nesting', async () => {
  for (const keyword of ['['.repeat(40), '\\"' + '{'.repeat(40), '\\\\' + '['.repeat(40)]) {
    const r = await post(`{"keyword":"${keyword}"}`);
    assert.equal(r.status, 200, `keyword ${keyword}: ${r.text}`);
    assert.deepEqual(r.json.items, []);
  }
});

test('a JSON endpoint with another Content-Type is 415', async () => {
  for (const type of ['text/plain', 'application/x-www-form-urlencoded', 'application/jsonx', 'application/json-seq', null]) {
    const r = await post('{}', type);
    assert.equal(r.status, 415, `Content-Type ${type}`);
    assertError(r.text, 'unsupported_media_type');
  }
  for (const type of ['application/json; charset=utf-8', 'Application/JSON']) {
    const r = await post('{"size":1}', type);
    assert.equal(r.status, 200, `Content-Type ${type}`);
    assert.equal(r.json.items.length, 1);
  }
  await assertAlive(srv);
});

test('an unknown /api/ path is a 404 in JSON', async () => {
  for (const path of ['/api/v1/nope', '/api', '/api/', '/api/v2/public/projects', '/api/v1/public/projects/1/extra', '/api/v1/public//projects']) {
    const r = await req(srv.url + path);
    assert.equal(r.status, 404, path);
    assert.match(r.headers.get('content-type'), /^application\/json/);
    assertError(r.text, 'not_found');
    assert.equal(r.headers.get('cache-control'), 'no-store');
  }
  await assertAlive(srv);
});

test('a known path with another method is 405 with an Allow header', async () => {
  for (const [method, path, allow] of [['POST', '/healthz', 'GET'], ['DELETE', '/api/v1/public/projects/1', 'GET'],
    ['PUT', '/metrics', 'GET'], ['PATCH', '/api/v1/public/projects', 'GET']]) {
    const r = await req(srv.url + path, { method, headers: { 'content-type': 'application/json' }, body: method === 'DELETE' ? undefined : '{}' });
    assert.equal(r.status, 405, `${method} ${path}`);
    assert.equal(r.headers.get('allow'), allow);
    assertError(r.text, 'method_not_allowed');
  }
  await assertAlive(srv);
});

test('a body over max_body_bytes by Content-Length is 413', async () => {
  let r = await post('{"size":1}' + ' '.repeat(MAX_BODY - 10)); // exactly the limit
  assert.equal(r.status, 200, 'a body of exactly max_body_bytes is accepted');
  r = await post('{"size":1}' + ' '.repeat(MAX_BODY - 9));
  assert.equal(r.status, 413);
  assertError(r.text, 'too_large');
  // Announced but never sent: the answer comes from the headers alone.
  const a = parseRaw(await raw(postHead('Content-Length: 100000000\r\n')));
  assert.equal(a.status, 413);
  assertError(a.text, 'too_large');
  await assertAlive(srv);
});

test('a chunked body over max_body_bytes is 413', async () => {
  const small = '{"size":2}';
  let a = parseRaw(await raw(postHead('Transfer-Encoding: chunked\r\n') + `${small.length.toString(16)}\r\n${small}\r\n0\r\n\r\n`));
  assert.equal(a.status, 200, 'a small chunked body is read');
  assert.equal(JSON.parse(a.text).items.length, 2);
  for (const chunks of [[MAX_BODY + 1], [MAX_BODY, MAX_BODY], Array(20).fill(300)]) {
    const body = chunks.map((n) => `${n.toString(16)}\r\n${' '.repeat(n)}\r\n`).join('') + '0\r\n\r\n';
    const got = await raw(postHead('Transfer-Encoding: chunked\r\n') + body);
    a = parseRaw(got);
    assert.ok(a, `an answer for chunks ${chunks.slice(0, 2)}…, not a dropped connection`);
    assert.equal(a.status, 413);
    assertError(a.text, 'too_large');
    await assertAlive(srv);
  }
});

test('request headers over max_header_bytes are 431 in JSON', async () => {
  const a = parseRaw(await raw(`GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\nX-Big: ${'a'.repeat(20000)}\r\n\r\n`));
  assert.equal(a.status, 431);
  assertError(a.text, 'header_too_large');
  // Many headers adding up over the limit.
  const many = Array.from({ length: 40 }, (_, i) => `X-H${i}: ${'b'.repeat(500)}\r\n`).join('');
  const b = parseRaw(await raw(`GET /api/v1/public/projects HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n${many}\r\n`));
  assert.equal(b.status, 431);
  assertError(b.text, 'header_too_large');
  await assertAlive(srv);
});

test('~200 KB of headers: a 4xx or a closed connection, and the server goes on', async () => {
  const huge = Array.from({ length: 200 }, (_, i) => `X-H${i}: ${'c'.repeat(1000)}\r\n`).join('');
  let got = '';
  try {
    got = await raw(`GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n${huge}\r\n`);
  } catch (e) {
    assert.ok(['ECONNRESET', 'EPIPE'].includes(e.code), e.message);
  }
  if (got) assert.match(got, /^HTTP\/1\.1 4\d\d /);
  await assertAlive(srv);
});

test('truncated and garbage requests over TCP leave the server answering', async () => {
  const cases = [
    'GET /heal',
    'POST /api/v1/public/projects/query HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: 1000\r\n\r\n{"size":1,',
    'POST /api/v1/public/projects/query HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Le',
    'POST /api/v1/public/projects/query HTTP/1.1\r\nHost: 127.0.0.1\r\nTransfer-Encoding: chunked\r\n\r\n10\r\n{"si',
    Buffer.from(Array.from({ length: 2048 }, (_, i) => (i * 7919 + 13) % 256)),
    '\r\n\r\n',
    '\0\0\0\0\r\n\r\n',
    'GET / HTTP/9.9\r\n\r\n',
    'GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: -5\r\n\r\n',
    'GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: abc\r\n\r\n',
    'GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n',
  ];
  for (const c of cases) {
    let got = '';
    // The server may keep a half-closed, incomplete request open until request_timeout_s: do not wait for that.
    try { got = await raw(c, { endAfterWrite: true, timeoutMs: 300 }); } catch (e) { assert.equal(e.code, 'ECONNRESET'); }
    if (got) assert.doesNotMatch(got, /^HTTP\/1\.1 [23]\d\d /, `no success for ${JSON.stringify(String(c).slice(0, 60))}`);
    await assertAlive(srv);
  }
});

test('idle half-sent requests do not block other clients', async () => {
  const socks = [];
  let closed = 0;
  for (let i = 0; i < 40; i++) {
    const s = await connect(srv.port);
    s.on('error', () => {});
    s.on('close', () => { closed++; });
    s.write(i % 2 ? 'GET /healthz HTTP/1.1\r\nHost: x\r\n' : postHead('Content-Length: 100\r\n') + '{"si');
    socks.push(s);
  }
  // The server took them: the 20 with their headers complete are requests in flight.
  await until('the half-sent requests in flight', async () => await inFlight(srv) >= 21, { log: srv.stderr });
  for (let i = 0; i < 5; i++) await assertAlive(srv);
  // Answered while all 40 still hang (request_timeout_s would end them), not once they were dropped.
  assert.equal(closed, 0, 'answers came while the half-sent requests were still open');
  for (const s of socks) s.destroy();
});

test('200 concurrent bad requests, then a good one', async () => {
  const bad = [];
  for (let i = 0; i < 200; i++) {
    switch (i % 5) {
      case 0: bad.push(post('{"size":').then((r) => [r.status, r.text])); break;
      case 1: bad.push(post('{"nope":1}').then((r) => [r.status, r.text])); break;
      case 2: bad.push(req(srv.url + '/api/v1/none').then((r) => [r.status, r.text])); break;
      case 3: bad.push(post('{}', 'text/plain').then((r) => [r.status, r.text])); break;
      default: bad.push(raw('GARBAGE\r\n\r\n', { endAfterWrite: true }).then((g) => [g ? Number(g.slice(9, 12)) : 0, null], () => [0, null]));
    }
  }
  const got = await Promise.all(bad);
  for (const [i, [status, text]] of got.entries()) {
    const want = [400, 400, 404, 415][i % 5];
    if (want) {
      assert.equal(status, want, `request ${i}`);
      assertError(text);
    } else if (status) {
      assert.ok(status >= 400 && status < 500, `garbage ${i}: ${status}`);
    }
  }
  const r = await post('{"size":3,"sort":"id"}');
  assert.equal(r.status, 200);
  assert.equal(r.json.items.length, 3);
  await assertAlive(srv);
});
