// Logins per second against a running jianguan: N logins with SM2-encrypted passwords
// (encrypted beforehand with sm-crypto, as the browser does), C at a time.
// usage: node bench/login.mjs URL USERNAME PASSWORD N C   -> prints "logins/s <rate> ok <n>"
import { createRequire } from 'node:module';
const require = createRequire(new URL('../tests/api/package.json', import.meta.url));
const { sm2 } = require('sm-crypto');
const [url, username, password, n = '40', c = '4'] = process.argv.slice(2);
const key = await (await fetch(url + '/api/v1/auth/login-key')).json();
const bodies = Array.from({ length: Number(n) }, () =>
  JSON.stringify({ username, password: sm2.doEncrypt(password, key.public_key, 1) }));
let next = 0;
let ok = 0;
const start = process.hrtime.bigint();
await Promise.all(Array.from({ length: Number(c) }, async () => {
  while (next < bodies.length) {
    const body = bodies[next++];
    const r = await fetch(url + '/api/v1/auth/login', { method: 'POST', headers: { 'content-type': 'application/json' }, body });
    await r.arrayBuffer();
    if (r.status === 200) ok++;
  }
}));
const secs = Number(process.hrtime.bigint() - start) / 1e9;
console.log(`logins/s ${(bodies.length / secs).toFixed(1)} ok ${ok}`);
