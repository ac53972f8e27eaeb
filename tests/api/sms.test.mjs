// SMS verification-code login through a fake SMS gateway on loopback: sending, logging in, the
// resend interval, tries, expiry, lockout, no account enumeration, and a gateway that fails,
// redirects or hangs.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import { startServer, runVerb } from './lib/harness.mjs';
import { req, assertError, dbExec, sleep, until } from './lib/checks.mjs';

const TOKEN = 'gw-token-' + Math.random().toString(36).slice(2);
const PHONES = { fuzhou: '13800000002', gulou: '13800000003', xiamen: '13800000004', contractor: '13800000008' };
const UNKNOWN = '13900000077';

/** A fake SMS gateway: records what it receives; mode 'ok' | 'fail' | 'redirect' | 'hang'. */
async function fakeGateway() {
  const gw = { received: [], mode: 'ok', hanging: [] };
  gw.server = http.createServer((rq, rs) => {
    const parts = [];
    rq.on('data', (d) => parts.push(d));
    rq.on('end', () => {
      const text = Buffer.concat(parts).toString('utf8');
      gw.received.push({ method: rq.method, url: rq.url, headers: rq.headers, text, json: JSON.parse(text) });
      if (gw.mode === 'hang') { gw.hanging.push(rs); return; }
      if (gw.mode === 'fail') { rs.writeHead(500, { 'content-type': 'application/json' }); rs.end('{"error":"down"}'); return; }
      if (gw.mode === 'redirect') { rs.writeHead(302, { location: '/sms' }); rs.end(); return; }
      rs.writeHead(200, { 'content-type': 'application/json' });
      rs.end('{"ok":true}');
    });
  });
  await new Promise((ok) => gw.server.listen(0, '127.0.0.1', ok));
  gw.url = `http://127.0.0.1:${gw.server.address().port}/sms`;
  gw.release = () => { for (const rs of gw.hanging.splice(0)) rs.destroy(); };
  gw.close = () => { gw.release(); gw.server.closeAllConnections(); return new Promise((ok) => gw.server.close(ok)); };
  return gw;
}

let gw, srv;
before(async () => {
  gw = await fakeGateway();
  srv = await startServer({
    projects: 2,
    env: {
      JIANGUAN_SMS_GATEWAY_URL: gw.url,
      JIANGUAN_SMS_GATEWAY_TOKEN: TOKEN,
      JIANGUAN_SMS_RESEND_S: '1',
      JIANGUAN_LOGIN_MAX_FAILURES: '8',
      JIANGUAN_AUTH_RATE_PER_MINUTE: '1000',
    },
  });
});
after(async () => {
  const code = await srv.stop();
  await gw.close();
  assert.equal(code, 0);
});

const post = (path, body, url = srv.url) => req(url + path, {
  method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body),
});
const send = (phone, url) => post('/api/v1/auth/sms/send', { phone }, url);
const login = (phone, code, url) => post('/api/v1/auth/sms/login', { phone, code }, url);
const sql = (q) => dbExec(srv.env.JIANGUAN_DATABASE, q).trim();
/** The code the gateway got for phone in the n-th newest message (0: newest). */
const codeFor = (phone, n = 0) => gw.received.filter((m) => m.json.phone === phone).reverse()[n]?.json.params.code;
/** A six-digit code that is not right. */
const wrong = (code) => String((Number(code) + 1) % 1000000).padStart(6, '0');

/** Send a code to phone (waiting out the 1 s resend interval if need be); returns the code. */
async function sendOk(phone) {
  const before = gw.received.length;
  let r = await send(phone);
  if (r.status === 429) { await sleep(1100); r = await send(phone); }
  assert.equal(r.status, 200, r.text);
  assert.deepEqual(r.json, { sent: true, resend_after: 1 });
  assert.equal(gw.received.length, before + 1, 'one message went to the gateway');
  return codeFor(phone);
}

test('demo phones are sealed, blind-indexed and masked', () => {
  const row = sql("SELECT phone_enc || ' ' || phone_bidx || ' ' || phone_mask FROM app_user WHERE username = 'gulou'");
  const [enc, bidx, mask] = row.split(' ');
  assert.match(enc, /^v1\.[A-Za-z0-9_-]+$/);
  assert.match(bidx, /^[0-9a-f]{64}$/);
  assert.equal(mask, '138****0003');
  assert.ok(!sql('SELECT * FROM app_user').includes(PHONES.gulou), 'no phone in clear text');
});

test('send then login gives a session; the gateway gets the JSON and the Bearer token', async () => {
  const code = await sendOk(PHONES.gulou);
  const m = gw.received.at(-1);
  assert.equal(m.method, 'POST');
  assert.equal(m.headers.authorization, `Bearer ${TOKEN}`);
  assert.match(m.headers['content-type'], /^application\/json/);
  assert.deepEqual(m.json, { phone: PHONES.gulou, template: 'login_code', params: { code, minutes: 5 } });
  assert.match(code, /^\d{6}$/);

  const r = await login(PHONES.gulou, code);
  assert.equal(r.status, 200, r.text);
  assert.equal(r.json.user.username, 'gulou');
  assert.match(r.json.csrf_token, /^[0-9a-f]{64}$/);
  const cookie = r.headers.get('set-cookie');
  assert.match(cookie, /^jg_session=[A-Za-z0-9_-]{43}; .*HttpOnly/);
  const me = await req(srv.url + '/api/v1/auth/me', { headers: { cookie: cookie.split(';')[0] } });
  assert.equal(me.status, 200);
  assert.equal(me.json.user.username, 'gulou');

  // Stored only as a hash; audited without the code; the login says how.
  const stored = sql('SELECT code_hash FROM sms_code');
  assert.match(stored, /^[0-9a-f]{64}$/m);
  assert.ok(!stored.includes(code));
  const sent = sql("SELECT username || ' ' || detail FROM audit_log WHERE action = 'sms_code_sent'");
  assert.match(sent, /^gulou \{"phone":"138\*\*\*\*0003"\}$/m);
  assert.ok(!sent.includes(code));
  assert.match(sql("SELECT detail FROM audit_log WHERE action = 'login' AND username = 'gulou'"), /"method":"sms"/);
});

test('a code works once', async () => {
  await sleep(1100);
  const code = await sendOk(PHONES.gulou);
  assert.equal((await login(PHONES.gulou, code)).status, 200);
  const again = await login(PHONES.gulou, code);
  assert.equal(again.status, 401);
  assertError(again.json, 'unauthorized');
  assert.equal(again.json.error.message, '验证码错误或已过期');
});

test('an unknown phone gets the same answer, and no message is sent', async () => {
  const before = gw.received.length;
  const known = await send(PHONES.xiamen);
  const unknown = await send(UNKNOWN);
  assert.equal(unknown.status, 200);
  assert.deepEqual(unknown.json, known.json);
  assert.equal(gw.received.length, before + 1, 'only the known phone got a message');
  assert.ok(!gw.received.some((m) => m.json.phone === UNKNOWN));
  // and logging in with it fails like a wrong code
  const r = await login(UNKNOWN, '123456');
  assert.equal(r.status, 401);
  assert.deepEqual(r.json, (await login(PHONES.xiamen, wrong(codeFor(PHONES.xiamen)))).json);
});

test('resend too soon: 429 sms_too_frequent with the wait, the same for unknown phones', async () => {
  await sleep(1100);
  assert.equal((await send(PHONES.xiamen)).status, 200);
  assert.equal((await send(UNKNOWN)).status, 200);
  const known = await send(PHONES.xiamen);
  const unknown = await send(UNKNOWN);
  assert.equal(known.status, 429);
  assertError(known.json, 'sms_too_frequent');
  assert.match(known.json.error.message, /1 秒/);
  assert.equal(known.headers.get('retry-after'), '1');
  assert.equal(unknown.status, 429);
  assert.deepEqual(unknown.json, known.json);
  await sleep(1100);
  assert.equal((await send(PHONES.xiamen)).status, 200, 'allowed again after the interval');
});

test('concurrent sends for one phone: one message goes out, the others wait', async () => {
  await sleep(1100);
  const before = gw.received.length;
  const answers = await Promise.all(Array.from({ length: 8 }, () => send(PHONES.xiamen)));
  assert.deepEqual(answers.map((r) => r.status).sort(), [200, 429, 429, 429, 429, 429, 429, 429]);
  assert.equal(gw.received.length, before + 1);
});

test('a newer code replaces the older one', async () => {
  await sleep(1100);
  const first = await sendOk(PHONES.xiamen);
  await sleep(1100);
  const second = await sendOk(PHONES.xiamen);
  if (first !== second) assert.equal((await login(PHONES.xiamen, first)).status, 401);
  assert.equal((await login(PHONES.xiamen, second)).status, 200);
});

test('bad phone or code format: 400 with field errors, nothing sent', async () => {
  const before = gw.received.length;
  for (const phone of ['12800000003', '1380000000', '138000000031', '1380000000a', '+8613800000003', 13800000003, null, '']) {
    const r = await send(phone);
    assert.equal(r.status, 400, String(phone));
    assert.ok(assertError(r.json, 'invalid').fields.phone);
  }
  assert.equal((await post('/api/v1/auth/sms/send', {})).status, 400);
  assert.equal(gw.received.length, before);
  for (const code of ['12345', '1234567', 'abcdef', 123456, null]) {
    const r = await login(PHONES.gulou, code);
    assert.equal(r.status, 400, String(code));
    assert.ok(assertError(r.json, 'invalid').fields.code);
  }
});

test('wrong code 401; five wrong tries kill the code; failures lock the phone (423)', async () => {
  const phone = PHONES.contractor;
  const code = await sendOk(phone);
  let r = await login(phone, wrong(code));
  assert.equal(r.status, 401);
  assertError(r.json, 'unauthorized');
  assert.equal(r.json.error.message, '验证码错误或已过期');
  for (let i = 0; i < 4; i++) assert.equal((await login(phone, wrong(code))).status, 401);
  r = await login(phone, code); // the right code, after five wrong tries
  assert.equal(r.status, 401, 'the code is dead after five tries');
  assert.equal(sql('SELECT MAX(attempts) FROM sms_code'), '5');
  // counted like password failures: six so far, the eighth locks the phone
  assert.ok(Number(sql("SELECT COUNT(*) FROM audit_log WHERE action = 'login_failed' AND username = 'contractor'")) >= 6);
  assert.equal((await login(phone, '000000')).status, 401);
  assert.equal((await login(phone, '000000')).status, 401);
  r = await login(phone, '000000');
  assert.equal(r.status, 423);
  assertError(r.json, 'account_locked');
  r = await send(phone);
  assert.equal(r.status, 423, 'no codes for a locked phone either');
  // the same for a phone no account has
  for (let i = 0; i < 8; i++) assert.equal((await login('13900000088', '000000')).status, 401);
  const unknown = await login('13900000088', '000000');
  assert.equal(unknown.status, 423);
  assert.deepEqual(unknown.json, (await login(phone, '000000')).json);
  // the password login of the account is not locked by its phone
  assert.notEqual((await post('/api/v1/auth/login', { username: 'contractor', password: 'x' })).status, 423);
});

test('an expired code fails', async () => {
  const code = await sendOk(PHONES.fuzhou);
  sql("UPDATE sms_code SET expires_at = '2000-01-01T00:00:00.000Z' WHERE used = 0");
  const r = await login(PHONES.fuzhou, code);
  assert.equal(r.status, 401);
  assert.equal(r.json.error.message, '验证码错误或已过期');
});

test('gateway answers 500 or a redirect: 503 sms_unavailable and no usable code', async () => {
  for (const mode of ['fail', 'redirect']) {
    await sleep(1100);
    gw.mode = mode;
    const last = sql('SELECT MAX(id) FROM sms_code');
    const before = gw.received.length;
    const r = await send(PHONES.fuzhou);
    gw.mode = 'ok';
    assert.equal(r.status, 503, mode);
    const e = assertError(r.json, 'sms_unavailable');
    assert.equal(e.message, '短信服务暂不可用，请稍后再试或使用密码登录');
    assert.equal(gw.received.length, before + 1, 'the gateway was asked once, and no redirect followed');
    assert.equal(sql(`SELECT COUNT(*) FROM sms_code WHERE id > ${last}`), '0', 'no row left behind');
    assert.equal((await login(PHONES.fuzhou, codeFor(PHONES.fuzhou))).status, 401, 'the code it got does not work');
  }
  // a failed send does not hold up the next one
  const code = await sendOk(PHONES.fuzhou);
  assert.equal((await login(PHONES.fuzhou, code)).status, 200);
});

/** GET /healthz on a connection of its own. */
function healthz() {
  return new Promise((ok, fail) => {
    const r = http.get(srv.url + '/healthz', { agent: false, timeout: 10000 }, (res) => {
      res.resume();
      res.on('end', () => ok({ status: res.statusCode }));
    });
    r.on('timeout', () => r.destroy(new Error('timeout')));
    r.on('error', fail);
  });
}

test('a gateway that hangs: 503 within about 5 s, and the server keeps answering meanwhile', async () => {
  await sleep(1100);
  gw.mode = 'hang';
  const t0 = Date.now();
  let settled = false;
  const pending = send(PHONES.fuzhou).finally(() => { settled = true; });
  // The send is at the gateway, hanging: the server answers others meanwhile.
  await until('the send hanging at the gateway', () => gw.hanging.length === 1);
  const h = await healthz();
  assert.equal(h.status, 200);
  assert.equal(settled, false, 'healthz answered while the send still hung');
  const r = await pending;
  const took = Date.now() - t0;
  gw.mode = 'ok';
  gw.release();
  assert.equal(r.status, 503);
  assertError(r.json, 'sms_unavailable');
  // Ended by the gateway timeout (5 s; the log says so), however late a busy machine let it come.
  assert.ok(took >= 4500, `answered after ${took} ms`);
  await until('the timeout in the log', () => /sms: gateway not reached for 138\*{4}0002: Timeout was reached/.test(srv.stderr()), { log: srv.stderr });
  assert.equal((await login(PHONES.fuzhou, codeFor(PHONES.fuzhou))).status, 401);
});

test('secrets stay out of the log, and the audit chain is intact', async () => {
  const log = srv.stderr();
  assert.ok(!log.includes(TOKEN), 'token not logged');
  for (const m of gw.received) assert.ok(!log.includes(m.json.params.code + '"') && !log.includes(' ' + m.json.params.code), 'code not logged');
  for (const phone of Object.values(PHONES)) assert.ok(!log.includes(phone), 'phone not logged in clear');
  assert.match(log, /sms: gateway answered HTTP 500 for 138\*\*\*\*0002/);
  const r = runVerb(srv.env, 'audit-verify');
  assert.equal(r.status, 0, r.stdout + r.stderr);
  assert.match(r.stdout, /audit log intact/);
});

test('SMS login off (empty sms_gateway_url): 404 sms_login_disabled on both routes', async () => {
  const off = await startServer({ seed: false, env: { JIANGUAN_SMS_GATEWAY_URL: '' } });
  try {
    for (const r of [await send(PHONES.gulou, off.url), await login(PHONES.gulou, '123456', off.url)]) {
      assert.equal(r.status, 404);
      const e = assertError(r.json, 'sms_login_disabled');
      assert.match(e.message, /密码登录/);
    }
  } finally {
    assert.equal(await off.stop(), 0);
  }
});

test('per-address rate limit on sending: 429 rate_limited', async () => {
  const limited = await startServer({ seed: false, env: { JIANGUAN_SMS_GATEWAY_URL: gw.url, JIANGUAN_AUTH_RATE_PER_MINUTE: '3' } });
  try {
    const phones = ['13900000001', '13900000002', '13900000003', '13900000004'];
    const answers = [];
    for (const p of phones) answers.push(await send(p, limited.url));
    assert.deepEqual(answers.map((r) => r.status), [200, 200, 200, 429]);
    assertError(answers[3].json, 'rate_limited');
  } finally {
    assert.equal(await limited.stop(), 0);
  }
});
