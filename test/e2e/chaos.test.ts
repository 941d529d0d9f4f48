/**
 * Chaos: one exactly-once job (keyed ValueState, FileSink, checkpoints every 400 ms) on a
 * process cluster goes through, in turn, two SIGKILLs of a TaskManager running its tasks (a
 * replacement started at once), an 8 s SIGSTOP/SIGCONT of a TaskManager, a SIGKILL and
 * restart of the JobManager, and a damaged latest checkpoint (an older one is retained) under a
 * further TaskManager kill. Checked: the committed output holds every generated (key, seq)
 * exactly once; at no sample were more `chk-*` directories on disk than `num-retained` plus
 * the one in progress, and none once the job FINISHED; every daemon not killed on purpose
 * (the SIGSTOPped one included) is alive at the end. The worst recovery per kind of fault —
 * from the fault to the first output committed by the restarted job — is printed, not
 * asserted (it depends on the machine).
 */
import { damageKeyedState } from '../helpers/damage-checkpoint.js';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CheckpointDirectorySampler, checkpointDirectories, RecoveryClock, signalTree } from '../helpers/chaos-probes.js';
import { type Daemon, waitFor } from '../helpers/process-cluster.js';
import { checkOutput, describeCheck, KillableCluster, randomBetween, sleep } from './exactly-once-harness.js';

const RATE = 2_000;
/** About 65 s of input: long enough that every fault hits a running job. */
const RECORDS = 130_000;
const KEYS = 8;
const NUM_RETAINED = 2;
/** execution.checkpointing.max-concurrent-checkpoints (default 1). */
const IN_PROGRESS = 1;
const STOP_MS = 8_000;
const HEARTBEAT_TIMEOUT_MS = 2_000;

describe('chaos: TaskManager kills, SIGSTOP, JobManager restart and a damaged checkpoint', () => {
  const cluster = new KillableCluster({
    taskManagers: 2,
    slots: 2,
    extra: ['-D', `state.checkpoints.num-retained=${NUM_RETAINED}`, '-D', `heartbeat.timeout=${HEARTBEAT_TIMEOUT_MS} ms`],
  });
  beforeAll(() => cluster.start());
  afterAll(() => cluster.stop());

  it('keeps the output exactly once, the checkpoint directories bounded and the daemons alive', async () => {
    const killedOnPurpose = new Set<Daemon>();
    const clock = new RecoveryClock(cluster.outputDir);
    const jobId = await cluster.submit({ records: RECORDS, keys: KEYS, ratePerSecond: RATE, checkpointIntervalMs: 400, parallelism: 2 });
    const jobCheckpoints = join(cluster.checkpointsDir, jobId);
    const sampler = new CheckpointDirectorySampler(jobCheckpoints);
    const started = performance.now();
    // Progress on stderr at once: a run that hangs shows where.
    const progress = (what: string): void => void process.stderr.write(`chaos +${((performance.now() - started) / 1000).toFixed(1)} s: ${what}\n`);
    clock.onRecovery = (r) => progress(`${r.kind} recovered in ${r.ms} ms`);
    try {
      await cluster.waitForJobState(jobId, 'RUNNING');
      // Every recovery ends with a checkpoint completed after it: the next fault restores from it.
      let lastCheckpoint = await checkpointAfter(cluster, jobId, 0);

      // 1, 2: SIGKILL of a TaskManager running tasks; a fresh one starts at once. Each fault
      // hits a cluster back at full strength (the replacement of the previous one registered).
      for (let i = 0; i < 2; i++) {
        await fullStrength(cluster);
        await sleep(randomBetween(50, 400));
        const victim = await busyTaskManager(cluster);
        killedOnPurpose.add(victim);
        const recovered = clock.fault('taskmanager-sigkill');
        progress(`SIGKILL of a TaskManager (${i + 1}), checkpoint ${lastCheckpoint}`);
        await replace(cluster, victim);
        await bounded(cluster, recovered, `recovery from TaskManager SIGKILL ${i + 1}`);
        lastCheckpoint = await checkpointAfter(cluster, jobId, lastCheckpoint);
      }

      // 3: SIGSTOP of a TaskManager running tasks for 8 s, then SIGCONT: it must come back usable.
      {
        await fullStrength(cluster);
        const victim = await busyTaskManager(cluster);
        const recovered = clock.fault('taskmanager-sigstop');
        progress(`SIGSTOP of a TaskManager, checkpoint ${lastCheckpoint}`);
        // The whole process: the daemon may run in a child of the `fluss taskmanager` process.
        signalTree(victim.proc.pid!, 'SIGSTOP');
        await sleep(STOP_MS);
        signalTree(victim.proc.pid!, 'SIGCONT');
        await bounded(cluster, recovered, 'recovery from SIGSTOP');
        lastCheckpoint = await checkpointAfter(cluster, jobId, lastCheckpoint);
      }

      // 4: SIGKILL of the JobManager, restarted at once: it recovers the job from the HA store.
      {
        // The SIGCONTed TaskManager registered again (its stale tasks cancelled).
        await fullStrength(cluster);
        await sleep(randomBetween(50, 400));
        const recovered = clock.fault('jobmanager-restart');
        progress(`SIGKILL of the JobManager, checkpoint ${lastCheckpoint}`);
        killedOnPurpose.add(cluster.jobManager);
        await cluster.jobManager.kill('SIGKILL');
        cluster.startJobManager();
        await bounded(cluster, recovered, 'recovery from the JobManager restart');
        lastCheckpoint = await checkpointAfter(cluster, jobId, lastCheckpoint);
      }

      // 5: a TaskManager dies and the latest checkpoint's keyed state is damaged before the
      // restart reads it: the restore refuses it and falls back to the older retained one.
      {
        await fullStrength(cluster);
        lastCheckpoint = await checkpointAfter(cluster, jobId, lastCheckpoint);
        const victim = await busyTaskManager(cluster);
        killedOnPurpose.add(victim);
        const recovered = clock.fault('damaged-checkpoint');
        progress(`SIGKILL of a TaskManager with a damaged checkpoint, checkpoint ${lastCheckpoint}`);
        // No checkpoint completes once a task is dead, so the latest stays the latest.
        victim.proc.kill('SIGKILL');
        const [older, latest] = cluster.completedCheckpoints(jobId).slice(-2);
        expect(older, `an older checkpoint is retained beside chk-${latest}`).toBeLessThan(latest!);
        expect(damageKeyedState(join(jobCheckpoints, `chk-${latest}`)).length, 'keyed state files damaged').toBeGreaterThan(0);
        await replace(cluster, victim);
        await bounded(cluster, recovered, 'recovery from the damaged checkpoint');
      }

      progress('waiting for FINISHED');
      await cluster.waitForJobState(jobId, 'FINISHED', 120_000);
      sampler.sample();
      sampler.stop();
      const worst = clock.worstByKind();
      console.log(`chaos: worst recovery per kind of fault (ms, fault → first output committed by the restarted job): ${JSON.stringify(worst)}`);
      console.log(`chaos: every recovery: ${clock.recoveries.map((r) => `${r.kind} ${r.ms} ms`).join(', ')}`);
      console.log(`chaos: at most ${sampler.max.count} chk-* directories at once (${sampler.max.dirs.join(' ')}) over ${sampler.samples} samples`);

      const check = checkOutput(cluster.outputDir, RECORDS, KEYS);
      expect(check.duplicates, describeCheck(check)).toEqual([]);
      expect(check.gaps, describeCheck(check)).toEqual([]);
      expect(check.outOfOrder, describeCheck(check)).toEqual([]);
      expect(check.alerts, describeCheck(check)).toEqual([]);
      expect(check.records).toBe(RECORDS);

      expect(sampler.max.count, `chk-* directories at once: ${sampler.max.dirs.join(' ')}`).toBeLessThanOrEqual(NUM_RETAINED + IN_PROGRESS);
      // Removal after FINISHED runs in the background: give it a moment.
      await waitFor('no chk-* directory after FINISHED', () => checkpointDirectories(jobCheckpoints).length === 0, 10_000).catch(() => undefined);
      expect(checkpointDirectories(jobCheckpoints), 'chk-* directories left after FINISHED').toEqual([]);

      const alive = [cluster.jobManager, ...cluster.taskManagers].filter((d) => !killedOnPurpose.has(d));
      for (const d of alive) expect(d.proc.exitCode === null && d.proc.signalCode === null, `daemon ${d.proc.pid} is alive:\n${d.stderr().slice(-2000)}`).toBe(true);
      expect(alive.length).toBe(3);
    } finally {
      clock.stop();
      sampler.stop();
    }
  }, 240_000);
});

/** Longest a single recovery may take before the test gives up with the cluster's logs. */
const RECOVERY_DEADLINE_MS = 45_000;

/** Awaits `recovered`, or fails after {@link RECOVERY_DEADLINE_MS} with the cluster's logs. */
async function bounded(cluster: KillableCluster, recovered: Promise<unknown>, what: string): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no ${what} within ${RECOVERY_DEADLINE_MS} ms\n${cluster.logs()}`)), RECOVERY_DEADLINE_MS);
  });
  try {
    await Promise.race([recovered, deadline]);
  } finally {
    clearTimeout(timer);
  }
}

/** Waits for a checkpoint newer than `after`; returns its id. */
async function checkpointAfter(cluster: KillableCluster, jobId: string, after: number): Promise<number> {
  return waitFor(`a checkpoint after chk-${after}`, () => {
    const latest = cluster.completedCheckpoints(jobId).at(-1) ?? 0;
    return latest > after ? latest : 0;
  }, 60_000, 25).catch((e: Error) => {
    throw new Error(`${e.message}\n${cluster.logs()}`);
  });
}

/** Waits until the JobManager has as many TaskManagers registered as there are live processes (2). */
async function fullStrength(cluster: KillableCluster): Promise<void> {
  await waitFor('every TaskManager process registered', async () => {
    const r = await cluster.rest<{ taskmanagers: unknown[] }>('/taskmanagers');
    return r?.taskmanagers.length === cluster.taskManagers.length;
  }, 60_000);
}

/** A live TaskManager daemon that runs tasks of the job (by the address it logged at start). */
async function busyTaskManager(cluster: KillableCluster): Promise<Daemon> {
  const tms = await waitFor('the TaskManagers over REST', async () => {
    const r = await cluster.rest<{ taskmanagers: { address: string; slotsNumber: number; freeSlots: number }[] }>('/taskmanagers');
    return r?.taskmanagers.filter((t) => t.freeSlots < t.slotsNumber);
  }, 30_000);
  const busy = new Set((tms ?? []).map((t) => t.address));
  const daemon = cluster.taskManagers.find((d) => {
    const m = /"address":"([^"]+)"[^\n]*TaskManager started/.exec(d.stderr());
    return m !== null && busy.has(m[1]!) && d.proc.exitCode === null;
  });
  if (!daemon) throw new Error(`no TaskManager process runs tasks (busy: ${[...busy].join(', ')})\n${cluster.logs()}`);
  return daemon;
}

/** SIGKILLs `victim` (if it still runs) and starts a fresh TaskManager in its place. */
async function replace(cluster: KillableCluster, victim: Daemon): Promise<void> {
  await cluster.replaceTaskManager(cluster.taskManagers.indexOf(victim));
}

