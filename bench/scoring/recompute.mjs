// Log in as the province administrator (rule.manage) and time POST /api/v1/credit/recompute.
// usage: node bench/scoring/recompute.mjs URL USERNAME PASSWORD [PERIOD]
//   -> prints the answer's JSON plus "wall_s" (the client's wall time of the request)
import { createRequire } from 'node:module';
const require = createRequire(new URL('../../tests/api/package.json', import.meta.url));
const { sm2 } = require('sm-crypto');
const [url, username, password, period] = process.argv.slice(2);
const key = (await (await fetch(url + '/api/v1/auth/login-key')).json()).public_key;
const login = await fetch(url + '/api/v1/auth/login', {
  method: 'POST', headers: { 'content-type': 'application/json' },
  body: JSON.stringify({ username, password: sm2.doEncrypt(password, key, 1) }),
});
if (login.status !== 200) { console.error(`login failed: ${login.status} ${await login.text()}`); process.exit(1); }
const cookie = login.headers.get('set-cookie').split(';')[0];
const csrf = (await login.json()).csrf_token;
const t0 = process.hrtime.bigint();
const r = await fetch(url + '/api/v1/credit/recompute', {
  method: 'POST', headers: { 'content-type': 'application/json', cookie, 'x-csrf-token': csrf },
  body: JSON.stringify(period ? { period } : {}),
});
const body = await r.text();
const wall = Number(process.hrtime.bigint() - t0) / 1e9;
if (r.status !== 200) { console.error(`recompute failed: ${r.status} ${body}`); process.exit(1); }
console.log(JSON.stringify({ ...JSON.parse(body), wall_s: Number(wall.toFixed(2)) }));
