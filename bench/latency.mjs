#!/usr/bin/env node
// End-to-end latency on a cluster of a JobManager and two TaskManager processes from bin/fluss:
// a rate-limited source stamps each record as it emits it, keyBy sends it across the network to
// a keyed map and a sink, which measures how old the record is on arrival (one host, so both
// processes read the same clock). Runs the job with the default buffer timeout, with buffer
// timeout 0 (flush per record), and with 1 s exactly-once checkpoints; the first second of each
// run (connections, compilation) is left out. Ends with the TaskManagers' peak RSS.
//   npm run bench -- latency [records per second = 10000] [seconds = 10]
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const bin = join(root, 'bin', 'fluss');
const RATE = Number(process.argv[2] ?? 10_000);
const SECONDS = Number(process.argv[3] ?? 10);
const dir = mkdtempSync(join(tmpdir(), 'fluss-bench-lat-'));
const env = { ...process.env, FLUSS_LOG_LEVEL: 'warn' };
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

function freePort() {
  return new Promise((res) => {
    const s = createServer().listen(0, '127.0.0.1', () => {
      const p = s.address().port;
      s.close(() => res(p));
    });
  });
}

writeFileSync(
  join(dir, 'job.mjs'),
  `import { writeFileSync } from 'node:fs';
import { DataGeneratorSource, defineJob, RichSinkFunction, WatermarkStrategy } from 'fluss';

const now = () => performance.timeOrigin + performance.now();

/** Collects each record's age on arrival; writes them when the run ends. */
class AgeSink extends RichSinkFunction {
  constructor(out, skip) {
    super();
    this.out = out;
    this.skip = skip;
    this.ages = [];
  }
  invoke(r) {
    const age = now() - r[1];
    if (r[0] >= this.skip) this.ages.push(age);
  }
  close() {
    writeFileSync(this.out + '-' + this.getRuntimeContext().subtaskIndex + '.json', JSON.stringify(this.ages));
  }
}

export default defineJob((env, [out, rate, seconds, bufferTimeout, checkpoints]) => {
  env.setParallelism(2);
  env.setBufferTimeout(Number(bufferTimeout));
  if (Number(checkpoints) > 0) env.enableCheckpointing(Number(checkpoints));
  const n = Number(rate) * Number(seconds);
  env.fromSource(new DataGeneratorSource((i) => i, n, { ratePerSecond: Number(rate) }), WatermarkStrategy.noWatermarks(), 'numbers')
    .map((i) => [i, now()])
    .keyBy((r) => r[0] % 1000)
    .map((r) => r)
    .addSink(new AgeSink(out, Number(rate)));
});
`,
);

const port = await freePort();
const restPort = await freePort();
const common = [
  '-D', `jobmanager.rpc.port=${port}`, '-D', 'jobmanager.rpc.address=127.0.0.1', '-D', `rest.port=${restPort}`, '-D', 'rest.address=127.0.0.1',
  '-D', `state.checkpoints.dir=${join(dir, 'checkpoints')}`, '-D', `io.tmp.dirs=${join(dir, 'tmp')}`,
];
const jm = spawn(process.execPath, [bin, 'jobmanager', ...common], { env, stdio: 'ignore' });
const tms = [];
for (let i = 0; i < 2; i++) {
  tms.push(spawn(process.execPath, [bin, 'taskmanager', ...common, '-D', `taskmanager.rpc.port=${await freePort()}`], { env, stdio: 'ignore' }));
}

/** Peak resident set (VmHWM) of a process, in MB. */
function peakRssMb(pid) {
  const m = /VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m ? Math.round(Number(m[1]) / 1024) : NaN;
}

const percentile = (sorted, p) => sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
const result = { bench: 'latency', recordsPerSecond: RATE, seconds: SECONDS };
try {
  for (let i = 0; ; i++) {
    const r = await fetch(`http://127.0.0.1:${restPort}/taskmanagers`).then((x) => x.json()).catch(() => undefined);
    if (r?.taskmanagers?.length === 2) break;
    if (i > 300) throw new Error('the cluster did not start');
    await sleep(100);
  }
  const runs = [
    { name: 'default buffer timeout (5 ms)', key: 'default', bufferTimeout: 5, checkpoints: 0 },
    { name: 'buffer timeout 0', key: 'flushEachRecord', bufferTimeout: 0, checkpoints: 0 },
    { name: 'default, 1 s checkpoints', key: 'checkpoints1s', bufferTimeout: 5, checkpoints: 1000 },
  ];
  console.log(`latency source → keyBy → map → sink across two TaskManagers, ${RATE} records/s for ${SECONDS} s, parallelism 2`);
  for (const run of runs) {
    const out = join(dir, run.key);
    const res = spawnSync(process.execPath, [bin, 'run', '-m', `127.0.0.1:${port}`, join(dir, 'job.mjs'), out, String(RATE), String(SECONDS), String(run.bufferTimeout), String(run.checkpoints)], { env, encoding: 'utf8' });
    if (res.status !== 0) throw new Error(`the ${run.key} run failed: ${res.stdout}${res.stderr}`);
    const ages = [];
    for (const f of readdirSync(dir).filter((f) => f.startsWith(`${run.key}-`))) ages.push(...JSON.parse(readFileSync(join(dir, f), 'utf8')));
    ages.sort((a, b) => a - b);
    const [p50, p99, p999, max] = [percentile(ages, 50), percentile(ages, 99), percentile(ages, 99.9), ages.at(-1)];
    console.log(`  ${run.name.padEnd(32)} p50 ${p50.toFixed(2)} ms   p99 ${p99.toFixed(2)} ms   p99.9 ${p999.toFixed(2)} ms   max ${max.toFixed(1)} ms   (${ages.length} records)`);
    result[run.key] = { p50Ms: +p50.toFixed(2), p99Ms: +p99.toFixed(2), p999Ms: +p999.toFixed(2), maxMs: +max.toFixed(1), records: ages.length };
  }
  const rss = tms.map((t) => peakRssMb(t.pid));
  console.log(`  TaskManager peak RSS: ${rss.join(' MB, ')} MB`);
  result.taskManagerPeakRssMb = rss;
} finally {
  for (const p of [jm, ...tms]) p.kill('SIGKILL');
  rmSync(dir, { recursive: true, force: true });
}
console.log(JSON.stringify(result));
