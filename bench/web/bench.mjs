// bench/web.sh's browser part: the workbench in Debian's chromium (playwright-core of tests/web)
// against a real server whose e_registration holds ROWS rows (SQLite, bulk-inserted with SQL).
// Prints the figures and one GOAL line per goal of issue 6:
//   first load of the workbench after login (Navigation Timing loadEventEnd, cold cache) < 1,500 ms
//   initial JavaScript of that load (as sent, gzip) < 1 MB
//   a list page of 20 rows interactive < 500 ms: the worse of a full load of the list page
//   (navigation start to 20 rows in the table) and the list reached from the side menu of the home
//   page (whose charts are one grouped count, GET …/tally, since the home counts made it wait),
//   from the click on the menu item; both timed in the page up to the frame that paints the rows
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { startServer, root } from '../../tests/api/lib/harness.mjs';
import { dbExec } from '../../tests/api/lib/checks.mjs';
import { launch, login } from '../../tests/web/lib/browser.mjs';

const ROWS = Number(process.env.ROWS || 200000);
const RUNS = Number(process.env.RUNS || 5);
const USER = process.env.BENCH_USER || 'fuzhou'; // a city supervisor: scope 3501, most rows in it
const log = (...a) => console.error('[web-bench]', ...a);
const median = (a) => [...a].sort((x, y) => x - y)[Math.floor(a.length / 2)];

const srv = await startServer({ webDir: process.env.JIANGUAN_WEB_DIST || join(root, 'web', 'dist'), projects: 20,
  env: { JIANGUAN_CAPTCHA: 'off', JIANGUAN_AUTH_RATE_PER_MINUTE: '100000', JIANGUAN_THREADS: '4' } });
const db = srv.env.JIANGUAN_DATABASE;
try {
  const nent = Number(dbExec(db, 'SELECT count(*) FROM enterprise').trim());
  let t = Date.now();
  // one INSERT … SELECT over a recursive CTE, in batches of 1,000,000 (the FTS triggers run per row)
  for (let done = 0; done < ROWS; done += 1000000) {
    const n = Math.min(1000000, ROWS - done);
    dbExec(db, `WITH RECURSIVE gen(n) AS (SELECT ${done + 1} UNION ALL SELECT n + 1 FROM gen WHERE n < ${done + n})
INSERT INTO e_registration (state, version, created_by, created_at, updated_by, updated_at, project_name, project_kind,
  org_code, address, applicant_id, owner_id, contractor_id, total_area, cost, planned_start_on, contact_name)
SELECT 'draft', 1, 1, '2026-01-01T00:00:00.000Z', 1, '2026-01-01T00:00:00.000Z', '测试工程项目' || n,
  CASE n % 3 WHEN 0 THEN 'building' WHEN 1 THEN 'municipal' ELSE 'road' END,
  CASE n % 6 WHEN 0 THEN '350102' WHEN 1 THEN '350103' WHEN 2 THEN '350104' WHEN 3 THEN '350105'
    WHEN 4 THEN '350203' ELSE '350205' END,
  '福建省测试路 ' || n || ' 号', 1 + n % ${nent}, 1 + (n * 7) % ${nent}, 1 + (n * 13) % ${nent},
  (n * 37) % 5000000, ((n * 7919) % 200000) * 100, '2026-12-01', '张三' FROM gen;`);
  }
  log(`${ROWS} rows in e_registration in ${((Date.now() - t) / 1000).toFixed(1)} s`);

  const browser = await launch({ tag: 'bench-' });
  // log in once; each measured load is a fresh context (cold cache) with that session
  const first = await browser.newContext({ baseURL: srv.url, locale: 'zh-CN', viewport: { width: 1440, height: 900 } });
  const lp = await first.newPage();
  await login(lp, USER);
  const state = await first.storageState();
  await first.close();

  const loads = [], ready = [], jsBytes = [], allBytes = [], lists = [], inApp = [], withMenu = [], chartsAt = [];
  const polledLists = [], polledInApp = [];
  for (let i = 0; i < RUNS; i++) {
    const ctx = await browser.newContext({ baseURL: srv.url, locale: 'zh-CN', viewport: { width: 1440, height: 900 }, storageState: state });
    const page = await ctx.newPage();
    // "rows shown", timed in the page: the 20 rows enter the DOM (a MutationObserver), then the frame
    // that paints them has run (requestAnimationFrame, then a task after it). Polling from here
    // (waitForFunction, then a round trip for the time) read 100-200 ms late on a busy machine.
    await page.addInitScript(() => {
      const rows = () => document.querySelectorAll('[data-test="records"] .el-table__body tr').length >= 20;
      const mo = new MutationObserver(() => {
        if (window.__rowsShownAt !== undefined || window.__rowsSeen || !rows()) return;
        window.__rowsSeen = true;
        requestAnimationFrame(() => setTimeout(() => { window.__rowsShownAt = performance.now(); }));
      });
      document.addEventListener('DOMContentLoaded', () => mo.observe(document.body, { childList: true, subtree: true }));
    });
    const rowsShown = async () => {
      await page.waitForFunction(() => window.__rowsShownAt !== undefined);
      return page.evaluate(() => window.__rowsShownAt);
    };
    let js = 0, all = 0;
    page.on('requestfinished', async (req) => {
      const s = await req.sizes().catch(() => null);
      if (!s) return;
      all += s.responseBodySize;
      if (/\.js$/.test(new URL(req.url()).pathname)) js += s.responseBodySize;
    });
    await page.goto('/');
    await page.locator('[data-test="count-card"]', { hasText: /\d/ }).first().waitFor();
    const countsAt = await page.evaluate(() => performance.now());
    // the charts' grouped counts (the home page of a government user): drawn on canvases
    await page.locator('[data-test="chart-region"] canvas').waitFor({ timeout: 60000 })
      .catch(() => log('the home charts were not drawn within 60 s'));
    chartsAt.push(await page.evaluate(() => performance.now()));
    // Idle network: the lazy chunks are counted too. A slow API answer must not stop the run.
    await page.waitForLoadState('networkidle', { timeout: 60000 })
      .catch(() => log('the network was not idle after 60 s: some API answers are slow'));
    await page.waitForLoadState('load');
    const nav = await page.evaluate(() => performance.getEntriesByType('navigation')[0].toJSON());
    loads.push(nav.loadEventEnd);
    ready.push(countsAt);
    jsBytes.push(js);
    allBytes.push(all);
    // in the app: the side menu to the list (the route's chunk may still be fetched), timed in the
    // page from the click on 项目报监 (the one that navigates) to the 20 rows; the submenu's opening
    // before it (a CSS transition Playwright waits out before clicking) is logged, not counted
    let t0 = Date.now();
    await page.locator('[data-test="side-menu"]').getByText('业务办理').click();
    await page.evaluate(() => document.addEventListener('click', () => { window.__clickAt = performance.now(); },
      { capture: true, once: true }));
    await page.locator('[data-test="side-menu"]').getByText('项目报监').click();
    await page.waitForFunction(() => document.querySelectorAll('[data-test="records"] .el-table__body tr').length >= 20);
    polledInApp.push(await page.evaluate(() => performance.now() - window.__clickAt));
    withMenu.push(Date.now() - t0);
    inApp.push(await rowsShown() - await page.evaluate(() => window.__clickAt));
    // a full load of the list page (warm cache): navigation start to 20 rows shown
    if (process.env.BENCH_TRACE) { // each request of the list page: start and end after navigation start
      page.on('requestfinished', (req) => {
        const t = req.timing();
        log(`  ${Math.round(t.startTime - page.__navAt)}+${Math.round(t.responseEnd)} ms (sent at +${Math.round(t.requestStart)}, answer from +${Math.round(t.responseStart)}) ${req.url().replace(srv.url, '')}`);
      });
      page.__navAt = Date.now();
    }
    await page.goto('/records/registration');
    await page.waitForFunction(() => document.querySelectorAll('[data-test="records"] .el-table__body tr').length >= 20);
    polledLists.push(await page.evaluate(() => performance.now()));
    lists.push(await rowsShown());
    await ctx.close();
  }
  await browser.close();
  const f = (a) => Math.round(median(a));
  const total = dbExec(db, 'SELECT count(*) FROM e_registration').trim();
  console.log(`rows in e_registration: ${total}; user ${USER}; median of ${RUNS} runs`);
  console.log(`first load after login (cold cache): loadEventEnd ${f(loads)} ms, counts shown at ${f(ready)} ms, charts drawn at ${f(chartsAt)} ms`);
  console.log(`  sent: ${(median(jsBytes) / 1024).toFixed(1)} KiB JavaScript, ${(median(allBytes) / 1024).toFixed(1)} KiB in all (gzip as sent)`);
  console.log(`list page of 20 rows: full load ${f(lists)} ms (navigation start to rows shown); from the menu in the app ${f(inApp)} ms`
    + ` (click to rows shown; ${f(withMenu)} ms with the opening of the submenu)`);
  console.log(`  as polled by Playwright (waitForFunction, then the page's clock): full load ${f(polledLists)} ms, from the menu ${f(polledInApp)} ms`);
  const goal = (name, measured, target, ok) => console.log(`GOAL ${name} measured=${measured} target=${target} ${ok ? 'PASS' : 'MISS'}`);
  goal('web_first_load_ms', `${f(loads)}ms`, '1500ms', f(loads) < 1500);
  goal('web_initial_js_gzip_kib', `${(median(jsBytes) / 1024).toFixed(1)}KiB`, '1024KiB', median(jsBytes) < 1024 * 1024);
  // the list goal is met only when both ways of reaching the list are (the worse counts)
  const list = Math.max(f(lists), f(inApp));
  goal(`web_list_20_rows_ms_rows${total}`, `${list}ms`, '500ms', list < 500);
} finally {
  await srv.stop();
}
