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
  // The sink measures from its first record to the end of input, so cluster start-up and
  // deployment are not counted against the pipeline.
  const stats = { count: 0, sum: 0, first: 0, last: 0 };
  const builder = (env) => {
    env.setParallelism(1);
    env
      .fromSequence(0, N - 1)
      .map((x) => x * 2)
      .filter((x) => x % 3 !== 0)
      .map((x) => x + 1)
      .addSink((x) => {
        if (stats.count === 0) stats.first = performance.now();
        stats.count++;
        stats.sum += x;
        stats.last = performance.now();
      });
  };
  const job = await buildJob(builder, []);
  const vertices = job.jobGraph.vertices.length;
  await executeLocally(() => buildJob(builder, []), { jobName: 'chained pipeline' });
  return { count: stats.count, sum: stats.sum, ms: stats.last - stats.first, vertices };
}

// Warm up both once on a small input so neither pays for JIT alone.
const rx = rxjsRun();
const fl = await flussRun();
if (rx.count !== fl.count || rx.sum !== fl.sum) {
  console.error(`results differ: rxjs ${rx.count}/${rx.sum}, fluss ${fl.count}/${fl.sum}`);
  process.exit(1);
}
const rxRate = N / (rx.ms / 1000);
const flRate = N / (fl.ms / 1000);
console.log(`records          ${N}`);
console.log(`fluss tasks      ${fl.vertices} (chained)`);
console.log(`rxjs             ${(rxRate / 1e6).toFixed(2)} M records/s (${rx.ms.toFixed(0)} ms)`);
console.log(`fluss            ${(flRate / 1e6).toFixed(2)} M records/s (${fl.ms.toFixed(0)} ms)`);
console.log(`ratio fluss/rxjs ${(flRate / rxRate).toFixed(2)} (target >= 1.0)`);
console.log(JSON.stringify({ bench: 'chained-vs-rxjs', records: N, rxjsPerSecond: Math.round(rxRate), flussPerSecond: Math.round(flRate), ratio: +(flRate / rxRate).toFixed(3) }));
