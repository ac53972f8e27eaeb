// jianguan's side of bench/flow.sh: over HTTP, the contractor submits record ids FIRST..FIRST+N-1 of
// 项目报监 to the process bench_three (POST /api/v1/flow/instances) and the 鼓楼 station chief does
// its three tasks (POST /api/v1/flow/tasks/{id}/complete, the next task taken from each answer),
// CONCURRENCY instances at once.
// usage: node bench/flow/drive.mjs run URL FIRST N CONCURRENCY
//          -> prints "JIANGUAN instances=N seconds=S completions=C"
//        node bench/flow/drive.mjs deploy URL FILE   (as the province admin; prints the answer)
import { createRequire } from 'node:module';
const require = createRequire(new URL('../../tests/api/package.json', import.meta.url));
const { sm2 } = require('sm-crypto');
import { readFile } from 'node:fs/promises';
import http from 'node:http';
const [mode, url] = process.argv.slice(2, 4);
const [first, n, concurrency] = process.argv.slice(4, 7).map(Number);

async function login(username) {
  const key = (await (await fetch(url + '/api/v1/auth/login-key')).json()).public_key;
  const r = await fetch(url + '/api/v1/auth/login', {
    method: 'POST', headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ username, password: sm2.doEncrypt('Jg@demo2026', key, 1) }),
  });
  if (r.status !== 200) throw new Error(`login ${username}: ${r.status} ${await r.text()}`);
  return { cookie: r.headers.get('set-cookie').split(';')[0], csrf: (await r.json()).csrf_token };
}
// Requests over kept-alive connections with node:http (lighter on the client's CPU than fetch: the
// driver shares the machine's two cores with the server).
const agent = new http.Agent({ keepAlive: true, maxSockets: 64 });
function post(s, path, body, want) {
  const data = JSON.stringify(body);
  return new Promise((resolve, reject) => {
    const r = http.request(url + path, { method: 'POST', agent, headers: { 'content-type': 'application/json',
      'content-length': Buffer.byteLength(data), cookie: s.cookie, 'x-csrf-token': s.csrf } }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (d) => { text += d; });
      res.on('end', () => {
        if (res.statusCode !== want) reject(new Error(`POST ${path}: ${res.statusCode} ${text}`));
        else resolve(JSON.parse(text));
      });
    });
    r.on('error', reject);
    r.end(data);
  });
}

if (mode === 'deploy') {
  const r = await post(await login('province'), '/api/v1/flow/definitions',
    { xml: await readFile(process.argv[4], 'utf8') }, 201);
  console.log(JSON.stringify(r));
  process.exit(0);
}
const applicant = await login('contractor');
const chief = await login('gulou_chief');
let completions = 0;
async function instance(recordId) {
  let r = await post(applicant, '/api/v1/flow/instances', { key: 'bench_three', entity: 'registration', record_id: recordId }, 201);
  for (let step = 0; step < 3; step++) {
    if (r.tasks.length !== 1) throw new Error(`record ${recordId}: ${r.tasks.length} open tasks before step ${step + 1}`);
    const t = r.tasks[0];
    r = await post(chief, `/api/v1/flow/tasks/${t.id}/complete`, { version: t.version, opinion: '同意' }, 200);
    completions++;
  }
  if (r.state !== 'completed' || r.tasks.length !== 0) throw new Error(`record ${recordId}: ${r.state} after three steps`);
}

const t0 = process.hrtime.bigint();
let next = 0;
await Promise.all(Array.from({ length: concurrency }, async () => {
  while (next < n) await instance(first + next++);
}));
const s = Number(process.hrtime.bigint() - t0) / 1e9;
console.log(`JIANGUAN instances=${n} seconds=${s.toFixed(3)} completions=${completions}`);
