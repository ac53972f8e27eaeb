// Browser test helpers: Debian's chromium through playwright-core, a page that fails its test on
// any console error, page error, failed request, unexpected 4xx/5xx answer or dialog, and
// screenshots into one folder.
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
  const page = await context.newPage();
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

/** Logs in through the login page as the demo user and waits for the workbench. */
export async function login(page, username, password = 'Jg@demo2026') {
  await page.goto('/login');
  await page.locator('input[name="username"]').fill(username);
  await page.locator('input[name="password"]').fill(password);
  await page.locator('[data-test="login-submit"]').click();
  await page.locator('[data-test="who"]').waitFor();
}

/** Logs out with the header's button and waits for the login page. */
export async function logout(page) {
  await page.locator('[data-test="logout"]').click();
  await page.waitForURL(/\/login/);
  await page.locator('input[name="username"]').waitFor();
}
