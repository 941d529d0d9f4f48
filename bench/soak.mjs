#!/usr/bin/env node
// Soak: an unbounded keyed job with event-time windows (sliding 5 s / 1 s, 2 000 keys, LevelDB
// state) and checkpoints every second runs for a while on a cluster of processes from bin/fluss
// (a JobManager and three one-slot TaskManagers, parallelism 2) while a TaskManager running its
// tasks is SIGKILLed periodically and replaced at once. Every 10 s it samples the RSS of every
// process, the size and number of `chk-*` directories of the checkpoint directory and the job's
// counters, and prints them; a growing series would show a leak. One TaskManager (the first)
// and the JobManager are never killed, so their series span the whole run.
//   npm run bench -- soak [seconds=600]    (KILL_EVERY=60 s between kills; RATE=2000 records/s; KEYS=2000;
//   SAMPLE_EVERY=10 s between samples)
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const bin = join(root, 'bin', 'fluss');
const DURATION_S = Number(process.argv[2] ?? 600);
const KILL_EVERY_S = Number(process.env.KILL_EVERY ?? 60);
const SAMPLE_EVERY_S = Number(process.env.SAMPLE_EVERY ?? 10);
const RATE = Number(process.env.RATE ?? 2000);
const KEYS = Number(process.env.KEYS ?? 2000);
const NUM_RETAINED = 2;
const dir = mkdtempSync(join(tmpdir(), 'fluss-bench-soak-'));
const checkpointsDir = join(dir, 'checkpoints');
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
  `import { DataGeneratorSource, defineJob, RestartStrategies, SlidingEventTimeWindows, WatermarkStrategy } from 'fluss';

export default defineJob((env, [rate, keys]) => {
  env.enableCheckpointing(1000);
  // Fixed delay: Flink's default for checkpointed jobs (exponential delay, reset after an hour
  // without failures) would stretch every later recovery of a kill loop on purpose.
  env.setRestartStrategy(RestartStrategies.fixedDelay(1000000, 500));
  env.setStateBackend('leveldb');
  env
    .fromSource(
      // Event time advances about as fast as wall time at the configured rate.
      new DataGeneratorSource((i) => ({ user: i % Number(keys), ts: Math.floor((i * 1000) / Number(rate)) }), Infinity, { ratePerSecond: Number(rate) }),
      WatermarkStrategy.forBoundedOutOfOrderness(500).withTimestampAssigner((e) => e.ts),
      'clicks',
    )
    .keyBy((e) => e.user)
    .window(SlidingEventTimeWindows.of(5000, 1000))
    .aggregate({ createAccumulator: () => 0, add: (_e, n) => n + 1, getResult: (n) => n, merge: (a, b) => a + b })
    .name('clicks per user')
    .addSink(() => {});
});
`,
);

const port = await freePort();
const restPort = await freePort();
const rest = `http://127.0.0.1:${restPort}`;
const address = `127.0.0.1:${port}`;
const common = [
  '-D', `jobmanager.rpc.port=${port}`, '-D', 'jobmanager.rpc.address=127.0.0.1', '-D', `rest.port=${restPort}`, '-D', 'rest.address=127.0.0.1',
  '-D', `state.checkpoints.dir=${checkpointsDir}`, '-D', `state.checkpoints.num-retained=${NUM_RETAINED}`, '-D', `io.tmp.dirs=${join(dir, 'tmp')}`,
  '-D', 'heartbeat.interval=500 ms', '-D', 'heartbeat.timeout=3 s', '-D', 'taskmanager.registration.max-backoff=500 ms',
];
const jm = { name: 'jobmanager', proc: spawn(process.execPath, [bin, 'jobmanager', ...common], { env, stdio: 'ignore' }) };
const tms = [];
let tmCount = 0;
async function startTaskManager() {
  const tmPort = await freePort();
  const proc = spawn(process.execPath, [bin, 'taskmanager', ...common, '-D', `taskmanager.rpc.port=${tmPort}`, '-D', 'taskmanager.numberOfTaskSlots=1'], { env, stdio: 'ignore' });
  const tm = { name: `taskmanager-${tmCount++}`, proc, address: `127.0.0.1:${tmPort}` };
  tms.push(tm);
  return tm;
}
const getJson = (path) => fetch(`${rest}${path}`).then((r) => (r.ok ? r.json() : undefined)).catch(() => undefined);

/** Resident set size of a process in bytes (Linux /proc), or undefined once it is gone. */
function rssOf(pid) {
  try {
    const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) * 1024 : undefined;
  } catch {
    return undefined;
  }
}

/** Bytes under `path` (files only; directories vanishing mid-walk are skipped). */
function duBytes(path) {
  let total = 0;
  let entries;
  try {
    entries = readdirSync(path, { withFileTypes: true });
  } catch {
    return 0;
  }
  for (const e of entries) {
    const p = join(path, e.name);
    try {
      if (e.isDirectory()) total += duBytes(p);
      else total += statSync(p).size;
    } catch {
      /* removed meanwhile */
    }
  }
  return total;
}

/** `numRestarts` of the job from the Prometheus metrics. */
async function restarts(jobId) {
  const text = await fetch(`${rest}/metrics`).then((r) => r.text()).catch(() => '');
  const m = new RegExp(`fluss_jobmanager_job_numRestarts\\{[^}]*job_id="${jobId}"[^}]*\\} (\\d+)`).exec(text);
  return m ? Number(m[1]) : undefined;
}

const mb = (b) => (b === undefined ? '-' : (b / 1e6).toFixed(0));
const result = { bench: 'soak', durationSeconds: DURATION_S, killEverySeconds: KILL_EVERY_S, ratePerSecond: RATE, keys: KEYS, numRetained: NUM_RETAINED };

try {
  for (let i = 0; i < 3; i++) await startTaskManager();
  for (let i = 0; ; i++) {
    const r = await getJson('/taskmanagers');
    if (r?.taskmanagers?.length === 3) break;
    if (i > 600) throw new Error('the cluster did not start');
    await sleep(100);
  }
  const run = spawnSync(process.execPath, [bin, 'run', '-d', '-m', address, '-p', '2', join(dir, 'job.mjs'), String(RATE), String(KEYS)], { env, encoding: 'utf8' });
  if (run.status !== 0) throw new Error(`fluss run failed: ${run.stdout}${run.stderr}`);
  const jobId = /JobID ([0-9a-f]{32})/.exec(run.stdout)[1];
  const jobCheckpoints = join(checkpointsDir, jobId);
  const completed = async () => (await getJson(`/jobs/${jobId}/checkpoints`))?.counts?.completed;

  const samples = [];
  const recoveries = [];
  const start = performance.now();
  let nextKill = KILL_EVERY_S * 1000;
  let nextSample = 0;
  console.log(`soak: ${DURATION_S} s, a TaskManager running tasks SIGKILLed every ${KILL_EVERY_S} s, ${RATE} records/s, sliding windows over ${KEYS} keys, checkpoints every 1 s`);
  console.log('   t(s)  JM RSS  TM RSS (MB, first one never killed)      chk dirs  chk MB  checkpoints  restarts  status');
  while (performance.now() - start < DURATION_S * 1000) {
    const t = performance.now() - start;
    if (t >= nextSample) {
      nextSample += SAMPLE_EVERY_S * 1000;
      const live = tms.filter((tm) => tm.proc.exitCode === null && tm.proc.signalCode === null);
      const job = await getJson(`/jobs/${jobId}`);
      const sample = {
        t: Math.round(t / 1000),
        jobManagerRss: rssOf(jm.proc.pid),
        taskManagerRss: Object.fromEntries(live.map((tm) => [tm.name, rssOf(tm.proc.pid)])),
        checkpointDirs: existsSync(jobCheckpoints) ? readdirSync(jobCheckpoints).filter((d) => /^chk-\d+$/.test(d)).length : 0,
        checkpointBytes: duBytes(checkpointsDir),
        completedCheckpoints: await completed(),
        restarts: await restarts(jobId),
        status: job?.state,
      };
      samples.push(sample);
      const tmCol = live.map((tm) => `${tm.name.slice(12)}:${mb(sample.taskManagerRss[tm.name])}`).join(' ');
      console.log(
        `${String(sample.t).padStart(7)}  ${mb(sample.jobManagerRss).padStart(6)}  ${tmCol.padEnd(38)}  ${String(sample.checkpointDirs).padStart(8)}  ${mb(sample.checkpointBytes).padStart(6)}  ${String(sample.completedCheckpoints).padStart(11)}  ${String(sample.restarts).padStart(8)}  ${sample.status}`,
      );
    }
    if (t >= nextKill) {
      nextKill += KILL_EVERY_S * 1000;
      // A TaskManager other than the first that holds a slot of the job.
      const busy = new Set(((await getJson('/taskmanagers'))?.taskmanagers ?? []).filter((x) => x.freeSlots < x.slotsNumber).map((x) => x.address));
      const victim = tms.slice(1).find((tm) => busy.has(tm.address) && tm.proc.exitCode === null && tm.proc.signalCode === null);
      if (victim) {
        const killedAt = performance.now();
        const killedAtEpoch = Date.now();
        victim.proc.kill('SIGKILL');
        await startTaskManager();
        // Recovered: a checkpoint triggered after the kill completed (the restarted job runs,
        // every task took its snapshot). Watched in the background so that sampling goes on.
        void (async () => {
          for (let i = 0; i < 2400; i++) {
            const history = (await getJson(`/jobs/${jobId}/checkpoints`))?.history ?? [];
            if (history.some((c) => c.status === 'COMPLETED' && c.trigger_timestamp >= killedAtEpoch)) {
              const ms = Math.round(performance.now() - killedAt);
              recoveries.push(ms);
              console.log(`        ${victim.name} killed: a checkpoint triggered after the kill completed ${ms} ms later`);
              return;
            }
            await sleep(50);
          }
        })();
      }
    }
    await sleep(200);
  }

  // Growth: the mean of the last third of the samples against the mean of the middle third
  // (the first third is warm-up: JIT, caches, the state filling up).
  const third = Math.max(1, Math.floor(samples.length / 3));
  const mean = (xs) => xs.reduce((s, x) => s + x, 0) / Math.max(1, xs.length);
  const growth = (pick) => {
    const mid = mean(samples.slice(third, 2 * third).map(pick).filter((x) => x !== undefined));
    const last = mean(samples.slice(-third).map(pick).filter((x) => x !== undefined));
    return mid > 0 ? Number(((last / mid - 1) * 100).toFixed(1)) : undefined;
  };
  const series = (pick) => samples.map(pick).filter((x) => x !== undefined);
  const firstTm = tms[0].name;
  Object.assign(result, {
    kills: recoveries.length,
    killToCheckpointMs: recoveries,
    restarts: samples.at(-1)?.restarts,
    completedCheckpoints: samples.at(-1)?.completedCheckpoints,
    jobManagerRssMB: series((s) => s.jobManagerRss).map((b) => Math.round(b / 1e6)),
    firstTaskManagerRssMB: series((s) => s.taskManagerRss[firstTm]).map((b) => Math.round(b / 1e6)),
    checkpointDirMB: series((s) => s.checkpointBytes).map((b) => Number((b / 1e6).toFixed(1))),
    maxCheckpointDirs: Math.max(...samples.map((s) => s.checkpointDirs)),
    growthPercentLastVsMiddleThird: {
      jobManagerRss: growth((s) => s.jobManagerRss),
      firstTaskManagerRss: growth((s) => s.taskManagerRss[firstTm]),
      checkpointBytes: growth((s) => s.checkpointBytes),
    },
  });
  console.log(
    `soak: ${recoveries.length} kills (kill → completion of a checkpoint triggered after it ${recoveries.join(', ')} ms); growth last vs middle third: ` +
      `JobManager RSS ${result.growthPercentLastVsMiddleThird.jobManagerRss} %, first TaskManager RSS ${result.growthPercentLastVsMiddleThird.firstTaskManagerRss} %, checkpoint dir ${result.growthPercentLastVsMiddleThird.checkpointBytes} %`,
  );
} finally {
  for (const p of [jm.proc, ...tms.map((t) => t.proc)]) p.kill('SIGKILL');
  await sleep(200);
  rmSync(dir, { recursive: true, force: true });
}
console.log(JSON.stringify(result));
