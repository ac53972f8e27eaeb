// The peer of bench/flow.sh: bpmn-engine (npm) runs bench/flow/three.bpmn to completion N times,
// CONCURRENCY at once, the way its documentation persists a process: after every step the engine
// is stopped and its state written to a file of the instance; the next step reads the file,
// recovers an engine from it, resumes, and signals the waiting user task.
// usage: node bench/flow/peer.mjs N CONCURRENCY DIR   -> prints "PEER instances=N seconds=S completions=C"
import { Engine } from 'bpmn-engine';
import { EventEmitter } from 'node:events';
import { readFile, writeFile, mkdir } from 'node:fs/promises';

const [n, concurrency, dir] = [Number(process.argv[2]), Number(process.argv[3]), process.argv[4]];
const source = await readFile(new URL('three.bpmn', import.meta.url), 'utf8');
await mkdir(dir, { recursive: true });

// Run engine (fresh or recovered) until it waits at a user task or ends; signal the task that is
// waiting when it resumes if signal is set. Resolves to true when the process completed.
function runStep(engine, resume, signal) {
  return new Promise((resolve, reject) => {
    const listener = new EventEmitter();
    let signalled = !signal;
    listener.on('wait', (api) => {
      if (!signalled) { signalled = true; api.signal(); return; }
      engine.stop().then(() => resolve(false), reject);
    });
    engine.once('end', () => resolve(true));
    engine.once('error', reject);
    (resume ? engine.resume({ listener }) : engine.execute({ listener })).catch(reject);
  });
}

let completions = 0;
async function instance(i) {
  const file = `${dir}/instance-${i}.json`;
  let engine = new Engine({ name: `bench-${i}`, source });
  if (await runStep(engine, false, false)) throw new Error('ended without a user task');
  await writeFile(file, JSON.stringify(await engine.getState()));
  for (let step = 0; step < 3; step++) {
    engine = new Engine({ name: `bench-${i}` }).recover(JSON.parse(await readFile(file, 'utf8')));
    const ended = await runStep(engine, true, true);
    completions++;
    await writeFile(file, JSON.stringify(await engine.getState()));
    if (ended !== (step === 2)) throw new Error(`instance ${i}: ended=${ended} after step ${step + 1}`);
  }
}

const t0 = process.hrtime.bigint();
let next = 0;
await Promise.all(Array.from({ length: concurrency }, async () => {
  while (next < n) await instance(next++);
}));
const s = Number(process.hrtime.bigint() - t0) / 1e9;
console.log(`PEER instances=${n} seconds=${s.toFixed(3)} completions=${completions}`);
