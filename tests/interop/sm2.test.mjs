// SM2 interop: our C (src/crypto/sm2.c through sm2tool) against sm-crypto, the library the
// browser uses for the login password (docs/crypto.md).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import smCrypto from 'sm-crypto';
import { DENIED, INVALID, OK, ascii, chinese, hex, ok, run } from './lib.mjs';

const { sm2 } = smCrypto;
const ROUNDS = 50;

const dir = mkdtempSync(path.join(tmpdir(), 'jg-sm2-interop-'));
process.on('exit', () => rmSync(dir, { recursive: true, force: true }));
let keys = 0;

// A fresh key pair made by our C code: { pem (a file), pub (130 hex digits) }.
function cKey() {
  const pem = path.join(dir, `k${keys++}.pem`);
  const pub = ok('keygen', pem);
  assert.match(pub, /^04[0-9a-f]{128}$/);
  return { pem, pub };
}

// Decrypt with C; the plaintext as a UTF-8 string.
function cDecrypt(pem, cipher) {
  return Buffer.from(ok('decrypt', pem, cipher), 'hex').toString('utf8');
}

// sm-crypto's doEncrypt skips GB/T 32918.4 step A5 (pick another k when the KDF mask t is all
// zero), and OpenSSL 3.0.19 applies step B4 (refuse such a ciphertext). Then C2 == M: the message
// went in clear. It happens to a ciphertext of n bytes with probability 2^-8n: one 1-byte message
// in 256, never in practice for a password.
const maskIsZero = (c, msg) => c.slice(192) === Buffer.from(msg).toString('hex');

test('sm-crypto doEncrypt (C1C3C2) -> C decrypts: ASCII, Chinese, 1 byte, with and without 04', () => {
  for (let round = 0; round < ROUNDS; round++) {
    const { pem, pub } = cKey();
    for (const msg of [ascii(), chinese(), ascii(1)]) {
      const c = sm2.doEncrypt(msg, pub, 1);
      assert.equal(c.length, 128 + 64 + 2 * Buffer.byteLength(msg));
      if (maskIsZero(c, msg)) {
        assert.equal(run('decrypt', pem, c).status, DENIED);
        continue;
      }
      assert.equal(cDecrypt(pem, c), msg, `round ${round}`);
      assert.equal(cDecrypt(pem, '04' + c), msg, `round ${round}, with 04`);
      assert.equal(cDecrypt(pem, c.toUpperCase()), msg, `round ${round}, upper case`);
    }
    const zero = sm2.doEncrypt([0x00], pub, 1);
    if (!maskIsZero(zero, [0x00])) assert.equal(ok('decrypt', pem, zero), '00');
  }
});

test('a 1-byte ciphertext whose KDF mask is all zero (C2 == M) is refused, as GB/T 32918.4 B4 says', () => {
  const { pem, pub } = cKey();
  let found = 0;
  for (let tries = 0; tries < 5000 && found < 1; tries++) {
    const msg = ascii(1);
    const c = sm2.doEncrypt(msg, pub, 1);
    if (!maskIsZero(c, msg)) continue;
    found++;
    assert.equal(run('decrypt', pem, c).status, DENIED);
    assert.equal(run('decrypt', pem, '04' + c).status, DENIED);
  }
  assert.ok(found > 0, 'no zero mask in 5000 tries (expected about 1 in 256)');
});

test('C1 coordinates with leading zero bytes, and an X1 that starts with 04', () => {
  // One ciphertext in 256 has each shape; find each by encrypting until it appears.
  const { pem, pub } = cKey();
  const shapes = {
    'X1 starts 00': (c) => c.startsWith('00'),
    'Y1 starts 00': (c) => c.slice(64, 66) === '00',
    'X1 starts 04 (looks like a prefix)': (c) => c.startsWith('04'),
    'X1 starts 0000 or Y1 starts 0000': (c) => c.startsWith('0000') || c.slice(64, 68) === '0000',
  };
  const found = {};
  const wanted = Object.keys(shapes).slice(0, 3);
  // Regression: stopping at any three shapes could stop on the rare fourth before seeing all of these.
  for (let tries = 0; tries < 4000 && !wanted.every((name) => found[name] > 0); tries++) {
    const msg = 'pw' + chinese(8); // 3 bytes or more: a zero KDF mask is out of reach
    const c = sm2.doEncrypt(msg, pub, 1);
    for (const [name, has] of Object.entries(shapes)) {
      if (!has(c)) continue;
      found[name] = (found[name] ?? 0) + 1;
      assert.equal(cDecrypt(pem, c), msg, name);
      assert.equal(cDecrypt(pem, '04' + c), msg, `${name}, with 04`);
    }
  }
  // The 2-zero-byte shape is 1 in 32768; the other three must have turned up.
  for (const name of wanted) assert.ok(found[name] > 0, `never saw: ${name}`);
});

test('C encrypts -> sm-crypto doDecrypt (mode 1)', () => {
  for (let round = 0; round < 20; round++) {
    const kp = sm2.generateKeyPairHex();
    for (const msg of [ascii(), chinese(), 'x']) {
      const c = ok('encrypt', kp.publicKey, msg);
      assert.match(c, /^[0-9a-f]+$/);
      assert.equal(sm2.doDecrypt(c, kp.privateKey, 1), msg);
    }
  }
});

test('C signs -> sm-crypto doVerifySignature (hash: true, r|s and DER)', () => {
  for (let round = 0; round < ROUNDS; round++) {
    const { pem, pub } = cKey();
    const msg = round % 2 ? chinese() : ascii();
    const [rs, der] = ok('sign', pem, msg).split(' ');
    assert.match(rs, /^[0-9a-f]{128}$/);
    assert.ok(sm2.doVerifySignature(msg, rs, pub, { hash: true, der: false }), `round ${round} r|s`);
    assert.ok(sm2.doVerifySignature(msg, der, pub, { hash: true, der: true }), `round ${round} DER`);
    // The standard user ID is sm-crypto's default; saying it changes nothing, another ID fails.
    assert.ok(sm2.doVerifySignature(msg, rs, pub, { hash: true, userId: '1234567812345678' }));
    assert.equal(sm2.doVerifySignature(msg, rs, pub, { hash: true, userId: '' }), false);
    assert.equal(sm2.doVerifySignature(msg + '.', rs, pub, { hash: true }), false);
    assert.equal(sm2.doVerifySignature(msg, rs, cKey().pub, { hash: true }), false);
  }
});

test('sm-crypto doSignature (hash: true) -> C verifies', () => {
  for (let round = 0; round < ROUNDS; round++) {
    const kp = sm2.generateKeyPairHex();
    const msg = round % 2 ? chinese() : ascii();
    const rs = sm2.doSignature(msg, kp.privateKey, { hash: true });
    const der = sm2.doSignature(msg, kp.privateKey, { hash: true, der: true });
    assert.equal(run('verify', kp.publicKey, msg, rs).status, OK, `round ${round} r|s`);
    assert.equal(run('verify', kp.publicKey, msg, der).status, OK, `round ${round} DER`);
    assert.equal(run('verify', kp.publicKey, msg, rs.toUpperCase()).status, OK);
    assert.equal(run('verify', kp.publicKey, msg + '.', rs).status, DENIED);
    assert.equal(run('verify', sm2.generateKeyPairHex().publicKey, msg, rs).status, DENIED);
    // Signed under another user ID: not ours.
    const other = sm2.doSignature(msg, kp.privateKey, { hash: true, userId: 'ALICE123@YAHOO.COM' });
    assert.equal(run('verify', kp.publicKey, msg, other).status, DENIED);
  }
});

test('wrong key, altered or malformed input: refused cleanly', () => {
  const a = cKey();
  const b = cKey();
  const msg = 'Jg@demo2026';
  const c = sm2.doEncrypt(msg, a.pub, 1);
  assert.equal(run('decrypt', b.pem, c).status, DENIED, 'other key');
  // Every position changed, one at a time: C1 -> invalid (off the curve), C3/C2 -> denied.
  const seen = new Set();
  for (let i = 0; i < c.length; i++) {
    const t = c.slice(0, i) + (c[i] === 'a' ? 'b' : 'a') + c.slice(i + 1);
    const { status } = run('decrypt', a.pem, t);
    assert.ok(status === DENIED || status === INVALID, `digit ${i}: status ${status}`);
    seen.add(status);
  }
  assert.deepEqual([...seen].sort(), [DENIED, INVALID]);
  for (const bad of ['', '04', c.slice(0, 191), c.slice(0, -1), c + 'zz', 'g'.repeat(c.length), ' ' + c]) {
    const { status } = run('decrypt', a.pem, bad);
    assert.ok(status === INVALID || status === DENIED, `"${bad.slice(0, 20)}…": status ${status}`);
  }
  // Mode 0 (C1C2C3) is a different layout: refused, not misread.
  assert.equal(run('decrypt', a.pem, sm2.doEncrypt(msg, a.pub, 0)).status, DENIED);
  // Signatures: malformed and wrong.
  const rs = sm2.doSignature(msg, sm2.generateKeyPairHex().privateKey, { hash: true });
  assert.equal(run('verify', a.pub, msg, rs).status, DENIED);
  assert.equal(run('verify', a.pub, msg, rs.slice(2)).status, INVALID);
  assert.equal(run('verify', a.pub, msg, 'zz' + rs.slice(2)).status, INVALID);
  assert.equal(run('verify', a.pub, msg, '').status, INVALID);
  assert.equal(run('verify', a.pub.slice(2), msg, rs).status, INVALID, 'public key without 04');
  assert.equal(run('verify', a.pub.slice(0, -1) + (a.pub.endsWith('0') ? '1' : '0'), msg, rs).status, INVALID,
    'public key off the curve');
  // The message was still fine all along.
  assert.equal(cDecrypt(a.pem, c), msg);
  assert.equal(hex(msg), ok('decrypt', a.pem, '04' + c));
});
