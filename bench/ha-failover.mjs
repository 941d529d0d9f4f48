#!/usr/bin/env node
// Failover of the leading JobManager under high-availability.type: etcd, phase by phase.
//   npm run bench -- ha-failover [rounds] [lease-ttl-ms]
// Starts etcd, three JobManagers (one leader, two standbys) and two TaskManagers (two slots
// each) from bin/fluss, runs an exactly-once job (rate-limited generator -> keyed state ->
// FileSink, checkpoints every 500 ms, parallelism 2), then per round SIGKILLs the leader and
// times, from the kill: the standby's election, its published address, the jobs recovered from
// high-availability.storageDir, both TaskManagers registered, every subtask RUNNING again
// (= "jobs running again under the new leader", the target <= 5 s), and the first checkpoint
// completed by the new leader. Ends with one JSON line.
import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const bin = join(root, 'bin', 'fluss');
const ROUNDS = Number(process.argv[2] ?? 2);
const TTL_MS = Number(process.argv[3] ?? 2000);
const dir = mkdtempSync(join(tmpdir(), 'fluss-bench-ha-'));
const procs = [];

const freePort = () =>
  new Promise((res) => {
    const s = createServer().listen(0, '127.0.0.1', () => {
      const p = s.address().port;
      s.close(() => res(p));
    });
  });
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
async function waitFor(what, fn, timeoutMs = 60_000) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn();
    if (v) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(20);
  }
}
function daemon(cmd, args) {
  const proc = spawn(cmd, args, { cwd: root, stdio: ['ignore', 'ignore', 'pipe'], env: { ...process.env, FLUSS_LOG_LEVEL: 'info' } });
  const d = { proc, log: '', dead: false };
  proc.stderr.on('data', (b) => (d.log += b.toString()));
  procs.push(d);
  return d;
}
/** Epoch ms of the first log line at or after `since` whose msg matches. */
function logTime(d, msg, since, nth = 1) {
  let seen = 0;
  for (const line of d.log.split('\n')) {
    if (!line.includes(msg)) continue;
    const t = Number(/"time":(\d+)/.exec(line)?.[1]);
    if (t >= since && ++seen >= nth) return t;
  }
  return undefined;
}

const etcdClient = await freePort();
const etcdPeer = await freePort();
const endpoint = `http://127.0.0.1:${etcdClient}`;
daemon('etcd', ['--name', 'b', '--data-dir', join(dir, 'etcd'), '--listen-client-urls', endpoint, '--advertise-client-urls', endpoint,
  '--listen-peer-urls', `http://127.0.0.1:${etcdPeer}`, '--initial-advertise-peer-urls', `http://127.0.0.1:${etcdPeer}`,
  '--initial-cluster', `b=http://127.0.0.1:${etcdPeer}`, '--log-level', 'warn']);
await waitFor('etcd', () => fetch(`${endpoint}/health`).then((r) => r.ok, () => false));

mkdirSync(join(dir, 'out'));
const common = [
  '-D', 'high-availability.type=etcd', '-D', `high-availability.etcd.endpoints=${endpoint}`, '-D', 'high-availability.cluster-id=/bench',
  '-D', `high-availability.etcd.lease-ttl=${TTL_MS} ms`, '-D', `high-availability.storageDir=${join(dir, 'ha')}`,
  '-D', 'jobmanager.rpc.address=127.0.0.1', '-D', `state.checkpoints.dir=${join(dir, 'chk')}`, '-D', `io.tmp.dirs=${join(dir, 'tmp')}`,
  '-D', 'heartbeat.interval=300 ms', '-D', 'heartbeat.timeout=2 s', '-D', 'taskmanager.registration.max-backoff=500 ms',
];
const jms = [];
for (let i = 0; i < 3; i++) {
  const rest = await freePort();
  const jm = daemon(process.execPath, [bin, 'jobmanager', ...common, '-D', `jobmanager.rpc.port=${await freePort()}`, '-D', `rest.port=${rest}`]);
  jm.rest = rest;
  jms.push(jm);
}
for (let i = 0; i < 2; i++) daemon(process.execPath, [bin, 'taskmanager', ...common, '-D', 'taskmanager.numberOfTaskSlots=2']);
const leader = () => jms.find((j) => !j.dead && j.log.lastIndexOf('Published the leader address') > j.log.lastIndexOf('Lost the leadership'));
await waitFor('a leader with two TaskManagers', () => (leader()?.log.match(/TaskManager registered/g) ?? []).length >= 2);

writeFileSync(join(dir, 'job.ts'), `import { defineJob, DataGeneratorSource, FileSink, WatermarkStrategy } from 'fluss';
export default defineJob((env, [out]) => {
  env.enableCheckpointing(500);
  env.fromSource(new DataGeneratorSource((i: number) => i, 1_000_000_000, { ratePerSecond: 2000 }), WatermarkStrategy.noWatermarks(), 'numbers')
    .setParallelism(2).keyBy((i: number) => i % 16).map((i: number) => String(i)).setParallelism(2).sinkTo(FileSink.forRowFormat<string>(out)).setParallelism(2);
});
`);
const run = await new Promise((res) => {
  const p = spawn(process.execPath, [bin, 'run', '-d', ...common, join(dir, 'job.ts'), join(dir, 'out')], { cwd: root });
  let out = '';
  p.stdout.on('data', (b) => (out += b));
  p.stderr.on('data', (b) => (out += b));
  p.on('exit', () => res(out));
});
const jobId = /JobID ([0-9a-f]{32})/.exec(run)?.[1];
if (!jobId) throw new Error(`submission failed: ${run}`);
const allRunning = async (jm) => {
  try {
    const r = await fetch(`http://127.0.0.1:${jm.rest}/jobs/${jobId}`);
    if (!r.ok) return false;
    const j = await r.json();
    return j.vertices.length > 0 && j.vertices.every((v) => v.status === 'RUNNING');
  } catch {
    return false;
  }
};

const rounds = [];
for (let round = 1; round <= ROUNDS; round++) {
  const old = leader();
  await waitFor('the job running', () => allRunning(old));
  await waitFor('a checkpoint', () => logTime(old, 'Completed checkpoint', 0));
  await sleep(1500);
  const killedAt = Date.now();
  old.dead = true;
  old.proc.kill('SIGKILL');
  const next = await waitFor('a new leader', () => leader());
  const runningAt = await waitFor('every subtask RUNNING under the new leader', async () => ((await allRunning(next)) ? Date.now() : undefined));
  const checkpointAt = await waitFor('a checkpoint of the new leader', () => logTime(next, 'Completed checkpoint', killedAt));
  const phase = (t) => (t === undefined ? null : t - killedAt);
  const r = {
    round,
    electedMs: phase(logTime(next, 'Granted the leadership', killedAt)),
    publishedMs: phase(logTime(next, 'Published the leader address', killedAt)),
    jobsRecoveredMs: phase(logTime(next, 'recovered jobs from high-availability.storageDir', killedAt)),
    taskManagersRegisteredMs: phase(logTime(next, 'TaskManager registered', killedAt, 2)),
    runningAgainMs: runningAt - killedAt,
    firstCheckpointMs: checkpointAt - killedAt,
  };
  rounds.push(r);
  console.log(`round ${round}: SIGKILL leader -> elected ${r.electedMs} ms, address published ${r.publishedMs} ms, jobs recovered ${r.jobsRecoveredMs} ms, ` +
    `TaskManagers registered ${r.taskManagersRegisteredMs} ms, all subtasks RUNNING ${r.runningAgainMs} ms, first checkpoint ${r.firstCheckpointMs} ms (lease TTL ${TTL_MS} ms)`);
  // Keep three JobManagers: the killed one comes back as a standby.
  const rest = await freePort();
  const jm = daemon(process.execPath, [bin, 'jobmanager', ...common, '-D', `jobmanager.rpc.port=${await freePort()}`, '-D', `rest.port=${rest}`]);
  jm.rest = rest;
  jms.push(jm);
}
for (const p of procs) p.proc.kill('SIGKILL');
console.log(JSON.stringify({ bench: 'ha-failover', leaseTtlMs: TTL_MS, rounds }));
