// Attachments: multipart upload (kind by content, size limit, SM3 content store with dedup),
// download by the uploader and by readers of a record that references the file, inside scope.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { startServer } from './lib/harness.mjs';
import { assertError, dbExec, req } from './lib/checks.mjs';
import { session, as } from './lib/auth.mjs';

const LIMIT = 65536;
const MAX_BODY = 32768; // below LIMIT: an upload route takes its file limit plus 64 KiB, not this
let srv;
const s = {};
const sql = (q) => dbExec(srv.env.JIANGUAN_DATABASE, q).trim();
let own, owner, person;

before(async () => {
  srv = await startServer({ projects: 20, env: { JIANGUAN_CAPTCHA: 'off', JIANGUAN_MAX_UPLOAD_BYTES: String(LIMIT),
    JIANGUAN_MAX_BODY_BYTES: String(MAX_BODY) } });
  for (const u of ['contractor', 'gulou', 'xiamen']) s[u] = await session(srv, u);
  own = s.contractor.user.enterprise_id;
  owner = Number(sql(`SELECT id FROM enterprise WHERE id <> ${own} ORDER BY id LIMIT 1`));
  person = Number(sql(`SELECT id FROM person WHERE enterprise_id = ${own} ORDER BY id LIMIT 1`));
});
after(async () => { assert.equal(await srv.stop(), 0); });

const PDF = Buffer.from('%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n');
const PNG = Buffer.concat([
  Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
  Buffer.from('0000000d49484452000000010000000108060000001f15c4890000000a49444154789c63000100000500010d0a2db40000000049454e44ae426082', 'hex'),
]);

/** A multipart body of files [{ field, name, data, type }] (and raw text parts). */
function multipart(files, boundary = 'jgTestBoundary7MA4YWxk') {
  const chunks = [];
  for (const f of files) {
    const disp = f.name === undefined ? `form-data; name="${f.field ?? 'file'}"`
      : `form-data; name="${f.field ?? 'file'}"; filename="${f.name}"`;
    chunks.push(Buffer.from(`--${boundary}\r\nContent-Disposition: ${disp}\r\nContent-Type: ${f.type ?? 'application/octet-stream'}\r\n\r\n`));
    chunks.push(Buffer.isBuffer(f.data) ? f.data : Buffer.from(f.data));
    chunks.push(Buffer.from('\r\n'));
  }
  chunks.push(Buffer.from(`--${boundary}--\r\n`));
  return { body: Buffer.concat(chunks), type: `multipart/form-data; boundary=${boundary}` };
}

async function upload(who, files, { csrf = true, body, type } = {}) {
  const m = body ? { body, type } : multipart(files);
  const headers = { cookie: s[who].cookie, 'content-type': m.type };
  if (csrf) headers['x-csrf-token'] = s[who].csrf;
  return req(srv.url + '/api/v1/files', { method: 'POST', headers, body: m.body });
}

async function download(who, id) {
  const r = await fetch(`${srv.url}/api/v1/files/${id}`, { headers: { cookie: s[who].cookie } });
  return { status: r.status, headers: r.headers, body: Buffer.from(await r.arrayBuffer()) };
}

const stored = () => {
  const dir = join(srv.env.JIANGUAN_DATA_DIR, 'files');
  const out = [];
  const walk = (d) => { for (const e of readdirSync(d)) { const p = join(d, e); if (statSync(p).isDirectory()) walk(p); else out.push(p); } };
  if (existsSync(dir)) walk(dir);
  return out;
};

let pdfId, pngId;

test('a PDF and a PNG are uploaded in one request; kinds come from the content', async () => {
  const r = await upload('contractor', [{ name: '施工许可证.pdf', data: PDF }, { name: 'C:\\photos\\现场.png', data: PNG }]);
  assert.equal(r.status, 201, r.text);
  assert.equal(r.json.items.length, 2);
  const [pdf, png] = r.json.items;
  assert.deepEqual([pdf.name, pdf.kind, pdf.size], ['施工许可证.pdf', 'pdf', PDF.length]);
  assert.deepEqual([png.name, png.kind, png.size], ['现场.png', 'png', PNG.length], 'path parts are stripped');
  assert.match(pdf.sm3, /^[0-9a-f]{64}$/);
  pdfId = pdf.id;
  pngId = png.id;
  const p = join(srv.env.JIANGUAN_DATA_DIR, 'files', pdf.sm3.slice(0, 2), pdf.sm3.slice(2, 4), pdf.sm3);
  assert.ok(existsSync(p), 'content-addressed path');
});

test('the same content uploaded twice is stored once, with a row per upload', async () => {
  const before = stored().length;
  const r = await upload('contractor', [{ name: 'again.pdf', data: PDF }]);
  assert.equal(r.status, 201, r.text);
  assert.notEqual(r.json.items[0].id, pdfId);
  assert.equal(stored().length, before, 'no new file on disk');
  const sm3 = r.json.items[0].sm3;
  assert.equal(sql(`SELECT count(*) FROM file WHERE sm3 = '${sm3}'`), '2');
});

test('a .pdf name with PNG content is a png', async () => {
  const r = await upload('contractor', [{ name: 'fake.pdf', data: PNG, type: 'application/pdf' }]);
  assert.equal(r.status, 201, r.text);
  assert.equal(r.json.items[0].kind, 'png');
});

test('unknown content is refused whatever its name', async () => {
  for (const data of [Buffer.from('MZ\x90\x00\x03\x00\x00\x00 this program cannot be run'), Buffer.from('plain text')]) {
    const r = await upload('contractor', [{ name: 'report.pdf', data }]);
    assert.equal(r.status, 415, r.text);
    assertError(r.json, 'unsupported_media_type');
  }
  assert.equal(sql("SELECT count(*) FROM file WHERE name = 'report.pdf'"), '0');
});

test('too big, malformed, without CSRF, without a file', async () => {
  const big = Buffer.concat([Buffer.from('%PDF-1.4\n'), Buffer.alloc(LIMIT, 0x41)]);
  let r = await upload('contractor', [{ name: 'big.pdf', data: big }]);
  assert.equal(r.status, 413, r.text);
  r = await upload('contractor', [], { body: Buffer.from('--x\r\nContent-Disposition: form-data; name="file"\r\n\r\nno end'), type: 'multipart/form-data; boundary=x' });
  assert.equal(r.status, 400, r.text);
  assertError(r.json, 'invalid');
  r = await upload('contractor', [], { body: Buffer.from('{}'), type: 'application/json' });
  assert.equal(r.status, 415, r.text);
  r = await upload('contractor', [{ name: 'a.pdf', data: PDF }], { csrf: false });
  assert.equal(r.status, 403, r.text);
  r = await upload('contractor', [{ field: 'note', data: 'hello' }]);
  assert.equal(r.status, 400, r.text);
  assert.ok(r.json.error.fields.file);
  r = await req(srv.url + '/api/v1/files', { method: 'POST', headers: { 'content-type': multipart([]).type }, body: multipart([{ name: 'a.pdf', data: PDF }]).body });
  assert.equal(r.status, 401);
});

test('an upload may exceed max_body_bytes up to its own limit; other requests may not', async () => {
  const data = Buffer.concat([Buffer.from('%PDF-1.4\n'), Buffer.alloc(LIMIT - 100, 0x42)]);
  let r = await upload('contractor', [{ name: 'over-body.pdf', data }]);
  assert.equal(r.status, 201, r.text);
  r = await as(srv, s.contractor, '/api/v1/records/registration', { method: 'POST',
    body: { project_name: 'x'.repeat(MAX_BODY) } });
  assert.equal(r.status, 413, r.text);
  assertError(r.json, 'too_large');
});

test('the uploader downloads with the right headers', async () => {
  const r = await download('contractor', pdfId);
  assert.equal(r.status, 200);
  assert.deepEqual(r.body, PDF);
  assert.equal(r.headers.get('content-type'), 'application/pdf');
  assert.equal(r.headers.get('x-content-type-options'), 'nosniff');
  const cd = r.headers.get('content-disposition');
  assert.match(cd, /^attachment; /);
  assert.ok(cd.includes("filename*=UTF-8''" + encodeURIComponent('施工许可证.pdf')), cd);
  assert.equal((await download('contractor', 999999)).status, 404);
  assert.equal((await download('contractor', 'abc')).status, 404);
  assert.equal((await download('gulou', pdfId)).status, 404, 'not referenced yet: only the uploader');
});

const base = (extra = {}) => ({
  project_name: '鼓楼区附件测试项目', project_kind: 'building', org_code: '350102', address: '福州市鼓楼区测试路 9 号',
  applicant_id: own, owner_id: owner, contractor_id: own, total_area: '100.00', cost: '1000.00',
  planned_start_on: '2026-12-01', contact_name: '张三', contact_phone: '13912345678',
  units: [{ unit_name: '1#楼', area: '100.00', floors_above: 3 }],
  persons: person ? [{ party_role: 'contractor', person_id: person, person_role: 'project_manager' }] : [],
  ...extra,
});

test('a record referencing the file opens it to readers in scope only', async () => {
  const r = await as(srv, s.contractor, '/api/v1/records/registration', { method: 'POST', body: base({ attachments: [pdfId, pngId] }) });
  assert.equal(r.status, 201, r.text);
  assert.deepEqual(r.json.attachments, [pdfId, pngId]);
  const g = await download('gulou', pngId);
  assert.equal(g.status, 200, 'same county inspector reads the record');
  assert.deepEqual(g.body, PNG);
  assert.equal(g.headers.get('content-type'), 'image/png');
  assert.equal((await download('xiamen', pngId)).status, 404, 'another city: outside scope');
  // Deleted records no longer open their files.
  const d = await as(srv, s.contractor, `/api/v1/records/registration/${r.json.id}?version=${r.json.version}`, { method: 'DELETE' });
  assert.equal(d.status, 200, d.text);
  assert.equal((await download('gulou', pngId)).status, 404);
  assert.equal((await download('contractor', pngId)).status, 200, 'the uploader still may');
});

test('a file uploaded by someone else cannot be attached', async () => {
  const up = await upload('gulou', [{ name: '检查记录.pdf', data: Buffer.from('%PDF-1.7 gulou\n') }]);
  assert.equal(up.status, 201, up.text);
  const theirs = up.json.items[0].id;
  let r = await as(srv, s.contractor, '/api/v1/records/registration', { method: 'POST', body: base({ attachments: [theirs] }) });
  assert.equal(r.status, 400, r.text);
  assert.ok(r.json.error.fields.attachments, r.text);
  r = await as(srv, s.contractor, '/api/v1/records/registration', { method: 'POST', body: base({ attachments: [987654] }) });
  assert.equal(r.status, 400, r.text);
  assert.ok(r.json.error.fields.attachments, r.text);
});

test('uploads and downloads are audited', async () => {
  assert.equal(sql(`SELECT count(*) FROM audit_log WHERE action = 'file_upload' AND entity = 'file' AND record_id = '${pdfId}'`), '1');
  const detail = JSON.parse(sql(`SELECT detail FROM audit_log WHERE action = 'file_upload' AND record_id = '${pdfId}'`));
  assert.equal(detail.name, '施工许可证.pdf');
  assert.equal(detail.size, PDF.length);
  assert.match(detail.sm3, /^[0-9a-f]{64}$/);
  assert.ok(Number(sql(`SELECT count(*) FROM audit_log WHERE action = 'file_download' AND record_id = '${pdfId}'`)) >= 1);
  assert.ok(Number(sql(`SELECT count(*) FROM audit_log WHERE action = 'file_download' AND record_id = '${pngId}' AND username = 'gulou'`)) >= 1);
});
