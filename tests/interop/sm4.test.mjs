// SM4 field tokens and blind indexes (src/crypto/sm4.c through sm2tool) rebuilt with sm-crypto's
// SM4 and HMAC-SM3 from the layout in docs/crypto.md alone: another program (a report exporter,
// a migration script) can read and write our encrypted columns.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import smCrypto from 'sm-crypto';
import { DENIED, INVALID, ascii, chinese, ok, randomHex, run } from './lib.mjs';

const { sm3, sm4 } = smCrypto;

const hmac = (keyHex, bytes) => Buffer.from(sm3([...bytes], { key: keyHex }), 'hex');
const u32 = (n) => Buffer.from([n >>> 24, (n >>> 16) & 255, (n >>> 8) & 255, n & 255]);

function keys(masterHex) {
  const derive = (label) => hmac(masterHex, Buffer.from(label));
  return {
    enc: derive('jianguan/v1/sm4-ctr').subarray(0, 16),
    mac: derive('jianguan/v1/hmac-sm3'),
    index: derive('jianguan/v1/blind-index'),
  };
}

// SM4-CTR from SM4-ECB: keystream block i = SM4(IV + i), 128-bit big-endian counter.
function ctr(key, iv, data) {
  const out = Buffer.alloc(data.length);
  const counter = Buffer.from(iv);
  for (let i = 0; i < data.length; i += 16) {
    const ks = sm4.encrypt([...counter], key.toString('hex'), { padding: 'none', output: 'array' });
    for (let j = 0; j < 16 && i + j < data.length; j++) out[i + j] = data[i + j] ^ ks[j];
    for (let b = 15; b >= 0; b--) if (++counter[b] <= 255) break; else counter[b] = 0;
  }
  return out;
}

function tag(k, context, ivc) {
  const ctx = Buffer.from(context);
  return hmac(k.mac.toString('hex'), Buffer.concat([Buffer.from('v1.'), u32(ctx.length), ctx, ivc]));
}

function open(masterHex, context, token) {
  assert.ok(token.startsWith('v1.'));
  const raw = Buffer.from(token.slice(3), 'base64url');
  assert.equal(raw.toString('base64url'), token.slice(3), 'canonical base64url');
  const k = keys(masterHex);
  const ct = raw.subarray(16, raw.length - 32);
  assert.deepEqual(tag(k, context, raw.subarray(0, raw.length - 32)), raw.subarray(raw.length - 32), 'tag');
  return ctr(k.enc, raw.subarray(0, 16), ct).toString('utf8');
}

function seal(masterHex, context, text) {
  const k = keys(masterHex);
  const iv = randomBytes(16);
  const ivc = Buffer.concat([iv, ctr(k.enc, iv, Buffer.from(text))]);
  return 'v1.' + Buffer.concat([ivc, tag(k, context, ivc)]).toString('base64url');
}

test('C seals -> opened with sm-crypto from the documented layout', () => {
  for (let round = 0; round < 30; round++) {
    const master = randomHex(32);
    const text = round % 2 ? chinese(100) : ascii(200);
    const token = ok('seal', master, 'person.id_card', text);
    assert.match(token, /^v1\.[A-Za-z0-9_-]+$/);
    assert.equal(open(master, 'person.id_card', token), text);
  }
});

test('sealed with sm-crypto -> C opens; other context or key refused', () => {
  for (let round = 0; round < 30; round++) {
    const master = randomHex(32);
    const text = round % 2 ? chinese(100) : ascii(200);
    const token = seal(master, 'person.phone', text);
    assert.equal(Buffer.from(ok('open', master, 'person.phone', token), 'hex').toString('utf8'), text);
    assert.equal(run('open', master, 'person.id_card', token).status, DENIED);
    assert.equal(run('open', randomHex(32), 'person.phone', token).status, DENIED);
  }
  assert.equal(run('open', randomHex(32), '', 'v1.not-a-token').status, INVALID);
});

test('blind index computed the same way by both', () => {
  for (let round = 0; round < 30; round++) {
    const master = randomHex(32);
    const value = round % 2 ? chinese(20) : '35010219900101' + String(1000 + round);
    const field = 'person.id_card';
    const f = Buffer.from(field);
    const want = hmac(keys(master).index.toString('hex'), Buffer.concat([u32(f.length), f, Buffer.from(value)]));
    assert.equal(ok('index', master, field, value), want.toString('hex'));
  }
});
