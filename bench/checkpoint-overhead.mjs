#!/usr/bin/env node
// What fault tolerance costs, on a cluster of JobManager and TaskManager processes from bin/fluss:
//   (a) throughput of a keyed job (LevelDB ValueState) with 1 s checkpoints against the same job
//       without checkpoints (target: at most 10 % lower);
//   (b) duration of a checkpoint with 1 M keys in keyed state (LevelDB), 1 s checkpoints: bytes
//       written per checkpoint against the bytes of the entries changed since the previous one;
//   (c) time from SIGKILL of a TaskManager running a task to the first output committed by the
//       restarted job (exactly-once FileSink; target: at most 2 s).
//   npm run bench -- checkpoint-overhead [keys=1000000]      (WINDOW_MS=8000: throughput window;
//   ROUNDS=5: alternating runs of (a); WINDOWS_B=3: rate windows per job of (b), their median;
//   PARTS=a,b,c: the parts to run; INCREMENTAL=false: full
//   checkpoints, state.backend.incremental off; PROFILE_DIR=dir: CPU profiles of the TaskManagers)
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const bin = join(root, 'bin', 'fluss');
const BIG_KEYS = Number(process.argv[2] ?? 1_000_000);
const dir = mkdtempSync(join(tmpdir(), 'fluss-bench-cp-'));
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

// One job file, three pipelines (the first argument picks one).
writeFileSync(
  join(dir, 'job.mjs'),
  `import { DataGeneratorSource, defineJob, FileSink, KeyedProcessFunction, RestartStrategies, ValueStateDescriptor, WatermarkStrategy } from 'fluss';

class Count extends KeyedProcessFunction {
  open() { this.count = this.getRuntimeContext().getState(new ValueStateDescriptor('count', 0)); }
  processElement(key, ctx, out) {
    const n = this.count.value() + 1;
    this.count.update(n);
    out.collect(key + ' ' + n);
  }
}

export default defineJob((env, [mode, a, b, c]) => {
  env.setStateBackend('leveldb');
  if (mode === 'throughput') {
    // a: records, b: keys, c: checkpoint interval (0: none)
    if (Number(c) > 0) env.enableCheckpointing(Number(c));
    env.fromSource(new DataGeneratorSource((i) => i % Number(b), Number(a)), WatermarkStrategy.noWatermarks(), 'numbers')
      .keyBy((k) => k).process(new Count()).addSink(() => {});
  } else if (mode === 'bigstate') {
    // a: keys; checkpoints every 1 s (b: 'none' for none) while the keys keep being updated
    if (b !== 'none') env.enableCheckpointing(1000);
    env.fromSource(new DataGeneratorSource((i) => i % Number(a), Infinity), WatermarkStrategy.noWatermarks(), 'numbers')
      .keyBy((k) => k).process(new Count()).addSink(() => {});
  } else {
    // recovery: a: output dir
    env.enableCheckpointing(200);
    env.setRestartStrategy(RestartStrategies.fixedDelay(10, 0));
    env.fromSource(new DataGeneratorSource((i) => i % 1000, Infinity, { ratePerSecond: 20000 }), WatermarkStrategy.noWatermarks(), 'numbers')
      .keyBy((k) => k).process(new Count()).sinkTo(FileSink.forRowFormat(a));
  }
});
`,
);

async function startCluster(taskManagers) {
  const port = await freePort();
  const restPort = await freePort();
  const common = [
    '-D', `jobmanager.rpc.port=${port}`, '-D', 'jobmanager.rpc.address=127.0.0.1', '-D', `rest.port=${restPort}`, '-D', 'rest.address=127.0.0.1',
    '-D', `state.checkpoints.dir=${join(dir, 'checkpoints')}`, '-D', `io.tmp.dirs=${join(dir, 'tmp')}`,
    // Frequent heartbeats: task metrics (the throughput samples) travel with them.
    '-D', 'heartbeat.interval=200 ms',
    '-D', `state.backend.incremental=${process.env.INCREMENTAL ?? 'true'}`,
  ];
  const jm = spawn(process.execPath, [bin, 'jobmanager', ...common], { env, stdio: 'ignore' });
  const tms = [];
  for (let i = 0; i < taskManagers; i++) {
    const tmPort = await freePort();
    const profile = process.env.PROFILE_DIR ? ['--cpu-prof', `--cpu-prof-dir=${process.env.PROFILE_DIR}`] : [];
    const proc = spawn(process.execPath, [...profile, bin, 'taskmanager', ...common, '-D', `taskmanager.rpc.port=${tmPort}`], { env, stdio: 'ignore' });
    tms.push({ proc, address: `127.0.0.1:${tmPort}` });
  }
  const rest = `http://127.0.0.1:${restPort}`;
  const cluster = { address: `127.0.0.1:${port}`, rest, tms, stop: () => [jm, ...tms.map((t) => t.proc)].forEach((p) => p.kill('SIGKILL')) };
  for (let i = 0; ; i++) {
    const r = await fetch(`${rest}/taskmanagers`).then((x) => x.json()).catch(() => undefined);
    if (r?.taskmanagers?.length === taskManagers) return cluster;
    if (i > 300) throw new Error('the cluster did not start');
    await sleep(100);
  }
}

function run(cluster, args, detached) {
  const res = spawnSync(process.execPath, [bin, 'run', '-m', cluster.address, ...(detached ? ['-d'] : []), '-p', '2', join(dir, 'job.mjs'), ...args], { env, encoding: 'utf8' });
  if (res.status !== 0) throw new Error(`fluss run ${args.join(' ')} failed: ${res.stdout}${res.stderr}`);
  return res.stdout;
}

function cancel(cluster, jobId) {
  spawnSync(process.execPath, [bin, 'cancel', '-m', cluster.address, jobId], { env, encoding: 'utf8' });
}

const jobIdOf = (stdout) => /JobID ([0-9a-f]{32})/.exec(stdout)[1];
const getJson = (url) => fetch(url).then((r) => r.json());
const WARMUP_MS = 4_000;
const WINDOW_MS = Number(process.env.WINDOW_MS ?? 8_000);
const PARTS = new Set((process.env.PARTS ?? 'a,b,c').split(','));
// Rounds of (a), each running the job without and then with checkpoints; the median of each
// mode is compared (the machine's speed drifts by several per cent between runs).
const ROUNDS = Number(process.env.ROUNDS ?? 5);
// Checkpoints of (b) measured once every key has state.
const CHECKPOINTS = Number(process.env.CHECKPOINTS ?? 8);
/** Consecutive rate windows of (b) per job; their median is the job's rate. */
const WINDOWS_B = Number(process.env.WINDOWS_B ?? 3);
const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};

/** Checkpoints of the job completed so far. */
async function completedCheckpoints(cluster, jobId) {
  return (await getJson(`${cluster.rest}/jobs/${jobId}/checkpoints`)).counts?.completed ?? 0;
}

/** Records the keyed operator read so far (task metrics reach the JobManager with heartbeats). */
async function keyedRecords(cluster, jobId) {
  const job = await getJson(`${cluster.rest}/jobs/${jobId}`);
  return job.vertices?.find((v) => /Count|KeyedProcess/.test(v.name))?.metrics?.['read-records'] ?? 0;
}

const result = { bench: 'checkpoint-overhead' };
const cluster = await startCluster(3);
try {
  // (a) the same unbounded keyed job with and without checkpoints, alternating; steady-state
  // rate of the keyed operator over a window after a warm-up (deployment and start excluded).
  if (PARTS.has('a')) {
    const keys = 100_000;
    const rates = { off: [], on: [] };
    const checkpointsInWindow = [];
    // A job run first and thrown away: the TaskManager processes are fresh, and the first job
    // in them runs while their code is still being compiled.
    const warmup = jobIdOf(run(cluster, ['throughput', 'Infinity', String(keys), '1000'], true));
    await sleep(2 * WARMUP_MS);
    cancel(cluster, warmup);
    await sleep(500);
    for (let round = 0; round < ROUNDS; round++) {
      for (const mode of ['off', 'on']) {
        const jobId = jobIdOf(run(cluster, ['throughput', 'Infinity', String(keys), mode === 'on' ? '1000' : '0'], true));
        await sleep(WARMUP_MS);
        const [r0, t0, c0] = [await keyedRecords(cluster, jobId), performance.now(), await completedCheckpoints(cluster, jobId)];
        await sleep(WINDOW_MS);
        const [r1, t1, c1] = [await keyedRecords(cluster, jobId), performance.now(), await completedCheckpoints(cluster, jobId)];
        cancel(cluster, jobId);
        rates[mode].push((r1 - r0) / ((t1 - t0) / 1000));
        if (mode === 'on') checkpointsInWindow.push(c1 - c0);
        await sleep(500);
      }
    }
    const off = median(rates.off);
    const on = median(rates.on);
    const overhead = (1 - on / off) * 100;
    console.log(`(a) keyed job over ${keys} keys, parallelism 2, LevelDB, ${WINDOW_MS / 1000} s windows after ${WARMUP_MS / 1000} s warm-up, median of ${ROUNDS} alternating runs`);
    const runs = (xs) => xs.map((x) => (x / 1e3).toFixed(0)).join(', ');
    console.log(`    without checkpoints   ${(off / 1e3).toFixed(0)} K records/s   (runs: ${runs(rates.off)})`);
    console.log(`    1 s checkpoints       ${(on / 1e3).toFixed(0)} K records/s   (${overhead.toFixed(1)} % lower; target <= 10 %)`);
    console.log(`    runs with checkpoints: ${runs(rates.on)} K records/s; checkpoints completed in the windows: ${checkpointsInWindow.join(', ')}`);
    Object.assign(result, {
      recordsPerSecondWithoutCheckpoints: Math.round(off),
      recordsPerSecondWithCheckpoints: Math.round(on),
      runsWithoutCheckpoints: rates.off.map(Math.round),
      runsWithCheckpoints: rates.on.map(Math.round),
      throughputOverheadPercent: Number(overhead.toFixed(1)),
      checkpointsInWindow,
    });
  }

  // (b) checkpoints once every one of BIG_KEYS keys has state.
  if (PARTS.has('b')) {
    const big = jobIdOf(run(cluster, ['bigstate', String(BIG_KEYS)], true));
    for (let i = 0; (await keyedRecords(cluster, big)) < BIG_KEYS; i++) {
      if (i > 1200) throw new Error('the big-state job did not reach its key count');
      await sleep(100);
    }
    const after = Date.now();
    const durations = [];
    const sizes = [];
    const written = [];
    for (let i = 0; durations.length < CHECKPOINTS; i++) {
      if (i > 600) throw new Error('no checkpoint completed with the full key set');
      await sleep(100);
      const stats = await getJson(`${cluster.rest}/jobs/${big}/checkpoints`);
      for (const e of stats.history ?? []) {
        if (e.status === 'COMPLETED' && e.trigger_timestamp > after && !durations.some((d) => d.id === e.id)) {
          durations.push({ id: e.id, ms: e.end_to_end_duration, trigger: e.trigger_timestamp });
          sizes.push(e.state_size);
          written.push(e.checkpointed_size);
        }
      }
    }
    // What the full snapshots cost this job: its rate with them, then without any checkpoint.
    // Several consecutive windows per job, their median: one window of a job with a heap of a
    // million entries may or may not hold a major garbage collection.
    const rateOver = async (jobId) => {
      const rates = [];
      for (let w = 0; w < WINDOWS_B; w++) {
        const [r0, t0] = [await keyedRecords(cluster, jobId), performance.now()];
        await sleep(WINDOW_MS);
        rates.push(((await keyedRecords(cluster, jobId)) - r0) / ((performance.now() - t0) / 1000));
      }
      const sorted = [...rates].sort((x, y) => x - y);
      return { median: sorted[Math.floor(sorted.length / 2)], rates };
    };
    const withWindows = await rateOver(big);
    const withCheckpoints = withWindows.median;
    cancel(cluster, big);
    await sleep(500);
    const plain = jobIdOf(run(cluster, ['bigstate', String(BIG_KEYS), 'none'], true));
    for (let i = 0; (await keyedRecords(cluster, plain)) < BIG_KEYS; i++) {
      if (i > 1200) throw new Error('the big-state job did not reach its key count');
      await sleep(100);
    }
    const withoutWindows = await rateOver(plain);
    const withoutCheckpoints = withoutWindows.median;
    cancel(cluster, plain);
    const avg = durations.reduce((s, d) => s + d.ms, 0) / durations.length;
    // Entries changed between two checkpoints: the keys updated in between (the job updates key
    // i % keys for record i, so distinct while fewer than the key count), at the state's mean
    // bytes per entry — from a full checkpoint (everything written: checkpointed = state size),
    // as the state size of an incremental one counts its whole chain.
    const full = sizes.filter((size, i) => written[i] === size);
    const entryBytes = (full.length > 0 ? Math.min(...full) : Math.min(...sizes)) / BIG_KEYS;
    const changed = durations.map((d, i) => (i === 0 ? undefined : Math.min(BIG_KEYS, withCheckpoints * ((d.trigger - durations[i - 1].trigger) / 1000)) * entryBytes));
    const mb = (n) => (n / 1e6).toFixed(2);
    const incremental = (process.env.INCREMENTAL ?? 'true') !== 'false';
    console.log(`(b) checkpoints with ${BIG_KEYS} keys in LevelDB state, parallelism 2, records flowing, ${incremental ? 'incremental' : 'full'} checkpoints`);
    console.log(`    durations             ${durations.map((d) => `${d.ms} ms`).join(', ')} (average ${avg.toFixed(0)} ms), state ${(sizes.at(-1) / 1e6).toFixed(1)} MB`);
    console.log(`    written (MB)          ${written.map(mb).join(', ')}`);
    console.log(`    changed entries (MB)  ${changed.map((c) => (c === undefined ? '-' : mb(c))).join(', ')} (updated keys x ${entryBytes.toFixed(1)} B per entry)`);
    const overhead = (1 - withCheckpoints / withoutCheckpoints) * 100;
    console.log(
      `    rate                  ${(withCheckpoints / 1e3).toFixed(0)} K records/s with 1 s checkpoints, ${(withoutCheckpoints / 1e3).toFixed(0)} K without (${overhead.toFixed(1)} % lower; target <= 10 %); medians of ${WINDOWS_B} windows: ${withWindows.rates.map((r) => (r / 1e3).toFixed(0)).join(' / ')} K with, ${withoutWindows.rates.map((r) => (r / 1e3).toFixed(0)).join(' / ')} K without`,
    );
    Object.assign(result, {
      bigStateKeys: BIG_KEYS,
      checkpointDurationsMs: durations.map((d) => d.ms),
      checkpointStateBytes: sizes.at(-1),
      checkpointWrittenBytes: written,
      changedEntryBytes: changed.map((c) => (c === undefined ? null : Math.round(c))),
      bigStateRecordsPerSecondWithCheckpoints: Math.round(withCheckpoints),
      bigStateRecordsPerSecondWithoutCheckpoints: Math.round(withoutCheckpoints),
      bigStateRateWindows: { with: withWindows.rates.map(Math.round), without: withoutWindows.rates.map(Math.round) },
    });
  }

  // (c) SIGKILL of a TaskManager that runs a task → first committed output of the restarted job.
  if (PARTS.has('c')) {
    const out = join(dir, 'out');
    const rec = jobIdOf(run(cluster, ['recovery', out], true));
    const committed = () => {
      try {
        return readdirSync(out).filter((name) => !name.startsWith('.'));
      } catch {
        return [];
      }
    };
    for (let i = 0; committed().length === 0 && i < 300; i++) await sleep(50);
    await sleep(1000);
    const tms = (await getJson(`${cluster.rest}/taskmanagers`)).taskmanagers;
    const busy = tms.find((t) => t.freeSlots === 0);
    const victim = cluster.tms.find((t) => t.address === busy.address);
    const before = new Set(committed());
    const killedAt = performance.now();
    victim.proc.kill('SIGKILL');
    // Files of the restarted job carry a higher attempt in their writer uuid; any new committed file
    // written by attempt >= 1 proves the restarted job committed.
    let recoveredMs;
    for (let i = 0; recoveredMs === undefined; i++) {
      if (i > 6000) throw new Error('the job did not commit output after the TaskManager was killed');
      await sleep(5);
      for (const name of committed()) {
        if (before.has(name)) continue;
        const attempt = parseInt(name.slice(5 + 9, 5 + 13), 16);
        if (attempt >= 1) {
          recoveredMs = performance.now() - killedAt;
          break;
        }
      }
    }
    const restarts = (await getJson(`${cluster.rest}/jobs/${rec}`))['numRestarts'];
    cancel(cluster, rec);
    console.log(`(c) SIGKILL of a TaskManager → first committed output after recovery`);
    console.log(`    ${recoveredMs.toFixed(0)} ms (target <= 2000 ms; checkpoints every 200 ms, restart delay 0)${restarts !== undefined ? `, restarts ${restarts}` : ''}`);
    Object.assign(result, { killToFirstCommitMs: Math.round(recoveredMs) });
  }
} finally {
  cluster.stop();
  rmSync(dir, { recursive: true, force: true });
}
console.log(JSON.stringify(result));
