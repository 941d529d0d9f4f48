#!/usr/bin/env node
// A chained stateless pipeline (source -> map -> filter -> map -> sink, one task) against the
// same pipeline in RxJS, in one run. Prints records/s of each and the ratio Fluss / RxJS.
//   npm run bench -- chained-vs-rxjs [records]
import { performance } from 'node:perf_hooks';
import { range, map as rxMap, filter as rxFilter } from 'rxjs';
import { StreamExecutionEnvironment, buildJob } from '../dist/index.js';
import { executeLocally } from '../dist/cluster/local-executor.js';

const N = Number(process.argv[2] ?? 10_000_000);

function rxjsRun() {
  let count = 0;
  let sum = 0;
  const t0 = performance.now();
  range(0, N)
    .pipe(
      rxMap((x) => x * 2),
      rxFilter((x) => x % 3 !== 0),
      rxMap((x) => x + 1),
    )
    .subscribe((x) => {
      count++;
      sum += x;
    });
  const ms = performance.now() - t0;
  return { count, sum, ms };
}

async function flussRun() {
  // The sink measures from its first record until it is closed at the end of input, so cluster
  // start-up and deployment are not counted against the pipeline.
  const stats = { count: 0, sum: 0, first: 0, last: 0 };
  const builder = (env) => {
    env.setParallelism(1);
    env
      .fromSequence(0, N - 1)
      .map((x) => x * 2)
      .filter((x) => x % 3 !== 0)
      .map((x) => x + 1)
      .addSink({
        invoke(x) {
          if (stats.count === 0) stats.first = performance.now();
          stats.count++;
          stats.sum += x;
        },
        close() {
          stats.last = performance.now();
        },
      });
  };
  const job = await buildJob(builder, []);
  const vertices = job.jobGraph.vertices.length;
  await executeLocally(() => buildJob(builder, []), { jobName: 'chained pipeline' });
  return { count: stats.count, sum: stats.sum, ms: stats.last - stats.first, vertices };
}

// Alternate three runs of each and keep each one's median, so JIT warm-up and noise from
// other processes do not decide the ratio.
const ROUNDS = 3;
const rxRuns = [];
const flRuns = [];
for (let r = 0; r < ROUNDS; r++) {
  rxRuns.push(rxjsRun());
  flRuns.push(await flussRun());
}
for (const f of flRuns) {
  if (f.count !== rxRuns[0].count || f.sum !== rxRuns[0].sum) {
    console.error(`results differ: rxjs ${rxRuns[0].count}/${rxRuns[0].sum}, fluss ${f.count}/${f.sum}`);
    process.exit(1);
  }
}
const median = (runs) => [...runs].sort((a, b) => a.ms - b.ms)[Math.floor(runs.length / 2)];
const rx = median(rxRuns);
const fl = median(flRuns);
const rxRate = N / (rx.ms / 1000);
const flRate = N / (fl.ms / 1000);
console.log(`records          ${N}`);
console.log(`fluss tasks      ${fl.vertices} (chained)`);
console.log(`rxjs             ${(rxRate / 1e6).toFixed(2)} M records/s (${rx.ms.toFixed(0)} ms)`);
console.log(`fluss            ${(flRate / 1e6).toFixed(2)} M records/s (${fl.ms.toFixed(0)} ms)`);
console.log(`ratio fluss/rxjs ${(flRate / rxRate).toFixed(2)} (target >= 1.0)`);
console.log(JSON.stringify({ bench: 'chained-vs-rxjs', records: N, rxjsPerSecond: Math.round(rxRate), flussPerSecond: Math.round(flRate), ratio: +(flRate / rxRate).toFixed(3) }));
