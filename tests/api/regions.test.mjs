// `jianguan migrate` alone loads the reference data every installation needs: Fujian's regions
// and the supervising departments of each — no demo seeding required.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { startServer } from './lib/harness.mjs';
import { dbExec } from './lib/checks.mjs';

test('regions and departments exist after migrate, without seed-demo', async () => {
  const srv = await startServer({ seed: false });
  try {
    const count = (sql) => Number(dbExec(srv.env.JIANGUAN_DATABASE, sql).trim());
    assert.equal(count('SELECT COUNT(*) FROM org'), 94, 'province, 9 cities, 84 county-level divisions');
    assert.equal(count("SELECT COUNT(*) FROM org WHERE level = 'city'"), 10, '9 cities and 平潭综合实验区');
    assert.equal(count('SELECT COUNT(*) FROM department'), 2 * 93, 'bureau and station for each region but 金门');
    assert.equal(count('SELECT COUNT(*) FROM project'), 0, 'no demo data');
    assert.equal(count('SELECT COUNT(*) FROM app_user'), 0, 'no demo accounts');
  } finally {
    assert.equal(await srv.stop(), 0);
  }
});

test('GET /api/v1/orgs: the tree for pickers, parents first, 金门 left out; login needed', async () => {
  const { createRequire } = await import('node:module');
  const { sm2 } = createRequire(import.meta.url)('sm-crypto');
  const { req } = await import('./lib/checks.mjs');
  const srv = await startServer({ projects: 1 });
  try {
    assert.equal((await req(srv.url + '/api/v1/orgs')).status, 401);
    const key = (await req(srv.url + '/api/v1/auth/login-key')).json.public_key;
    const login = await req(srv.url + '/api/v1/auth/login', {
      method: 'POST', headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ username: 'gulou', password: sm2.doEncrypt('Jg@demo2026', key, 1) }),
    });
    const cookie = login.headers.get('set-cookie').split(';')[0];
    const r = await req(srv.url + '/api/v1/orgs', { headers: { cookie } });
    assert.equal(r.status, 200);
    const items = r.json.items;
    assert.equal(items.length, 93);
    assert.equal(items[0].code, '35');
    assert.equal(items[0].parent_code, null);
    assert.deepEqual(items[0].departments.map((d) => d.name), ['福建省住房和城乡建设厅', '福建省建设工程质量安全监督总站']);
    const seen = new Set();
    for (const o of items) {
      if (o.parent_code !== null) assert.ok(seen.has(o.parent_code), `${o.code} comes after its parent`);
      seen.add(o.code);
      assert.equal(o.departments.length, 2);
    }
    assert.ok(!seen.has('350527'), '金门 is not offered');
    const pingtan = items.find((o) => o.code === '350128');
    assert.equal(pingtan.name, '平潭综合实验区');
    assert.equal(pingtan.parent_code, '35');
  } finally {
    assert.equal(await srv.stop(), 0);
  }
});
