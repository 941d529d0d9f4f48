/**
 * The CheckpointCoordinator of one job (in its JobMaster). It triggers checkpoint n on every
 * source subtask, collects the acknowledgements of every subtask of every vertex, and once all
 * arrived writes `_metadata` — only then does the checkpoint exist, and only then are the tasks
 * notified (two-phase-commit sinks commit) and older checkpoints beyond the retained count
 * deleted. Timed-out, declined and subsumed checkpoints are aborted: tasks are told, the
 * directory is removed, the statistics count them as failed.
 *
 * Periodic triggering follows the job's CheckpointSettings: interval, timeout, min pause
 * (which, as in Flink, implies at most one checkpoint in flight), max concurrent, and the
 * tolerable number of consecutive failed checkpoints (exceeded → the job fails over; savepoint
 * failures and aborts caused by a failover do not count, as in Flink).
 *
 * Checkpoints are only triggered while every subtask is RUNNING. A bounded job ends with a final
 * checkpoint (as Flink's FLIP-147): a source at the end of its input keeps running, takes part in
 * checkpoints (acknowledging with `endOfInput`), and finishes once notified of a checkpoint in
 * which every source had ended; until then it is not notified, so no task finishes early and
 * checkpoints keep covering everything two-phase-commit sinks wrote.
 *
 * All I/O goes through the interfaces of checkpoint-coordinator-types.ts. Directory deletion,
 * failure counting, completion notifications, the periodic timer, the one-at-a-time order
 * of triggers and the request sent to the sources live in their own modules beside this one.
 */
import { checkpointRequest } from './checkpoint-request.js';
import { describeError } from '../core/errors.js';
import type { CheckpointCoordinatorParams } from './checkpoint-coordinator-types.js';
import type { CheckpointMetadata, TaskCheckpointAck, TaskCheckpointDecline } from './checkpoint-types.js';
import { CheckpointDiscarder } from './checkpoint-discarder.js';
import { CheckpointError, CheckpointFailureCounter, FAILURE_MESSAGES } from './checkpoint-error.js';
import { CompletedCheckpointStore, type CompletedCheckpoint } from './completed-checkpoint-store.js';
import { notifyCompletedCheckpoint, type CheckpointNotifyContext } from './checkpoint-notifier.js';
import { PendingCheckpoint, type CheckpointFailureReason } from './pending-checkpoint.js';
import { PeriodicCheckpointTrigger } from './periodic-checkpoint-trigger.js';
import { sameTasks, type PendingCheckpointEntry as Entry } from './pending-checkpoint-entry.js';
import { CheckpointTriggerSequence } from './checkpoint-trigger-sequence.js';

export { CheckpointError } from './checkpoint-error.js';
export type { CheckpointCoordinatorParams } from './checkpoint-coordinator-types.js';

/** Coordinates the checkpoints and savepoints of one job. */
export class CheckpointCoordinator {
  private nextCheckpointId: number;
  private readonly pending = new Map<number, Entry>();
  private readonly store: CompletedCheckpointStore;
  private readonly maxConcurrent: number;
  private readonly failures: CheckpointFailureCounter;
  private lastCompletionTime = Number.NEGATIVE_INFINITY;
  /** The periodic checkpoint timer. */
  private readonly periodic: PeriodicCheckpointTrigger;
  private isShutdown = false;
  private latestSavepointCheckpoint: CompletedCheckpoint | undefined;
  /** Directory deletions: awaited before a new checkpoint directory is created and before the job's directory is cleaned up. */
  private readonly discarder: CheckpointDiscarder;
  /** Where completion notifications go (and when a final one stops being retried). */
  private readonly notifyContext: CheckpointNotifyContext;
  /** Completed checkpoints whose subsumed checkpoints are not being discarded yet. */
  private settling = 0;
  /** Triggers run one at a time, so ids reach the sources in order. */
  private readonly triggers = new CheckpointTriggerSequence();

  constructor(private readonly p: CheckpointCoordinatorParams) {
    this.nextCheckpointId = p.firstCheckpointId ?? 1;
    this.store = new CompletedCheckpointStore(p.numRetained, p.recoveredCheckpoints);
    // A min pause only makes sense between checkpoints that do not overlap.
    this.maxConcurrent = p.settings.minPauseMs > 0 ? 1 : Math.max(1, p.settings.maxConcurrent);
    this.failures = new CheckpointFailureCounter(p.settings.tolerableFailures, (cause) => p.listener.onTolerableFailuresExceeded(cause));
    this.discarder = new CheckpointDiscarder(this.store, p.storage, p.listener);
    this.periodic = new PeriodicCheckpointTrigger({
      settings: p.settings,
      scheduler: p.scheduler,
      maxConcurrent: this.maxConcurrent,
      // A completed checkpoint whose subsumed directories are not discarded yet still counts.
      // So does one still being triggered (its directory being created), or queued to be.
      inFlight: () => [...this.pending.values()].filter((e) => !e.pc.savepoint).length + this.settling + this.triggers.triggering,
      lastCompletionTime: () => this.lastCompletionTime,
      trigger: () =>
        void this.trigger(false, undefined).catch(() => {
          // Failures are counted and reported by abort(); periodic triggering goes on.
        }),
    });
    this.notifyContext = { gateway: p.gateway, scheduler: p.scheduler, listener: p.listener, isShutdown: () => this.isShutdown };
  }

  /** The newest retained completed checkpoint (what a failover restores from). */
  latestCompletedCheckpoint(): CompletedCheckpoint | undefined {
    return this.store.latest();
  }

  /** The newest completed savepoint of this run. */
  latestSavepoint(): CompletedCheckpoint | undefined {
    return this.latestSavepointCheckpoint;
  }

  /** Retained completed checkpoints, oldest first. */
  completedCheckpoints(): readonly CompletedCheckpoint[] {
    return this.store.all();
  }

  /** Ids of the checkpoints in flight, ascending. */
  pendingCheckpointIds(): number[] {
    return [...this.pending.keys()].sort((a, b) => a - b);
  }

  /** Consecutive failed checkpoints so far. */
  get numberOfConsecutiveFailures(): number {
    return this.failures.count;
  }

  /** True while periodic checkpoints are scheduled. */
  get isPeriodicCheckpointingStarted(): boolean {
    return this.periodic.isStarted;
  }

  /**
   * Starts periodic checkpoints (every task is RUNNING). No-op when the interval is 0. The first
   * one follows after `initialDelayMs` (default: one interval), and never earlier than the min
   * pause after the last completed checkpoint allows.
   */
  startCheckpointScheduler(initialDelayMs: number = this.p.settings.intervalMs): void {
    if (this.isShutdown || this.periodic.isStarted || this.p.settings.intervalMs <= 0) return;
    this.periodic.start(Math.max(0, initialDelayMs));
  }

  /** Stops periodic checkpoints; checkpoints in flight continue. */
  stopCheckpointScheduler(): void {
    this.periodic.stop();
  }

  /**
   * Brings the next periodic checkpoint forward to now (every source ended: the final checkpoint
   * of a bounded job). No-op unless periodic checkpoints run; a checkpoint in flight or the min
   * pause still delays it.
   */
  triggerPeriodicCheckpointNow(): void {
    if (!this.isShutdown) this.periodic.fireNow();
  }

  /** Triggers a checkpoint now (periodic or forced by a test); resolves once it completed. */
  triggerCheckpoint(): Promise<CompletedCheckpoint> {
    return this.trigger(false, undefined);
  }

  /**
   * Triggers a savepoint into `targetDir` (default `state.savepoints.dir`); resolves with it once
   * complete. With `stop` (stop-with-savepoint) periodic checkpoints stop first, and the sources
   * end their input once the savepoint completed; if it fails they go on and the caller may
   * restart the scheduler ({@link startCheckpointScheduler}).
   */
  triggerSavepoint(targetDir: string | undefined, options?: { stop?: boolean; drain?: boolean }): Promise<CompletedCheckpoint> {
    if (options?.stop) this.stopCheckpointScheduler();
    return this.trigger(true, targetDir, options?.stop === true, options?.drain === true);
  }

  /** A subtask acknowledged a checkpoint. */
  async receiveAcknowledge(ack: TaskCheckpointAck): Promise<void> {
    const entry = this.pending.get(ack.checkpointId);
    if (!entry) {
      this.p.listener.onWarning?.(`Received a late or unknown acknowledgement of checkpoint ${ack.checkpointId} from ${ack.vertexId} (${ack.subtaskIndex}) attempt ${ack.attempt}`);
      return;
    }
    const result = entry.pc.acknowledge(ack);
    if (result === 'UNKNOWN') {
      this.p.listener.onWarning?.(`Checkpoint ${ack.checkpointId} does not wait for ${ack.vertexId} (${ack.subtaskIndex}) attempt ${ack.attempt}`);
      return;
    }
    if (result !== 'SUCCESS') return;
    this.p.stats.reportAcknowledged(ack.checkpointId, this.p.scheduler.now(), ack.stats.stateSize, ack.stats.alignmentMs, ack);
    if (entry.pc.isFullyAcknowledged) await this.complete(entry);
  }

  /** A subtask could not take a checkpoint: it is aborted. */
  receiveDecline(decline: TaskCheckpointDecline): void {
    const { checkpointId, vertexId, subtaskIndex, attempt, reason } = decline;
    const entry = this.pending.get(checkpointId);
    if (!entry || entry.finalizing || !entry.pc.involves(vertexId, subtaskIndex, attempt)) return;
    this.abort(entry, 'CHECKPOINT_DECLINED', `Checkpoint ${checkpointId} was declined by subtask ${subtaskIndex} of vertex ${vertexId}: ${reason}`);
  }

  /**
   * Aborts every checkpoint in flight and stops periodic triggering (a failover or the job
   * leaving RUNNING). Not counted as failed checkpoints.
   */
  abortPendingCheckpoints(message: string): void {
    this.stopCheckpointScheduler();
    for (const entry of [...this.pending.values()]) this.abort(entry, 'TASK_FAILURE', message);
  }

  /** Stops for good: nothing is triggered any more, checkpoints in flight are aborted. */
  shutdown(): void {
    this.stopCheckpointScheduler();
    for (const entry of [...this.pending.values()]) this.abort(entry, 'CHECKPOINT_COORDINATOR_SHUTDOWN', FAILURE_MESSAGES.CHECKPOINT_COORDINATOR_SHUTDOWN);
    this.isShutdown = true;
  }

  /**
   * Drops the retained checkpoint `checkpointId` because restoring it failed on a damaged file:
   * later restores use the previous retained one. The store changes at once; the directory is
   * deleted in the background when `discard` (see {@link whenDiscarded}). Returns the dropped
   * checkpoint, or undefined when it is none of the retained ones.
   */
  dropCheckpoint(checkpointId: number, discard: boolean): CompletedCheckpoint | undefined {
    const dropped = this.store.remove(checkpointId);
    if (dropped && discard) void this.discarder.discard(dropped.externalPath);
    return dropped;
  }

  /** Resolves once every directory deletion started so far ended. */
  async whenDiscarded(): Promise<void> {
    await this.discarder.whenDiscarded();
  }

  /**
   * Deletes every retained checkpoint (a job cancelled with DELETE_ON_CANCELLATION, or finished),
   * then every other `chk-*` directory of the job (aborted ones, leftovers of stale attempts).
   */
  async discardCompletedCheckpoints(): Promise<void> {
    for (const cp of this.store.clear()) void this.discarder.discard(cp.externalPath);
    await this.collectOrphans(Number.MAX_SAFE_INTEGER);
  }

  /**
   * Deletes the job's `chk-*` directories up to `upTo` that are neither retained nor in flight
   * (aborted or declined checkpoints a late task wrote into, subsumed ones whose deletion failed,
   * leftovers of a crashed JobManager). Waits for deletions under way first.
   */
  async collectOrphans(upTo: number): Promise<void> {
    await this.discarder.collectOrphans(() => new Set([...this.store.all().map((c) => c.checkpointId), ...this.pending.keys()]), upTo);
  }

  private async trigger(savepoint: boolean, targetDir: string | undefined, stop = false, drain = false): Promise<CompletedCheckpoint> {
    let started: { done: Promise<CompletedCheckpoint> };
    try {
      started = await this.triggers.run(savepoint, () => this.triggerOne(savepoint, targetDir, stop, drain));
    } finally {
      // A periodic trigger queued behind this one goes on if this one never became pending.
      this.periodic.releaseQueued();
    }
    return started.done;
  }

  /** Draws the next id, creates the directory and asks the sources; `done` settles with the checkpoint. */
  private async triggerOne(savepoint: boolean, targetDir: string | undefined, stop: boolean, drain: boolean): Promise<{ done: Promise<CompletedCheckpoint> }> {
    const kind = savepoint ? 'Savepoint' : 'Checkpoint';
    if (this.isShutdown) throw new CheckpointError('TRIGGER_FAILURE', `${kind} triggering failed: the job is no longer running`);
    const tasks = this.p.gateway.runningTasks();
    if (!tasks) throw new CheckpointError('TRIGGER_FAILURE', `${kind} triggering failed: not all tasks of the job are running`);
    const checkpointId = this.nextCheckpointId++;
    const timestamp = this.p.scheduler.now();
    // Aborted and subsumed directories leave the job's chk-* before a new one is created.
    await this.whenDiscarded();
    let dir: string;
    try {
      dir = savepoint ? await this.p.storage.initSavepointDir(targetDir) : await this.p.storage.initCheckpointDir(checkpointId);
    } catch (err) {
      this.p.stats.reportPending(checkpointId, timestamp, savepoint);
      const message = `${kind} ${checkpointId} could not create its directory: ${describeError(err)}`;
      this.p.stats.reportFailed(checkpointId, this.p.scheduler.now(), message);
      if (!savepoint) this.failures.failed('IO_EXCEPTION', message);
      throw new CheckpointError('IO_EXCEPTION', message, { cause: err });
    }
    // The job may have left RUNNING (or restarted) while the directory was created.
    const now = this.p.gateway.runningTasks();
    if (this.isShutdown || !now || !sameTasks(now.all, tasks.all)) {
      await this.discarder.discard(dir);
      throw new CheckpointError('TRIGGER_FAILURE', `${kind} triggering failed: the job's tasks changed while it was triggered`);
    }
    const pc = new PendingCheckpoint(checkpointId, timestamp, savepoint, dir, tasks.all);
    const done = new Promise<CompletedCheckpoint>((resolve, reject) => {
      const cancelTimeout = this.p.scheduler.schedule(() => {
        const entry = this.pending.get(checkpointId);
        if (entry && !entry.finalizing) this.abort(entry, 'CHECKPOINT_EXPIRED', `${kind} ${checkpointId} expired before completing.`);
      }, this.p.settings.timeoutMs);
      this.pending.set(checkpointId, { pc, cancelTimeout, finalizing: false, resolve, reject, stop });
    });
    this.p.stats.reportPending(checkpointId, timestamp, savepoint);
    const request = checkpointRequest({ checkpointId, timestamp, savepoint, targetDir: dir, stop, drain }, this.p.settings);
    for (const source of tasks.sources) {
      this.p.gateway.triggerCheckpoint(source, request).catch((err: unknown) => {
        const entry = this.pending.get(checkpointId);
        if (entry && !entry.finalizing) {
          this.abort(entry, 'TRIGGER_FAILURE', `${kind} ${checkpointId} could not be triggered at subtask ${source.subtaskIndex} of vertex ${source.vertexId}: ${describeError(err)}`);
        }
      });
    }
    return { done };
  }

  private async complete(entry: Entry): Promise<void> {
    const { pc } = entry;
    entry.finalizing = true;
    entry.cancelTimeout();
    const metadata = pc.toMetadata(this.p.jobId, this.p.jobGraph);
    try {
      const write = this.p.storage.writeMetadata(pc.targetDir, metadata);
      entry.metadataWrite = write;
      await write;
    } catch (err) {
      entry.finalizing = false;
      if (this.pending.get(pc.checkpointId) === entry) {
        this.abort(entry, 'IO_EXCEPTION', `Could not write the _metadata of ${pc.savepoint ? 'savepoint' : 'checkpoint'} ${pc.checkpointId}: ${describeError(err)}`);
      } else {
        // Aborted while `_metadata` was written: abort() left the directory to us.
        await this.discarder.discard(pc.targetDir);
      }
      return;
    }
    if (this.pending.get(pc.checkpointId) !== entry) {
      // Aborted (failover, shutdown) while `_metadata` was written: it must not count as complete.
      await this.discarder.discard(pc.targetDir);
      return;
    }
    this.pending.delete(pc.checkpointId);
    pc.discard();
    let settled = pc.savepoint;
    if (!settled) this.settling++;
    const settle = (): void => {
      if (settled) return;
      settled = true;
      this.settling--;
    };
    try {
      await this.completed(entry, metadata, settle);
    } finally {
      settle();
    }
    this.periodic.releaseQueued();
    // Whatever else lies below this checkpoint and is neither retained nor in flight is garbage.
    if (!pc.savepoint) await this.collectOrphans(pc.checkpointId);
  }

  /** A checkpoint's `_metadata` is written: record it, discard what it subsumes, notify. */
  private async completed(entry: Entry, metadata: CheckpointMetadata, settle: () => void): Promise<void> {
    const { pc } = entry;
    const completionTimestamp = this.p.scheduler.now();
    const completed: CompletedCheckpoint = {
      checkpointId: pc.checkpointId,
      timestamp: pc.timestamp,
      completionTimestamp,
      savepoint: pc.savepoint,
      externalPath: pc.targetDir,
      metadata,
    };
    this.p.stats.reportCompleted(pc.checkpointId, completionTimestamp, pc.targetDir);
    let subsumed: CompletedCheckpoint[] = [];
    if (pc.savepoint) {
      this.latestSavepointCheckpoint = completed;
    } else {
      this.failures.reset();
      this.lastCompletionTime = completionTimestamp;
      subsumed = this.store.add(completed);
      // Older checkpoints in flight can never become the latest one.
      for (const older of [...this.pending.values()]) {
        if (!older.pc.savepoint && older.pc.checkpointId < pc.checkpointId && !older.finalizing) {
          this.abort(older, 'CHECKPOINT_SUBSUMED', `Checkpoint ${older.pc.checkpointId} has been subsumed by checkpoint ${pc.checkpointId}.`);
        }
      }
    }
    try {
      await this.p.listener.onCheckpointCompleted?.(completed, this.store.all());
    } catch (err) {
      this.p.listener.onWarning?.(`Recording completed checkpoint ${pc.checkpointId} failed: ${describeError(err)}`);
    }
    // Recorded as retained first (a recovered JobManager never names a deleted checkpoint),
    // then the subsumed ones leave the job's chk-* before another checkpoint can start.
    const discarded = subsumed.map((old) => this.discarder.discard(old.externalPath));
    settle();
    notifyCompletedCheckpoint(this.notifyContext, pc, entry.stop);
    entry.resolve(completed);
    await Promise.all(discarded);
  }

  private abort(entry: Entry, reason: CheckpointFailureReason, message: string): void {
    const { pc } = entry;
    if (this.pending.get(pc.checkpointId) !== entry) return;
    this.pending.delete(pc.checkpointId);
    pc.discard();
    entry.cancelTimeout();
    const now = this.p.scheduler.now();
    this.p.stats.reportFailed(pc.checkpointId, now, message);
    for (const t of this.p.gateway.runningTasks()?.all ?? []) {
      if (!pc.involves(t.vertexId, t.subtaskIndex, t.attempt)) continue;
      this.p.gateway.abortCheckpoint(t, pc.checkpointId).catch(() => {
        // The task may be gone already; it drops the checkpoint on its own then.
      });
    }
    // While `_metadata` is being written the directory is removed once the write returns (by
    // complete(), which awaited the write first); until then a new checkpoint waits for it.
    if (!entry.finalizing) void this.discarder.discard(pc.targetDir);
    else if (entry.metadataWrite) this.discarder.track(entry.metadataWrite.then(noop, noop));
    entry.reject(new CheckpointError(reason, message));
    if (!pc.savepoint) this.failures.failed(reason, message);
    this.periodic.releaseQueued();
  }
}

function noop(): void {}
