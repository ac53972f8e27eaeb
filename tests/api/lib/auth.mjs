// Logging in from tests the way the browser does: the password SM2-encrypted with sm-crypto.
import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import { req } from './checks.mjs';

const { sm2 } = createRequire(import.meta.url)('sm-crypto');
export const DEMO_PASSWORD = 'Jg@demo2026';

const keys = new Map();
/** The server's SM2 login key (hex), fetched once per server. */
export async function loginKey(srv) {
  if (!keys.has(srv.url)) keys.set(srv.url, (await req(srv.url + '/api/v1/auth/login-key')).json.public_key);
  return keys.get(srv.url);
}

/** text SM2-encrypted for the server's login key, as the browser sends passwords. */
export async function encrypt(srv, text) {
  return sm2.doEncrypt(text, await loginKey(srv), 1);
}

/** POST /api/v1/auth/login; extra fields (captcha …) are added to the body. Returns req()'s answer. */
export async function login(srv, username, password = DEMO_PASSWORD, extra = {}) {
  const body = { username, password: await encrypt(srv, password), ...extra };
  return req(srv.url + '/api/v1/auth/login', {
    method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body),
  });
}

/** A logged-in session: { cookie, csrf, user }. Fails the test when the login does not succeed. */
export async function session(srv, username, password = DEMO_PASSWORD) {
  const r = await login(srv, username, password);
  assert.equal(r.status, 200, r.text);
  return { cookie: r.headers.get('set-cookie').split(';')[0], csrf: r.json.csrf_token, user: r.json.user };
}

/** A request as session s: its cookie, and for writes its CSRF token and a JSON body. */
export async function as(srv, s, path, { method = 'GET', body, headers = {} } = {}) {
  const h = { cookie: s.cookie, ...headers };
  if (method !== 'GET' && method !== 'HEAD') h['x-csrf-token'] = s.csrf;
  if (body !== undefined) h['content-type'] = 'application/json';
  return req(srv.url + path, { method, headers: h, body: body === undefined ? undefined : JSON.stringify(body) });
}
