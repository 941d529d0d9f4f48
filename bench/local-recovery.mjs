#!/usr/bin/env node
// Task-local recovery (state.backend.local-recovery): a keyed job over `keys` keys in LevelDB
// state (incremental checkpoints every second), one task failure once every key has state (a
// user function throws; the TaskManager survives, so the restart is on it) → time until the
// restarted job's first committed output, with local recovery off and on. One TaskManager process
// with two slots, so the restarted subtasks land where their local copies are.
//   npm run bench -- local-recovery [keys=1000000]        (MODES=off,on: the runs, in order)
// On one disk the local copy and the checkpoint directory are the same device, so the gain shown
// here is only what is not read twice; with checkpoints on a remote filesystem it is the download.
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const bin = join(root, 'bin', 'fluss');
const KEYS = Number(process.argv[2] ?? 1_000_000);
const MODES = (process.env.MODES ?? 'off,on').split(',');
const dir = mkdtempSync(join(tmpdir(), 'fluss-bench-lr-'));
const env = { ...process.env, FLUSS_LOG_LEVEL: 'warn' };
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const getJson = (url) => fetch(url).then((r) => r.json());

function freePort() {
  return new Promise((res) => {
    const s = createServer().listen(0, '127.0.0.1', () => {
      const p = s.address().port;
      s.close(() => res(p));
    });
  });
}

// args: output dir, keys, marker file. Throws once when the marker appears (checked every 4096 records).
writeFileSync(
  join(dir, 'job.mjs'),
  `import { existsSync, unlinkSync } from 'node:fs';
import { DataGeneratorSource, defineJob, FileSink, KeyedProcessFunction, RestartStrategies, ValueStateDescriptor, WatermarkStrategy } from 'fluss';

let marker = '';
let seen = 0;
class Count extends KeyedProcessFunction {
  open() { this.count = this.getRuntimeContext().getState(new ValueStateDescriptor('count', 0)); }
  processElement(key, ctx, out) {
    if (++seen % 4096 === 0 && existsSync(marker)) {
      let mine = true;
      try { unlinkSync(marker); } catch { mine = false; }
      if (mine) throw new Error('injected failure');
    }
    const n = this.count.value() + 1;
    this.count.update(n);
    // Every 64th record, whatever the key: with 1 M keys a key's own count grows slowly.
    if (seen % 64 === 0) out.collect(key + ' ' + n);
  }
}

export default defineJob((env, [output, keys, markerFile]) => {
  marker = markerFile;
  env.setStateBackend('leveldb');
  env.enableCheckpointing(1000);
  env.setRestartStrategy(RestartStrategies.fixedDelay(10, 0));
  env.fromSource(new DataGeneratorSource((i) => i % Number(keys), Infinity, { ratePerSecond: 200000 }), WatermarkStrategy.noWatermarks(), 'numbers')
    .keyBy((k) => k).process(new Count()).sinkTo(FileSink.forRowFormat(output));
});
`,
);

async function startCluster(localRecovery) {
  const port = await freePort();
  const restPort = await freePort();
  const common = [
    '-D', `jobmanager.rpc.port=${port}`, '-D', 'jobmanager.rpc.address=127.0.0.1', '-D', `rest.port=${restPort}`, '-D', 'rest.address=127.0.0.1',
    '-D', `state.checkpoints.dir=${join(dir, 'checkpoints')}`, '-D', `io.tmp.dirs=${join(dir, 'tmp')}`,
    '-D', 'heartbeat.interval=200 ms', '-D', `state.backend.local-recovery=${localRecovery}`,
  ];
  const jm = spawn(process.execPath, [bin, 'jobmanager', ...common], { env, stdio: 'ignore' });
  const tm = spawn(process.execPath, [bin, 'taskmanager', ...common, '-D', 'taskmanager.numberOfTaskSlots=2'], { env, stdio: 'ignore' });
  const rest = `http://127.0.0.1:${restPort}`;
  const cluster = { address: `127.0.0.1:${port}`, rest, stop: () => [jm, tm].forEach((p) => p.kill('SIGKILL')) };
  for (let i = 0; ; i++) {
    const r = await getJson(`${rest}/taskmanagers`).catch(() => undefined);
    if (r?.taskmanagers?.length === 1) return cluster;
    if (i > 300) throw new Error('the cluster did not start');
    await sleep(100);
  }
}

/** Records the keyed operator read so far. */
async function keyedRecords(cluster, jobId) {
  const job = await getJson(`${cluster.rest}/jobs/${jobId}`).catch(() => ({}));
  return job.vertices?.find((v) => /Count|KeyedProcess/.test(v.name))?.metrics?.['read-records'] ?? 0;
}

/** Sum of a task metric over the job's latest attempts, from /metrics. */
async function metricSum(cluster, jobId, name) {
  const text = await fetch(`${cluster.rest}/metrics`).then((r) => r.text()).catch(() => '');
  return text.split('\n').filter((l) => l.startsWith(`fluss_taskmanager_job_task_${name}{`) && l.includes(jobId)).reduce((s, l) => s + Number(l.slice(l.lastIndexOf(' ') + 1)), 0);
}

async function measure(localRecovery) {
  const cluster = await startCluster(localRecovery);
  const out = join(dir, `out-${localRecovery}`);
  const marker = join(dir, `fail-${localRecovery}`);
  try {
    const res = spawnSync(process.execPath, [bin, 'run', '-m', cluster.address, '-d', '-p', '2', join(dir, 'job.mjs'), out, String(KEYS), marker], { env, encoding: 'utf8' });
    if (res.status !== 0) throw new Error(`fluss run failed: ${res.stdout}${res.stderr}`);
    const jobId = /JobID ([0-9a-f]{32})/.exec(res.stdout)[1];
    for (let i = 0; (await keyedRecords(cluster, jobId)) < KEYS; i++) {
      if (i > 3000) throw new Error('the job did not reach its key count');
      await sleep(100);
    }
    // Two more checkpoints, so the restored one holds every key.
    const completed = async () => (await getJson(`${cluster.rest}/jobs/${jobId}/checkpoints`).catch(() => ({}))).counts?.completed ?? 0;
    const c0 = await completed();
    for (let i = 0; (await completed()) < c0 + 2; i++) {
      if (i > 1200) throw new Error('no checkpoint completed with every key');
      await sleep(50);
    }
    const stats = await getJson(`${cluster.rest}/jobs/${jobId}/checkpoints`);
    const stateBytes = stats.latest?.completed?.state_size ?? 0;
    const committed = () => {
      try {
        return readdirSync(out).filter((name) => !name.startsWith('.'));
      } catch {
        return [];
      }
    };
    const before = new Set(committed());
    const failedAt = performance.now();
    writeFileSync(marker, '');
    let recoveredMs;
    for (let i = 0; recoveredMs === undefined; i++) {
      if (i > 24000) throw new Error('the job did not commit output after the failure');
      await sleep(5);
      for (const name of committed()) {
        // A file of the restarted job: its writer's attempt (in the name) is 1 or more.
        if (!before.has(name) && parseInt(name.slice(5 + 9, 5 + 13), 16) >= 1) {
          recoveredMs = performance.now() - failedAt;
          break;
        }
      }
    }
    let hits = 0;
    for (let i = 0; i < 20 && localRecovery && hits === 0; i++, await sleep(100)) hits = await metricSum(cluster, jobId, 'localRecoveryHits');
    return { recoveredMs: Math.round(recoveredMs), stateBytes, localRecoveryHits: hits };
  } finally {
    cluster.stop();
  }
}

const result = { bench: 'local-recovery', keys: KEYS };
try {
  for (const mode of MODES) {
    const r = await measure(mode === 'on');
    console.log(`local recovery ${mode.padEnd(3)}  failure → first committed output ${r.recoveredMs} ms (state ${(r.stateBytes / 1e6).toFixed(1)} MB${mode === 'on' ? `, subtasks restored locally: ${r.localRecoveryHits}` : ''})`);
    result[`${mode}RecoveryMs`] = r.recoveredMs;
    result.stateBytes = r.stateBytes;
    if (mode === 'on') result.localRecoveryHits = r.localRecoveryHits;
  }
} finally {
  rmSync(dir, { recursive: true, force: true });
}
console.log(JSON.stringify(result));
