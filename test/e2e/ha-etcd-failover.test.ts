/**
 * High availability on etcd with real processes: an etcd server, three JobManagers (one leader,
 * two standbys), two TaskManagers and the exactly-once FileSink job. The leader is SIGKILLed
 * twice while the job runs: a standby takes over each time, the TaskManagers follow it, the job
 * finishes with every record committed once, and the CLI pointed at a dead JobManager's address
 * still reaches the leader (through etcd). Then a leader is SIGSTOPped past its lease: after
 * SIGCONT it steps down and neither completes a checkpoint nor deletes a file; then etcd is
 * killed past the lease TTL (the leader steps down) and started again: a JobManager wins a new
 * term and the job finishes, exactly once.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { etcdAvailable } from '../helpers/etcd-server.js';
import { runCli, waitFor } from '../helpers/process-cluster.js';
import { checkOutput, describeCheck, sleep } from './exactly-once-harness.js';
import { HaCluster } from './ha-harness.js';
import { readdirSync, existsSync } from 'node:fs';
import { join } from 'node:path';

const KEYS = 8;

function expectExactlyOnce(dir: string, records: number): void {
  const check = checkOutput(dir, records, KEYS);
  expect(check.duplicates, describeCheck(check)).toEqual([]);
  expect(check.gaps, describeCheck(check)).toEqual([]);
  expect(check.outOfOrder, describeCheck(check)).toEqual([]);
  expect(check.alerts, describeCheck(check)).toEqual([]);
  expect(check.records).toBe(records);
}

/** Completed checkpoints on disk (`chk-<n>` with `_metadata`). */
function completed(cluster: HaCluster, jobId: string): number[] {
  const dir = join(cluster.checkpointsDir, jobId);
  if (!existsSync(dir)) return [];
  return readdirSync(dir).filter((d) => /^chk-\d+$/.test(d) && existsSync(join(dir, d, '_metadata'))).map((d) => Number(d.slice(4))).sort((a, b) => a - b);
}

async function waitForCheckpointAbove(cluster: HaCluster, jobId: string, above: number): Promise<number> {
  const deadline = Date.now() + 120_000;
  for (;;) {
    const latest = completed(cluster, jobId).at(-1) ?? 0;
    if (latest > above) return latest;
    if (Date.now() > deadline) throw new Error(`no checkpoint above ${above} completed\n${cluster.logs()}`);
    await sleep(50);
  }
}

describe.skipIf(!etcdAvailable())('high availability on etcd', () => {
  let cluster: HaCluster | undefined;
  afterEach(async () => {
    await cluster?.stop();
    cluster = undefined;
  }, 60_000);

  it('survives two SIGKILLed leaders: a standby takes over each time and the output is exactly once', async () => {
    const RECORDS = 45_000;
    // 30 s of data at 1 500 records/s: the job still runs at the second kill on a loaded machine.
    cluster = new HaCluster({ jobManagers: 3, taskManagers: 2, slots: 2 });
    await cluster.start();
    const first = cluster.leader()!;
    const jobId = await cluster.submit({ records: RECORDS, keys: KEYS, ratePerSecond: 1500, checkpointIntervalMs: 300, parallelism: 2 }, first.rpcAddress);
    await cluster.waitForJobState(jobId, 'RUNNING');
    let latest = await waitForCheckpointAbove(cluster, jobId, 1);

    await cluster.kill(first);
    const second = await cluster.waitForLeader(first);
    latest = await waitForCheckpointAbove(cluster, jobId, latest);

    // The second kill hits a job that is still running.
    expect(await cluster.jobState(jobId)).toBe('RUNNING');
    await cluster.kill(second);
    const third = await cluster.waitForLeader(second);
    expect(third).not.toBe(first);
    await waitForCheckpointAbove(cluster, jobId, latest);
    await cluster.waitForJobState(jobId, 'FINISHED', 180_000);
    expectExactlyOnce(cluster.outputDir, RECORDS);

    // The CLI pointed at a dead leader's address finds the current leader on etcd.
    const list = await runCli(['list', '-a', '-m', first.rpcAddress, ...cluster.haArgs]);
    expect(list.stderr).toBe('');
    expect(list.stdout).toContain(jobId);
  }, 420_000);

  it('a leader paused past its lease steps down after SIGCONT and touches no checkpoint or file; the job resumes after an etcd outage', async () => {
    // 24 s of data at 2 500 records/s: the job still runs when etcd goes away.
    const RECORDS = 60_000;
    cluster = new HaCluster({ jobManagers: 3, taskManagers: 2, slots: 2 });
    await cluster.start();
    const old = cluster.leader()!;
    const jobId = await cluster.submit({ records: RECORDS, keys: KEYS, ratePerSecond: 2500, checkpointIntervalMs: 200, parallelism: 2 }, old.rpcAddress);
    await cluster.waitForJobState(jobId, 'RUNNING');
    await waitForCheckpointAbove(cluster, jobId, 1);

    old.daemon.proc.kill('SIGSTOP');
    const next = await cluster.waitForLeader(old);
    // Let the new leader restore and complete checkpoints of its own before the old one wakes up.
    const before = await waitForCheckpointAbove(cluster, jobId, completed(cluster, jobId).at(-1) ?? 0);
    const logLength = old.daemon.stderr().length;
    old.daemon.proc.kill('SIGCONT');
    await waitFor('the paused leader to step down', () => /Lost the leadership/.test(old.daemon.stderr().slice(logLength)), 60_000);
    await sleep(500);
    // What the old leader logged from SIGCONT on (before the outage below, after which it may lead again).
    const after = old.daemon.stderr().slice(logLength);

    // etcd goes away for longer than the lease: the leader steps down, nobody leads; once etcd
    // is back a JobManager wins a new term and the job resumes from its latest checkpoint.
    expect(await cluster.jobState(jobId)).toBe('RUNNING');
    const leaderBeforeOutage = cluster.leader()!;
    const outageLog = leaderBeforeOutage.daemon.stderr().length;
    await cluster.etcd.kill();
    await waitFor('the leader to step down without etcd', () => /Lost the leadership/.test(leaderBeforeOutage.daemon.stderr().slice(outageLog)), 60_000);
    expect(cluster.leader()).toBeUndefined();
    await cluster.etcd.restart();
    await cluster.waitForLeader();
    await cluster.waitForJobState(jobId, 'FINISHED', 180_000);

    expect(after).toMatch(/Lost the leadership/);
    // Nothing the old leader did once the new leader was elected completed a checkpoint,
    // published an address or deleted a checkpoint directory.
    const grantedAt = Number(/"time":(\d+)[^\n]*Granted the leadership/.exec(next.daemon.stderr())![1]);
    const actions = after
      .split('\n')
      .filter((l) => /Completed checkpoint|Published the leader address|deleted checkpoint directories/.test(l))
      .filter((l) => Number(/"time":(\d+)/.exec(l)?.[1]) >= grantedAt);
    expect(actions).toEqual([]);
    expect(next.daemon.stderr()).toMatch(/Completed checkpoint/);
    expect(before).toBeGreaterThan(0);
    expectExactlyOnce(cluster.outputDir, RECORDS);
  }, 420_000);
});
