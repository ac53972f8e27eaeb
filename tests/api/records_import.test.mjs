// Import of business records (POST /api/v1/records/{entity}/import, GET …/import-template.xlsx):
// XLSX (built here: XML parts zipped by a small writer) and CSV (UTF-8, GBK), all-or-nothing and
// valid-rows modes, dry run, header checks, conversions, data scope per row, broken files, limits,
// the audit row and the history; counts checked by listing the records afterwards.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { startServer } from './lib/harness.mjs';
import { zip, xlsx } from './lib/xlsx.mjs';
import { assertError, dbExec, req } from './lib/checks.mjs';
import { session, as } from './lib/auth.mjs';

const MAX_BYTES = 200000;
const MAX_ROWS = 250;
let srv;
const s = {};
const sql = (q) => dbExec(srv.env.JIANGUAN_DATABASE, q).trim();
let own, owner, other;

before(async () => {
  srv = await startServer({
    projects: 10,
    env: { JIANGUAN_CAPTCHA: 'off', JIANGUAN_MAX_IMPORT_BYTES: String(MAX_BYTES), JIANGUAN_MAX_IMPORT_ROWS: String(MAX_ROWS) },
  });
  // an inspector that may create, to check the county scope row by row
  sql(`UPDATE role SET permissions = replace(permissions, '"registration.read"', '"registration.read","registration.create"')
    WHERE code = 'inspector'`);
  for (const u of ['contractor', 'gulou', 'fuzhou_clerk']) s[u] = await session(srv, u);
  own = s.contractor.user.enterprise_id;
  owner = Number(sql(`SELECT id FROM enterprise WHERE id <> ${own} ORDER BY id LIMIT 1`));
  other = Number(sql(`SELECT id FROM enterprise WHERE id NOT IN (${own}, ${owner}) ORDER BY id LIMIT 1`));
});
after(async () => { assert.equal(await srv.stop(), 0); });

/** A CSV text of rows (RFC 4180 quoting). */
const csv = (rows) => rows.map((r) => r.map((c) => (/[",\r\n]/.test(String(c ?? '')) ? `"${String(c).replace(/"/g, '""')}"` : String(c ?? ''))).join(',')).join('\r\n') + '\r\n';

function multipart(parts, boundary = 'jgImportBoundary9') {
  const chunks = [];
  for (const p of parts) {
    const disp = p.filename !== undefined ? `form-data; name="${p.name}"; filename="${p.filename}"` : `form-data; name="${p.name}"`;
    chunks.push(Buffer.from(`--${boundary}\r\nContent-Disposition: ${disp}\r\n\r\n`));
    chunks.push(Buffer.isBuffer(p.data) ? p.data : Buffer.from(String(p.data)));
    chunks.push(Buffer.from('\r\n'));
  }
  chunks.push(Buffer.from(`--${boundary}--\r\n`));
  return { body: Buffer.concat(chunks), type: `multipart/form-data; boundary=${boundary}` };
}

/** POST the file as who; fields: extra form fields ({mode, dry_run}); query: a query string. */
async function importFile(who, filename, data, { fields = {}, query = '', entity = 'registration' } = {}) {
  const parts = [{ name: 'file', filename, data }, ...Object.entries(fields).map(([name, v]) => ({ name, data: v }))];
  const m = multipart(parts);
  return req(`${srv.url}/api/v1/records/${entity}/import${query}`, {
    method: 'POST',
    headers: { cookie: s[who].cookie, 'x-csrf-token': s[who].csrf, 'content-type': m.type },
    body: m.body,
  });
}

const HEAD = ['项目名称', '工程类别', '项目所在地', '工程地址', '申报单位', '建设单位', '工程造价（元）', '计划开工日期', '备注'];
const row = (name, over = {}) => {
  const base = { 项目名称: name, 工程类别: 'building', 项目所在地: '350102', 工程地址: '福州市鼓楼区导入路 1 号',
    申报单位: own, 建设单位: owner, '工程造价（元）': 1200.5, 计划开工日期: 46357, 备注: null, ...over };
  return HEAD.map((h) => base[h]);
};
/** The report: data on success, error.report on a refusal. */
const R = (r) => r.json.data ?? r.json.error.report;
const crow = (name, over = {}) => row(name, { 计划开工日期: '2026-12-01', ...over });
const count = (like) => Number(sql(`SELECT count(*) FROM e_registration WHERE project_name LIKE '${like}'`));
async function listed(who, prefix) {
  const filter = encodeURIComponent(JSON.stringify({ field: 'project_name', op: 'like', value: `${prefix}%` }));
  const r = await as(srv, s[who], `/api/v1/records/registration?filter=${filter}&sort=id&size=100`);
  assert.equal(r.status, 200, r.text);
  return r.json.items;
}

test('the template is an XLSX with the importable fields as its header and no rows', async () => {
  const r = await as(srv, s.contractor, '/api/v1/records/registration/import-template.xlsx');
  assert.equal(r.status, 200, r.text);
  assert.match(r.headers.get('content-type'), /spreadsheetml\.sheet/);
  assert.match(r.headers.get('content-disposition'), /filename="registration-template\.xlsx"/);
  assert.ok(r.headers.get('content-disposition').includes(encodeURIComponent('项目报监-导入模板.xlsx')));
  const file = `${srv.dir}/template.xlsx`;
  execFileSync('sh', ['-c', `cat > ${file}`], { input: r.buf });
  const xml = execFileSync('unzip', ['-p', file, 'xl/worksheets/sheet1.xml']).toString();
  assert.equal((xml.match(/<row /g) || []).length, 1, 'header only');
  for (const l of ['项目名称', '工程类别', '联系电话', '备注']) assert.ok(xml.includes(l), l);
  assert.ok(!xml.includes('附件'), 'files fields are not imported');
  assert.ok(!xml.includes('编号'));
  // the template imports as "no data rows"
  const i = await importFile('contractor', 'template.xlsx', r.buf);
  assert.equal(i.status, 400, i.text);
  assert.match(i.json.error.message, /没有数据行/);
  // without create permission: 403; without the entity: 404
  assert.equal((await as(srv, s.fuzhou_clerk, '/api/v1/records/registration/import-template.xlsx')).status, 403);
  assert.equal((await as(srv, s.contractor, '/api/v1/records/nosuch/import-template.xlsx')).status, 404);
});

test('a good XLSX is imported: shared, inline, numbers, serial dates, labels, formulas by cached value', async () => {
  const kindLabel = sql(`SELECT i.label FROM dictionary_item i JOIN dictionary d ON d.id = i.dictionary_id
    WHERE d.code = 'project_kind' AND i.code = 'road'`);
  const file = xlsx([
    HEAD,
    row('导入甲', { 备注: '=1+1' }),
    row('导入乙', { 工程类别: kindLabel, '工程造价（元）': 98765432.1, 计划开工日期: { inline: '2027/3/5' }, 备注: { formula: 'CONCAT("a","b")', v: 'ab', t: 'str' } }),
    [],
    row('导入丙', { 项目所在地: 350102, 申报单位: { inline: String(own) }, 备注: { formula: 'SUM(1,2)', v: '3' } }),
  ]);
  const r = await importFile('contractor', '报监导入.xlsx', file);
  assert.equal(r.status, 200, r.text);
  const d = R(r);
  assert.equal(d.total, 3);
  assert.equal(d.imported, 3);
  assert.equal(d.rejected, 0);
  assert.deepEqual(d.errors, []);
  assert.equal(d.mode, 'all');
  assert.equal(d.dry_run, false);
  assert.match(d.note, /子表/);
  const items = await listed('contractor', '导入');
  assert.deepEqual(items.map((x) => x.project_name), ['导入甲', '导入乙', '导入丙']);
  assert.equal(items[0].cost, '1200.50');
  assert.equal(items[0].planned_start_on, '2026-12-01', 'serial 46357');
  assert.equal(items[1].project_kind, 'road', 'label to code');
  assert.equal(items[1].cost, '98765432.10');
  assert.equal(items[1].planned_start_on, '2027-03-05');
  assert.equal(items[0].applicant_id, own);
  assert.equal(items[0].state, 'draft');
  const full = await as(srv, s.contractor, `/api/v1/records/registration/${items[0].id}`);
  assert.equal(full.json.remark, '=1+1', 'formula-looking text is stored as text');
  assert.equal((await as(srv, s.contractor, `/api/v1/records/registration/${items[1].id}`)).json.remark, 'ab');
  assert.equal((await as(srv, s.contractor, `/api/v1/records/registration/${items[2].id}`)).json.remark, '3');
  // history: one row per record, action import
  const h = await as(srv, s.contractor, `/api/v1/records/registration/${items[0].id}/history`);
  assert.equal(h.json.items.length, 1);
  assert.equal(h.json.items[0].action, 'import');
  assert.equal(h.json.items[0].new_value, 'draft');
  // one audit row for the file, with its SM3 (not its content)
  const a = sql(`SELECT detail FROM audit_log WHERE action = 'record_import' ORDER BY id DESC LIMIT 1`);
  const detail = JSON.parse(a);
  assert.equal(detail.file, '报监导入.xlsx');
  assert.equal(detail.imported, 3);
  assert.equal(detail.size, file.length);
  assert.match(detail.sm3, /^[0-9a-f]{64}$/);
  assert.notEqual(detail.sm3, createHash('sha256').update(file).digest('hex'));
});

test('an export of the server imports again (its 编号/状态/时间 and 附件 columns are ignored)', async () => {
  const filter = encodeURIComponent(JSON.stringify({ field: 'project_name', op: 'like', value: '导入%' }));
  const e = await as(srv, s.contractor, `/api/v1/records/registration/export.xlsx?filter=${filter}&sort=id`);
  assert.equal(e.status, 200);
  const r = await importFile('contractor', 'export.xlsx', e.buf, { fields: { dry_run: '1' } });
  assert.equal(r.status, 200, r.text);
  assert.equal(r.json.data.total, 3);
  assert.equal(r.json.data.valid, 3);
  assert.equal(r.json.data.imported, 0);
  for (const c of ['编号', '状态', '创建时间', '修改时间', '附件']) assert.ok(r.json.data.ignored_columns.includes(c), c);
  assert.equal(count('导入%'), 3, 'dry run writes nothing');
  const again = await importFile('contractor', 'export.xlsx', e.buf);
  assert.equal(again.status, 200, again.text);
  assert.equal(count('导入%'), 6);
  const items = await listed('contractor', '导入');
  assert.equal(items[3].project_kind, items[0].project_kind, 'the exported label maps back to the code');
  assert.equal(items[4].cost, '98765432.10');
  assert.equal(items[4].planned_start_on, '2027-03-05', 'exported date cells read back');
});

test('CSV in UTF-8 (with BOM) and in GBK are imported', async () => {
  const rows = [HEAD, row('导入CSV甲', { 计划开工日期: '2026-12-01', 备注: '=HYPERLINK("x")' }), row('导入CSV乙', { 计划开工日期: '2026/1/2', '工程造价（元）': '1,234.50' })];
  let r = await importFile('contractor', 'a.csv', Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from(csv(rows))]));
  assert.equal(r.status, 200, r.text);
  assert.equal(r.json.data.imported, 2);
  const gbk = execFileSync('iconv', ['-f', 'UTF-8', '-t', 'GB18030'], { input: csv([HEAD, row('导入CSV丙（GBK）', { 计划开工日期: '2026年5月1日' })]) });
  assert.ok(!gbk.includes(Buffer.from('导入')), 'really GBK bytes');
  r = await importFile('contractor', 'gbk.csv', gbk);
  assert.equal(r.status, 200, r.text);
  const items = await listed('contractor', '导入CSV');
  assert.deepEqual(items.map((x) => x.project_name), ['导入CSV甲', '导入CSV乙', '导入CSV丙（GBK）']);
  assert.equal(items[1].cost, '1234.50');
  assert.equal(items[1].planned_start_on, '2026-01-02');
  assert.equal(items[2].planned_start_on, '2026-05-01');
  assert.equal((await as(srv, s.contractor, `/api/v1/records/registration/${items[0].id}`)).json.remark, '=HYPERLINK("x")');
});

test('all-or-nothing: one bad row writes nothing and the report names the row and column', async () => {
  const file = xlsx([HEAD, row('导入全部甲'), row(null), row('导入全部丙', { '工程造价（元）': { inline: 'abc' }, 计划开工日期: { inline: '2026-13-45' } })]);
  const before = Number(sql(`SELECT count(*) FROM audit_log WHERE action = 'record_import'`));
  const r = await importFile('contractor', 'bad.xlsx', file);
  assert.equal(r.status, 400, r.text);
  assert.deepEqual(Object.keys(r.json), ['error']);
  assert.deepEqual(Object.keys(r.json.error), ['code', 'message', 'report']);
  assert.equal(r.json.error.code, 'invalid');
  assert.match(r.json.error.message, /有 2 行数据有误，未导入任何记录/);
  const d = R(r);
  assert.equal(d.total, 3);
  assert.equal(d.imported, 0);
  assert.equal(d.rejected, 2);
  assert.deepEqual(d.errors.find((x) => x.row === 3), { row: 3, column: '项目名称', message: '项目名称不能为空' });
  const four = d.errors.filter((x) => x.row === 4);
  assert.ok(four.some((x) => x.column === '工程造价（元）' && /应为金额/.test(x.message)), JSON.stringify(four));
  assert.ok(four.some((x) => x.column === '计划开工日期' && /应为日期/.test(x.message)), JSON.stringify(four));
  assert.equal(count('导入全部%'), 0);
  assert.equal(Number(sql(`SELECT count(*) FROM audit_log WHERE action = 'record_import'`)), before + 1, 'the attempt is audited');
});

test('mode=valid writes the good rows and reports the bad ones; dry_run writes nothing', async () => {
  const file = csv([HEAD, crow('导入部分甲'), crow('导入部分乙', { 工程类别: '不存在的类别' }), crow('导入部分丙')]);
  let r = await importFile('contractor', 'v.csv', file, { query: '?mode=valid&dry_run=1' });
  assert.equal(r.status, 200, r.text);
  assert.equal(r.json.data.valid, 2);
  assert.equal(r.json.data.imported, 0);
  assert.equal(count('导入部分%'), 0);
  r = await importFile('contractor', 'v.csv', file, { fields: { mode: 'valid' } });
  assert.equal(r.status, 200, r.text);
  assert.equal(r.json.data.imported, 2);
  assert.equal(r.json.data.rejected, 1);
  assert.equal(R(r).errors[0].row, 3);
  assert.equal(R(r).errors[0].column, '工程类别');
  assert.match(R(r).errors[0].message, /工程类别/);
  assert.deepEqual((await listed('contractor', '导入部分')).map((x) => x.project_name), ['导入部分甲', '导入部分丙']);
  r = await importFile('contractor', 'v.csv', file, { fields: { mode: 'some' } });
  assert.equal(r.status, 400);
  assert.ok(r.json.error.fields.mode);
});

test('a repeated unique value inside one file is refused like a second create', async () => {
  const head = [...HEAD, '施工许可证号'];
  const file = csv([head, [...crow('导入唯一甲'), 'XK-IMPORT-1'], [...crow('导入唯一乙'), 'XK-IMPORT-1']]);
  const r = await importFile('contractor', 'u.csv', file);
  assert.equal(r.status, 400, r.text);
  assert.deepEqual(R(r).errors, [{ row: 3, column: '施工许可证号', message: '施工许可证号已存在，不能重复' }]);
  assert.equal(count('导入唯一%'), 0);
});

test('a file larger than one write batch: uniqueness across batches, history per record', async () => {
  const head = [...HEAD, '施工许可证号'];
  const rows = [head];
  for (let i = 1; i <= 230; i++) {
    const permit = i === 180 ? 'XK-BATCH-7' : i % 10 === 7 ? `XK-BATCH-${i}` : '';
    rows.push([...crow(`导入批量${i}`, i === 120 ? { 工程地址: '' } : {}), permit]);
  }
  const r = await importFile('contractor', 'batch.csv', csv(rows), { fields: { mode: 'valid' } });
  assert.equal(r.status, 200, r.text);
  assert.equal(r.json.data.total, 230);
  assert.equal(r.json.data.imported, 228);
  assert.deepEqual(R(r).errors.map((x) => [x.row, x.column]), [[121, '工程地址'], [181, '施工许可证号']]);
  assert.equal(count('导入批量%'), 228);
  const hist = Number(sql(`SELECT count(*) FROM entity_history h JOIN e_registration r ON r.id = h.record_id
    WHERE h.entity = 'registration' AND h.action = 'import' AND r.project_name LIKE '导入批量%'`));
  assert.equal(hist, 228);
  assert.equal(Number(sql(`SELECT count(DISTINCT created_at) FROM e_registration WHERE project_name LIKE '导入批量%'`)), 1);
});

test('header checks: unknown column, missing required column, repeated column', async () => {
  let r = await importFile('contractor', 'h.csv', csv([[...HEAD, '不存在的列'], [...crow('导入表头甲'), 'x']]));
  assert.equal(r.status, 400, r.text);
  assert.match(r.json.error.message, /表头有误/);
  assert.deepEqual(R(r).errors.map((x) => [x.row, x.column]), [[1, '不存在的列']]);
  r = await importFile('contractor', 'h.csv', csv([HEAD.filter((h) => h !== '建设单位'), crow('导入表头乙').filter((_, i) => HEAD[i] !== '建设单位')]));
  assert.equal(r.status, 400);
  assert.deepEqual(R(r).errors, [{ row: 1, column: '建设单位', message: '缺少必填列“建设单位”' }]);
  r = await importFile('contractor', 'h.csv', csv([[...HEAD, 'project_name'], [...crow('导入表头丙'), 'x']]));
  assert.equal(r.status, 400);
  assert.match(R(r).errors[0].message, /重复/);
  assert.equal(count('导入表头%'), 0);
  // field names work as titles too
  r = await importFile('contractor', 'n.csv', csv([['project_name', 'project_kind', 'org_code', 'address', 'applicant_id', 'owner_id'],
    ['导入表头丁', 'building', '350102', '地址', own, owner]]));
  assert.equal(r.status, 200, r.text);
});

test('the data scope is checked on every row', async () => {
  let r = await importFile('contractor', 's.csv', csv([HEAD, crow('导入范围甲'), crow('导入范围乙', { 申报单位: other })]), { fields: { mode: 'valid' } });
  assert.equal(r.status, 200, r.text);
  assert.equal(r.json.data.imported, 1);
  assert.deepEqual(R(r).errors, [{ row: 3, column: null, message: '不能在本人数据权限范围以外新建或修改记录' }]);
  r = await importFile('gulou', 's.csv', csv([HEAD, crow('导入范围丙', { 申报单位: other }), crow('导入范围丁', { 项目所在地: '350203', 申报单位: other })]), { fields: { mode: 'valid' } });
  assert.equal(r.status, 200, r.text);
  assert.equal(r.json.data.imported, 1);
  assert.deepEqual(R(r).errors, [{ row: 3, column: null, message: '不能在本人数据权限范围以外新建或修改记录' }]);
  assert.equal(count('导入范围%'), 2);
  // a clerk may not create at all
  r = await importFile('fuzhou_clerk', 's.csv', csv([HEAD, crow('导入范围戊')]));
  assert.equal(r.status, 403);
});

test('broken, disguised and oversized files are refused with a Chinese message and change nothing', async () => {
  const good = xlsx([HEAD, row('导入坏文件')]);
  const cases = [
    ['garbage.xlsx', Buffer.from('这不是表格文件'), 400, /不是有效的 XLSX/],
    ['pdf.xlsx', Buffer.from('%PDF-1.4\n1 0 obj<<>>endobj\n%%EOF\n'), 400, /不是有效的 XLSX/],
    ['truncated.xlsx', good.subarray(0, Math.floor(good.length * 0.6)), 400, /不是有效的 XLSX/],
    ['zipnotxlsx.xlsx', zip({ 'a.txt': 'hello' }), 400, /找不到/],
    ['badxml.xlsx', xlsx([HEAD], { extra: { 'xl/worksheets/sheet1.xml': '<worksheet><sheetData><row r="1"><c r="A1" t="inlineStr"><is><t>x</t></is></c>' } }), 400, /XML/],
    ['xxe.xlsx', zip({ 'xl/workbook.xml': '<?xml version="1.0"?><!DOCTYPE x [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;">]><workbook/>',
      'xl/worksheets/sheet1.xml': '<worksheet/>' }), 400, /不是有效的 XLSX/],
    ['old.xls', Buffer.concat([Buffer.from('d0cf11e0a1b11ae1', 'hex'), Buffer.alloc(100)]), 400, /旧版 Excel/],
    ['a.pdf', Buffer.from('%PDF-1.4\n'), 415, /仅支持/],
    ['empty.csv', Buffer.alloc(0), 400, /文件为空/],
    ['big.csv', Buffer.alloc(MAX_BYTES + 1, 'a'), 413, /文件过大/],
    ['rows.csv', Buffer.from(csv([HEAD, ...Array.from({ length: MAX_ROWS + 1 }, (_, i) => crow(`导入坏文件${i}`))])), 413, /行数超过上限/],
    ['header.csv', Buffer.from(csv([HEAD])), 400, /没有数据行/],
    ['utf16.csv', Buffer.from('\ufeff项目名称\n', 'utf16le'), 400, /UTF-16/],
    ['quote.csv', Buffer.from(`${HEAD.join(',')}\n"导入坏文件,building\n`), 400, /引号/],
  ];
  // a zip bomb: 40 MB of spaces in the sheet, a few dozen KB compressed
  const bomb = xlsx([HEAD], { extra: { 'xl/worksheets/sheet1.xml': Buffer.concat([Buffer.from('<worksheet><sheetData>'), Buffer.alloc(40 << 20, ' '), Buffer.from('</sheetData></worksheet>')]) } });
  assert.ok(bomb.length < MAX_BYTES, `bomb ${bomb.length}`);
  cases.push(['bomb.xlsx', bomb, 413, /压缩炸弹/]);
  const before = count('导入坏文件%');
  for (const [name, data, status, message] of cases) {
    const r = await importFile('contractor', name, data);
    assert.equal(r.status, status, `${name}: ${r.text}`);
    assertError(r.json);
    assert.match(r.json.error.message, message, name);
    assert.match(r.json.error.message, /[\u4e00-\u9fff]/, name);
  }
  assert.equal(count('导入坏文件%'), before);
  assert.equal(before, 0);
  // not multipart, no file part
  let r = await as(srv, s.contractor, '/api/v1/records/registration/import', { method: 'POST', body: {} });
  assert.equal(r.status, 415);
  const m = multipart([{ name: 'mode', data: 'all' }]);
  r = await req(`${srv.url}/api/v1/records/registration/import`, { method: 'POST', headers: { cookie: s.contractor.cookie, 'x-csrf-token': s.contractor.csrf, 'content-type': m.type }, body: m.body });
  assert.equal(r.status, 400);
  assert.equal(r.json.error.fields.file, '请选择要导入的文件');
  // the CSRF token is needed
  r = await req(`${srv.url}/api/v1/records/registration/import`, { method: 'POST', headers: { cookie: s.contractor.cookie, 'content-type': m.type }, body: m.body });
  assert.equal(r.status, 403);
});

test('error values, wrong types and cells without a title are reported per cell', async () => {
  const file = xlsx([
    HEAD,
    [...row('导入类型甲', { 申报单位: { inline: '某某公司' }, 计划开工日期: { error: '#N/A' } }), 'orphan'],
  ]);
  const r = await importFile('contractor', 't.xlsx', file);
  assert.equal(r.status, 400, r.text);
  const errs = R(r).errors;
  assert.ok(errs.some((x) => x.column === '计划开工日期' && /错误值/.test(x.message)), JSON.stringify(errs));
  assert.ok(errs.some((x) => x.column === 'J' && /没有标题/.test(x.message)), JSON.stringify(errs));
  const r2 = await importFile('contractor', 't.xlsx', xlsx([HEAD, row('导入类型乙', { 申报单位: { inline: '某某公司' } })]));
  assert.equal(r2.status, 400);
  assert.equal(R(r2).errors[0].column, '申报单位');
  assert.equal(count('导入类型%'), 0);
});
