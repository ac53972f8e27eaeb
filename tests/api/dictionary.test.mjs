// Dictionaries (数据字典): the built-in ones arrive with `migrate` and survive edits; any logged-in
// user reads them (form pickers ask for ?enabled=1); holders of dict.manage add, rename, reorder
// and disable items, which are never deleted; every write is version-checked and audited.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { startServer, runVerb, root } from './lib/harness.mjs';
import { assertError, dbExec, req, CJK } from './lib/checks.mjs';
import { session, as } from './lib/auth.mjs';

let srv;
const s = {};
const get = (user, path) => as(srv, s[user], path);
const post = (user, path, body) => as(srv, s[user], path, { method: 'POST', body });
const put = (user, path, body) => as(srv, s[user], path, { method: 'PUT', body });
const sql = (text) => dbExec(srv.env.JIANGUAN_DATABASE, text).trim();
const defs = JSON.parse(readFileSync(join(root, 'defs/platform/dictionaries.json'), 'utf8')).dictionaries;

function auditRows(action, record) {
  const out = sql(`SELECT detail FROM audit_log WHERE action = '${action}' AND record_id = '${record}' ORDER BY id`);
  return out ? out.split('\n').map((l) => JSON.parse(l)) : [];
}

const codes = (d) => d.items.map((i) => i.code);

/** A fresh dictionary made by the province administrator, with items [code, label] in order. */
let serial = 0;
async function makeDict(items = [['a', '甲'], ['b', '乙'], ['c', '丙']]) {
  const code = `t_dict_${++serial}`;
  const r = await post('province', '/api/v1/dictionaries', { code, name: `测试字典${serial}`, description: '测试用' });
  assert.equal(r.status, 201, r.text);
  for (const [c, label] of items) {
    const i = await post('province', `/api/v1/dictionaries/${code}/items`, { code: c, label });
    assert.equal(i.status, 201, i.text);
  }
  return code;
}

before(async () => {
  srv = await startServer({ projects: 1, env: { JIANGUAN_CAPTCHA: 'off', JIANGUAN_AUTH_RATE_PER_MINUTE: '100000' } });
  for (const u of ['province', 'gulou', 'contractor']) s[u] = await session(srv, u);
});
after(async () => { assert.equal(await srv.stop(), 0); });

test('migrate brings the built-in dictionaries, which every logged-in user may read', async () => {
  for (const user of ['gulou', 'contractor']) {
    const r = await get(user, '/api/v1/dictionaries?size=100');
    assert.equal(r.status, 200, r.text);
    const byCode = Object.fromEntries(r.json.items.map((d) => [d.code, d]));
    for (const code of ['project_kind', 'structure_type', 'unit_use', 'party_role', 'person_role', 'hazard_kind',
      'enterprise_kind', 'registration_state']) {
      assert.ok(byCode[code], `${code} is there`);
      assert.equal(byCode[code].builtin, true);
      assert.equal(byCode[code].name, defs[code].name);
      assert.match(byCode[code].name, CJK);
      assert.equal(byCode[code].item_count, defs[code].items.length);
      assert.equal(byCode[code].version, 1);
    }
    const listed = r.json.items.map((d) => d.code);
    assert.deepEqual(listed, [...listed].sort(), 'listed by code');
  }
  const party = (await get('gulou', '/api/v1/dictionaries/party_role')).json;
  const labels = Object.fromEntries(party.items.map((i) => [i.code, i.label]));
  assert.equal(labels.owner, '建设单位');
  assert.equal(labels.contractor, '施工单位');
  assert.equal(labels.supervisor_firm, '监理单位');
  const state = (await get('gulou', '/api/v1/dictionaries/registration_state')).json;
  assert.deepEqual(codes(state), ['draft', 'submitted', 'accepted', 'registered', 'returned']);
  const ent = (await get('gulou', '/api/v1/dictionaries/enterprise_kind')).json;
  assert.deepEqual(codes(ent).sort(), ['concrete_plant', 'contractor', 'cost_consultant', 'crane_owner', 'designer',
    'fire_service', 'lab', 'owner', 'supervisor_firm', 'surveyor']);
  // Paging as elsewhere.
  const p1 = await get('gulou', '/api/v1/dictionaries?size=3');
  assert.equal(p1.json.items.length, 3);
  assert.equal(p1.json.has_more, true);
  const p2 = await get('gulou', '/api/v1/dictionaries?size=3&page=2');
  assert.notDeepEqual(p2.json.items.map((d) => d.code), p1.json.items.map((d) => d.code));
  assertError((await get('gulou', '/api/v1/dictionaries?size=0')).json, 'invalid');
  // Anonymous callers see nothing.
  const anon = await req(srv.url + '/api/v1/dictionaries/party_role');
  assert.equal(anon.status, 401);
});

test('items come in their order, with the tree of 危大工程 under 其他', async () => {
  const r = await get('contractor', '/api/v1/dictionaries/hazard_kind');
  assert.equal(r.status, 200, r.text);
  const d = r.json;
  assert.equal(d.code, 'hazard_kind');
  assert.deepEqual(codes(d), defs.hazard_kind.items.map((i) => i.code), 'the order of the definitions');
  assert.deepEqual(d.items.map((i) => i.sort_order), d.items.map((_, k) => (k + 1) * 10));
  const first = d.items.slice(0, 6).map((i) => i.label);
  assert.deepEqual(first, ['基坑工程', '模板工程及支撑体系', '起重吊装及起重机械安装拆卸工程', '脚手架工程', '拆除工程', '暗挖工程']);
  const curtain = d.items.find((i) => i.code === 'curtain_wall');
  assert.equal(curtain.parent_code, 'other');
  assert.equal(d.items.find((i) => i.code === 'foundation_pit').parent_code, null);
  for (const i of d.items) {
    assert.equal(i.enabled, true);
    assert.equal(i.builtin, true);
    assert.equal(i.version, 1);
  }
  const missing = await get('contractor', '/api/v1/dictionaries/no_such_dict');
  assert.equal(missing.status, 404);
  assertError(missing.json, 'not_found');
});

test('a new dictionary and its items, ordered by sort_order then code', async () => {
  const code = await makeDict([['z', '末'], ['m', '中'], ['a', '首']]);
  let d = (await get('gulou', `/api/v1/dictionaries/${code}`)).json;
  assert.equal(d.builtin, false);
  assert.deepEqual(codes(d), ['z', 'm', 'a'], 'each new item goes last');
  assert.deepEqual(d.items.map((i) => i.sort_order), [10, 20, 30]);
  // Same sort_order: the code decides.
  const r = await post('province', `/api/v1/dictionaries/${code}/items`, { code: 'b', label: '并列', sort_order: 20 });
  assert.equal(r.status, 201, r.text);
  assert.equal(r.json.dictionary, code);
  assert.equal(r.json.sort_order, 20);
  d = (await get('gulou', `/api/v1/dictionaries/${code}`)).json;
  assert.deepEqual(codes(d), ['z', 'b', 'm', 'a']);
  // Codes of items may hold capitals, digits, dots and dashes (GB codes such as 02.01-A).
  const gb = await post('province', `/api/v1/dictionaries/${code}/items`, { code: 'GB-02.01_x', label: '国标代码', enabled: false });
  assert.equal(gb.status, 201, gb.text);
  assert.equal(gb.json.enabled, false);
  assert.equal(gb.json.parent_code, null);
});

test('a disabled item is not offered but stays readable; nothing is deleted', async () => {
  const code = await makeDict();
  const b = (await get('province', `/api/v1/dictionaries/${code}`)).json.items.find((i) => i.code === 'b');
  const r = await put('province', `/api/v1/dictionaries/${code}/items/b`, { version: b.version, enabled: false });
  assert.equal(r.status, 200, r.text);
  assert.equal(r.json.enabled, false);
  assert.equal(r.json.version, b.version + 1);
  assert.equal(r.json.label, '乙', 'what the body leaves out stays');
  const offered = (await get('gulou', `/api/v1/dictionaries/${code}?enabled=1`)).json;
  assert.deepEqual(codes(offered), ['a', 'c']);
  const all = (await get('gulou', `/api/v1/dictionaries/${code}`)).json;
  assert.deepEqual(codes(all), ['a', 'b', 'c']);
  assert.equal(all.items[1].enabled, false);
  assert.deepEqual(codes((await get('gulou', `/api/v1/dictionaries/${code}?enabled=0`)).json), ['b']);
  const bad = await get('gulou', `/api/v1/dictionaries/${code}?enabled=yes`);
  assert.equal(bad.status, 400);
  assert.ok(assertError(bad.json, 'invalid').fields.enabled);
  // Re-enable it (0/1 are accepted as well as booleans).
  const again = await put('province', `/api/v1/dictionaries/${code}/items/b`, { version: r.json.version, enabled: 1 });
  assert.equal(again.status, 200, again.text);
  assert.equal(again.json.enabled, true);
  assert.deepEqual(codes((await get('gulou', `/api/v1/dictionaries/${code}?enabled=1`)).json), ['a', 'b', 'c']);
  // There is no way to delete an item or a dictionary.
  for (const path of [`/api/v1/dictionaries/${code}/items/b`, `/api/v1/dictionaries/${code}`]) {
    const del = await as(srv, s.province, path, { method: 'DELETE' });
    assert.equal(del.status, 405, del.text);
  }
  assert.equal(sql(`SELECT COUNT(*) FROM dictionary_item i JOIN dictionary d ON d.id = i.dictionary_id WHERE d.code = '${code}'`), '3');
});

test('reordering takes every item once and numbers them 10, 20, ...', async () => {
  const code = await makeDict([['a', '甲'], ['b', '乙'], ['c', '丙'], ['d', '丁']]);
  const before = (await get('province', `/api/v1/dictionaries/${code}`)).json;
  const r = await post('province', `/api/v1/dictionaries/${code}/order`, ['d', 'b', 'a', 'c']);
  assert.equal(r.status, 200, r.text);
  assert.deepEqual(codes(r.json), ['d', 'b', 'a', 'c']);
  assert.deepEqual(r.json.items.map((i) => i.sort_order), [10, 20, 30, 40]);
  const version = Object.fromEntries(before.items.map((i) => [i.code, i.version]));
  const after = Object.fromEntries(r.json.items.map((i) => [i.code, i.version]));
  assert.equal(after.b, version.b, 'b kept its number 20 and its version');
  for (const c of ['a', 'c', 'd']) assert.equal(after[c], version[c] + 1, `${c} moved: new version`);
  assert.deepEqual(codes((await get('gulou', `/api/v1/dictionaries/${code}?enabled=1`)).json), ['d', 'b', 'a', 'c']);
  // Incomplete, repeated, unknown, or not an array: 400 and nothing moves.
  for (const body of [['d', 'b', 'a'], ['d', 'b', 'a', 'c', 'c'], ['d', 'b', 'a', 'x'], ['d', 'b', 'a', 'a'], [1, 2, 3, 4],
    { order: ['a', 'b', 'c', 'd'] }]) {
    const bad = await post('province', `/api/v1/dictionaries/${code}/order`, body);
    assert.equal(bad.status, 400, JSON.stringify(body) + bad.text);
    assert.ok(assertError(bad.json, 'invalid').fields.order);
  }
  assert.deepEqual(codes((await get('gulou', `/api/v1/dictionaries/${code}`)).json), ['d', 'b', 'a', 'c']);
  assert.equal((await post('province', '/api/v1/dictionaries/no_such_dict/order', [])).status, 404);
  // An audit row with the order before and after.
  const rows = auditRows('dict_order', code);
  assert.equal(rows.length, 1);
  assert.deepEqual(rows[0].before, ['a', 'b', 'c', 'd']);
  assert.deepEqual(rows[0].after, ['d', 'b', 'a', 'c']);
});

test('a stale version is 409 for dictionaries and items; a missing one is 400', async () => {
  const code = await makeDict();
  const d = (await get('province', `/api/v1/dictionaries/${code}`)).json;
  const ok = await put('province', `/api/v1/dictionaries/${code}`, { version: d.version, name: '改名后的字典' });
  assert.equal(ok.status, 200, ok.text);
  assert.equal(ok.json.name, '改名后的字典');
  assert.equal(ok.json.description, '测试用', 'left out: unchanged');
  assert.equal(ok.json.version, d.version + 1);
  assert.deepEqual(codes(ok.json), ['a', 'b', 'c'], 'answered with its items');
  const stale = await put('province', `/api/v1/dictionaries/${code}`, { version: d.version, name: '覆盖' });
  assert.equal(stale.status, 409, stale.text);
  assertError(stale.json, 'conflict');
  const a = d.items[0];
  assert.equal((await put('province', `/api/v1/dictionaries/${code}/items/a`, { version: a.version, label: '甲一' })).status, 200);
  const staleItem = await put('province', `/api/v1/dictionaries/${code}/items/a`, { version: a.version, label: '甲二' });
  assert.equal(staleItem.status, 409, staleItem.text);
  assertError(staleItem.json, 'conflict');
  // A reorder moves items: an editor holding the old version must reload.
  await post('province', `/api/v1/dictionaries/${code}/order`, ['c', 'b', 'a']);
  const c = d.items.find((i) => i.code === 'c');
  assert.equal((await put('province', `/api/v1/dictionaries/${code}/items/c`, { version: c.version, label: '丙一' })).status, 409);
  for (const [path, body] of [[`/api/v1/dictionaries/${code}`, { name: '无版本' }],
    [`/api/v1/dictionaries/${code}/items/a`, { label: '无版本' }], [`/api/v1/dictionaries/${code}/items/a`, { version: '3' }]]) {
    const r = await put('province', path, body);
    assert.equal(r.status, 400, r.text);
    assert.match(assertError(r.json, 'invalid').fields.version, CJK);
  }
  assert.equal(sql(`SELECT label FROM dictionary_item i JOIN dictionary d ON d.id = i.dictionary_id WHERE d.code = '${code}' AND i.code = 'a'`), '甲一');
  const missing = await put('province', `/api/v1/dictionaries/${code}/items/nope`, { version: 1, label: '无' });
  assert.equal(missing.status, 404);
  assertError(missing.json, 'not_found');
  assert.equal((await put('province', '/api/v1/dictionaries/no_such_dict', { version: 1, name: '无' })).status, 404);
});

test('bad codes and texts are 400 with Chinese field errors; duplicates are 409', async () => {
  const long = (n, ch = '字') => ch.repeat(n);
  for (const [body, field] of [
    [{ code: 'Upper', name: '字典' }, 'code'],
    [{ code: '1abc', name: '字典' }, 'code'],
    [{ code: '_abc', name: '字典' }, 'code'],
    [{ code: 'a-b', name: '字典' }, 'code'],
    [{ code: 'a'.repeat(41), name: '字典' }, 'code'],
    [{ code: '', name: '字典' }, 'code'],
    [{ code: 42, name: '字典' }, 'code'],
    [{ code: 'ok_code', name: '' }, 'name'],
    [{ code: 'ok_code', name: '   ' }, 'name'],
    [{ code: 'ok_code', name: long(51) }, 'name'],
    [{ code: 'ok_code', name: '换行\n名称' }, 'name'],
    [{ code: 'ok_code' }, 'name'],
    [{ code: 'ok_code', name: '字典', description: long(501) }, 'description'],
    [{ code: 'ok_code', name: '字典', description: 7 }, 'description'],
    [{ code: 'ok_code', name: '字典', builtin: true }, 'builtin'],
  ]) {
    const r = await post('province', '/api/v1/dictionaries', body);
    assert.equal(r.status, 400, JSON.stringify(body) + r.text);
    const e = assertError(r.json, 'invalid');
    assert.match(e.fields[field], CJK, `${field} of ${JSON.stringify(body)}`);
  }
  assert.equal(sql("SELECT COUNT(*) FROM dictionary WHERE code = 'ok_code'"), '0');
  // The limits themselves pass: 40-character code, 50-character name.
  const edge = await post('province', '/api/v1/dictionaries', { code: 'e' + '0'.repeat(39), name: long(50) });
  assert.equal(edge.status, 201, edge.text);
  const dup = await post('province', '/api/v1/dictionaries', { code: 'party_role', name: '重复' });
  assert.equal(dup.status, 409, dup.text);
  assert.match(assertError(dup.json, 'conflict').fields.code, CJK);

  const code = await makeDict();
  for (const [body, field] of [
    [{ code: 'has space', label: '项' }, 'code'],
    [{ code: '中文', label: '项' }, 'code'],
    [{ code: 'x'.repeat(41), label: '项' }, 'code'],
    [{ code: '', label: '项' }, 'code'],
    [{ label: '项' }, 'code'],
    [{ code: 'x1', label: '' }, 'label'],
    [{ code: 'x1', label: long(101) }, 'label'],
    [{ code: 'x1' }, 'label'],
    [{ code: 'x1', label: '项', sort_order: -1 }, 'sort_order'],
    [{ code: 'x1', label: '项', sort_order: 1000001 }, 'sort_order'],
    [{ code: 'x1', label: '项', sort_order: 1.5 }, 'sort_order'],
    [{ code: 'x1', label: '项', enabled: 'yes' }, 'enabled'],
    [{ code: 'x1', label: '项', enabled: 2 }, 'enabled'],
    [{ code: 'x1', label: '项', parent_code: 'nope' }, 'parent_code'],
    [{ code: 'x1', label: '项', parent_code: 'bad code' }, 'parent_code'],
    [{ code: 'x1', label: '项', color: 'red' }, 'color'],
  ]) {
    const r = await post('province', `/api/v1/dictionaries/${code}/items`, body);
    assert.equal(r.status, 400, JSON.stringify(body) + r.text);
    assert.match(assertError(r.json, 'invalid').fields[field], CJK, `${field} of ${JSON.stringify(body)}`);
  }
  const x40 = await post('province', `/api/v1/dictionaries/${code}/items`, { code: 'x'.repeat(40), label: long(100) });
  assert.equal(x40.status, 201, x40.text);
  const dupItem = await post('province', `/api/v1/dictionaries/${code}/items`, { code: 'a', label: '重复' });
  assert.equal(dupItem.status, 409, dupItem.text);
  assert.match(assertError(dupItem.json, 'conflict').fields.code, CJK);
  assert.equal(sql(`SELECT label FROM dictionary_item i JOIN dictionary d ON d.id = i.dictionary_id WHERE d.code = '${code}' AND i.code = 'a'`), '甲');
  // The same item code in another dictionary is fine.
  assert.equal((await post('province', '/api/v1/dictionaries/unit_use/items', { code: 'a', label: '其他用途甲' })).status, 201);
  const nodict = await post('province', '/api/v1/dictionaries/no_such_dict/items', { code: 'a', label: '甲' });
  assert.equal(nodict.status, 404);
  // Updates check the same way, and the item code in the path cannot be renamed by the body.
  const a = (await get('province', `/api/v1/dictionaries/${code}`)).json.items[0];
  for (const [body, field] of [[{ version: a.version, label: '' }, 'label'], [{ version: a.version, code: 'a2' }, 'code'],
    [{ version: a.version, sort_order: 'first' }, 'sort_order'], [{ version: a.version, enabled: null }, 'enabled']]) {
    const r = await put('province', `/api/v1/dictionaries/${code}/items/a`, body);
    assert.equal(r.status, 400, JSON.stringify(body) + r.text);
    assert.match(assertError(r.json, 'invalid').fields[field], CJK);
  }
  const rename = await put('province', `/api/v1/dictionaries/${code}`, { version: 1, code: 'renamed' });
  assert.equal(rename.status, 400);
  assert.ok(assertError(rename.json, 'invalid').fields.code);
  const notJson = await as(srv, s.province, '/api/v1/dictionaries', { method: 'POST', body: ['x'] });
  assert.equal(notJson.status, 400);
});

test('tree items: a parent must exist in the same dictionary and no cycle may form', async () => {
  const code = await makeDict([['root', '根'], ['mid', '中']]);
  const leaf = await post('province', `/api/v1/dictionaries/${code}/items`, { code: 'leaf', label: '叶', parent_code: 'mid' });
  assert.equal(leaf.status, 201, leaf.text);
  assert.equal(leaf.json.parent_code, 'mid');
  const items = () => get('province', `/api/v1/dictionaries/${code}`).then((r) => Object.fromEntries(r.json.items.map((i) => [i.code, i])));
  let it = await items();
  const mid = await put('province', `/api/v1/dictionaries/${code}/items/mid`, { version: it.mid.version, parent_code: 'root' });
  assert.equal(mid.status, 200, mid.text);
  it = await items();
  for (const [item, parent] of [['root', 'leaf'], ['root', 'mid'], ['root', 'root'], ['mid', 'leaf']]) {
    const r = await put('province', `/api/v1/dictionaries/${code}/items/${item}`, { version: it[item].version, parent_code: parent });
    assert.equal(r.status, 400, `${item} under ${parent}: ${r.text}`);
    assert.match(assertError(r.json, 'invalid').fields.parent_code, CJK);
  }
  // A code of another dictionary is not a parent here.
  const foreign = await put('province', `/api/v1/dictionaries/${code}/items/leaf`, { version: it.leaf.version, parent_code: 'building' });
  assert.equal(foreign.status, 400);
  // null clears the parent.
  const clear = await put('province', `/api/v1/dictionaries/${code}/items/leaf`, { version: it.leaf.version, parent_code: null });
  assert.equal(clear.status, 200, clear.text);
  assert.equal(clear.json.parent_code, null);
  it = await items();
  assert.equal(it.mid.parent_code, 'root');
  assert.equal(it.root.parent_code, null);
});

test('only dict.manage writes: an inspector and an enterprise get 403 and change nothing', async () => {
  const code = await makeDict();
  const d = (await get('province', `/api/v1/dictionaries/${code}`)).json;
  for (const user of ['gulou', 'contractor']) {
    for (const [method, path, body] of [
      ['POST', '/api/v1/dictionaries', { code: `by_${user}`, name: '越权' }],
      ['PUT', `/api/v1/dictionaries/${code}`, { version: d.version, name: '越权' }],
      ['POST', `/api/v1/dictionaries/${code}/items`, { code: 'evil', label: '越权' }],
      ['PUT', `/api/v1/dictionaries/${code}/items/a`, { version: d.items[0].version, enabled: false }],
      ['POST', `/api/v1/dictionaries/${code}/order`, ['c', 'b', 'a']],
    ]) {
      const r = await as(srv, s[user], path, { method, body });
      assert.equal(r.status, 403, `${user} ${method} ${path}: ${r.text}`);
      assertError(r.json, 'forbidden');
    }
    assert.equal((await get(user, `/api/v1/dictionaries/${code}`)).status, 200, 'but reads');
  }
  const now = (await get('province', `/api/v1/dictionaries/${code}`)).json;
  assert.deepEqual(now, d);
  assert.equal(sql("SELECT COUNT(*) FROM dictionary WHERE code LIKE 'by_%'"), '0');
  assert.ok(s.province.user.permissions.includes('dict.manage'));
  assert.ok(!s.gulou.user.permissions.includes('dict.manage'));
  // Writes without the CSRF token are refused even for the administrator.
  const noCsrf = await req(srv.url + '/api/v1/dictionaries', {
    method: 'POST', headers: { cookie: s.province.cookie, 'content-type': 'application/json' },
    body: JSON.stringify({ code: 'no_csrf', name: '无令牌' }),
  });
  assert.equal(noCsrf.status, 403);
});

test('every write leaves an audit row with before and after', async () => {
  const code = await makeDict([['a', '甲']]);
  const created = auditRows('dict_create', code);
  assert.equal(created.length, 1);
  assert.equal(created[0].before, null);
  assert.equal(created[0].after.code, code);
  assert.equal(created[0].after.name, `测试字典${serial}`);
  const item = auditRows('dict_item_create', `${code}/a`);
  assert.equal(item.length, 1);
  assert.equal(item[0].after.label, '甲');
  assert.equal(item[0].after.dictionary, code);
  const d = (await get('province', `/api/v1/dictionaries/${code}`)).json;
  await put('province', `/api/v1/dictionaries/${code}`, { version: d.version, description: '新的说明' });
  const upd = auditRows('dict_update', code);
  assert.equal(upd.length, 1);
  assert.equal(upd[0].before.description, '测试用');
  assert.equal(upd[0].after.description, '新的说明');
  assert.equal(upd[0].after.version, upd[0].before.version + 1);
  await put('province', `/api/v1/dictionaries/${code}/items/a`, { version: d.items[0].version, enabled: false, label: '甲（停用）' });
  const iu = auditRows('dict_item_update', `${code}/a`);
  assert.equal(iu.length, 1);
  assert.deepEqual([iu[0].before.enabled, iu[0].after.enabled], [true, false]);
  assert.deepEqual([iu[0].before.label, iu[0].after.label], ['甲', '甲（停用）']);
  const who = sql(`SELECT username, entity FROM audit_log WHERE action = 'dict_item_update' AND record_id = '${code}/a'`);
  assert.equal(who, 'province|dictionary_item');
  // Refused writes leave none.
  await put('province', `/api/v1/dictionaries/${code}`, { version: d.version, name: '过期版本' });
  assert.equal(auditRows('dict_update', code).length, 1);
  // The chain still verifies.
  const v = runVerb(srv.env, 'audit-verify');
  assert.equal(v.status, 0, v.stderr + v.stdout);
});

test('migrate again keeps every edit and brings back only what is missing', async () => {
  const d = (await get('province', '/api/v1/dictionaries/structure_type')).json;
  const frame = d.items.find((i) => i.code === 'frame');
  assert.equal((await put('province', '/api/v1/dictionaries/structure_type', { version: d.version, name: '主体结构类型' })).status, 200);
  assert.equal((await put('province', '/api/v1/dictionaries/structure_type/items/frame',
    { version: frame.version, label: '框架结构', enabled: false })).status, 200);
  await post('province', '/api/v1/dictionaries/structure_type/order', [...codes(d).slice(1), 'frame']);
  // An item lost from the table (say, an old installation) is what migrate restores.
  sql("DELETE FROM dictionary_item WHERE code = 'masonry' AND dictionary_id = (SELECT id FROM dictionary WHERE code = 'structure_type')");
  const r = runVerb(srv.env, 'migrate');
  assert.equal(r.status, 0, r.stderr);
  const after = (await get('gulou', '/api/v1/dictionaries/structure_type')).json;
  assert.equal(after.name, '主体结构类型');
  const f = after.items.find((i) => i.code === 'frame');
  assert.equal(f.label, '框架结构');
  assert.equal(f.enabled, false);
  assert.equal(after.items.at(-1).code, 'frame', 'the order stays');
  const masonry = after.items.find((i) => i.code === 'masonry');
  assert.ok(masonry, 'restored');
  assert.equal(masonry.label, '砖混');
  assert.equal(masonry.builtin, true);
  assert.equal(after.items.length, defs.structure_type.items.length);
  assert.equal(sql("SELECT COUNT(*) FROM dictionary WHERE builtin = 1"), String(Object.keys(defs).length));
});
