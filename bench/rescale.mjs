#!/usr/bin/env node
// Cost of rescaling a running job in place, and of losing a TaskManager under reactive mode.
//   npm run bench -- rescale [keys=1000000] [rate=40000]
// Part 1: a JobManager and two TaskManagers (2 slots each) from bin/fluss; a keyed job counting
// per key in LevelDB ValueState runs at parallelism 2 until every key has state, then
// `fluss rescale -p 4` and `fluss rescale -p 2`. Part 2: reactive mode with three TaskManagers
// (1 slot each), the job at parallelism 3 until every key has state, one TaskManager SIGKILLed.
// For each step: the gap between the last record processed before and the first after (every
// keyed subtask instance reports its first and last record times to a file every 20 ms), and
// the time until every task is RUNNING again. Ends with one JSON line.
import { spawn, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, openSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const bin = join(root, 'bin', 'fluss');
const [KEYS = 1_000_000, RATE = 40_000] = process.argv.slice(2).map(Number);
const dir = mkdtempSync(join(tmpdir(), 'fluss-bench-rescale-'));
const env = { ...process.env, FLUSS_LOG_LEVEL: 'warn' };

const freePort = () =>
  new Promise((res) => {
    const s = createServer().listen(0, '127.0.0.1', () => {
      const p = s.address().port;
      s.close(() => res(p));
    });
  });
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

writeFileSync(
  join(dir, 'job.mjs'),
  `import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { DataGeneratorSource, defineJob, KeyedProcessFunction, ValueStateDescriptor, WatermarkStrategy } from 'fluss';

class Count extends KeyedProcessFunction {
  constructor(progressDir) { super(); this.progressDir = progressDir; }
  open() {
    this.count = this.getRuntimeContext().getState(new ValueStateDescriptor('count'));
    this.id = Math.random().toString(36).slice(2);
    this.first = 0; this.last = 0; this.n = 0; this.written = -1;
    this.timer = setInterval(() => {
      if (this.n === this.written) return;
      this.written = this.n;
      writeFileSync(join(this.progressDir, this.id), this.first + ' ' + this.last + ' ' + this.n);
    }, 20);
  }
  processElement(e, _ctx, out) {
    const now = Date.now();
    if (this.first === 0) this.first = now;
    this.last = now;
    this.n++;
    this.count.update((this.count.value() ?? 0) + 1);
  }
  close() { clearInterval(this.timer); }
}

export default defineJob((env, [progressDir, keys, rate]) => {
  env.setStateBackend('leveldb');
  env.enableCheckpointing(5000);
  env
    .fromSource(new DataGeneratorSource((i) => i % Number(keys), Number.MAX_SAFE_INTEGER, { ratePerSecond: Number(rate) }), WatermarkStrategy.noWatermarks(), 'keys')
    .uid('keys')
    .keyBy((k) => k)
    .process(new Count(progressDir))
    .uid('count')
    .addSink(() => {});
});
`,
);

async function cluster(name, taskManagers, slots, extra = []) {
  const port = await freePort();
  const restPort = await freePort();
  const work = join(dir, name);
  mkdirSync(join(work, 'progress'), { recursive: true });
  const common = [
    '-D', `jobmanager.rpc.port=${port}`, '-D', 'jobmanager.rpc.address=127.0.0.1', '-D', `rest.port=${restPort}`,
    '-D', `state.checkpoints.dir=${join(work, 'checkpoints')}`, '-D', `io.tmp.dirs=${join(work, 'tmp')}`, '-D', 'log.level=warn', ...extra,
  ];
  // Warnings and errors of every daemon go to <work>/<daemon>.log.
  const log = (n) => ['ignore', 'ignore', openSync(join(work, `${n}.log`), 'w')];
  const jm = spawn(process.execPath, [bin, 'jobmanager', ...common], { env, stdio: log('jobmanager') });
  const tms = Array.from({ length: taskManagers }, (_, i) =>
    spawn(process.execPath, [bin, 'taskmanager', ...common, '-D', `taskmanager.numberOfTaskSlots=${slots}`], { env, stdio: log(`taskmanager-${i}`) }),
  );
  const rest = `http://127.0.0.1:${restPort}`;
  for (let i = 0; i < 200; i++) {
    try {
      const o = await (await fetch(`${rest}/overview`)).json();
      if (o['slots-total'] >= taskManagers * slots) break;
    } catch {}
    await sleep(100);
  }
  return { address: `127.0.0.1:${port}`, rest, work, jm, tms, stop: () => [jm, ...tms].forEach((p) => p.kill('SIGKILL')) };
}

function progress(work) {
  const p = join(work, 'progress');
  return readdirSync(p).map((f) => {
    const [first, last, n] = readFileSync(join(p, f), 'utf8').split(' ').map(Number);
    return { id: f, first, last, n };
  });
}

async function getJson(url) {
  // A connection the server closed between polls: ask again.
  for (let i = 0; ; i++) {
    try {
      return await (await fetch(url)).json();
    } catch (err) {
      if (i >= 20) throw err;
      await sleep(100);
    }
  }
}

async function vertices(c, jobId) {
  return (await getJson(`${c.rest}/jobs/${jobId}`)).vertices ?? [];
}

async function waitFor(what, check, timeoutMs = 300_000) {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await check()) return;
    await sleep(50);
  }
  throw new Error(`timed out waiting for ${what}`);
}

/** Waits until the keyed stage processed at least `keys` records (every key has state). */
async function filled(c) {
  const started = Date.now();
  await waitFor(`${KEYS} records`, () => progress(c.work).reduce((s, x) => s + x.n, 0) >= KEYS, 900_000);
  return Date.now() - started;
}

/** The processing gap around `step`: last record of instances before, first of instances after. */
async function measure(c, jobId, label, step, parallelism) {
  const before = new Set(progress(c.work).map((x) => x.id));
  const t0 = Date.now();
  await step();
  await waitFor(`parallelism ${parallelism} RUNNING`, async () => {
    const vs = await vertices(c, jobId);
    return vs.length > 0 && vs.every((v) => v.parallelism === parallelism && v.tasks?.RUNNING === parallelism);
  });
  const runningMs = Date.now() - t0;
  await waitFor('records after the step', () => progress(c.work).some((x) => !before.has(x.id) && x.first > 0), 120_000);
  await sleep(300);
  const all = progress(c.work);
  const lastBefore = Math.max(...all.filter((x) => before.has(x.id)).map((x) => x.last));
  const firstAfter = Math.min(...all.filter((x) => !before.has(x.id) && x.first > 0).map((x) => x.first));
  // The JobManager's own figure: from the request to every task RUNNING (rescale on request).
  const rescales = (await getJson(`${c.rest}/jobs/${jobId}/rescales`)).rescales ?? [];
  const jm = rescales.length > 0 && rescales.at(-1).timestamp >= t0 ? rescales.at(-1).durationMs : undefined;
  const result = { step: label, gapMs: firstAfter - lastBefore, untilRunningMs: runningMs, ...(jm !== undefined ? { jobManagerMs: jm } : {}) };
  console.log(
    `${label.padEnd(28)} gap ${String(result.gapMs).padStart(6)} ms   all RUNNING ${String(runningMs).padStart(6)} ms after the step started` +
      (jm !== undefined ? ` (JobManager: request → all RUNNING ${jm} ms)` : ''),
  );
  return result;
}

const results = [];
console.log(`rescale bench: ${KEYS} keys on LevelDB, source at ${RATE} records/s (daemon logs in ${dir})`);
const a = await cluster('request', 2, 2);
try {
  const run = spawnSync(process.execPath, [bin, 'run', '-m', a.address, '-d', '-p', '2', join(dir, 'job.mjs'), join(a.work, 'progress'), String(KEYS), String(RATE)], { env, encoding: 'utf8' });
  const jobId = /JobID ([0-9a-f]{32})/.exec(run.stdout)?.[1];
  if (!jobId) throw new Error(`submission failed: ${run.stdout}${run.stderr}`);
  console.log(`state filled in ${await filled(a)} ms`);
  for (const p of [4, 2]) {
    results.push(
      await measure(a, jobId, `fluss rescale -p ${p}`, async () => {
        const r = spawnSync(process.execPath, [bin, 'rescale', '-m', a.address, '-p', String(p), jobId], { env, encoding: 'utf8' });
        if (r.status !== 0) throw new Error(r.stderr);
      }, p),
    );
    await sleep(3000);
  }
} finally {
  a.stop();
}

const b = await cluster('reactive', 3, 1, ['-D', 'scheduler-mode=reactive']);
try {
  const run = spawnSync(process.execPath, [bin, 'run', '-m', b.address, '-d', join(dir, 'job.mjs'), join(b.work, 'progress'), String(KEYS), String(RATE)], { env, encoding: 'utf8' });
  const jobId = /JobID ([0-9a-f]{32})/.exec(run.stdout)?.[1];
  if (!jobId) throw new Error(`submission failed: ${run.stdout}${run.stderr}`);
  await waitFor('parallelism 3', async () => (await vertices(b, jobId)).every((v) => v.parallelism === 3 && v.tasks?.RUNNING === 3));
  console.log(`state filled in ${await filled(b)} ms`);
  results.push(await measure(b, jobId, 'reactive: SIGKILL 1 of 3 TMs', async () => b.tms[2].kill('SIGKILL'), 2));
} finally {
  b.stop();
}
console.log(JSON.stringify({ bench: 'rescale', keys: KEYS, rate: RATE, results }));
