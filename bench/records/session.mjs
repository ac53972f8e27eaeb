// Log in the way the browser does (SM2-encrypted password) and print the session cookie.
// usage: node bench/records/session.mjs URL USERNAME PASSWORD   -> prints "name=value"
import { createRequire } from 'node:module';
const require = createRequire(new URL('../../tests/api/package.json', import.meta.url));
const { sm2 } = require('sm-crypto');
const [url, username, password] = process.argv.slice(2);
const key = (await (await fetch(url + '/api/v1/auth/login-key')).json()).public_key;
const r = await fetch(url + '/api/v1/auth/login', {
  method: 'POST', headers: { 'content-type': 'application/json' },
  body: JSON.stringify({ username, password: sm2.doEncrypt(password, key, 1) }),
});
if (r.status !== 200) { console.error(`login failed: ${r.status} ${await r.text()}`); process.exit(1); }
console.log(r.headers.get('set-cookie').split(';')[0]);
