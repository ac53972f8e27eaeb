// 建设单位首要责任季度评价 (defs/credit/owner_quarterly, issue 7, lane quarterly): the county's submission
// scored by the rule credit.owner_quarterly, the county → city → province process, the region summary
// (visible to the city and the province, not to another city), correction by a correcting version, the
// published ranking lowest score first (JSON, public and PDF), and the import template with a bad row.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { startServer } from './lib/harness.mjs';
import { xlsx } from './lib/xlsx.mjs';
import { assertError, dbExec, req } from './lib/checks.mjs';
import { session, as } from './lib/auth.mjs';

let srv;
const s = {};
let owners; // three owner enterprises: [{id, name}]
const sql = (q) => dbExec(srv.env.JIANGUAN_DATABASE, q).trim();
const post = (who, path, body) => as(srv, s[who], path, { method: 'POST', body });
const get = (who, path) => as(srv, s[who], path);
const PERIOD = '2026Q3';

before(async () => {
  srv = await startServer({ projects: 10, env: { JIANGUAN_CAPTCHA: 'off', JIANGUAN_AUTH_RATE_PER_MINUTE: '100000' } });
  for (const u of ['gulou', 'gulou_chief', 'fuzhou', 'province', 'xiamen', 'contractor']) s[u] = await session(srv, u);
  owners = sql(`SELECT id, name FROM enterprise WHERE kinds LIKE '%owner%' ORDER BY id LIMIT 3`).split('\n')
    .map((l) => { const [id, name] = l.split('|'); return { id: Number(id), name }; });
  assert.equal(owners.length, 3);
});
after(async () => {
  const code = await srv.stop();
  assert.equal(code, 0, srv.stderr().split('\n').filter((l) => !/ INFO /.test(l)).join('\n'));
});

function task(id, node) {
  const row = sql(`SELECT t.id, t.version FROM flow_task t JOIN flow_instance i ON i.id = t.instance_id` +
    ` WHERE i.entity = 'owner_quarterly' AND i.record_id = ${id} AND t.node = '${node}' AND t.state = 'open'`);
  assert.ok(row && !row.includes('\n'), `one open task ${node} on ${id}: ${row}`);
  const [tid, version] = row.split('|').map(Number);
  return { id: tid, version };
}
async function complete(id, node, who, action, status = 200) {
  const t = task(id, node);
  const r = await post(who, `/api/v1/flow/tasks/${t.id}/complete`, { version: t.version, action, opinion: '同意' });
  assert.equal(r.status, status, r.text);
  return r;
}
const state = (id) => sql(`SELECT state FROM e_owner_quarterly WHERE id = ${id}`);
const record = async (id, who = 'gulou') => {
  const r = await get(who, `/api/v1/records/owner_quarterly/${id}`);
  assert.equal(r.status, 200, r.text);
  return r.json;
};
async function draft(body, who = 'gulou') {
  const r = await post(who, '/api/v1/records/owner_quarterly', { period: PERIOD, org_code: '350102', ...body });
  assert.equal(r.status, 201, r.text);
  return r.json;
}
const submit = (id, who = 'gulou') =>
  post(who, '/api/v1/flow/instances', { key: 'owner_quarterly', entity: 'owner_quarterly', record_id: id });
async function publish(id) {
  const r = await submit(id);
  assert.equal(r.status, 201, r.text);
  assert.equal(state(id), 'city_review');
  await complete(id, 'CityReview', 'fuzhou', 'approve');
  assert.equal(state(id), 'province_review');
  await complete(id, 'ProvinceReview', 'province', 'publish');
  assert.equal(state(id), 'published');
}

const A = {}; // records made by the tests, by name

test('submission: the rule scores it (filled indicators, deductions), refuses scores above full marks', async () => {
  // Filled in: 18 + 20 + 15.5 + 20 + 19 = 92.5.
  A.filled = await draft({ project_name: '鼓楼首要责任测试项目甲', owner_id: owners[0].id, ind_procedure: '18',
    ind_system: '20', ind_payment: '15.5', ind_schedule: '20', ind_site: '19' });
  // Left blank, itemised: site 20 − 3 − 2.5 = 14.5, payment 20 − 6 = 14, others full: 88.5.
  A.itemised = await draft({ project_name: '鼓楼首要责任测试项目乙', owner_id: owners[1].id, deductions: [
    { indicator: 'site', points: '3', fact: '未按规定组织危大工程论证' },
    { indicator: 'site', points: '2.5', fact: '未及时整改' },
    { indicator: 'payment', points: '6', fact: '安全文明施工费未按期支付' }] });
  // Above full marks: refused at submission with the field named, nothing kept.
  A.bad = await draft({ project_name: '鼓楼首要责任测试项目丙', owner_id: owners[2].id, ind_site: '25' });
  let r = await submit(A.bad.id);
  assert.equal(r.status, 400, r.text);
  assertError(r.json, 'invalid');
  assert.match(r.json.error.fields.ind_site, /超过满分/);
  assert.equal(state(A.bad.id), 'draft');
  assert.equal(sql(`SELECT count(*) FROM flow_instance WHERE entity = 'owner_quarterly' AND record_id = ${A.bad.id}`), '0');

  for (const [k, total] of [['filled', '92.5'], ['itemised', '88.5']]) {
    r = await submit(A[k].id);
    assert.equal(r.status, 201, r.text);
    const rec = await record(A[k].id);
    assert.equal(rec.state, 'city_review');
    assert.equal(rec.total_score, total, k);
    assert.match(rec.explanation, /综合得分/);
    assert.match(rec.explanation, /credit\.owner_quarterly/);
  }
  assert.match((await record(A.itemised.id)).explanation, /现场质量安全管理：14\.5（满分 20\.0 − 扣分 5\.5）/);
  // In review the county cannot edit it.
  const cur = await record(A.filled.id);
  r = await as(srv, s.gulou, `/api/v1/records/owner_quarterly/${A.filled.id}`,
    { method: 'PUT', body: { version: cur.version, ind_site: '20' } });
  assert.equal(r.status, 409, r.text);
});

test('aggregation: the city and the province see the region summary; another city does not', async () => {
  // The city sees the county's submissions, by county.
  let r = await get('fuzhou', `/api/v1/credit/owner-quarterly/summary?period=${PERIOD}&by=county`);
  assert.equal(r.status, 200, r.text);
  const gl = r.json.data?.regions ?? r.json.regions;
  const row = gl.find((x) => x.org_code === '350102');
  assert.ok(row, r.text);
  assert.equal(row.records, 3);
  assert.equal(row.city_review, 2);
  assert.equal(row.draft, 1);
  assert.equal(row.scored, 2);
  assert.equal(row.average, 90.5);
  assert.equal(row.min, 88.5);
  assert.equal(row.max, 92.5);
  assert.equal(row.name, '鼓楼区');
  // The province, by city.
  r = await get('province', `/api/v1/credit/owner-quarterly/summary?period=${PERIOD}`);
  assert.equal(r.status, 200, r.text);
  const fz = (r.json.data?.regions ?? r.json.regions).find((x) => x.org_code === '3501');
  assert.equal(fz.records, 3);
  assert.equal(fz.name, '福州市');
  // 厦门 sees nothing of 福州, neither in the summary nor the records.
  r = await get('xiamen', `/api/v1/credit/owner-quarterly/summary?period=${PERIOD}`);
  assert.equal(r.status, 200, r.text);
  assert.deepEqual(r.json.data?.regions ?? r.json.regions, []);
  r = await get('xiamen', `/api/v1/records/owner_quarterly/${A.filled.id}`);
  assert.equal(r.status, 404, r.text);
  r = await get('xiamen', '/api/v1/records/owner_quarterly');
  assert.equal(r.status, 200, r.text);
  assert.equal(r.json.items.length, 0);
  // 厦门 cannot do the city step of 福州's submission either.
  const t = task(A.filled.id, 'CityReview');
  r = await post('xiamen', `/api/v1/flow/tasks/${t.id}/complete`, { version: t.version, action: 'approve' });
  assert.ok([403, 404].includes(r.status), r.text);
  // Bad parameters.
  r = await get('province', '/api/v1/credit/owner-quarterly/summary?period=2026Q5&by=town');
  assert.equal(r.status, 400, r.text);
  assert.ok(r.json.error.fields.period && r.json.error.fields.by, r.text);
  // An enterprise user has no such permission.
  r = await get('contractor', `/api/v1/credit/owner-quarterly/summary?period=${PERIOD}`);
  assert.equal(r.status, 403, r.text);
});

test('publication: city approves, province publishes; the ranking is lowest score first', async () => {
  // The city returns one to the county; the county revises and resubmits, which scores again.
  await complete(A.itemised.id, 'CityReview', 'fuzhou', 'return');
  assert.equal(state(A.itemised.id), 'draft');
  const cur = await record(A.itemised.id);
  let r = await as(srv, s.gulou, `/api/v1/records/owner_quarterly/${A.itemised.id}`,
    { method: 'PUT', body: { version: cur.version, ind_procedure: '10' } });
  assert.equal(r.status, 200, r.text);
  await complete(A.itemised.id, 'Revise', 'gulou', undefined);
  assert.equal((await record(A.itemised.id)).total_score, '78.5'); // 10 + 20 + 14 + 20 + 14.5
  for (const k of ['filled', 'itemised']) {
    await complete(A[k].id, 'CityReview', 'fuzhou', 'approve');
    await complete(A[k].id, 'ProvinceReview', 'province', 'publish');
    const rec = await record(A[k].id);
    assert.equal(rec.state, 'published');
    assert.match(rec.published_on, /^\d{4}-\d{2}-\d{2}$/);
  }
  // A third published one, scoring in between (filled in by the county chief).
  A.third = await draft({ project_name: '鼓楼首要责任测试项目丁', owner_id: owners[2].id, ind_procedure: '20',
    ind_system: '20', ind_payment: '20', ind_schedule: '20', ind_site: '0' }, 'gulou_chief');
  const sub = await submit(A.third.id, 'gulou_chief');
  assert.equal(sub.status, 201, sub.text);
  await complete(A.third.id, 'CityReview', 'fuzhou', 'approve');
  await complete(A.third.id, 'ProvinceReview', 'province', 'publish');

  r = await get('province', `/api/v1/credit/owner-quarterly/ranking?period=${PERIOD}`);
  assert.equal(r.status, 200, r.text);
  const items = r.json.data?.items ?? r.json.items;
  assert.deepEqual(items.map((x) => x.total_score), ['78.5', '80.0', '92.5']);
  assert.deepEqual(items.map((x) => x.rank), [1, 2, 3]);
  assert.equal(items[0].owner, owners[1].name);
  assert.equal(items[0].region, '鼓楼区');
  // The public list, without a login, the same order; 厦门's city filter gives nothing.
  r = await req(`${srv.url}/api/v1/public/owner-quarterly/ranking?period=${PERIOD}&city=3501`);
  assert.equal(r.status, 200, r.text);
  assert.deepEqual((r.json.data?.items ?? r.json.items).map((x) => x.id), [A.itemised.id, A.third.id, A.filled.id]);
  r = await req(`${srv.url}/api/v1/public/owner-quarterly/ranking?period=${PERIOD}&city=3502`);
  assert.deepEqual(r.json.data?.items ?? r.json.items, []);
  r = await req(`${srv.url}/api/v1/public/owner-quarterly/ranking`);
  assert.equal(r.status, 400, r.text);
  // The same ranking, printed.
  r = await get('province', `/api/v1/credit/owner-quarterly/ranking/print?period=${PERIOD}`);
  assert.equal(r.status, 200, r.text);
  assert.equal(r.headers.get('content-type'), 'application/pdf');
  assert.equal(r.buf.subarray(0, 5).toString(), '%PDF-');
  const text = execFileSync('pdftotext', ['-', '-'], { input: r.buf }).toString().replace(/\s+/g, '');
  const order = ['鼓楼首要责任测试项目乙', '鼓楼首要责任测试项目丁', '鼓楼首要责任测试项目甲'].map((n) => text.indexOf(n));
  assert.ok(order.every((i) => i >= 0) && order[0] < order[1] && order[1] < order[2], text);
  assert.ok(text.includes('2026年第3季度'), text);
  // A published evaluation prints with its own template.
  r = await get('gulou', `/api/v1/records/owner_quarterly/${A.filled.id}/print/result`);
  assert.equal(r.status, 200, r.text);
  // Published is read-only.
  const pub = await record(A.filled.id);
  r = await as(srv, s.gulou, `/api/v1/records/owner_quarterly/${A.filled.id}`,
    { method: 'PUT', body: { version: pub.version, ind_site: '20' } });
  assert.equal(r.status, 409, r.text);
});

test('correction: a correcting version replaces the published one when it is published', async () => {
  // Correcting a record that is not published is refused.
  const wrong = await draft({ project_name: '鼓楼首要责任测试项目乙', owner_id: owners[1].id, corrects_id: A.bad.id,
    correction_reason: '测试' });
  let r = await submit(wrong.id);
  assert.equal(r.status, 400, r.text);
  assert.match(r.json.error.fields.corrects_id, /已发布/);
  // Nor one of another owner.
  const wrongOwner = await draft({ project_name: '鼓楼首要责任测试项目乙', owner_id: owners[0].id, corrects_id: A.itemised.id });
  r = await submit(wrongOwner.id);
  assert.equal(r.status, 400, r.text);
  assert.match(r.json.error.fields.corrects_id, /同一建设单位/);
  // The correction of 乙 (78.5 → 100).
  const fix = await draft({ project_name: '鼓楼首要责任测试项目乙', owner_id: owners[1].id, corrects_id: A.itemised.id,
    correction_reason: '核实后扣分不成立', ind_procedure: '20', ind_system: '20', ind_payment: '20',
    ind_schedule: '20', ind_site: '20' });
  await publish(fix.id);
  assert.equal(state(A.itemised.id), 'superseded');
  assert.equal((await record(A.itemised.id)).total_score, '78.5', 'the corrected record keeps its values');
  r = await get('province', `/api/v1/credit/owner-quarterly/ranking?period=${PERIOD}`);
  const items = r.json.data?.items ?? r.json.items;
  assert.deepEqual(items.map((x) => x.id), [A.third.id, A.filled.id, fix.id]);
  assert.deepEqual(items.map((x) => x.total_score), ['80.0', '92.5', '100.0']);
  // The superseded record has the state change in its history.
  assert.equal(sql(`SELECT new_value FROM entity_history WHERE entity = 'owner_quarterly' AND record_id = ${A.itemised.id}` +
    ` AND field = 'state' AND action = 'flow' ORDER BY id DESC LIMIT 1`), '"superseded"');
  // The superseded one no longer counts in the summary.
  r = await get('fuzhou', `/api/v1/credit/owner-quarterly/summary?period=${PERIOD}&by=county`);
  const row = (r.json.data?.regions ?? r.json.regions).find((x) => x.org_code === '350102');
  assert.equal(row.published, 3);
  // A second correction of the same original cannot be published any more.
  const again = await draft({ project_name: '鼓楼首要责任测试项目乙', owner_id: owners[1].id, corrects_id: A.itemised.id,
    ind_site: '1' });
  r = await submit(again.id);
  assert.equal(r.status, 400, r.text);
});

test('the import template downloads; an import with a bad row reports it and writes nothing', async () => {
  let r = await get('gulou', '/api/v1/records/owner_quarterly/import-template.xlsx');
  assert.equal(r.status, 200, r.text);
  assert.match(r.headers.get('content-type'), /spreadsheetml\.sheet/);
  const tpl = `${srv.dir}/owner-template.xlsx`;
  execFileSync('sh', ['-c', `cat > ${tpl}`], { input: r.buf });
  const xml = execFileSync('unzip', ['-p', tpl, 'xl/worksheets/sheet1.xml']).toString();
  for (const l of ['评价季度', '所在县（市、区）', '项目名称', '建设单位', '依法履行建设程序', '现场质量安全管理']) {
    assert.ok(xml.includes(l), l);
  }
  const HEAD = ['评价季度', '所在县（市、区）', '项目名称', '建设单位', '依法履行建设程序', '质量安全管理体系',
    '工程款与安全文明施工费支付', '合理工期与造价', '现场质量安全管理'];
  const file = xlsx([HEAD,
    ['2026Q4', '350102', '导入项目一', owners[0].name, 20, 20, 18, 20, 19.5],
    ['2026Q9', '350102', '导入项目二', owners[1].name, 20, 20, 20, 20, 20],
    ['2026Q4', '350102', '导入项目三', owners[2].name, 20, 20, 20, 20, 20]]);
  const send = (query) => {
    const boundary = 'jgquarterly';
    const body = Buffer.concat([Buffer.from(`--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="季度评价.xlsx"\r\n\r\n`),
      file, Buffer.from(`\r\n--${boundary}--\r\n`)]);
    return req(`${srv.url}/api/v1/records/owner_quarterly/import${query}`, { method: 'POST', body,
      headers: { cookie: s.gulou.cookie, 'x-csrf-token': s.gulou.csrf, 'content-type': `multipart/form-data; boundary=${boundary}` } });
  };
  r = await send('');
  assert.equal(r.status, 400, r.text);
  const rep = r.json.error.report;
  assert.equal(rep.total, 3);
  assert.equal(rep.rejected, 1);
  assert.equal(rep.imported, 0);
  assert.equal(rep.errors[0].row, 3);
  assert.equal(rep.errors[0].column, '评价季度');
  assert.equal(sql(`SELECT count(*) FROM e_owner_quarterly WHERE project_name LIKE '导入项目%'`), '0');
  // mode valid: the good rows go in as drafts, ready to be submitted.
  r = await send('?mode=valid');
  assert.equal(r.status, 200, r.text);
  assert.equal(r.json.data.imported, 2);
  const id = Number(sql(`SELECT id FROM e_owner_quarterly WHERE project_name = '导入项目一'`));
  assert.equal(state(id), 'draft');
  r = await submit(id);
  assert.equal(r.status, 201, r.text);
  assert.equal((await record(id)).total_score, '97.5');
  // 厦门 may not import into 鼓楼.
  const other = xlsx([HEAD, ['2026Q4', '350102', '导入项目四', owners[0].name, 20, 20, 20, 20, 20]]);
  const boundary = 'jgq2';
  r = await req(`${srv.url}/api/v1/records/owner_quarterly/import`, { method: 'POST',
    body: Buffer.concat([Buffer.from(`--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="x.xlsx"\r\n\r\n`),
      other, Buffer.from(`\r\n--${boundary}--\r\n`)]),
    headers: { cookie: s.xiamen.cookie, 'x-csrf-token': s.xiamen.csrf, 'content-type': `multipart/form-data; boundary=${boundary}` } });
  assert.equal(r.status, 400, r.text);
  assert.equal(r.json.error.report.rejected, 1);
});
