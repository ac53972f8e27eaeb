// XLSX export of business records (GET /api/v1/records/{entity}/export.xlsx): the list's filter,
// sort and data scope, masking, formula-looking text kept as text, the row limit, the audit row,
// and no temporary file left behind. The workbook is read with the unzip CLI.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { readdirSync, writeFileSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { startServer } from './lib/harness.mjs';
import { assertError, dbExec } from './lib/checks.mjs';
import { session, as } from './lib/auth.mjs';

let srv;
const s = {};
const sql = (q) => dbExec(srv.env.JIANGUAN_DATABASE, q).trim();
let own;
let owner;
const MAX = 3; // JIANGUAN_MAX_EXPORT_ROWS of this server

before(async () => {
  srv = await startServer({ projects: 10, env: { JIANGUAN_CAPTCHA: 'off', JIANGUAN_MAX_EXPORT_ROWS: String(MAX) } });
  for (const u of ['contractor', 'gulou', 'xiamen']) s[u] = await session(srv, u);
  own = s.contractor.user.enterprise_id;
  owner = Number(sql(`SELECT id FROM enterprise WHERE id <> ${own} ORDER BY id LIMIT 1`));
  const bodies = [
    { project_name: '导出测试项目乙', remark: '=1+1', cost: '98765432.10' },
    { project_name: '导出测试项目甲', remark: '@SUM(A1)', cost: '0.50' },
    { project_name: '导出测试项目丙', remark: '-2+3', cost: '1200.00' },
    { project_name: '导出测试项目丁', remark: '第四个，超出上限用', cost: '1.00' },
  ];
  for (const b of bodies) {
    const r = await as(srv, s.contractor, '/api/v1/records/registration', {
      method: 'POST',
      body: {
        project_kind: 'building', org_code: '350102', address: '福州市鼓楼区导出路 1 号', applicant_id: own,
        owner_id: owner, contractor_id: own, planned_start_on: '2026-12-01', contact_name: '李四',
        contact_phone: '13912345678', ...b,
      },
    });
    assert.equal(r.status, 201, r.text);
  }
});
after(async () => { assert.equal(await srv.stop(), 0); });

const three = JSON.stringify({ field: 'project_name', op: 'in', value: ['导出测试项目甲', '导出测试项目乙', '导出测试项目丙'] });
const all4 = JSON.stringify({ field: 'project_name', op: 'like', value: '导出测试项目%' });
const url = (q) => '/api/v1/records/registration/export.xlsx?' + new URLSearchParams(q).toString();

const unescape = (t) => t.replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&quot;/g, '"').replace(/&apos;/g, "'")
  .replace(/&amp;/g, '&');

// The workbook's first sheet as rows of {col: {t, v}}, with the raw XML.
function sheet(buf) {
  const file = join(srv.dir, `export-${Date.now()}-${Math.random()}.xlsx`);
  writeFileSync(file, buf);
  const xml = execFileSync('unzip', ['-p', file, 'xl/worksheets/sheet1.xml']).toString('utf8');
  const names = execFileSync('unzip', ['-Z1', file]).toString('utf8');
  const rows = [];
  for (const m of xml.matchAll(/<row [^>]*>(.*?)<\/row>/gs)) {
    const row = {};
    for (const c of m[1].matchAll(/<c r="([A-Z]+)\d+"([^>]*?)(?:\/>|>(.*?)<\/c>)/gs)) {
      const t = /t="([^"]+)"/.exec(c[2])?.[1] ?? 'n';
      const inner = c[3] ?? '';
      const v = t === 'inlineStr' ? unescape(/<t[^>]*>(.*?)<\/t>/s.exec(inner)?.[1] ?? '') : /<v>(.*?)<\/v>/s.exec(inner)?.[1];
      row[c[1]] = { t, v };
    }
    rows.push(row);
  }
  return { xml, rows, names };
}

// Rows as objects keyed by the header labels.
function records(sh) {
  const head = sh.rows[0];
  return sh.rows.slice(1).map((r) => Object.fromEntries(Object.entries(r).map(([col, c]) => [head[col].v, c])));
}

test('the contractor exports its records: labels, values, types, formula-looking text as strings', async () => {
  const r = await as(srv, s.contractor, url({ filter: three }));
  assert.equal(r.status, 200, r.text);
  assert.match(r.headers.get('content-type'), /spreadsheetml\.sheet/);
  const cd = r.headers.get('content-disposition');
  assert.match(cd, /^attachment; filename="registration-\d{8}\.xlsx"; filename\*=UTF-8''/);
  assert.ok(cd.includes(encodeURIComponent('项目报监')), cd);
  assert.equal(r.buf.subarray(0, 2).toString(), 'PK');
  const sh = sheet(r.buf);
  assert.match(sh.names, /xl\/workbook\.xml/);
  const head = Object.values(sh.rows[0]).map((c) => c.v);
  assert.deepEqual(head.slice(0, 4), ['编号', '项目名称', '工程类别', '项目所在地'], 'list columns first');
  for (const l of ['联系电话', '备注', '状态', '创建时间', '修改时间', '工程造价（元）']) assert.ok(head.includes(l), l);
  assert.equal(new Set(head).size, head.length, 'no column twice');
  const rec = records(sh);
  assert.equal(rec.length, 3);
  // default sort -id: newest first
  assert.deepEqual(rec.map((x) => x['项目名称'].v), ['导出测试项目丙', '导出测试项目甲', '导出测试项目乙']);
  const yi = rec[2];
  assert.equal(yi['联系电话'].v, '13912345678', 'the contractor may reveal its own declaration');
  assert.equal(yi['工程造价（元）'].t, 'n');
  assert.equal(Number(yi['工程造价（元）'].v), 98765432.1);
  assert.equal(yi['状态'].v, '草稿');
  assert.equal(yi['工程类别'].t, 'inlineStr');
  assert.notEqual(yi['工程类别'].v, '', 'enum label or code');
  assert.equal(yi['编号'].t, 'n');
  assert.equal(yi['计划开工日期'].t, 'n', 'dates are date cells');
  assert.equal(Number(yi['计划开工日期'].v), 46357, '2026-12-01 as an Excel serial date');
  // formula injection: the text is kept exactly, as a string cell, and nothing is a formula
  assert.deepEqual(rec.map((x) => x['备注']), [
    { t: 'inlineStr', v: '-2+3' }, { t: 'inlineStr', v: '@SUM(A1)' }, { t: 'inlineStr', v: '=1+1' }]);
  assert.doesNotMatch(sh.xml, /<f>|<f /);
});

test('the label of an enum code comes from its dictionary', async () => {
  const label = sql(`SELECT i.label FROM dictionary_item i JOIN dictionary d ON d.id = i.dictionary_id
    WHERE d.code = 'project_kind' AND i.code = 'building'`);
  const rec = records(sheet((await as(srv, s.contractor, url({ filter: three }))).buf));
  assert.ok(label.length > 0);
  assert.equal(rec[0]['工程类别'].v, label);
});

test('another sort is the list\'s sort; a bad sort or filter is refused like the list', async () => {
  let r = await as(srv, s.contractor, url({ filter: three, sort: 'cost' }));
  assert.equal(r.status, 200, r.text);
  assert.deepEqual(records(sheet(r.buf)).map((x) => x['项目名称'].v), ['导出测试项目甲', '导出测试项目丙', '导出测试项目乙']);
  r = await as(srv, s.contractor, url({ filter: three, sort: 'id' }));
  assert.deepEqual(records(sheet(r.buf)).map((x) => x['项目名称'].v), ['导出测试项目乙', '导出测试项目甲', '导出测试项目丙']);
  r = await as(srv, s.contractor, url({ sort: 'contact_phone' }));
  assertError(r.json, 'invalid');
  assert.equal(r.status, 400);
  r = await as(srv, s.contractor, url({ filter: '{"field":' }));
  assert.equal(r.status, 400);
  assert.ok(r.json.error.fields.filter);
});

test('gulou sees the records with the phone masked; xiamen gets a header only', async () => {
  let r = await as(srv, s.gulou, url({ filter: three }));
  assert.equal(r.status, 200, r.text);
  let rec = records(sheet(r.buf));
  assert.equal(rec.length, 3);
  assert.ok(rec.every((x) => x['联系电话'].v === '139****5678'), JSON.stringify(rec[0]['联系电话']));
  assert.doesNotMatch(sheet(r.buf).xml, /13912345678/);
  r = await as(srv, s.xiamen, url({ filter: three }));
  assert.equal(r.status, 200, r.text);
  const sh = sheet(r.buf);
  assert.equal(sh.rows.length, 1);
  assert.equal(sh.rows[0].A.v, '编号');
  assert.doesNotMatch(sh.xml, /导出测试/);
});

test('more records than max_export_rows: 400 asking to narrow the filter, nothing audited', async () => {
  const before = Number(sql(`SELECT count(*) FROM audit_log WHERE action = 'record_export'`));
  const r = await as(srv, s.contractor, url({ filter: all4 }));
  assert.equal(r.status, 400, r.text);
  assertError(r.json, 'invalid');
  assert.match(r.json.error.message, /缩小筛选范围/);
  assert.match(r.json.error.message, new RegExp(String(MAX)));
  assert.equal(Number(sql(`SELECT count(*) FROM audit_log WHERE action = 'record_export'`)), before);
});

test('each export is audited with its filter; no temporary file is left', async () => {
  const n = Number(sql(`SELECT count(*) FROM audit_log WHERE action = 'record_export'`));
  const r = await as(srv, s.gulou, url({ filter: three, sort: 'cost' }));
  assert.equal(r.status, 200);
  const rows = sql(`SELECT username || '|' || entity || '|' || detail FROM audit_log WHERE action = 'record_export'
    ORDER BY id DESC LIMIT 1`);
  assert.equal(Number(sql(`SELECT count(*) FROM audit_log WHERE action = 'record_export'`)), n + 1);
  const [user, entity, detail] = rows.split('|');
  assert.equal(user, 'gulou');
  assert.equal(entity, 'registration');
  const d = JSON.parse(detail);
  assert.equal(d.filter, three);
  assert.equal(d.sort, 'cost');
  assert.equal(d.rows, 3);
  const tmp = join(srv.env.JIANGUAN_DATA_DIR, 'tmp');
  assert.ok(existsSync(tmp));
  assert.deepEqual(readdirSync(tmp), []);
});

test('without read permission there is nothing to export', async () => {
  const r = await as(srv, s.contractor, '/api/v1/records/nosuch/export.xlsx');
  assert.equal(r.status, 404);
  const anon = await fetch(srv.url + url({}));
  assert.equal(anon.status, 401);
});
