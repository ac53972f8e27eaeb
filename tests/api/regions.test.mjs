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
