#!/usr/bin/env node
// Checkpoints behind a backpressured stage, aligned against unaligned, on a cluster of one
// JobManager and two TaskManager processes from bin/fluss: an unthrottled generator feeds a keyed
// stage that spends 1 ms per record (parallelism 2), so every channel between them is full.
// An aligned barrier waits behind the buffered records (its checkpoint takes as long as they
// take to process: it grows with taskmanager.network.memory.buffers-per-channel); an unaligned
// one overtakes them and stores them as channel state (target: <= 1 s).
//   npm run bench -- unaligned-checkpoints        (CHECKPOINTS=4 per mode; CREDITS=2,4: the
//   buffers-per-channel settings, one cluster each; INTERVAL_MS=1000)
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const bin = join(root, 'bin', 'fluss');
const dir = mkdtempSync(join(tmpdir(), 'fluss-bench-uc-'));
const env = { ...process.env, FLUSS_LOG_LEVEL: 'warn' };
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const CHECKPOINTS = Number(process.env.CHECKPOINTS ?? 4);
const CREDITS = (process.env.CREDITS ?? '2,4').split(',').map(Number);
const INTERVAL_MS = Number(process.env.INTERVAL_MS ?? 1000);
const WARMUP_MS = 4_000;

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
  `import { DataGeneratorSource, defineJob, KeyedProcessFunction, ValueStateDescriptor, WatermarkStrategy } from 'fluss';

class Slow extends KeyedProcessFunction {
  open() { this.count = this.getRuntimeContext().getState(new ValueStateDescriptor('count', 0)); }
  processElement(key, ctx, out) {
    const until = Date.now() + 1;
    while (Date.now() < until) { /* 1 ms per record */ }
    this.count.update(this.count.value() + 1);
    out.collect(key);
  }
}

export default defineJob((env, [mode, interval]) => {
  env.enableCheckpointing(Number(interval));
  if (mode === 'unaligned') env.getCheckpointConfig().enableUnalignedCheckpoints();
  env.fromSource(new DataGeneratorSource((i) => i % 1000, Infinity), WatermarkStrategy.noWatermarks(), 'numbers')
    .keyBy((k) => k).process(new Slow()).name('slow stage').addSink(() => {});
});
`,
);

async function startCluster(credits) {
  const port = await freePort();
  const restPort = await freePort();
  const common = [
    '-D', `jobmanager.rpc.port=${port}`, '-D', 'jobmanager.rpc.address=127.0.0.1', '-D', `rest.port=${restPort}`, '-D', 'rest.address=127.0.0.1',
    '-D', `state.checkpoints.dir=${join(dir, 'checkpoints')}`, '-D', `io.tmp.dirs=${join(dir, 'tmp')}`,
    '-D', `taskmanager.network.memory.buffers-per-channel=${credits}`, '-D', 'heartbeat.timeout=30 s',
  ];
  const jm = spawn(process.execPath, [bin, 'jobmanager', ...common], { env, stdio: 'ignore' });
  const tms = [];
  for (let i = 0; i < 2; i++) tms.push(spawn(process.execPath, [bin, 'taskmanager', ...common, '-D', 'taskmanager.numberOfTaskSlots=2'], { env, stdio: 'ignore' }));
  const rest = `http://127.0.0.1:${restPort}`;
  const cluster = { address: `127.0.0.1:${port}`, rest, stop: () => [jm, ...tms].forEach((p) => p.kill('SIGKILL')) };
  for (let i = 0; ; i++) {
    const r = await fetch(`${rest}/taskmanagers`).then((x) => x.json()).catch(() => undefined);
    if (r?.taskmanagers?.length === 2) return cluster;
    if (i > 300) throw new Error('the cluster did not start');
    await sleep(100);
  }
}

const getJson = (url) => fetch(url).then((r) => r.json());
const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};

/** Runs the job in `mode`; returns the first CHECKPOINTS checkpoints triggered after the warm-up. */
async function measure(cluster, mode) {
  const res = spawnSync(process.execPath, [bin, 'run', '-d', '-m', cluster.address, '-p', '2', join(dir, 'job.mjs'), mode, String(INTERVAL_MS)], { env, encoding: 'utf8' });
  if (res.status !== 0) throw new Error(`fluss run failed: ${res.stdout}${res.stderr}`);
  const jobId = /JobID ([0-9a-f]{32})/.exec(res.stdout)[1];
  await sleep(WARMUP_MS);
  const after = Date.now();
  const done = new Map();
  for (let i = 0; done.size < CHECKPOINTS; i++) {
    if (i > 1800) throw new Error(`${mode}: only ${done.size} checkpoints completed in 3 minutes`);
    await sleep(100);
    const stats = await getJson(`${cluster.rest}/jobs/${jobId}/checkpoints`).catch(() => ({}));
    for (const e of stats.history ?? []) {
      if (e.status === 'COMPLETED' && e.trigger_timestamp > after && !done.has(e.id) && done.size < CHECKPOINTS) {
        done.set(e.id, { ms: e.end_to_end_duration, bytes: e.state_size });
      }
    }
  }
  spawnSync(process.execPath, [bin, 'cancel', '-m', cluster.address, jobId], { env, encoding: 'utf8' });
  await sleep(1000);
  return [...done.values()];
}

const result = { bench: 'unaligned-checkpoints', checkpointIntervalMs: INTERVAL_MS, runs: [] };
console.log(`generator -> keyBy -> 1 ms/record stage, parallelism 2, 1 JobManager + 2 TaskManagers, ${INTERVAL_MS} ms checkpoint interval, ${CHECKPOINTS} checkpoints per mode after ${WARMUP_MS / 1000} s`);
for (const credits of CREDITS) {
  const cluster = await startCluster(credits);
  try {
    for (const mode of ['aligned', 'unaligned']) {
      const cps = await measure(cluster, mode);
      const ms = cps.map((c) => c.ms);
      const kb = cps.map((c) => Math.round(c.bytes / 1024));
      console.log(`  buffers-per-channel=${credits}  ${mode.padEnd(9)}  checkpoint duration median ${median(ms)} ms (${ms.join(', ')} ms); state ${kb.join(', ')} KB`);
      result.runs.push({ buffersPerChannel: credits, mode, durationsMs: ms, medianMs: median(ms), stateBytes: cps.map((c) => c.bytes) });
    }
  } finally {
    cluster.stop();
  }
}
console.log(JSON.stringify(result));
