// The import step of bench/records.sh: log in as the demo enterprise (contractor, which may create
// 项目报监 for itself), write an XLSX of ROWS declarations in the layout of the import template
// (shared strings, numbers, serial dates, a sensitive phone), POST it to
// /api/v1/records/registration/import (mode all) and time the answer.
// usage: node bench/records/import.mjs URL ROWS OUT.xlsx
//   prints "IMPORT_STATUS <http> IMPORT_S <seconds> IMPORTED <n> SIZE <bytes>"
import { createRequire } from 'node:module';
import { writeFileSync } from 'node:fs';
import { xlsx } from '../../tests/api/lib/xlsx.mjs';
const require = createRequire(new URL('../../tests/api/package.json', import.meta.url));
const { sm2 } = require('sm-crypto');

const [url, rowsArg, out] = process.argv.slice(2);
const rows = Number(rowsArg);
const key = (await (await fetch(url + '/api/v1/auth/login-key')).json()).public_key;
const login = await fetch(url + '/api/v1/auth/login', {
  method: 'POST', headers: { 'content-type': 'application/json' },
  body: JSON.stringify({ username: 'contractor', password: sm2.doEncrypt('Jg@demo2026', key, 1) }),
});
if (login.status !== 200) { console.error(`login failed: ${login.status} ${await login.text()}`); process.exit(1); }
const cookie = login.headers.get('set-cookie').split(';')[0];
const { csrf_token: csrf, user } = await login.json();
const own = user.enterprise_id;

const head = ['项目名称', '工程类别', '项目所在地', '工程地址', '申报单位', '建设单位', '施工单位', '总建筑面积（平方米）',
  '工程造价（元）', '计划开工日期', '联系人', '联系电话', '备注'];
const kinds = ['building', 'municipal', 'road', 'bridge', 'tunnel', 'water_supply', 'drainage', 'gas', 'utility_tunnel', 'landscape'];
const counties = ['350102', '350103', '350104', '350105', '350111', '350112', '350121', '350122', '350123'];
const sheet = [head];
for (let n = 1; n <= rows; n++) {
  sheet.push([`导入基准项目${n}`, kinds[n % 10], counties[n % 9], `福建省导入路 ${n} 号`, own, own, own,
    (n * 37) % 500000 + 0.25, ((n * 7919) % 200000) + 0.5, 43831 + (n % 2500), '张三',
    `139${String(n % 100000000).padStart(8, '0')}`, n % 7 === 0 ? '=1+1' : null]);
}
const file = xlsx(sheet);
writeFileSync(out, file);

const boundary = 'jgBenchImport' + Date.now();
const body = Buffer.concat([
  Buffer.from(`--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="bench.xlsx"\r\n\r\n`),
  file,
  Buffer.from(`\r\n--${boundary}--\r\n`),
]);
const t0 = process.hrtime.bigint();
const r = await fetch(url + '/api/v1/records/registration/import', {
  method: 'POST',
  headers: { cookie, 'x-csrf-token': csrf, 'content-type': `multipart/form-data; boundary=${boundary}` },
  body,
});
const text = await r.text();
const s = Number(process.hrtime.bigint() - t0) / 1e9;
let imported = 0;
try { imported = JSON.parse(text).data?.imported ?? 0; } catch { /* reported below */ }
if (r.status !== 200) console.error(`import answered ${r.status}: ${text.slice(0, 400)}`);
console.log(`IMPORT_STATUS ${r.status} IMPORT_S ${s.toFixed(2)} IMPORTED ${imported} SIZE ${file.length}`);
