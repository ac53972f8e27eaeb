// Image captcha (图形验证码): the picture is a real PNG, the login asks for a captcha after a name's
// first failure (known and unknown names alike), always, or never, as configured; each captcha
// works once, not after it expires, and a wrong one neither counts as a password failure nor tells
// whether the password was right. Answers are recovered from the stored hash by brute force over
// the small alphabet, as only a test can.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import { createHash } from 'node:crypto';
import zlib from 'node:zlib';
import { startServer } from './lib/harness.mjs';
import { req, assertError, dbExec } from './lib/checks.mjs';

const { sm2 } = createRequire(import.meta.url)('sm-crypto');
const PASSWORD = 'Jg@demo2026';
const ALPHABET = '23456789ACEFHJKMNPRTVWXY';
const sm3 = (s) => createHash('sm3').update(s).digest('hex');
/** Another answer than ans (the first letter changed). */
const wrongOf = (ans) => (ans[0] === 'A' ? 'C' : 'A') + ans.slice(1);

let srv;
before(async () => {
  srv = await startServer({ projects: 1, env: { JIANGUAN_AUTH_RATE_PER_MINUTE: '1000' } });
  srv.publicKey = (await req(srv.url + '/api/v1/auth/login-key')).json.public_key;
});
after(async () => { assert.equal(await srv.stop(), 0); });

async function login(s, username, password, extra = {}) {
  const body = { username, password: sm2.doEncrypt(password, s.publicKey, 1), ...extra };
  return req(s.url + '/api/v1/auth/login', {
    method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body),
  });
}

async function newCaptcha(s) {
  const r = await req(s.url + '/api/v1/auth/captcha');
  assert.equal(r.status, 200, r.text);
  return r.json;
}

/** A fresh captcha and its answer, recovered from answer_hash = SM3(token_hash ":" ANSWER). */
async function solved(s) {
  const c = await newCaptcha(s);
  const th = sm3(c.captcha_id);
  const stored = dbExec(s.env.JIANGUAN_DATABASE, `SELECT answer_hash FROM captcha WHERE token_hash = '${th}'`).trim();
  assert.match(stored, /^[0-9a-f]{64}$/, 'the row is found by the SM3 of the id');
  const prefix = createHash('sm3').update(th + ':');
  for (const a of ALPHABET) for (const b of ALPHABET) for (const c2 of ALPHABET) for (const d of ALPHABET) {
    const answer = a + b + c2 + d;
    if (prefix.copy().update(answer).digest('hex') === stored) return { id: c.captcha_id, answer, th };
  }
  assert.fail('no answer of the alphabet matches the stored hash');
}

/** The failures counted for a name (login_attempt is keyed by the SM3 of the lower-cased name). */
function failures(s, name) {
  const out = dbExec(s.env.JIANGUAN_DATABASE, `SELECT failures FROM login_attempt WHERE name_key = '${sm3(name.toLowerCase())}'`);
  return Number(out.trim() || 0);
}

/** Check a PNG: signature, IHDR, every chunk's CRC, IEND last; returns { width, height, colour, raw }. */
function parsePng(buf) {
  assert.deepEqual([...buf.subarray(0, 8)], [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
  let pos = 8;
  const idat = [];
  const types = [];
  let ihdr;
  while (pos < buf.length) {
    const n = buf.readUInt32BE(pos);
    const type = buf.subarray(pos + 4, pos + 8).toString('latin1');
    const data = buf.subarray(pos + 8, pos + 8 + n);
    assert.equal(buf.readUInt32BE(pos + 8 + n), zlib.crc32(buf.subarray(pos + 4, pos + 8 + n)), `CRC of ${type}`);
    types.push(type);
    if (type === 'IHDR') ihdr = data;
    if (type === 'IDAT') idat.push(data);
    pos += 12 + n;
  }
  assert.equal(pos, buf.length);
  assert.equal(types[0], 'IHDR');
  assert.equal(types.at(-1), 'IEND');
  return {
    width: ihdr.readUInt32BE(0), height: ihdr.readUInt32BE(4), depth: ihdr[8], colour: ihdr[9],
    raw: zlib.inflateSync(Buffer.concat(idat)),
  };
}

test('the captcha is a PNG data URL with a random id; the database keeps only hashes', async () => {
  const r = await req(srv.url + '/api/v1/auth/captcha');
  assert.equal(r.status, 200);
  assert.equal(r.headers.get('cache-control'), 'no-store');
  assert.match(r.json.captcha_id, /^[A-Za-z0-9_-]{43}$/);
  assert.equal(r.json.expires_in, 300);
  const m = /^data:image\/png;base64,([A-Za-z0-9+/]+=*)$/.exec(r.json.image);
  assert.ok(m, 'a base64 PNG data URL');
  const png = parsePng(Buffer.from(m[1], 'base64'));
  assert.deepEqual([png.width, png.height, png.depth, png.colour], [120, 40, 8, 2]);
  assert.equal(png.raw.length, 40 * (1 + 120 * 3));
  const other = await newCaptcha(srv);
  assert.notEqual(other.captcha_id, r.json.captcha_id);
  assert.notEqual(other.image, r.json.image);
  const rows = dbExec(srv.env.JIANGUAN_DATABASE, 'SELECT token_hash, answer_hash, used FROM captcha');
  assert.ok(!rows.includes(r.json.captcha_id), 'the id is not stored');
  assert.ok(rows.includes(sm3(r.json.captcha_id)), 'its SM3 is');
});

test('after_failure: no captcha at first, then one for known and unknown names alike', async () => {
  assert.equal((await login(srv, 'gulou', PASSWORD)).status, 200, 'the first login needs none');
  assert.equal((await login(srv, 'fuzhou', 'wrong-1')).status, 401);
  assert.equal((await login(srv, 'nobody-here', 'wrong-1')).status, 401);
  const known = await login(srv, 'fuzhou', PASSWORD);
  const unknown = await login(srv, 'nobody-here', PASSWORD);
  assert.equal(known.status, 400);
  assertError(known.json, 'captcha_required');
  assert.deepEqual(unknown.json, known.json, 'an unknown name gets the same answer');
  const empty = await login(srv, 'fuzhou', PASSWORD, { captcha_id: '', captcha: '' });
  assertError(empty.json, 'captcha_required');
  assert.equal(failures(srv, 'fuzhou'), 1, 'asking for a captcha is not a failure');
  // Then the right captcha and password log in, and the name needs no captcha any more.
  const c = await solved(srv);
  const ok = await login(srv, 'fuzhou', PASSWORD, { captcha_id: c.id, captcha: c.answer.toLowerCase() });
  assert.equal(ok.status, 200, ok.text);
  assert.equal(failures(srv, 'fuzhou'), 0);
  assert.equal((await login(srv, 'fuzhou', PASSWORD)).status, 200);
});

test('a wrong captcha is refused, spent, not a password failure, and says nothing of the password', async () => {
  assert.equal((await login(srv, 'xiamen', 'wrong-1')).status, 401);
  const c = await solved(srv);
  const a = await login(srv, 'xiamen', PASSWORD, { captcha_id: c.id, captcha: wrongOf(c.answer) });
  assert.equal(a.status, 400);
  assertError(a.json, 'captcha_invalid');
  const d = await solved(srv);
  const b = await login(srv, 'xiamen', 'wrong-2', { captcha_id: d.id, captcha: wrongOf(d.answer) });
  assert.deepEqual(b.json, a.json, 'right and wrong passwords get the same answer behind a wrong captcha');
  assert.equal(failures(srv, 'xiamen'), 1, 'a wrong captcha does not count as a password failure');
  // The first captcha was spent by the wrong answer: its right answer no longer works.
  const again = await login(srv, 'xiamen', PASSWORD, { captcha_id: c.id, captcha: c.answer });
  assertError(again.json, 'captcha_invalid');
  const e = await solved(srv);
  for (const bad of [{ captcha_id: 'x'.repeat(43), captcha: 'AAAA' }, { captcha_id: 'x'.repeat(500), captcha: 'AAAA' },
    { captcha_id: e.id, captcha: e.answer + 'X' }, { captcha_id: e.id, captcha: e.answer }]) {
    assertError((await login(srv, 'xiamen', PASSWORD, bad)).json, 'captcha_invalid');
  }
  const audited = dbExec(srv.env.JIANGUAN_DATABASE, "SELECT count(*) FROM audit_log WHERE action = 'captcha_failed'");
  assert.ok(Number(audited.trim()) >= 6);
});

test('a captcha works once: after a wrong password it cannot be used again', async () => {
  assert.equal((await login(srv, 'contractor', 'wrong-1')).status, 401);
  const c = await solved(srv);
  const first = await login(srv, 'contractor', 'wrong-2', { captcha_id: c.id, captcha: c.answer });
  assert.equal(first.status, 401, 'the captcha passed, the password did not');
  assertError(first.json, 'unauthorized');
  assert.equal(failures(srv, 'contractor'), 2, 'a wrong password behind a right captcha counts');
  const second = await login(srv, 'contractor', PASSWORD, { captcha_id: c.id, captcha: c.answer });
  assert.equal(second.status, 400);
  assertError(second.json, 'captcha_invalid');
  assert.equal(dbExec(srv.env.JIANGUAN_DATABASE, `SELECT used FROM captcha WHERE token_hash = '${c.th}'`).trim(), '1');
});

test('an expired captcha is refused, and expired rows are cleared when new ones are issued', async () => {
  assert.equal((await login(srv, 'province', 'wrong-1')).status, 401);
  const c = await solved(srv);
  dbExec(srv.env.JIANGUAN_DATABASE, `UPDATE captcha SET expires_at = '2000-01-01T00:00:00.000Z' WHERE token_hash = '${c.th}'`);
  const r = await login(srv, 'province', PASSWORD, { captcha_id: c.id, captcha: c.answer });
  assert.equal(r.status, 400);
  assertError(r.json, 'captcha_invalid');
  await newCaptcha(srv);
  assert.equal(dbExec(srv.env.JIANGUAN_DATABASE, `SELECT count(*) FROM captcha WHERE token_hash = '${c.th}'`).trim(), '0');
  const fresh = await solved(srv);
  assert.equal((await login(srv, 'province', PASSWORD, { captcha_id: fresh.id, captcha: fresh.answer })).status, 200);
});

test('the lockout still counts behind captchas, for unknown names too, and comes before the captcha', async () => {
  assert.equal((await login(srv, 'no-such-user-2', 'wrong-1')).status, 401);
  for (let i = 2; i <= 5; i++) {
    const c = await solved(srv);
    assert.equal((await login(srv, 'no-such-user-2', 'wrong-' + i, { captcha_id: c.id, captcha: c.answer })).status, 401);
  }
  const r = await login(srv, 'no-such-user-2', PASSWORD);
  assert.equal(r.status, 423, 'locked at the default limit of 5, no captcha asked for');
  assertError(r.json, 'account_locked');
});

test('captcha=always: even the first login needs one, and one captcha lets one of concurrent logins in', async () => {
  const s = await startServer({ projects: 1, env: { JIANGUAN_CAPTCHA: 'always' } });
  try {
    s.publicKey = (await req(s.url + '/api/v1/auth/login-key')).json.public_key;
    const r = await login(s, 'gulou', PASSWORD);
    assert.equal(r.status, 400);
    assertError(r.json, 'captcha_required');
    const c = await solved(s);
    assert.equal((await login(s, 'gulou', PASSWORD, { captcha_id: c.id, captcha: c.answer })).status, 200);
    assertError((await login(s, 'gulou', PASSWORD)).json, 'captcha_required');
    // Concurrent logins with one captcha: exactly one gets through. (Under after_failure the first
    // success would clear the name's failures, and later requests would need no captcha at all.)
    const one = await solved(s);
    const all = await Promise.all(Array.from({ length: 6 }, () =>
      login(s, 'contractor', PASSWORD, { captcha_id: one.id, captcha: one.answer })));
    assert.deepEqual(all.map((r) => r.status).sort(), [200, 400, 400, 400, 400, 400], all.map((r) => r.text).join('\n'));
    for (const r of all.filter((x) => x.status === 400)) assertError(r.json, 'captcha_invalid');
  } finally {
    assert.equal(await s.stop(), 0);
  }
});

test('captcha=off: never asked for, and the captcha route is rate-limited with the other auth routes', async () => {
  const s = await startServer({ projects: 1, env: { JIANGUAN_CAPTCHA: 'off', JIANGUAN_AUTH_RATE_PER_MINUTE: '8' } });
  try {
    s.publicKey = (await req(s.url + '/api/v1/auth/login-key')).json.public_key;
    assert.equal((await login(s, 'gulou', 'wrong-1')).status, 401);
    assert.equal((await login(s, 'gulou', 'wrong-2')).status, 401);
    assert.equal((await login(s, 'gulou', PASSWORD)).status, 200);
    let last;
    for (let i = 0; i < 10; i++) {
      last = await req(s.url + '/api/v1/auth/captcha');
      if (last.status === 429) break;
    }
    assert.equal(last.status, 429);
    assertError(last.json, 'rate_limited');
  } finally {
    assert.equal(await s.stop(), 0);
  }
});
