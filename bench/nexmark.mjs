#!/usr/bin/env node
// The Nexmark benchmark on a local cluster of one JobManager and two TaskManager processes
// (one slot each) started from bin/fluss.
//   npm run bench -- nexmark --query q5 --events 2000000 [--parallelism 2]
//   npm run bench -- nexmark --all --events 2000000      (every query; writes bench/RESULTS.md)
// Each run ends with one JSON line:
//   {"query","events","seconds","eventsPerSecond","cores","eventsPerSecondPerCore"}
// `seconds` runs from the first event the sources emitted to the last record that left a
// source or reached the sink (probes in the job, see bench/nexmark/timing.ts): the job's own
// runtime also holds deployment and the final checkpoint a bounded job waits for (up to one
// 10 s interval), which is printed beside it.
// Set NEXMARK_CPU_PROFILE=<dir> to run the TaskManagers with --cpu-prof into <dir>.
import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const root = join(here, '..');
const bin = join(root, 'bin', 'fluss');
const CORES = 2;
/** Flink's published Nexmark figures: events/s per core. */
const FLINK = { q0: 378e3, q1: 395e3, q2: 414e3, q3: 219e3, q4: 28e3, q5: 75e3, q7: 23e3, q8: 162e3, q11: 46e3, q12: 194e3 };
const ALL = Object.keys(FLINK);

function flag(name, fallback) {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1] : fallback;
}
const all = process.argv.includes('--all');
const events = Number(flag('events', 2_000_000));
const parallelism = Number(flag('parallelism', 2));
const queries = all ? ALL : [flag('query', 'q0')];
for (const q of queries) {
  if (!ALL.includes(q)) {
    console.error(`unknown query ${q}: one of ${ALL.join(', ')}`);
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
  const tms = [0, 1].map(() => spawn(process.execPath, [...tmArgs, 'taskmanager', ...common], { env: { ...env, FLUSS_LOG_LEVEL: 'warn' }, stdio: 'ignore' }));
  const deadline = Date.now() + 30_000;
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
  return { address: `127.0.0.1:${port}`, stop };
}

async function runQuery(query) {
  const workDir = mkdtempSync(join(tmpdir(), `fluss-nexmark-${query}-`));
  const cluster = await startCluster(workDir);
  try {
    const env = { ...process.env, FLUSS_LOG_LEVEL: 'warn' };
    const timingDir = join(workDir, 'timing');
    mkdirSync(timingDir);
    const res = await run(
      [bin, 'run', '-m', cluster.address, '-p', String(parallelism), join(here, 'nexmark', `${query}.ts`), '--events', String(events), '--timing-dir', timingDir],
      env,
    );
    if (res.code !== 0) throw new Error(`${query} failed (exit ${res.code}):\n${res.stdout}\n${res.stderr}`);
    const jobMs = Number(/Job Runtime: (\d+) ms/.exec(res.stdout)?.[1]);
    const files = readdirSync(timingDir);
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

const jobRuntimes = {};
const restarted = {};
const fmtK = (n) => `${Math.round(n / 1000)} K`;
const results = [];
for (const q of queries) {
  const r = await runQuery(q);
  results.push(r);
  console.log(`${q.padEnd(4)} ${String(events).padStart(10)} events  ${r.seconds.toFixed(2).padStart(7)} s  ${fmtK(r.eventsPerSecond).padStart(7)} events/s  ${fmtK(r.eventsPerSecondPerCore).padStart(7)} events/s/core  (Flink ${fmtK(FLINK[q])}; job runtime ${jobRuntimes[q].toFixed(2)} s)`);
  if (!all) console.log(JSON.stringify(r));
}
if (all) {
  const lines = [
    '# Nexmark results',
    '',
    `Fluss ${JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')).version}, Node ${process.version}, ${events} events per query, ` +
      `parallelism ${parallelism} on one JobManager and two TaskManager processes (${CORES} cores), LevelDB state backend, checkpoints every 10 s, discarding sink. ` +
      `Seconds run from the first event a source emitted to the last record leaving a source or reaching the sink (probes in the job); ` +
      `the job runtime \`fluss run\` reports also holds deployment and the final checkpoint of a bounded job (up to one 10 s interval). ` +
      `Flink's figures are its published Nexmark results in events/s per core.`,
    '',
    '| Query | Events | Seconds | Job runtime (s) | Events/s | Events/s per core | Flink events/s per core | Fluss / Flink |',
    '|---|---:|---:|---:|---:|---:|---:|---:|',
    ...results.map(
      (r) =>
        `| ${r.query} | ${r.events} | ${r.seconds.toFixed(2)} | ${jobRuntimes[r.query].toFixed(2)} | ${fmtK(r.eventsPerSecond)} | ${fmtK(r.eventsPerSecondPerCore)} | ${fmtK(FLINK[r.query])} | ${((100 * r.eventsPerSecondPerCore) / FLINK[r.query]).toFixed(0)} %${restarted[r.query] ? ` (failed over, replayed ${restarted[r.query]} events)` : ''} |`,
    ),
    '',
    'Reproduce: `npm run build && npm run bench -- nexmark --all --events ' + events + '`.',
    '',
  ];
  mkdirSync(here, { recursive: true });
  writeFileSync(join(here, 'RESULTS.md'), lines.join('\n'));
  console.log(JSON.stringify({ bench: 'nexmark', events, parallelism, results }));
}
