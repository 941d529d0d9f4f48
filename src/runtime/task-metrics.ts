/**
 * What a task reports about itself (records in/out, busy/idle/back-pressured time, watermarks).
 * The runtime counts in plain fields on its hot path and hands deltas to a {@link TaskMetricsSink}
 * once per mailbox slice, never per record. The sink is implemented by the TaskManager's metric
 * group; the runtime only knows this interface.
 */

/** Per-operator metrics a task reports into. */
export interface OperatorMetricsSink {
  recordsIn(n: number): void;
  recordsOut(n: number): void;
  setInputWatermark(timestamp: number): void;
  /** A source operator's backlog (`pendingRecords`), when its reader knows it. */
  setPendingRecords?(n: number): void;
}

/** Per-task metrics a task reports into. */
export interface TaskMetricsSink {
  recordsIn(n: number): void;
  recordsOut(n: number): void;
  addBusyTime(ms: number): void;
  addIdleTime(ms: number): void;
  addBackPressuredTime(ms: number): void;
  setInputWatermark(timestamp: number): void;
  /** The metrics of operator `index` in chain order. */
  operator(index: number): OperatorMetricsSink;
  /** A restore with task-local recovery on used the local copy (`true`) or fell back to the checkpoint directory. */
  localRecovery?(usedLocalState: boolean): void;
}

/** Cumulative counters read from the running chain. */
export interface TaskCounters {
  /** Records taken from the input gates. */
  recordsIn(): number;
  /** Records handed to record writers. */
  recordsOut(): number;
  /** Per operator: records it emitted (main and side outputs). */
  operatorRecordsOut(index: number): number;
  /** Per operator: records it received. */
  operatorRecordsIn(index: number): number;
  inputWatermark(): number;
  operatorInputWatermark(index: number): number;
  /** Per operator: its backlog when it is a source whose reader knows it. */
  operatorPendingRecords?(index: number): number | undefined;
}

/**
 * Turns cumulative counters and wall-clock phases into deltas for a {@link TaskMetricsSink}.
 * Time is split into idle (waiting for input), back-pressured (waiting for output credit) and
 * busy (everything else).
 */
export class TaskMetricsReporting {
  private lastIn = 0;
  private lastOut = 0;
  private readonly lastOpIn: number[];
  private readonly lastOpOut: number[];
  private lastWatermark = Number.NEGATIVE_INFINITY;
  private periodStart: number;
  private waitingMs = 0;

  constructor(
    private readonly sink: TaskMetricsSink,
    private readonly counters: TaskCounters,
    private readonly numberOfOperators: number,
    private readonly now: () => number,
  ) {
    this.lastOpIn = new Array<number>(numberOfOperators).fill(0);
    this.lastOpOut = new Array<number>(numberOfOperators).fill(0);
    this.periodStart = now();
  }

  /** Records that the task waited `ms` for input (idle) or for output credit (back-pressured). */
  waited(ms: number, backPressured: boolean): void {
    this.waitingMs += ms;
    if (backPressured) this.sink.addBackPressuredTime(ms);
    else this.sink.addIdleTime(ms);
  }

  /** Pushes what changed since the last report. Called once per slice. */
  report(): void {
    const now = this.now();
    const busy = now - this.periodStart - this.waitingMs;
    if (busy > 0) this.sink.addBusyTime(busy);
    this.periodStart = now;
    this.waitingMs = 0;

    const c = this.counters;
    const inNow = c.recordsIn();
    if (inNow !== this.lastIn) this.sink.recordsIn(inNow - this.lastIn);
    this.lastIn = inNow;
    const outNow = c.recordsOut();
    if (outNow !== this.lastOut) this.sink.recordsOut(outNow - this.lastOut);
    this.lastOut = outNow;
    for (let i = 0; i < this.numberOfOperators; i++) {
      const op = this.sink.operator(i);
      const opIn = c.operatorRecordsIn(i);
      if (opIn !== this.lastOpIn[i]) op.recordsIn(opIn - this.lastOpIn[i]!);
      this.lastOpIn[i] = opIn;
      const opOut = c.operatorRecordsOut(i);
      if (opOut !== this.lastOpOut[i]) op.recordsOut(opOut - this.lastOpOut[i]!);
      this.lastOpOut[i] = opOut;
      const wm = c.operatorInputWatermark(i);
      if (Number.isFinite(wm)) op.setInputWatermark(wm);
      const pending = c.operatorPendingRecords?.(i);
      if (pending !== undefined) op.setPendingRecords?.(pending);
    }
    const wm = c.inputWatermark();
    if (wm !== this.lastWatermark && Number.isFinite(wm)) this.sink.setInputWatermark(wm);
    this.lastWatermark = wm;
  }
}
