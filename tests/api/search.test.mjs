// Global search (GET /api/v1/search) over the searchable fields of 项目报监 (project_name, address):
// 3+ and 2-character Chinese words, ASCII without case, numbers, several words; the data scope
// (region and enterprise), deleted records, updates seen at once (the index moves with the write),
// highlights whose ranges point at the match, bad queries, LIKE wildcards taken literally, and
// entities the caller may not read.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startServer } from './lib/harness.mjs';
import { assertError, dbExec, req } from './lib/checks.mjs';
import { session, as } from './lib/auth.mjs';

let srv;
const s = {};
const sql = (q) => dbExec(srv.env.JIANGUAN_DATABASE, q).trim();
let own; // the contractor's enterprise
let other; // another enterprise
const rec = {};

before(async () => {
  srv = await startServer({ projects: 10, env: { JIANGUAN_CAPTCHA: 'off' } });
  for (const u of ['contractor', 'gulou', 'xiamen', 'fuzhou', 'auditor']) s[u] = await session(srv, u);
  own = s.contractor.user.enterprise_id;
  other = Number(sql(`SELECT id FROM enterprise WHERE id <> ${own} ORDER BY id LIMIT 1`));
  const make = async (name, extra) => {
    const r = await as(srv, s.contractor, '/api/v1/records/registration', { method: 'POST', body: {
      project_name: name, project_kind: 'building', org_code: '350102', address: '福州市鼓楼区五四路 88 号',
      applicant_id: own, owner_id: other, ...extra } });
    assert.equal(r.status, 201, r.text);
    return r.json;
  };
  rec.a = await make('鑫淼福州市鼓楼区搜索测试综合楼');
  rec.ascii = await make('BIM中心ABC123大厦', { address: '福州市鼓楼区珠峰路 8848 号' });
  rec.xm = await make('厦门思明区鑫垚测试大楼', { org_code: '350203', address: '厦门市思明区鹭江道 1 号' });
  rec.pct = await make('折扣50%_测试楼');
  rec.plain = await make('折扣5000测试楼');
  rec.gone = await make('焱燚待删除项目');
  rec.upd = await make('旧名称犇骉项目');
  // A declaration of another enterprise, written straight into the table (the index follows it too).
  sql(`INSERT INTO e_registration (state, version, created_by, created_at, updated_by, updated_at, project_name,
    project_kind, org_code, address, applicant_id, owner_id) VALUES ('draft', 1, 1, '2026-01-01T00:00:00.000Z', 1,
    '2026-01-01T00:00:00.000Z', '他家鑫淼搜索测试项目', 'building', '350102', '福州市鼓楼区西湖路', ${other}, ${other})`);
  rec.otherId = Number(sql(`SELECT id FROM e_registration WHERE project_name = '他家鑫淼搜索测试项目'`));
});
after(async () => { assert.equal(await srv.stop(), 0); });

const search = (who, q, extra = '') => as(srv, s[who], '/api/v1/search?q=' + encodeURIComponent(q) + extra);
const ids = (r) => r.json.data.map((x) => x.id).sort((a, b) => a - b);
const chars = (text, [start, len]) => [...text].slice(start, start + len).join('');

test('a 3+ character Chinese word: the record, its title and highlights whose ranges point at the match', async () => {
  const r = await search('fuzhou', '搜索测试综合楼');
  assert.equal(r.status, 200, r.text);
  assert.deepEqual(ids(r), [rec.a.id]);
  const hit = r.json.data[0];
  assert.equal(hit.entity, 'registration');
  assert.equal(hit.entity_label, '项目报监');
  assert.equal(hit.title, '鑫淼福州市鼓楼区搜索测试综合楼');
  assert.equal(hit.highlights.length, 1);
  const h = hit.highlights[0];
  assert.equal(h.field, 'project_name');
  assert.equal(h.label, '项目名称');
  assert.equal(h.text, '鑫淼福州市鼓楼区搜索测试综合楼');
  assert.deepEqual(h.ranges, [[8, 7]]);
  assert.equal(chars(h.text, h.ranges[0]), '搜索测试综合楼');
  assert.equal(r.json.page, 1);
  assert.equal(r.json.has_more, false);
  // 鼓楼区 is in every address here, and in rec.a's name too: the name match comes first although
  // newer records hold the word (in their address only).
  const all = (await search('fuzhou', '鼓楼区', '&size=50')).json.data.map((x) => x.id);
  assert.ok(all.length >= 6);
  assert.equal(all[0], rec.a.id);
  assert.ok(rec.pct.id > rec.a.id && all.indexOf(rec.pct.id) > 0, 'a newer record with the word in its address only comes after');
  assert.deepEqual(all.slice(1, 4), [rec.upd.id, rec.gone.id, rec.plain.id], 'then newest first');
});

test('a 2-character Chinese word is found too (no trigram: the columns are read)', async () => {
  let r = await search('fuzhou', '鑫淼');
  assert.equal(r.status, 200, r.text);
  assert.deepEqual(ids(r), [rec.a.id, rec.otherId].sort((a, b) => a - b));
  for (const hit of r.json.data)
    for (const h of hit.highlights)
      for (const range of h.ranges) assert.equal(chars(h.text, range), '鑫淼');
  // The address matches in every record made here: both fields highlighted, the title ranked first.
  r = await search('fuzhou', '鼓楼');
  assert.ok(r.json.data.length >= 6);
  const a = r.json.data.find((x) => x.id === rec.a.id);
  assert.deepEqual(a.highlights.map((h) => h.field), ['project_name', 'address']);
  assert.equal(chars(a.highlights[1].text, a.highlights[1].ranges[0]), '鼓楼');
  assert.ok(r.json.data.findIndex((x) => x.id === rec.a.id) < r.json.data.findIndex((x) => x.id === rec.pct.id),
    'a record with the word in its title comes before one with it only in the address');
});

test('a rare 2-character word: at the end of a field, in the middle, with another word, in no record', async () => {
  // Sixty other records make the words below rare (SQLite then searches the trigrams they begin).
  sql(`WITH RECURSIVE g(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM g WHERE n < 60)
    INSERT INTO e_registration (state, version, created_by, created_at, updated_by, updated_at, project_name,
    project_kind, org_code, address, applicant_id, owner_id) SELECT 'draft', 1, 1, '2026-01-01T00:00:00.000Z', 1,
    '2026-01-01T00:00:00.000Z', '填充项目' || n, 'building', '350102', '福建省某路', ${own}, ${other} FROM g`);
  const end = await as(srv, s.contractor, '/api/v1/records/registration', { method: 'POST', body: {
    project_name: '测试工地甪直', project_kind: 'building', org_code: '350102', address: '福州市某路 1 号',
    applicant_id: own, owner_id: other } });
  assert.equal(end.status, 201, end.text);
  const mid = await as(srv, s.contractor, '/api/v1/records/registration', { method: 'POST', body: {
    project_name: 'XQ中间记录', project_kind: 'building', org_code: '350102', address: '福州市甪直路 1 号',
    applicant_id: own, owner_id: other } });
  assert.equal(mid.status, 201, mid.text);
  let r = await search('fuzhou', '甪直');
  assert.equal(r.status, 200, r.text);
  assert.deepEqual(ids(r), [end.json.id, mid.json.id].sort((a, b) => a - b), 'at the end of the name, in the address');
  assert.equal(r.json.data[0].id, end.json.id, 'the one with the word in its title first');
  assert.deepEqual(ids(await search('fuzhou', '甪直 工地')), [end.json.id]);
  assert.deepEqual(ids(await search('fuzhou', 'xq 甪直')), [mid.json.id], 'ASCII letters without case');
  assert.deepEqual(ids(await search('fuzhou', '甪直路')), [mid.json.id]);
  assert.deepEqual((await search('fuzhou', '龘靐')).json.data, [], 'a word in no record');
  assert.deepEqual((await search('xiamen', '甪直')).json.data, [], 'outside the scope');
  if (srv.env.JIANGUAN_DATABASE.startsWith('sqlite:'))
    assert.equal(sql(`SELECT count(*) FROM e_registration__fts_v WHERE term >= '甪直' AND term < '甪直' || char(1114111)`),
      '2', 'the vocabulary lists the trigrams the word begins: 甪直<end> and 甪直路');
  r = await as(srv, s.contractor, `/api/v1/records/registration/${end.json.id}`, { method: 'PUT',
    body: { version: end.json.version, project_name: '测试工地改名' } });
  assert.equal(r.status, 200, r.text);
  assert.deepEqual(ids(await search('fuzhou', '甪直')), [mid.json.id], 'the old name left the index');
});

test('ASCII without case, numbers, several words (AND, in any field)', async () => {
  let r = await search('fuzhou', 'abc123');
  assert.deepEqual(ids(r), [rec.ascii.id]);
  const h = r.json.data[0].highlights[0];
  assert.equal(chars(h.text, h.ranges[0]), 'ABC123');
  r = await search('fuzhou', '8848');
  assert.deepEqual(ids(r), [rec.ascii.id]);
  assert.equal(r.json.data[0].highlights[0].field, 'address');
  r = await search('fuzhou', 'bim 珠峰路');
  assert.deepEqual(ids(r), [rec.ascii.id], 'one word in the name, one in the address');
  r = await search('fuzhou', '鑫淼 综合楼');
  assert.deepEqual(ids(r), [rec.a.id]);
  r = await search('fuzhou', '　鑫淼　　西湖路 '); // ideographic spaces around and between
  assert.deepEqual(ids(r), [rec.otherId]);
  r = await search('fuzhou', '鑫淼 没有这个词');
  assert.deepEqual(r.json.data, []);
});

test('the data scope: 厦门 does not find 福州, 福州 does not find 厦门, an enterprise finds only its own', async () => {
  let r = await search('xiamen', '鑫淼');
  assert.equal(r.status, 200);
  assert.deepEqual(r.json.data, []);
  r = await search('xiamen', '鑫垚测试');
  assert.deepEqual(ids(r), [rec.xm.id]);
  r = await search('fuzhou', '鑫垚测试');
  assert.deepEqual(r.json.data, []);
  r = await search('gulou', '鑫淼');
  assert.deepEqual(ids(r), [rec.a.id, rec.otherId].sort((a, b) => a - b));
  r = await search('contractor', '鑫淼');
  assert.deepEqual(ids(r), [rec.a.id], 'not the other enterprise\'s declaration');
  r = await search('contractor', '他家鑫淼');
  assert.deepEqual(r.json.data, []);
});

test('deleted records are not found; an update is found at once', async () => {
  let r = await search('fuzhou', '焱燚待删除');
  assert.deepEqual(ids(r), [rec.gone.id]);
  assert.equal((await as(srv, s.contractor, `/api/v1/records/registration/${rec.gone.id}`, { method: 'DELETE' })).status, 200);
  r = await search('fuzhou', '焱燚待删除');
  assert.deepEqual(r.json.data, []);
  r = await search('fuzhou', '焱燚');
  assert.deepEqual(r.json.data, []);

  r = await as(srv, s.contractor, `/api/v1/records/registration/${rec.upd.id}`, { method: 'PUT',
    body: { version: rec.upd.version, project_name: '新名称麒麟项目' } });
  assert.equal(r.status, 200, r.text);
  assert.deepEqual((await search('fuzhou', '犇骉项目')).json.data, [], 'the old name is gone from the index');
  assert.deepEqual((await search('fuzhou', '犇骉')).json.data, []);
  assert.deepEqual(ids(await search('fuzhou', '麒麟项目')), [rec.upd.id]);
  assert.deepEqual(ids(await search('fuzhou', '麒麟')), [rec.upd.id]);
});

test('LIKE wildcards are taken literally', async () => {
  let r = await search('fuzhou', '50%_');
  assert.deepEqual(ids(r), [rec.pct.id]);
  r = await search('fuzhou', '%_');
  assert.deepEqual(ids(r), [rec.pct.id]);
  r = await search('fuzhou', '折扣5%');
  assert.deepEqual(r.json.data, [], '% does not stand for 000');
  r = await search('fuzhou', '扣_0');
  assert.deepEqual(r.json.data, [], '_ does not stand for one character');
  r = await search('fuzhou', '"鑫淼\'');
  assert.equal(r.status, 200);
  assert.deepEqual(r.json.data, []);
});

test('bad queries: 400 with a Chinese message on q', async () => {
  for (const q of [undefined, '', '   ', '　', 'a'.repeat(51), '福'.repeat(51), 'a b c d e f g h i j k']) {
    const r = await as(srv, s.fuzhou, '/api/v1/search' + (q === undefined ? '' : '?q=' + encodeURIComponent(q)));
    assert.equal(r.status, 400, `${q}: ${r.text}`);
    assertError(r.json, 'invalid');
    assert.match(r.json.error.fields.q, /[\u4e00-\u9fff]/);
  }
  let r = await search('fuzhou', '福'.repeat(50));
  assert.equal(r.status, 200, '50 Chinese characters are allowed');
  r = await search('fuzhou', '鑫淼', '&page=21&size=50');
  assert.equal(r.status, 400);
  assert.ok(r.json.error.fields.page);
  r = await search('fuzhou', '鑫淼', '&size=51');
  assert.equal(r.status, 400);
  r = await search('fuzhou', '鑫淼', '&entity=no_such');
  assert.equal(r.status, 404);
  r = await req(srv.url + '/api/v1/search?q=abc');
  assert.equal(r.status, 401);
});

test('paging and the entity filter', async () => {
  let r = await search('fuzhou', '测试', '&size=2');
  assert.equal(r.json.data.length, 2);
  assert.equal(r.json.has_more, true);
  const all = (await search('fuzhou', '测试', '&size=50')).json.data.map((x) => x.id);
  r = await search('fuzhou', '测试', '&size=2&page=2');
  assert.deepEqual(r.json.data.map((x) => x.id), all.slice(2, 4));
  r = await search('fuzhou', '鑫淼', '&entity=registration');
  assert.equal(r.json.data.length, 2);
});

test('no read permission: nothing from that entity', async () => {
  let r = await search('auditor', '鑫淼');
  assert.equal(r.status, 200, r.text);
  assert.deepEqual(r.json.data, []);
  r = await search('auditor', '鑫淼', '&entity=registration');
  assert.equal(r.status, 404);
});
