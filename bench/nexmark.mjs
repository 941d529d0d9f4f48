#!/usr/bin/env node
// The Nexmark benchmark on a local cluster of one JobManager and two TaskManager processes
// (one slot each) started from bin/fluss, measured as the Nexmark runner measures:
//   npm run bench -- nexmark --query q5 [--warmup 10] [--window 30] [--parallelism 2]
//   npm run bench -- nexmark --all [--window 40]          (every query; writes bench/RESULTS.md)
// The source is unbounded. After a warm-up (default 10 s, at least 10) the runner reads the
// events the sources emitted so far (probes after the source, see bench/nexmark/timing.ts)
// and the CPU time of the two TaskManager processes (utime + stime from /proc/<pid>/stat),
// waits the measured window (default 30 s, at least 30; --window), and reads both again.
// Checkpoints run every 10 s on LevelDB throughout, as in the job's defaults (`--backend memory`
// for the memory backend). Each run ends with one JSON line:
//   {"query","events","seconds","eventsPerSecond","cores","eventsPerSecondPerCore",
//    "coresUsed","eventsPerSecondPerCoreUsed","backend","taskManagerPeakRssMb"}
// `events` and `seconds` are the events emitted within the window and its length; `cores` is
// the cores allocated (2), `coresUsed` the TaskManagers' CPU seconds per second of window
// (Nexmark's "Cores"), and `eventsPerSecondPerCoreUsed` its "Throughput/Cores".
//
// `--events N` keeps the bounded mode: N events, `seconds` from the first event a source
// emitted to the last record that left a source or reached the sink, without `coresUsed`.
// Set NEXMARK_CPU_PROFILE=<dir> to run the TaskManagers with --cpu-prof into <dir>.
// `--tm-memory <size>` sets each TaskManager's taskmanager.memory.process.size (default: the
// configuration's, 1728m as in Flink); its peak RSS is held to it.
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { cpus, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const root = join(here, '..');
const bin = join(root, 'bin', 'fluss');
const CORES = 2;
/** Every query (q6 is not run by Flink either). */
const ALL = ['q0', 'q1', 'q2', 'q3', 'q4', 'q5', 'q7', 'q8', 'q9', 'q10', 'q11', 'q12', 'q13', 'q14', 'q15', 'q16', 'q17', 'q18', 'q19', 'q20', 'q21', 'q22', 'q23'];
/** Flink 2.0's published Nexmark figures, events/s per core, where published. */
const FLINK_2_0 = { q0: 379e3, q5: 74.5e3, q7: 22.9e3, q9: 13.8e3, q20: 17.8e3 };
/** Flink 1.13's published Nexmark figures (Throughput/Cores), events/s per core. */
const FLINK_1_13 = {
  q0: 155.02e3, q1: 157.94e3, q2: 175.21e3, q3: 152.12e3, q4: 34.33e3, q5: 22.14e3, q7: 12.33e3, q8: 146.14e3, q9: 14.24e3, q10: 57.81e3,
  q11: 39.7e3, q12: 75.67e3, q13: 130.73e3, q14: 161.23e3, q15: 72.42e3, q16: 18.65e3, q17: 116.8e3, q18: 53.7e3, q19: 44.04e3, q20: 18.98e3,
  q21: 98.49e3, q22: 129.96e3,
};
/** The figure a query is held to: 1.5 × Flink 2.0's where published, else 1.5 × Flink 1.13's. */
const target = (q) => (FLINK_2_0[q] ?? FLINK_1_13[q]) === undefined ? undefined : 1.5 * (FLINK_2_0[q] ?? FLINK_1_13[q]);

function flag(name, fallback) {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1] : fallback;
}
const all = process.argv.includes('--all');
const bounded = flag('events') !== undefined;
const events = Number(flag('events', 0));
const parallelism = Number(flag('parallelism', 2));
const backend = flag('backend', 'leveldb');
const tmMemory = flag('tm-memory', undefined);
if (backend !== 'leveldb' && backend !== 'memory') {
  console.error(`--backend must be leveldb or memory, got ${backend}`);
  process.exit(2);
}
const warmupS = Math.max(10, Number(flag('warmup', 10)));
const windowS = Math.max(Number(process.env.NEXMARK_MIN_WINDOW ?? 30), Number(flag('window', 30)));
const queries = all ? ALL : flag('query', 'q0').split(',');
for (const q of queries) {
  if (!ALL.includes(q) || !existsSync(join(here, 'nexmark', `${q}.ts`))) {
    console.error(`unknown query ${q}: one of ${ALL.filter((x) => existsSync(join(here, 'nexmark', `${x}.ts`))).join(', ')}`);
    process.exit(2);
  }
}

const freePort = () =>
  new Promise((res) => {
    const s = createServer().listen(0, '127.0.0.1', () => {
      const p = s.address().port;
      s.close(() => res(p));
    });
  });

/** Runs a command to completion, capturing its output. */
function run(args, env) {
  return new Promise((res) => {
    const p = spawn(process.execPath, args, { env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    p.stdout.on('data', (d) => (stdout += d));
    p.stderr.on('data', (d) => (stderr += d));
    p.on('exit', (code) => res({ code, stdout, stderr }));
  });
}

/** Starts JobManager + two TaskManagers; resolves once both TaskManagers registered. */
async function startCluster(workDir) {
  const port = await freePort();
  const common = [
    '-D', `jobmanager.rpc.port=${port}`,
    '-D', 'jobmanager.rpc.address=127.0.0.1',
    '-D', `state.checkpoints.dir=${join(workDir, 'checkpoints')}`,
    '-D', `io.tmp.dirs=${join(workDir, 'tmp')}`,
    '-D', `rest.port=${await freePort()}`,
  ];
  const env = { ...process.env, FLUSS_LOG_LEVEL: 'info' };
  const profDir = process.env.NEXMARK_CPU_PROFILE;
  const tmArgs = profDir ? ['--cpu-prof', `--cpu-prof-dir=${profDir}`, bin] : [bin];
  const jm = spawn(process.execPath, [bin, 'jobmanager', ...common], { env, stdio: ['ignore', 'ignore', 'pipe'] });
  let jmLog = '';
  jm.stderr.on('data', (d) => {
    jmLog += d;
    if (jmLog.length > 200_000) jmLog = jmLog.slice(-100_000);
  });
  const tmMemoryArgs = tmMemory ? ['-D', `taskmanager.memory.process.size=${tmMemory}`] : [];
  const tms = [0, 1].map(() => spawn(process.execPath, [...tmArgs, 'taskmanager', ...common, ...tmMemoryArgs], { env: { ...env, FLUSS_LOG_LEVEL: 'warn' }, stdio: 'ignore' }));
  const deadline = Date.now() + 120_000;
  while ((jmLog.match(/TaskManager registered/g) ?? []).length < 2) {
    if (Date.now() > deadline) throw new Error(`TaskManagers did not register:\n${jmLog.slice(-2000)}`);
    await new Promise((r) => setTimeout(r, 100));
  }
  const stop = () =>
    Promise.all(
      [...tms, jm].map(
        (p) =>
          new Promise((res) => {
            if (p.exitCode !== null || p.signalCode !== null) return res();
            p.once('exit', res);
            p.kill('SIGTERM');
          }),
      ),
    );
  return { address: `127.0.0.1:${port}`, stop, tmPids: tms.map((t) => t.pid), alive: () => [...tms, jm].every((c) => c.exitCode === null && c.signalCode === null) };
}

async function runBounded(query) {
  const workDir = mkdtempSync(join(tmpdir(), `fluss-nexmark-${query}-`));
  const cluster = await startCluster(workDir);
  try {
    const env = { ...process.env, FLUSS_LOG_LEVEL: 'warn' };
    const timingDir = join(workDir, 'timing');
    mkdirSync(timingDir);
    const res = await run(
      [bin, 'run', '-m', cluster.address, '-p', String(parallelism), join(here, 'nexmark', `${query}.ts`), '--events', String(events), '--timing-dir', timingDir, '--backend', backend],
      env,
    );
    if (res.code !== 0) throw new Error(`${query} failed (exit ${res.code}):\n${res.stdout}\n${res.stderr}`);
    const jobMs = Number(/Job Runtime: (\d+) ms/.exec(res.stdout)?.[1]);
    const files = readdirSync(timingDir).filter((f) => f.endsWith('.json'));
    const probes = files.map((f) => JSON.parse(readFileSync(join(timingDir, f), 'utf8')));
    const sourced = probes.filter((_, i) => files[i].startsWith('source')).reduce((n, p) => n + p.count, 0);
    if (sourced < events) throw new Error(`${query}: the source probes saw ${sourced} events, expected ${events}`);
    // More than `events`: the job failed over and replayed; the time then includes the failover.
    if (sourced > events) restarted[query] = sourced - events;
    const seconds = (Math.max(...probes.map((p) => p.last)) - Math.min(...probes.map((p) => p.first))) / 1000;
    jobRuntimes[query] = jobMs / 1000;
    const eventsPerSecond = Math.round(events / seconds);
    const r = { query, events, seconds, eventsPerSecond, cores: CORES, eventsPerSecondPerCore: Math.round(eventsPerSecond / CORES) };
    if (restarted[query]) console.error(`${query}: the job failed over and replayed ${restarted[query]} events; its time includes the failover`);
    return r;
  } finally {
    await cluster.stop();
    rmSync(workDir, { recursive: true, force: true });
  }
}

/** utime + stime (seconds) and parent pid of a process, from /proc/<pid>/stat. */
function procStat(pid) {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  // Fields after the parenthesised command name: ppid is field 4, utime and stime 14 and 15.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return { ppid: Number(fields[1]), cpu: (Number(fields[11]) + Number(fields[12])) / CLOCK_TICKS };
}

/**
 * CPU seconds a process and its descendants used so far (a daemon re-executes itself with its
 * heap limit, so the TaskManager runs in a child of the process the runner started).
 */
function cpuSeconds(pid) {
  const stats = new Map();
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    try {
      stats.set(Number(name), procStat(name));
    } catch {
      // Exited meanwhile.
    }
  }
  let total = 0;
  const todo = [pid];
  while (todo.length > 0) {
    const p = todo.pop();
    total += stats.get(p)?.cpu ?? 0;
    for (const [child, st] of stats) if (st.ppid === p) todo.push(child);
  }
  return total;
}
const CLOCK_TICKS = 100;

/** Peak resident set (MB) of the largest process in the tree of `pid` (VmHWM from /proc). */
function peakRssMb(pid) {
  const todo = [pid];
  let peak = 0;
  while (todo.length > 0) {
    const p = todo.pop();
    try {
      const kb = Number(/VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${p}/status`, 'utf8'))?.[1] ?? 0);
      peak = Math.max(peak, kb / 1024);
    } catch {
      // Exited meanwhile.
    }
    for (const name of readdirSync('/proc')) {
      if (!/^\d+$/.test(name)) continue;
      try {
        if (procStat(name).ppid === p) todo.push(Number(name));
      } catch {
        // Exited meanwhile.
      }
    }
  }
  return Math.round(peak);
}

/** Events the source probes counted so far. */
function sourcedSoFar(timingDir) {
  let n = 0;
  for (const f of readdirSync(timingDir)) {
    if (!f.startsWith('source') || !f.endsWith('.json')) continue;
    try {
      n += JSON.parse(readFileSync(join(timingDir, f), 'utf8')).count;
    } catch {
      // Renamed into place between readdir and read: counted at the next sample.
    }
  }
  return n;
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/** The steady-state measurement of one query on an unbounded source. */
async function runUnbounded(query) {
  const workDir = mkdtempSync(join(tmpdir(), `fluss-nexmark-${query}-`));
  const cluster = await startCluster(workDir);
  try {
    const env = { ...process.env, FLUSS_LOG_LEVEL: 'warn' };
    const timingDir = join(workDir, 'timing');
    mkdirSync(timingDir);
    const res = await run(
      [bin, 'run', '-d', '-m', cluster.address, '-p', String(parallelism), join(here, 'nexmark', `${query}.ts`), '--unbounded', '--timing-dir', timingDir, '--backend', backend],
      env,
    );
    if (res.code !== 0) throw new Error(`${query} could not be submitted (exit ${res.code}):\n${res.stdout}\n${res.stderr}`);
    const deadline = Date.now() + 60_000;
    while (sourcedSoFar(timingDir) === 0) {
      if (Date.now() > deadline) throw new Error(`${query}: no event left the sources within 60 s`);
      await sleep(200);
    }
    await sleep(warmupS * 1000);
    const sample = () => ({ at: performance.now(), sourced: sourcedSoFar(timingDir), cpu: cluster.tmPids.reduce((s, pid) => s + cpuSeconds(pid), 0) });
    const start = sample();
    await sleep(windowS * 1000);
    const end = sample();
    if (!cluster.alive()) throw new Error(`${query}: a cluster process died during the measurement`);
    const seconds = (end.at - start.at) / 1000;
    const measured = end.sourced - start.sourced;
    const eventsPerSecond = Math.round(measured / seconds);
    const coresUsed = Number(((end.cpu - start.cpu) / seconds).toFixed(2));
    const taskManagerPeakRssMb = Math.max(...cluster.tmPids.map(peakRssMb));
    const list = await run([bin, 'list', '-m', cluster.address, '--json'], env);
    const failedOver = /RESTARTING|FAILED/.test(list.stdout);
    if (failedOver) console.error(`${query}: the job was not RUNNING at the end of the window: ${list.stdout.trim()}`);
    return {
      query,
      events: measured,
      seconds: Number(seconds.toFixed(2)),
      eventsPerSecond,
      cores: CORES,
      eventsPerSecondPerCore: Math.round(eventsPerSecond / CORES),
      coresUsed,
      eventsPerSecondPerCoreUsed: Math.round(eventsPerSecond / coresUsed),
      backend,
      taskManagerPeakRssMb,
      taskManagerProcessSize: tmMemory ?? '1728m',
      ...(failedOver ? { failedOver: true } : {}),
    };
  } finally {
    await cluster.stop();
    rmSync(workDir, { recursive: true, force: true });
  }
}

const jobRuntimes = {};
const restarted = {};
const fmtK = (n) => (n === undefined ? '—' : `${Math.round(n / 1000)} K`);
const results = [];
for (const q of queries) {
  let r;
  try {
    r = bounded ? await runBounded(q) : await runUnbounded(q);
  } catch (err) {
    // One query failing (a cluster that did not come up on a loaded machine) does not end the run.
    console.error(`${q} failed: ${err.message}`);
    results.push({ query: q, error: String(err.message).split('\n', 1)[0] });
    continue;
  }
  results.push(r);
  if (bounded) {
    console.log(`${q.padEnd(4)} ${String(events).padStart(10)} events  ${r.seconds.toFixed(2).padStart(7)} s  ${fmtK(r.eventsPerSecond).padStart(7)} events/s  ${fmtK(r.eventsPerSecondPerCore).padStart(7)} events/s/core  (job runtime ${jobRuntimes[q].toFixed(2)} s)`);
  } else {
    const t = target(q);
    console.log(
      `${q.padEnd(4)} ${fmtK(r.eventsPerSecond).padStart(7)} events/s over ${r.seconds.toFixed(1)} s  ${String(r.coresUsed).padStart(5)} cores used  ${fmtK(r.eventsPerSecondPerCoreUsed).padStart(7)} events/s/core used  (target ${fmtK(t)}: ${t ? (r.eventsPerSecondPerCoreUsed >= t ? 'met' : 'missed') : 'none'})`,
    );
  }
  if (!all) console.log(JSON.stringify(r));
}
if (all || queries.length > 1) {
  const version = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')).version;
  const machine = `${cpus()[0]?.model ?? 'unknown CPU'}, ${cpus().length} cores`;
  const date = new Date().toISOString().slice(0, 10);
  const lines = bounded
    ? [
        '# Nexmark results (bounded runs)',
        '',
        `${date}, Fluss ${version}, Node ${process.version}, ${machine}; ${events} events per query, parallelism ${parallelism} on one JobManager and two TaskManager processes, ${backend === 'memory' ? 'memory backend' : 'LevelDB'}, checkpoints every 10 s, discarding sink.`,
        '',
        '| Query | Events | Seconds | Job runtime (s) | Events/s | Events/s per allocated core |',
        '|---|---:|---:|---:|---:|---:|',
        ...results.filter((r) => !r.error).map((r) => `| ${r.query} | ${r.events} | ${r.seconds.toFixed(2)} | ${jobRuntimes[r.query].toFixed(2)} | ${fmtK(r.eventsPerSecond)} | ${fmtK(r.eventsPerSecondPerCore)} |`),
        '',
        'Reproduce: `npm run build && npm run bench -- nexmark --all --events ' + events + '`.',
        '',
      ]
    : [
        '# Nexmark results',
        '',
        `${date}, Fluss ${version}, Node ${process.version}, ${machine}. Each query runs an unbounded Nexmark source at parallelism ${parallelism} on one JobManager and two TaskManager processes ` +
          `(${backend === 'memory' ? 'memory' : 'LevelDB'} state backend, checkpoints every 10 s, discarding sink); after a ${warmupS} s warm-up the runner counts the events the sources emitted and the TaskManagers' CPU time ` +
          `(/proc, user + system) over a ${windowS} s window. "Cores used" is CPU seconds per second (Nexmark's Cores); "per core used" is Nexmark's Throughput/Cores. ` +
          `Flink's figures are its published Throughput/Cores (Flink 2.0 where published, and Flink 1.13); the target is 1.5 × Flink 2.0's figure where it exists, else 1.5 × Flink 1.13's. ` +
          'The machine is shared with other work: figures swing between runs.',
        '',
        '| Query | Events/s | Cores used | Events/s per core used | Events/s per allocated core | Flink 2.0 per core | Flink 1.13 per core | Target | Met |',
        '|---|---:|---:|---:|---:|---:|---:|---:|---|',
        ...results.map((r) => {
          if (r.error) return `| ${r.query} | failed: ${r.error} | | | | | | | |`;
          const t = target(r.query);
          return `| ${r.query} | ${fmtK(r.eventsPerSecond)} | ${r.coresUsed} | ${fmtK(r.eventsPerSecondPerCoreUsed)} | ${fmtK(r.eventsPerSecondPerCore)} | ${fmtK(FLINK_2_0[r.query])} | ${fmtK(FLINK_1_13[r.query])} | ${fmtK(t)} | ${t === undefined ? '—' : r.eventsPerSecondPerCoreUsed >= t ? 'yes' : 'no'}${r.failedOver ? ' (job failed over)' : ''} |`;
        }),
        '',
        `Reproduce: \`npm run build && npm run bench -- nexmark ${all ? '--all' : `--query ${queries.join(',')}`} --window ${windowS}\`.`,
        '',
      ];
  mkdirSync(here, { recursive: true });
  writeFileSync(join(here, 'RESULTS.md'), lines.join('\n'));
  console.log(JSON.stringify({ bench: 'nexmark', parallelism, warmupS, windowS, results }));
}
