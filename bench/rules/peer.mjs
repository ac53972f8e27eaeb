// bench/rules.sh part (a), the peer: json-rules-engine on rules.json over facts.json, N runs.
// Prints {"evaluations","seconds","per_second","micros","checksum"} like `jianguan rules bench`.
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Engine } from 'json-rules-engine';

const here = dirname(fileURLToPath(import.meta.url));
const n = Number(process.argv[2] || 100000);
const { rules } = JSON.parse(readFileSync(join(here, 'rules.json'), 'utf8'));
const facts = JSON.parse(readFileSync(join(here, 'facts.json'), 'utf8'));
const engine = new Engine(rules, { allowUndefinedFacts: true });
let checksum = 0;
for (let i = 0; i < 2000; i++) await engine.run(facts[i % facts.length]); // warm-up (JIT)
const t0 = process.hrtime.bigint();
for (let i = 0; i < n; i++) {
  const { events } = await engine.run(facts[i % facts.length]);
  for (const e of events) checksum += e.params.points;
}
const s = Number(process.hrtime.bigint() - t0) / 1e9;
console.log(JSON.stringify({ evaluations: n, seconds: s, per_second: Math.round(n / s), micros: (s * 1e6) / n, checksum }));
