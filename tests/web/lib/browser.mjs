// Browser test helpers: Debian's chromium through playwright-core, a page that fails its test on
// any console error, page error, failed request, unexpected 4xx/5xx answer or dialog, and
// screenshots into one folder. A page is read once it shows what is asserted (a locator with hasText
// and waitFor, waitForURL), or, for what arrives with a later request, after settled() (the app's
// requests answered and applied) or inside eventually() (an assertion retried): never just once
// right after an action.
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, readdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { chromium } from 'playwright-core';
import { root } from '../../api/lib/harness.mjs';

export const shotDir = process.env.JIANGUAN_SCREENSHOTS || join(root, 'build', 'web-screenshots');

function chromiumPath() {
  for (const p of [process.env.JIANGUAN_CHROMIUM, '/usr/lib/chromium/chromium', '/usr/bin/chromium']) {
    if (p && existsSync(p)) return p;
  }
  throw new Error('chromium not found: apt-get install chromium (scripts/install-deps.sh test), or set JIANGUAN_CHROMIUM');
}

let shotTag = '';
/**
 * Launches chromium as the machines here need it (root: no sandbox; a closed network: no calls out).
 * tag: a prefix for this file's screenshots ("tasks-"), so that test files, run one after the other,
 * each clear only their own screenshots of the last run.
 */
export async function launch({ tag = '' } = {}) {
  shotTag = tag;
  mkdirSync(shotDir, { recursive: true });
  const mine = new RegExp(`^${tag.replace(/[^\w-]/g, '')}\\d\\d-.*\\.png$`);
  for (const f of readdirSync(shotDir)) if (mine.test(f)) rmSync(join(shotDir, f)); // last run's
  return chromium.launch({
    executablePath: chromiumPath(),
    headless: true,
    args: ['--no-sandbox', '--disable-background-networking', '--disable-component-update', '--disable-sync',
      '--no-first-run', '--disable-dev-shm-usage', '--lang=zh-CN'],
  });
}

let shots = 0;
/**
 * A fresh context and page for one role. The page records every problem; t.after checks there
 * were none. allow: answers the test expects, as [status, RegExp of the URL] pairs (e.g. the 401
 * of /api/v1/auth/me before login).
 */
export async function openPage(t, browser, baseURL, { allow = [] } = {}) {
  const context = await browser.newContext({ baseURL, locale: 'zh-CN', viewport: { width: 1440, height: 900 }, acceptDownloads: true });
  await context.addInitScript(trackApi);
  const page = await context.newPage();
  // Leaving the document cuts off the answers the app is still reading, and Chromium then rejects
  // the read: the app lets that through to Vue, which logs it as a console error of the page. So
  // page.goto and page.reload first let the app read what it asked for (bounded: 10 s).
  for (const m of ['goto', 'reload']) {
    const nav = page[m].bind(page);
    page[m] = async (...args) => {
      await page.waitForFunction(() => !window.__jgApi || window.__jgApi.pending === 0, null, { timeout: 10000, polling: 50 })
        .catch(() => {});
      return nav(...args);
    };
  }
  const problems = [];
  const allowed = (status, url) => allow.some(([s, re]) => s === status && re.test(url));
  page.on('console', (msg) => {
    if (msg.type() !== 'error') return;
    // Chromium logs every 4xx/5xx answer as "Failed to load resource"; expected ones are allowed.
    const m = /status of (\d+)/.exec(msg.text());
    if (m && /Failed to load resource/.test(msg.text()) && allowed(Number(m[1]), msg.location().url || '')) return;
    problems.push(`console error: ${msg.text()} (${msg.location().url || ''})`);
  });
  page.on('pageerror', (err) => problems.push(`page error: ${err.message}`));
  page.on('requestfailed', (req) => {
    // ERR_ABORTED is a request cancelled by the browser itself because the test navigated away
    // (e.g. the favicon of a page left at once), not an answer that failed.
    if (req.failure()?.errorText === 'net::ERR_ABORTED') return;
    problems.push(`request failed: ${req.method()} ${req.url()} ${req.failure()?.errorText}`);
  });
  page.on('response', (resp) => {
    if (resp.status() >= 400 && !allowed(resp.status(), resp.url())) problems.push(`unexpected ${resp.status()}: ${resp.request().method()} ${resp.url()}`);
  });
  page.on('dialog', async (d) => {
    problems.push(`dialog opened: ${d.type()} ${d.message()}`);
    await d.dismiss();
  });
  const state = { page, context, problems, allow };
  t.after(async () => {
    await context.close();
    assert.deepEqual(problems, [], 'the browser reported problems');
  });
  return state;
}

/**
 * Runs in every page before the app (context.addInitScript): counts the app's API requests (fetch of
 * /api/) in flight, a request counting until its answer's body has been read, and notes each URL
 * answered, for settled(). The answers reach the app unchanged. A poll task of waitForFunction runs between
 * tasks, so when it sees nothing pending, the app's own continuations (parsing the answer, setting
 * its state, Vue's re-render) have run as well: they are microtasks of the same task.
 */
function trackApi() {
  const st = { pending: 0, done: [] };
  window.__jgApi = st;
  const fetch0 = window.fetch;
  const note = (url) => { try { st.done.push(decodeURIComponent(url)); } catch { st.done.push(url); } };
  const counted = (p, url) => {
    st.pending += 1;
    const end = () => { st.pending -= 1; note(url); };
    p.then(end, end);
    return p;
  };
  window.fetch = function fetch(input, init) {
    const url = String(input && input.url !== undefined ? input.url : input);
    const p = fetch0.call(window, input, init);
    if (!/\/api\//.test(url)) return p;
    return counted(p.then((resp) => {
      for (const m of ['json', 'text', 'blob', 'arrayBuffer']) {
        const read = resp[m];
        resp[m] = function body() { return counted(read.call(resp), url); };
      }
      return resp;
    }), url);
  };
}

/**
 * Waits until the page's API requests are all answered and their answers applied (no fetch of
 * /api/ in flight, every body read), and, with after (a RegExp of the decoded URL), until such a
 * request of this document was answered. For a negative assertion ("no 修改 button") whose answer
 * arrives after the page is drawn: it proves the page finished what those requests change. A
 * request a timer starts later is not waited for.
 */
export async function settled(page, after = null, ms = 15000) {
  await page.waitForFunction((re) => {
    const st = window.__jgApi;
    if (!st || st.pending !== 0) return false;
    return !re || st.done.some((u) => new RegExp(re[0], re[1]).test(u));
  }, after ? [after.source, after.flags] : null, { timeout: ms, polling: 50 }).catch(async (e) => {
    const st = await page.evaluate(() => window.__jgApi).catch(() => null);
    throw new Error(`the page's API requests did not settle${after ? ` after ${after}` : ''} in ${ms} ms (pending ${st?.pending}, answered: ${st?.done.slice(-10).join(' ')}): ${e.message}`);
  });
}

/**
 * Retries fn (an async assertion: it throws while the state is not there yet) until it passes, for
 * a value the page is still changing (a name fetched after the row is drawn, a filtered list
 * replacing the unfiltered one); after ms the last failure is thrown, named by what.
 */
export async function eventually(fn, what, ms = 10000) {
  const end = Date.now() + ms;
  for (;;) {
    try {
      return await fn();
    } catch (e) {
      if (Date.now() >= end) {
        e.message = `${what}: still failing after ${ms} ms: ${e.message}`;
        throw e;
      }
    }
    await new Promise((ok) => setTimeout(ok, 100));
  }
}

/** A full-page screenshot named after its order and the page, in shotDir. */
export async function shot(page, name) {
  shots += 1;
  const file = join(shotDir, `${shotTag}${String(shots).padStart(2, '0')}-${name}.png`);
  // No table still loading, and finished transitions: a half-open menu would look broken.
  await page.waitForFunction(() => [...document.querySelectorAll('.el-loading-mask')]
    .every((m) => m.offsetParent === null || getComputedStyle(m).display === 'none'), null, { timeout: 5000 });
  await page.screenshot({ path: file, fullPage: true, animations: 'disabled' });
  return file;
}

/**
 * Logs in through the login page as the demo user and waits for the workbench, the answers of its
 * first requests (menus, the header's region, the counts) read and drawn.
 */
export async function login(page, username, password = 'Jg@demo2026') {
  await page.goto('/login');
  await page.locator('input[name="username"]').fill(username);
  await page.locator('input[name="password"]').fill(password);
  await page.locator('[data-test="login-submit"]').click();
  await page.locator('[data-test="who"]').waitFor();
  await settled(page);
}

/** Logs out with the header's button and waits for the login page. */
export async function logout(page) {
  await page.locator('[data-test="logout"]').click();
  await page.waitForURL(/\/login/);
  await page.locator('input[name="username"]').waitFor();
}
