// Printing records as PDF from the templates of their definitions (项目报监回执 of defs/registration),
// with an SM2-signed QR code, and the public check of a paper at /verify/{code}: genuine, changed
// after printing, signature broken (the row tampered with in the database), unknown.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, writeFileSync, rmSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startServer } from './lib/harness.mjs';
import { assertError, dbExec, req } from './lib/checks.mjs';
import { session, as } from './lib/auth.mjs';

const PUBLIC = 'https://jg.example.cn/';
let srv;
const s = {};
const sql = (q) => dbExec(srv.env.JIANGUAN_DATABASE, q).trim();
let own, owner, person, work;

before(async () => {
  srv = await startServer({ projects: 10, env: { JIANGUAN_CAPTCHA: 'off', JIANGUAN_PUBLIC_URL: PUBLIC } });
  for (const u of ['contractor', 'gulou', 'xiamen', 'auditor']) s[u] = await session(srv, u);
  own = s.contractor.user.enterprise_id;
  owner = Number(sql(`SELECT id FROM enterprise WHERE id <> ${own} ORDER BY id LIMIT 1`));
  person = Number(sql(`SELECT id FROM person WHERE enterprise_id = ${own} ORDER BY id LIMIT 1`));
  work = mkdtempSync(join(tmpdir(), 'jg-print-'));
});
after(async () => {
  if (process.env.PRINT_KEEP) console.log('kept', work); // to look at the PDFs
  else rmSync(work, { recursive: true, force: true });
  const code = await srv.stop();
  assert.equal(code, 0, srv.stderr().split('\n').filter((l) => !/ INFO /.test(l)).join('\n'));
});

const base = (extra = {}) => ({
  project_name: '鼓楼区打印测试住宅项目', project_kind: 'building', org_code: '350102', address: '福州市鼓楼区测试路 8 号',
  applicant_id: own, owner_id: owner, contractor_id: own, total_area: '12345.60', cost: '98765432.10',
  planned_start_on: '2026-12-01', contact_name: '张三', contact_phone: '13912345678', remark: '备注 & 说明',
  units: [{ unit_name: '1#楼', area: '6000.00', floors_above: 18 }, { unit_name: '2#楼', area: '6345.60', floors_above: 11 }],
  persons: person ? [{ party_role: 'contractor', person_id: person, person_role: 'project_manager' }] : [],
  hazards: [{ hazard_kind: 'foundation_pit', beyond_scale: true, planned_on: '2027-03-01', description: '开挖深度 6 米' },
    { hazard_kind: 'formwork', beyond_scale: false }],
  ...extra,
});

/** A declaration made through the API, then moved to state (the workflow will do that). */
async function declared(extra = {}, state = 'submitted') {
  const r = await as(srv, s.contractor, '/api/v1/records/registration', { method: 'POST', body: base(extra) });
  assert.equal(r.status, 201, r.text);
  sql(`UPDATE e_registration SET state = '${state}' WHERE id = ${r.json.id}`);
  return r.json;
}

/** GET the PDF as who: { status, pdf (Buffer), headers, json }. */
async function print(who, id, template = 'receipt') {
  const res = await fetch(`${srv.url}/api/v1/records/registration/${id}/print/${template}`, { headers: { cookie: s[who].cookie } });
  const buf = Buffer.from(await res.arrayBuffer());
  let json = null;
  if ((res.headers.get('content-type') || '').includes('json')) json = JSON.parse(buf.toString());
  return { status: res.status, pdf: buf, headers: res.headers, json };
}

function save(pdf, name) {
  const path = join(work, name);
  writeFileSync(path, pdf);
  return path;
}

// The text of a PDF in its layout (a table row on one line), without white space.
const text = (path, ...args) => execFileSync('pdftotext', [...args, '-layout', path, '-'], { encoding: 'utf8' }).replace(/\s+/g, '');

/** The QR code of the first page, decoded: pdftoppm at 150 dpi, then zbarimg. */
function qr(path, name) {
  const prefix = join(work, name);
  execFileSync('pdftoppm', ['-r', '150', '-png', '-f', '1', '-l', '1', path, prefix]);
  const png = readdirSync(work).filter((f) => f.startsWith(name) && f.endsWith('.png')).map((f) => join(work, f))[0];
  return execFileSync('zbarimg', ['-q', '--raw', png], { encoding: 'utf8' }).trim();
}

const verifyPage = (code) => req(`${srv.url}/verify/${code}`);
const verifyJson = (code) => req(`${srv.url}/api/v1/public/verify/${code}`);

test('a declaration prints as an A4 PDF with its values as people read them, embedded Noto CJK fonts and a QR code', async () => {
  const rec = await declared();
  const r = await print('contractor', rec.id);
  assert.equal(r.status, 200, r.json && JSON.stringify(r.json));
  assert.equal(r.headers.get('content-type'), 'application/pdf');
  assert.equal(r.pdf.subarray(0, 5).toString(), '%PDF-');
  const cd = r.headers.get('content-disposition');
  assert.match(cd, /^attachment; filename="registration-receipt-\d+\.pdf"; filename\*=UTF-8''/);
  assert.ok(decodeURIComponent(cd.split("UTF-8''")[1]).startsWith('项目报监回执-'), cd);
  const path = save(r.pdf, `rec${rec.id}.pdf`);
  const t = text(path);
  for (const want of ['福建省建设工程质量安全监督管理平台', '建设工程质量安全监督报监回执', '项目名称', '鼓楼区打印测试住宅项目',
    '工程类别', '房屋建筑工程', '鼓楼区', '98,765,432.10元', '12,345.60', '2026年12月1日',
    '基坑工程是2027年3月1日开挖深度6米', '模板工程及支撑体系否',
    '139****5678', '1#楼', '单体名称', '监督机构（盖章）', '备注&说明', '打印人：福建榕建工程有限公司', '第1页共']) {
    assert.ok(t.includes(want), `the PDF text lacks ${want}:\n${t}`);
  }
  assert.ok(!t.includes('13912345678'), 'sensitive values are printed masked, whoever prints');
  // Enterprises and persons by name, enum codes by their dictionary labels.
  assert.ok(t.includes(sql(`SELECT name FROM enterprise WHERE id = ${owner}`)), 'the owner by name');
  if (person) assert.ok(t.includes(sql(`SELECT name FROM person WHERE id = ${person}`) + '项目经理'), 'the person by name, the post by label');
  const fonts = execFileSync('pdffonts', [path], { encoding: 'utf8' });
  assert.match(fonts, /NotoSansCJK[a-zA-Z-]*\s.*\syes\s/i, fonts);
  assert.match(fonts, /NotoSerifCJK/i, fonts);
  assert.doesNotMatch(fonts, /CJKjp|CJK JP/i, 'the Simplified Chinese faces');
  // The QR code holds the public verify URL of this print's code, which is printed under it.
  const url = qr(path, `qr${rec.id}`);
  const m = url.match(/^https:\/\/jg\.example\.cn\/verify\/([A-Z2-7]{16})$/);
  assert.ok(m, url);
  const code = m[1];
  assert.ok(t.includes(code), 'the code is printed under the QR code');
  assert.equal(sql(`SELECT record_id FROM print_code WHERE code = '${code}'`), String(rec.id));
  assert.equal(sql(`SELECT count(*) FROM audit_log WHERE action = 'record_print' AND record_id = '${rec.id}'`), '1');
  // Genuine: the page says so with the facts to compare with the paper.
  let v = await verifyPage(code);
  assert.equal(v.status, 200);
  assert.match(v.headers.get('content-type'), /text\/html/);
  assert.ok(v.text.includes('真实有效（内容未被修改）'), v.text);
  assert.ok(v.text.includes('建设工程质量安全监督报监回执'));
  assert.ok(v.text.includes('鼓楼区打印测试住宅项目'));
  assert.doesNotMatch(v.text, /<script/i);
  const j = await verifyJson(code.toLowerCase()); // typed by hand in lower case: the same code
  assert.equal(j.status, 200, j.text);
  assert.equal(j.json.result, 'genuine');
  assert.equal(j.json.printed_version, rec.version);
  assert.equal(j.json.subject, '鼓楼区打印测试住宅项目');
  // Changing a field the template does not print leaves the paper genuine; a printed one does not.
  let u = await as(srv, s.contractor, `/api/v1/records/registration/${rec.id}`, { method: 'PUT', body: { version: 1, location: { lng: 119.3, lat: 26.08 } } });
  assert.equal(u.status, 200, u.text);
  assert.equal((await verifyJson(code)).json.result, 'genuine');
  u = await as(srv, s.contractor, `/api/v1/records/registration/${rec.id}`, { method: 'PUT', body: { version: 2, cost: '100.00' } });
  assert.equal(u.status, 200, u.text);
  v = await verifyPage(code);
  assert.equal(v.status, 200);
  assert.ok(v.text.includes('文件真实，但记录在打印后已被修改（打印时版本 1，当前版本 3）'), v.text);
  assert.equal((await verifyJson(code)).json.result, 'modified');
  // The stored signature tampered with: the check says so.
  sql(`UPDATE print_code SET signature = CASE WHEN substr(signature, 1, 1) = '0' THEN '1' ELSE '0' END || substr(signature, 2) WHERE code = '${code}'`);
  v = await verifyPage(code);
  assert.equal(v.status, 200);
  assert.ok(v.text.includes('签名校验失败'), v.text);
  assert.ok(!v.text.includes('鼓楼区打印测试住宅项目'), 'nothing of the record is shown for a broken signature');
  assert.equal((await verifyJson(code)).json.result, 'bad_signature');
});

test('so is a digest changed in the database: the signature covers it', async () => {
  const rec = await declared({ project_name: '摘要篡改测试' });
  const r = await print('gulou', rec.id);
  assert.equal(r.status, 200);
  const code = sql(`SELECT code FROM print_code WHERE record_id = ${rec.id}`);
  assert.equal((await verifyJson(code)).json.result, 'genuine');
  sql(`UPDATE print_code SET record_version = 7 WHERE code = '${code}'`);
  assert.equal((await verifyJson(code)).json.result, 'bad_signature');
});

test('unknown and malformed codes are 404, on the page and in JSON', async () => {
  let v = await verifyPage('AAAAAAAAAAAAAAAA');
  assert.equal(v.status, 404);
  assert.ok(v.text.includes('未找到该验证码'));
  for (const bad of ['AAAA', 'AAAAAAAAAAAAAAA1', 'AAAAAAAAAAAAAAAAA', '%3Cscript%3E', '..%2F..%2Fetc']) {
    v = await verifyJson(bad);
    assert.equal(v.status, 404, bad);
    assertError(v.json, 'not_found');
  }
});

test('values are escaped on the verify page', async () => {
  const evil = '<img src=x onerror=alert(1)>';
  const rec = await declared({ project_name: evil });
  assert.equal((await print('contractor', rec.id)).status, 200);
  const code = sql(`SELECT code FROM print_code WHERE record_id = ${rec.id}`);
  const v = await verifyPage(code);
  assert.equal(v.status, 200);
  assert.ok(v.text.includes('&lt;img src=x onerror=alert(1)&gt;'), v.text);
  assert.ok(!v.text.includes('<img'), 'no markup from values');
  assert.match(v.headers.get('content-security-policy'), /default-src 'none'/);
});

test('who may print: the data scope, the read permission, the state; unknown templates', async () => {
  const rec = await declared({ project_name: '权限测试' });
  assert.equal((await print('gulou', rec.id)).status, 200, 'the county supervisor of the record');
  let r = await print('xiamen', rec.id);
  assert.equal(r.status, 404, 'another region\'s supervisor does not see it');
  assert.equal(r.json.error.code, 'not_found');
  r = await print('auditor', rec.id);
  assert.equal(r.status, 404, 'a role without registration.read: the entity is not there (as the records API answers)');
  r = await print('contractor', rec.id, 'no_such_template');
  assert.equal(r.status, 404);
  assert.equal(r.json.error.message, '没有这个打印模板');
  r = await print('contractor', 99999999);
  assert.equal(r.status, 404);
  const anon = await req(`${srv.url}/api/v1/records/registration/${rec.id}/print/receipt`);
  assert.equal(anon.status, 401);
  // Another enterprise's declaration (the applicant changed): not there for the contractor.
  sql(`UPDATE e_registration SET applicant_id = ${owner}, contractor_id = ${owner} WHERE id = ${rec.id}`);
  r = await print('contractor', rec.id);
  assert.equal(r.status, 404);
  // A draft cannot be printed as a receipt.
  const draft = await declared({ project_name: '草稿测试' }, 'draft');
  r = await print('contractor', draft.id);
  assert.equal(r.status, 409);
  assert.equal(r.json.error.message, '记录当前状态为“草稿”，不能打印项目报监回执');
  assert.equal(sql(`SELECT count(*) FROM print_code WHERE record_id = ${draft.id}`), '0');
});

test('a long table goes on over pages with its header row again, and the pages are numbered', async () => {
  const units = Array.from({ length: 70 }, (_, i) => ({ unit_name: `${i + 1}#楼`, area: '100.00', floors_above: 6 }));
  const rec = await declared({ project_name: '多页测试', units, remark: '长备注。'.repeat(400) });
  const r = await print('contractor', rec.id);
  assert.equal(r.status, 200);
  const path = save(r.pdf, `long${rec.id}.pdf`);
  const info = execFileSync('pdfinfo', [path], { encoding: 'utf8' });
  const pages = Number(info.match(/Pages:\s+(\d+)/)[1]);
  assert.ok(pages >= 3, info);
  assert.match(info, /595\.2\d* x 841\.8\d* pts \(A4\)/);
  const p2 = text(path, '-f', '2', '-l', '2');
  assert.ok(p2.includes('单体名称'), `page 2 repeats the table header:\n${p2}`);
  assert.ok(p2.includes(`第2页共${pages}页`), p2);
  assert.ok(p2.includes('福建省建设工程质量安全监督管理平台'), 'the header is on every page');
  const all = text(path);
  assert.ok(all.includes('70#楼'));
  assert.equal((all.match(/长/g) || []).length, 400, 'a long value is cut between lines, never lost');
});

test('prints made at the same time each get their own code and a valid PDF', async () => {
  const rec = await declared({ project_name: '并发打印测试' });
  const all = await Promise.all(Array.from({ length: 6 }, () => print('contractor', rec.id)));
  for (const r of all) {
    assert.equal(r.status, 200);
    assert.equal(r.pdf.subarray(0, 5).toString(), '%PDF-');
  }
  const codes = sql(`SELECT code FROM print_code WHERE record_id = ${rec.id}`).split('\n');
  assert.equal(new Set(codes).size, 6);
  for (const code of codes) assert.match(code, /^[A-Z2-7]{16}$/);
});

test('checks are bounded per client address: 429 past 60 a minute (last: it spends this minute)', async () => {
  let status = 0;
  // Up to 130: a new minute may start meanwhile.
  for (let i = 0; i < 130 && status !== 429; i++) status = (await verifyJson('AAAAAAAAAAAAAAAA')).status;
  assert.equal(status, 429);
  const v = await verifyPage('AAAAAAAAAAAAAAAA');
  assert.equal(v.status, 429);
  assert.ok(v.text.includes('查询过于频繁'));
});
