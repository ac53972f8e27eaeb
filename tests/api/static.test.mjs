// The built web UI: MIME types, caching, precompressed files, SPA fallback, and no way out of web_dir.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, mkdirSync, writeFileSync, existsSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execFileSync } from 'node:child_process';
import { gzipSync, gunzipSync } from 'node:zlib';
import { startServer, rawRequest, root } from './lib/harness.mjs';
import { assertError, req, httpGet, parseRaw, assertAlive } from './lib/checks.mjs';

const INDEX = '<!doctype html><meta charset="utf-8"><title>建管测试</title><p>首页 index</p>\n';
const APP = '// app\n' + Array.from({ length: 200 }, (_, i) => `export const v${i} = "值${i}";`).join('\n') + '\n';
const ASSET = 'console.log("hashed asset");\n';
const SECRET = 'TOPSECRET-outside-web-dir root:x:0:0:root:/root:/bin/bash\n';

let top, web, srv;
before(async () => {
  top = mkdtempSync(join(tmpdir(), 'jianguan-static-'));
  web = join(top, 'site', 'web');
  mkdirSync(join(web, 'assets'), { recursive: true });
  mkdirSync(join(web, '.git'), { recursive: true });
  writeFileSync(join(web, 'index.html'), INDEX);
  writeFileSync(join(web, 'app.js'), APP);
  writeFileSync(join(web, 'app.js.gz'), gzipSync(Buffer.from(APP)));
  writeFileSync(join(web, 'assets', 'app-abc123.js'), ASSET);
  writeFileSync(join(web, 'style.css'), 'p{color:red}\n');
  writeFileSync(join(web, '.git', 'config'), SECRET);
  writeFileSync(join(web, '.env'), SECRET);
  writeFileSync(join(top, 'site', 'secret.txt'), SECRET);
  writeFileSync(join(top, 'secret.txt'), SECRET);
  srv = await startServer({ webDir: web, seed: false });
});
after(async () => {
  assert.equal(await srv.stop(), 0);
  rmSync(top, { recursive: true, force: true });
});

test('/ is index.html, no-cache, with an ETag', async () => {
  const r = await httpGet(srv.url + '/');
  assert.equal(r.status, 200);
  assert.equal(r.body.toString(), INDEX);
  assert.equal(r.headers['content-type'], 'text/html; charset=utf-8');
  assert.equal(r.headers['cache-control'], 'no-cache');
  assert.match(r.headers.etag, /^"[^"]+"$/);
  const again = await httpGet(srv.url + '/index.html');
  assert.equal(again.body.toString(), INDEX);
  assert.equal(again.headers.etag, r.headers.etag);
});

test('If-None-Match with the ETag is 304 without a body', async () => {
  const { headers } = await httpGet(srv.url + '/');
  const r = await httpGet(srv.url + '/', { 'If-None-Match': headers.etag });
  assert.equal(r.status, 304);
  assert.equal(r.body.length, 0);
  assert.equal(r.headers.etag, headers.etag);
  const other = await httpGet(srv.url + '/', { 'If-None-Match': '"nope"' });
  assert.equal(other.status, 200);
  assert.equal(other.body.toString(), INDEX);
});

test('client-side routes get index.html', async () => {
  for (const path of ['/some/client/route', '/projects', '/projects/12', '/a-b_c']) {
    const r = await httpGet(srv.url + path);
    assert.equal(r.status, 200, path);
    assert.equal(r.headers['content-type'], 'text/html; charset=utf-8');
    assert.equal(r.body.toString(), INDEX, path);
  }
});

test('a client-side route with a trailing slash gets index.html too (docs/api: paths without an extension)', async () => {
  const r = await httpGet(srv.url + '/some/client/route/');
  assert.equal(r.status, 200);
  assert.equal(r.body.toString(), INDEX);
});

test('a missing file with an extension is a 404 in JSON', async () => {
  for (const path of ['/missing.js', '/assets/missing-123.css', '/nope/index.html']) {
    const r = await req(srv.url + path);
    assert.equal(r.status, 404, path);
    assertError(r.text, 'not_found');
  }
});

test('hashed assets are immutable for a year', async () => {
  const r = await httpGet(srv.url + '/assets/app-abc123.js');
  assert.equal(r.status, 200);
  assert.equal(r.body.toString(), ASSET);
  assert.match(r.headers['cache-control'], /immutable/);
  assert.match(r.headers['cache-control'], /max-age=31536000/);
  assert.equal(r.headers['content-type'], 'text/javascript; charset=utf-8');
  const css = await httpGet(srv.url + '/style.css');
  assert.equal(css.headers['content-type'], 'text/css; charset=utf-8');
  assert.equal(css.headers['cache-control'], 'no-cache');
});

test('a .gz beside a file is sent to clients that accept gzip', async () => {
  const gz = await httpGet(srv.url + '/app.js', { 'Accept-Encoding': 'gzip, deflate, br' });
  assert.equal(gz.status, 200);
  assert.equal(gz.headers['content-encoding'], 'gzip');
  assert.match(gz.headers.vary ?? '', /Accept-Encoding/i);
  assert.equal(gz.headers['content-type'], 'text/javascript; charset=utf-8');
  assert.equal(gunzipSync(gz.body).toString(), APP);
  const plain = await httpGet(srv.url + '/app.js');
  assert.equal(plain.status, 200);
  assert.equal(plain.headers['content-encoding'], undefined);
  assert.equal(plain.body.toString(), APP);
  assert.notEqual(plain.headers.etag, gz.headers.etag, 'the two encodings have different ETags');
  const identity = await httpGet(srv.url + '/app.js', { 'Accept-Encoding': 'identity' });
  assert.equal(identity.headers['content-encoding'], undefined);
  assert.equal(identity.body.toString(), APP);
  // 304 for the gzip variant's ETag
  const nm = await httpGet(srv.url + '/app.js', { 'Accept-Encoding': 'gzip', 'If-None-Match': gz.headers.etag });
  assert.equal(nm.status, 304);
});

test('no way out of web_dir, nor into hidden files', async () => {
  const paths = [
    '/../../etc/passwd', '/%2e%2e/%2e%2e/etc/passwd', '/.git/config', '/..%2fetc/passwd', '/a/../../etc/passwd',
    '/../secret.txt', '/%2e%2e/secret.txt', '/..%2f..%2fsecret.txt', '/%2e%2e%2f%2e%2e%2fsecret.txt', '/.%2e/secret.txt',
    '/assets/../../secret.txt', '/..\\secret.txt', '/..%5csecret.txt', '/.env', '/%2egit/config', '/assets/%2e%2e/%2e%2e/secret.txt',
    '//etc/passwd', '/./../secret.txt', 'http://127.0.0.1/../secret.txt', '/..', '/%2e%2e', '/.git/', '/index.html/../../secret.txt',
    '/etc/passwd%00.html',
  ];
  const leaks = [];
  for (const p of paths) {
    const got = await rawRequest(srv.port, `GET ${p} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n`);
    const a = parseRaw(got);
    assert.ok(a, `an answer for ${p}`);
    if (/root:|TOPSECRET/.test(a.text)) leaks.push(p);
    else assert.ok(a.status === 404 || a.status === 400 || (a.status === 200 && a.text === INDEX), `${p}: ${a.status}`);
  }
  assert.deepEqual(leaks, [], 'paths that served a file they must not');
  await assertAlive(srv);
});

test('HEAD / is 200 without a body; POST / is 405', async () => {
  const h = await httpGet(srv.url + '/', {}, 'HEAD');
  assert.equal(h.status, 200);
  assert.equal(h.body.length, 0);
  assert.equal(h.headers['content-type'], 'text/html; charset=utf-8');
  const raw = await rawRequest(srv.port, 'HEAD / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n');
  assert.ok(raw.endsWith('\r\n\r\n'), 'nothing after the head');
  for (const method of ['POST', 'PUT', 'DELETE']) {
    const r = await req(srv.url + '/', { method, body: method === 'DELETE' ? undefined : 'x' });
    assert.equal(r.status, 405, method);
    assert.match(r.headers.get('allow'), /GET/);
    assertError(r.text, 'method_not_allowed');
  }
});

test('the real web UI from web/dist', async () => {
  const dist = join(root, 'web', 'dist');
  if (!existsSync(join(dist, 'index.html'))) execFileSync(join(root, 'scripts', 'web.sh'), { stdio: 'ignore' });
  const ui = await startServer({ webDir: dist, seed: false });
  try {
    const r = await req(ui.url + '/');
    assert.equal(r.status, 200);
    assert.match(r.text, /福建省建设工程监管一体化平台/);
    assert.equal(r.text, readFileSync(join(dist, 'index.html'), 'utf8'));
    const route = await req(ui.url + '/projects/1');
    assert.equal(route.text, r.text);
    // The Vite build names its script and style sheet in index.html (hashed, under /assets/).
    const js = /<script type="module"[^>]* src="(\/assets\/[^"]+\.js)"/.exec(r.text);
    const css = /<link rel="stylesheet"[^>]* href="(\/assets\/[^"]+\.css)"/.exec(r.text);
    assert.ok(js && css, 'index.html names the built script and style sheet');
    for (const [file, type] of [[js[1], 'text/javascript; charset=utf-8'], [css[1], 'text/css; charset=utf-8']]) {
      const f = await httpGet(ui.url + file);
      assert.equal(f.status, 200, file);
      assert.equal(f.headers['content-type'], type);
      assert.deepEqual(f.body, readFileSync(join(dist, file)));
    }
  } finally {
    await ui.stop();
  }
});
