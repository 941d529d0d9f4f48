import { describe, expect, it } from 'vitest';
import { CheckpointError } from '../../src/checkpoint/checkpoint-coordinator.js';
import type { TaskCheckpointAck } from '../../src/checkpoint/checkpoint-types.js';
import type { CheckpointTask } from '../../src/checkpoint/pending-checkpoint.js';
import { ALL, ack, ackAll, flush, setup } from './checkpoint-coordinator-doubles.js';

describe('CheckpointCoordinator', () => {
  it('triggers the sources, completes once every subtask acked, writes _metadata, then notifies every task', async () => {
    const { coordinator, gateway, storage, stats } = setup();
    const done = coordinator.triggerCheckpoint();
    await flush();
    expect(gateway.triggers.map((t) => t.task.vertexId)).toEqual(['src', 'src']);
    expect(gateway.triggers[0]!.request).toMatchObject({ checkpointId: 1, savepoint: false, aligned: true, targetDir: '/cp/job/chk-1' });
    await coordinator.receiveAcknowledge(ack(1, ALL[0]!));
    await coordinator.receiveAcknowledge(ack(1, ALL[0]!)); // duplicate: ignored
    await coordinator.receiveAcknowledge({ ...ack(1, ALL[1]!), attempt: 7 }); // stale attempt: ignored
    await coordinator.receiveAcknowledge(ack(1, ALL[1]!));
    expect(storage.dirs.get('/cp/job/chk-1')).toBeNull();
    expect(gateway.notified).toEqual([]);
    await coordinator.receiveAcknowledge(ack(1, ALL[2]!));
    const cp = await done;
    expect(cp.checkpointId).toBe(1);
    const md = storage.dirs.get('/cp/job/chk-1')!;
    expect(md.operators.map((o) => [o.operatorId, o.parallelism, o.subtasks.map((s) => s.subtaskIndex)])).toEqual([
      ['src', 2, [0, 1]],
      ['map', 1, [0]],
    ]);
    expect(gateway.notified.map((n) => `${n.task.vertexId}/${n.task.subtaskIndex}@${n.id}`)).toEqual(['src/0@1', 'src/1@1', 'map/0@1']);
    const s = stats.statistics();
    expect(s.counts).toMatchObject({ completed: 1, failed: 0, in_progress: 0 });
    expect(s.latest.completed).toMatchObject({ id: 1, state_size: 30, num_acknowledged_subtasks: 3, alignment_duration: 2, external_path: '/cp/job/chk-1' });
    expect(coordinator.latestCompletedCheckpoint()?.externalPath).toBe('/cp/job/chk-1');
  });

  it('notifies the tasks only once the completed checkpoint is recorded (the HA pointer before any sink commits)', async () => {
    let recorded!: () => void;
    const recording = new Promise<void>((resolve) => (recorded = resolve));
    const { coordinator, gateway } = setup({}, 1, () => recording);
    const done = coordinator.triggerCheckpoint();
    await flush();
    // The last acknowledgement completes the checkpoint, which waits for the recording.
    const acked = ackAll(coordinator, 1);
    await flush();
    expect(gateway.notified).toEqual([]);
    recorded();
    await acked;
    await done;
    expect(gateway.notified.map((n) => n.id)).toEqual([1, 1, 1]);
  });

  it('retries a failed notification of a final checkpoint (tasks wait for it to end), not of an ordinary one', async () => {
    const { coordinator, gateway, scheduler } = setup();
    const sourceAck = (id: number, t: CheckpointTask): TaskCheckpointAck => ({ ...ack(id, t), ...(t.vertexId === 'src' ? { endOfInput: true } : {}) });
    // Ordinary checkpoint: a lost notification is made good by the next checkpoint.
    gateway.failNotifies = 3;
    const first = coordinator.triggerCheckpoint();
    await flush();
    await ackAll(coordinator, 1);
    await first;
    await scheduler.advance(10_000);
    expect(gateway.notifyAttempts).toBe(3);
    expect(gateway.notified).toEqual([]);
    // Final checkpoint (every source acknowledged at the end of its input): retried with backoff.
    gateway.failNotifies = 5;
    const final = coordinator.triggerCheckpoint();
    await flush();
    for (const t of ALL) await coordinator.receiveAcknowledge(sourceAck(2, t));
    await final;
    await flush();
    expect(gateway.notifyAttempts).toBe(6);
    await scheduler.advance(100);
    // The three tasks' second deliveries: two fail again (5 failures in all), one arrives.
    expect(gateway.notifyAttempts).toBe(9);
    expect(gateway.notified).toHaveLength(1);
    await scheduler.advance(200);
    expect(gateway.notified.map((n) => `${n.task.vertexId}/${n.task.subtaskIndex}@${n.id}`).sort()).toEqual(['map/0@2', 'src/0@2', 'src/1@2']);
    // Once the attempt is no longer the job's (failover), retries stop.
    gateway.failNotifies = Number.POSITIVE_INFINITY;
    const third = coordinator.triggerCheckpoint();
    await flush();
    for (const t of ALL) await coordinator.receiveAcknowledge(sourceAck(3, t));
    await third;
    await flush();
    const attempts = gateway.notifyAttempts;
    gateway.running = false;
    await scheduler.advance(60_000);
    expect(gateway.notifyAttempts).toBe(attempts);
  });

  it('keeps num-retained checkpoints and deletes older ones only after the newer one completed', async () => {
    const { coordinator, storage } = setup({}, 2);
    for (let id = 1; id <= 3; id++) {
      const done = coordinator.triggerCheckpoint();
      await flush();
      await ackAll(coordinator, id);
      await done;
    }
    expect([...storage.dirs.keys()]).toEqual(['/cp/job/chk-2', '/cp/job/chk-3']);
    expect(coordinator.completedCheckpoints().map((c) => c.checkpointId)).toEqual([2, 3]);
  });

  it('aborts an expired checkpoint: tasks are told, the directory goes, it counts as failed, and exceeding the tolerance fails the job over', async () => {
    const { coordinator, gateway, storage, scheduler, stats, failovers } = setup({ timeoutMs: 500, tolerableFailures: 1 });
    const first = coordinator.triggerCheckpoint();
    first.catch(() => {});
    await flush();
    await coordinator.receiveAcknowledge(ack(1, ALL[0]!));
    await scheduler.advance(500);
    await expect(first).rejects.toThrow('Checkpoint 1 expired before completing.');
    expect(storage.dirs.has('/cp/job/chk-1')).toBe(false);
    expect(gateway.aborted.map((a) => a.id)).toEqual([1, 1, 1]);
    expect(stats.statistics().counts.failed).toBe(1);
    expect(failovers).toEqual([]);
    // A late ack of the aborted checkpoint changes nothing.
    await coordinator.receiveAcknowledge(ack(1, ALL[1]!));
    const second = coordinator.triggerCheckpoint();
    second.catch(() => {});
    await flush();
    await scheduler.advance(500);
    await expect(second).rejects.toBeInstanceOf(CheckpointError);
    expect(failovers).toEqual(['Exceeded checkpoint tolerable failure threshold. The latest checkpoint failed due to: Checkpoint 2 expired before completing.']);
  });

  it('resets the consecutive failure count when a checkpoint completes', async () => {
    const { coordinator, scheduler, failovers } = setup({ timeoutMs: 500, tolerableFailures: 1 });
    const a = coordinator.triggerCheckpoint();
    a.catch(() => {});
    await flush();
    await scheduler.advance(500);
    expect(coordinator.numberOfConsecutiveFailures).toBe(1);
    const b = coordinator.triggerCheckpoint();
    await flush();
    await ackAll(coordinator, 2);
    await b;
    expect(coordinator.numberOfConsecutiveFailures).toBe(0);
    const c = coordinator.triggerCheckpoint();
    c.catch(() => {});
    await flush();
    await scheduler.advance(500);
    expect(failovers).toEqual([]);
  });

  it('aborts a declined checkpoint only for a subtask attempt it waits for', async () => {
    const { coordinator, storage } = setup({ tolerableFailures: 5 });
    const done = coordinator.triggerCheckpoint();
    done.catch(() => {});
    await flush();
    coordinator.receiveDecline({ checkpointId: 1, vertexId: 'map', subtaskIndex: 0, attempt: 3, reason: 'old attempt' });
    expect(coordinator.pendingCheckpointIds()).toEqual([1]);
    coordinator.receiveDecline({ checkpointId: 1, vertexId: 'map', subtaskIndex: 0, attempt: 0, reason: 'state backend failed' });
    await expect(done).rejects.toThrow('Checkpoint 1 was declined by subtask 0 of vertex map: state backend failed');
    expect(storage.dirs.size).toBe(0);
    expect(coordinator.numberOfConsecutiveFailures).toBe(1);
  });

  it('subsumes older checkpoints in flight when a newer one completes, without counting them as failures', async () => {
    const { coordinator, stats } = setup({ maxConcurrent: 2 });
    const one = coordinator.triggerCheckpoint();
    one.catch(() => {});
    const two = coordinator.triggerCheckpoint();
    await flush();
    await ackAll(coordinator, 2);
    await two;
    await expect(one).rejects.toThrow('Checkpoint 1 has been subsumed by checkpoint 2.');
    expect(coordinator.numberOfConsecutiveFailures).toBe(0);
    expect(stats.statistics().counts).toMatchObject({ completed: 1, failed: 1 });
  });

  it('triggers periodically, never more than max concurrent at once, and waits the min pause after a completion', async () => {
    const { coordinator, gateway, scheduler } = setup({ intervalMs: 1_000, maxConcurrent: 1, minPauseMs: 0 });
    coordinator.startCheckpointScheduler();
    const triggered = () => new Set(gateway.triggers.map((t) => t.request.checkpointId)).size;
    await scheduler.advance(999);
    expect(triggered()).toBe(0);
    await scheduler.advance(1);
    expect(triggered()).toBe(1);
    await scheduler.advance(3_000); // checkpoint 1 still in flight: nothing new
    expect(triggered()).toBe(1);
    await ackAll(coordinator, 1);
    await flush();
    expect(triggered()).toBe(2); // the queued trigger fires once a slot is free
    coordinator.stopCheckpointScheduler();
    await scheduler.advance(5_000);
    expect(coordinator.isPeriodicCheckpointingStarted).toBe(false);
  });

  it('keeps min pause between the end of one checkpoint and the start of the next', async () => {
    const { coordinator, gateway, scheduler } = setup({ intervalMs: 100, minPauseMs: 1_000, maxConcurrent: 5 });
    coordinator.startCheckpointScheduler();
    await scheduler.advance(100);
    expect(gateway.triggers.length).toBe(2);
    await ackAll(coordinator, 1);
    const completedAt = scheduler.now();
    await scheduler.advance(999);
    expect(gateway.triggers.length).toBe(2);
    await scheduler.advance(1);
    expect(gateway.triggers.length).toBe(4);
    expect(gateway.triggers[2]!.request.timestamp - completedAt).toBe(1_000);
  });

  it('does not trigger while not every task runs, and aborts what is in flight on failover without counting it', async () => {
    const { coordinator, gateway } = setup();
    gateway.running = false;
    await expect(coordinator.triggerCheckpoint()).rejects.toThrow('Checkpoint triggering failed: not all tasks of the job are running');
    gateway.running = true;
    const p = coordinator.triggerCheckpoint();
    p.catch(() => {});
    await flush();
    coordinator.abortPendingCheckpoints('Job failover: TaskManager lost');
    await expect(p).rejects.toThrow('Job failover: TaskManager lost');
    expect(coordinator.numberOfConsecutiveFailures).toBe(0);
  });

  it('takes savepoints outside the retention store, without min pause or concurrency limits, and their failures are not counted', async () => {
    const { coordinator, gateway, storage, scheduler, failovers } = setup({ timeoutMs: 100, tolerableFailures: 0 });
    const cp = coordinator.triggerCheckpoint();
    const sp = coordinator.triggerSavepoint('/target');
    await flush();
    expect(gateway.triggers.filter((t) => t.request.savepoint).map((t) => t.request.targetDir)).toEqual(['/target/savepoint-abcdef-1', '/target/savepoint-abcdef-1']);
    await ackAll(coordinator, 2);
    const savepoint = await sp;
    expect(savepoint.savepoint).toBe(true);
    expect(storage.dirs.get('/target/savepoint-abcdef-1')?.savepoint).toBe(true);
    await ackAll(coordinator, 1);
    await cp;
    expect(coordinator.latestCompletedCheckpoint()?.checkpointId).toBe(1);
    expect(coordinator.latestSavepoint()?.externalPath).toBe('/target/savepoint-abcdef-1');
    const failing = coordinator.triggerSavepoint(undefined);
    failing.catch(() => {});
    await flush();
    await scheduler.advance(100);
    await expect(failing).rejects.toThrow('Savepoint 3 expired before completing.');
    expect(failovers).toEqual([]);
    // Retention (1) removes checkpoints only, never savepoints.
    const next = coordinator.triggerCheckpoint();
    await flush();
    await ackAll(coordinator, 4);
    await next;
    expect(storage.dirs.has('/cp/job/chk-1')).toBe(false);
    expect(storage.dirs.has('/target/savepoint-abcdef-1')).toBe(true);
  });

  it('fails a checkpoint whose _metadata cannot be written and a trigger that cannot reach a source', async () => {
    const { coordinator, storage, gateway } = setup({ tolerableFailures: 10 });
    storage.failMetadata = true;
    const p = coordinator.triggerCheckpoint();
    p.catch(() => {});
    await flush();
    await ackAll(coordinator, 1);
    await expect(p).rejects.toThrow('Could not write the _metadata of checkpoint 1: disk full');
    expect(gateway.notified).toEqual([]);
    storage.failMetadata = false;
    gateway.failTrigger = true;
    const q = coordinator.triggerCheckpoint();
    q.catch(() => {});
    await flush();
    await expect(q).rejects.toThrow('Checkpoint 2 could not be triggered at subtask 0 of vertex src: TaskManager unreachable');
    expect(coordinator.numberOfConsecutiveFailures).toBe(2);
  });

  it('refuses everything after shutdown and can delete its retained checkpoints', async () => {
    const { coordinator, storage } = setup();
    const p = coordinator.triggerCheckpoint();
    await flush();
    await ackAll(coordinator, 1);
    await p;
    coordinator.shutdown();
    await expect(coordinator.triggerSavepoint(undefined)).rejects.toThrow('the job is no longer running');
    await coordinator.discardCompletedCheckpoints();
    expect(storage.dirs.size).toBe(0);
  });
});
