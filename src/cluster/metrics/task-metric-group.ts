/**
 * Metrics of one running subtask and of each operator in its chain. The runtime Task calls
 * these once per processed batch or mailbox slice (never per record): each call is a few
 * arithmetic operations without allocation.
 *
 * What the Task calls, per mailbox slice:
 * - `recordsIn(n)`: records taken from its input gates (for a source: records its reader emitted);
 * - `recordsOut(n)`: records its chain handed to record writers or sinks;
 * - `addBusyTime(ms)`: time spent processing the slice;
 * - `addIdleTime(ms)`: time spent waiting for input (empty gates, source with nothing to read);
 * - `addBackPressuredTime(ms)`: time spent waiting for output credit;
 * - `setInputWatermark(ts)` when its combined input watermark advances;
 * - per operator, `operator(i).recordsIn(n)` / `.recordsOut(n)` / `.setInputWatermark(ts)`,
 *   with counts the chain accumulated in plain number fields during the slice.
 */
import { Meter } from './metric-types.js';
import { userMetricGroupsOf, type SubtaskMetricIdentity } from '../../common/metrics/user-metric-registry.js';
import { NO_WATERMARK, type OperatorMetricsSnapshot, type TaskMetricsSnapshot } from './task-metrics-snapshot.js';
import { InternalError } from '../../core/errors.js';
import type { JobSubtaskAttempt } from '../../common/subtask-attempt.js';

/** Identity of the subtask a group measures: its attempt, with names for the metric scope. */
export interface TaskMetricIdentity extends JobSubtaskAttempt {
  jobName: string;
  /** Vertex name, without the "(i/n)" suffix. */
  vertexName: string;
  parallelism: number;
  /** The chain's operators in chain order (index 0 is the head). */
  operators: readonly { operatorId: string; name: string }[];
}

/** Counters of one operator in a chain. */
export class OperatorMetricGroup {
  private readonly inMeter: Meter;
  private readonly outMeter: Meter;
  private watermark = NO_WATERMARK;
  private pending: number | undefined;

  constructor(
    readonly operatorId: string,
    readonly operatorName: string,
    clock: () => number,
  ) {
    this.inMeter = new Meter(clock);
    this.outMeter = new Meter(clock);
  }

  /** `n` records entered this operator. */
  recordsIn(n: number): void {
    this.inMeter.markEvent(n);
  }

  /** `n` records left this operator (main and side outputs). */
  recordsOut(n: number): void {
    this.outMeter.markEvent(n);
  }

  /** The operator's current input watermark (ms). */
  setInputWatermark(timestamp: number): void {
    this.watermark = timestamp;
  }

  /** A source operator's backlog, as its reader knows it. */
  setPendingRecords(n: number): void {
    this.pending = n;
  }

  /** Current values. */
  snapshot(): OperatorMetricsSnapshot {
    return {
      ...(this.pending !== undefined ? { pendingRecords: this.pending } : {}),
      operatorId: this.operatorId,
      operatorName: this.operatorName,
      numRecordsIn: this.inMeter.getCount(),
      numRecordsOut: this.outMeter.getCount(),
      numRecordsInPerSecond: this.inMeter.getRate(),
      numRecordsOutPerSecond: this.outMeter.getRate(),
      currentInputWatermark: this.watermark,
    };
  }
}

/**
 * Metrics of one subtask: records in (into the chain's head) and out (out of the chain, to the
 * network or sinks), where its time goes (busy processing, idle waiting for input,
 * back-pressured waiting for output credit), and its input watermark.
 */
export class TaskMetricGroup {
  private readonly inMeter: Meter;
  private readonly outMeter: Meter;
  private readonly busy: Meter;
  private readonly idle: Meter;
  private readonly backPressured: Meter;
  private readonly operatorGroups: OperatorMetricGroup[];
  private watermark = NO_WATERMARK;
  private closedFlag = false;
  private localHits = 0;
  private localMisses = 0;

  constructor(
    readonly identity: TaskMetricIdentity,
    clock: () => number = Date.now,
  ) {
    this.inMeter = new Meter(clock);
    this.outMeter = new Meter(clock);
    this.busy = new Meter(clock);
    this.idle = new Meter(clock);
    this.backPressured = new Meter(clock);
    this.operatorGroups = identity.operators.map((o) => new OperatorMetricGroup(o.operatorId, o.name, clock));
  }

  /** "Map (2/4)". */
  get taskName(): string {
    return `${this.identity.vertexName} (${this.identity.subtaskIndex + 1}/${this.identity.parallelism})`;
  }

  /** True once {@link close} was called. */
  get closed(): boolean {
    return this.closedFlag;
  }

  /** `n` records entered the task (after a batch was processed). */
  recordsIn(n: number): void {
    this.inMeter.markEvent(n);
  }

  /** `n` records left the task. */
  recordsOut(n: number): void {
    this.outMeter.markEvent(n);
  }

  /** `ms` spent processing (a mailbox slice). */
  addBusyTime(ms: number): void {
    this.busy.markEvent(ms);
  }

  /** `ms` spent waiting for input. */
  addIdleTime(ms: number): void {
    this.idle.markEvent(ms);
  }

  /** `ms` spent waiting for output credit (backpressure). */
  addBackPressuredTime(ms: number): void {
    this.backPressured.markEvent(ms);
  }

  /** The task's current input watermark (ms). */
  setInputWatermark(timestamp: number): void {
    this.watermark = timestamp;
  }

  /** A restore with task-local recovery on read the local copy, or fell back to the checkpoint. */
  localRecovery(usedLocalState: boolean): void {
    if (usedLocalState) this.localHits++;
    else this.localMisses++;
  }

  /** The group of operator `index` in chain order (0 = head). */
  operator(index: number): OperatorMetricGroup {
    const g = this.operatorGroups[index];
    if (!g) throw new InternalError(`operator index ${index} is outside the chain of ${this.operatorGroups.length} operators`);
    return g;
  }

  /** All operator groups in chain order. */
  get operators(): readonly OperatorMetricGroup[] {
    return this.operatorGroups;
  }

  /** The task ended: its values are reported once more, then dropped. */
  close(): void {
    this.closedFlag = true;
  }

  /** Who the runtime registers this subtask's user metric groups as. */
  get subtaskIdentity(): SubtaskMetricIdentity {
    const id = this.identity;
    return { jobId: id.jobId, taskName: id.vertexName, subtaskIndex: id.subtaskIndex, attempt: id.attempt };
  }

  /**
   * Operator values with the metrics their functions registered. Groups are found by operator
   * name; when two operators of a chain share a name, the first one carries the group.
   */
  private operatorSnapshots(): OperatorMetricsSnapshot[] {
    const user = userMetricGroupsOf(this.subtaskIdentity);
    const claimed = new Set<string>();
    return this.operatorGroups.map((o) => {
      const snap = o.snapshot();
      const group = user.get(o.operatorName);
      if (group && !claimed.has(o.operatorName)) {
        claimed.add(o.operatorName);
        snap.userMetrics = group.collect().filter((m) => Number.isFinite(m.value));
      }
      return snap;
    });
  }

  /** Current values. Time rates are capped at 1000 ms/s (a slice can straddle a second). */
  snapshot(): TaskMetricsSnapshot {
    const id = this.identity;
    return {
      jobId: id.jobId,
      jobName: id.jobName,
      vertexId: id.vertexId,
      taskName: this.taskName,
      subtaskIndex: id.subtaskIndex,
      attempt: id.attempt,
      numRecordsIn: this.inMeter.getCount(),
      numRecordsOut: this.outMeter.getCount(),
      numRecordsInPerSecond: this.inMeter.getRate(),
      numRecordsOutPerSecond: this.outMeter.getRate(),
      currentInputWatermark: this.watermark,
      busyTimeMsPerSecond: Math.min(1000, this.busy.getRate()),
      idleTimeMsPerSecond: Math.min(1000, this.idle.getRate()),
      backPressuredTimeMsPerSecond: Math.min(1000, this.backPressured.getRate()),
      localRecoveryHits: this.localHits,
      localRecoveryMisses: this.localMisses,
      operators: this.operatorSnapshots(),
      closed: this.closedFlag,
    };
  }
}
