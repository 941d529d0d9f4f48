/**
 * The async I/O operator (Flink's AsyncWaitOperator), kind `asyncWait`: per record it starts a
 * request of the user function and goes on with the next record; results come back through
 * the task's mailbox (never from a promise callback into the operator directly) and leave in
 * input order or as they arrive, never across a watermark ({@link StreamElementQueue}).
 *
 * - At most `capacity` requests (plus watermarks waiting between them) are in the queue; when
 *   it is full, records that still arrive (the rest of a batch) wait unstarted and the task
 *   stops taking input ({@link inputAvailability}), so backpressure reaches the sources.
 * - A request that takes longer than `timeoutMs` (0: no timeout; retries included) goes to the
 *   function's `timeout`, else fails the job naming the operator and the element. A rejected
 *   request fails it too, unless the retry strategy retries it (after its backoff).
 * - A checkpoint stores the records not emitted yet (in flight, done but held back, waiting) as
 *   operator list state; a restore starts their requests again: results exactly once, calls at
 *   least once. Split on rescale like any operator list state.
 * - `finish` serves the mailbox until every request completed.
 */
import type { AsyncRetryStrategy, AsyncWaitSettings, AsyncWaitSpec, ResultFuture } from '../../common/async-function.js';
import type { StateInitializationContext, StateSnapshotContext } from '../../common/checkpoint-hooks.js';
import type { ListState } from '../../common/runtime-context.js';
import { NO_TIMESTAMP } from '../../common/stream-element.js';
import { describeError, IOError, TimeoutError, UserCodeError } from '../../core/errors.js';
import type { InputAvailability, MailboxExecutor, OperatorContext, Output } from '../stream-operator.js';
import { AbstractStreamOperator } from './abstract-stream-operator.js';
import { OrderedElementQueue, UnorderedElementQueue, type AsyncQueueEntry, type StreamElementQueue } from './async-element-queue.js';
import { bindAsyncFunction, describeElement, stateLessRuntimeContext, type BoundAsyncFunction } from './async-invocation.js';
import { AsyncDeadlineQueue } from './async-deadline-queue.js';
import { LocalMailExecutor } from './local-mail-executor.js';

/** Name of the operator list state holding the records not emitted yet (Flink's). */
export const ASYNC_WAIT_STATE = '_async_wait_operator_state_';

/** A checkpointed record: value, and timestamp when it has one. */
interface StoredElement {
  v: unknown;
  t?: number;
}

/** One record and its request. */
class InFlight implements AsyncQueueEntry {
  done = false;
  results: readonly unknown[] | undefined = undefined;
  /** Attempts started so far; a completion of an earlier attempt is stale. */
  attempts = 0;
  timedOut = false;
  retryTimer: NodeJS.Timeout | undefined = undefined;
  /** Set by the unordered queue; declared so every entry has the same shape. */
  segment: object | undefined = undefined;

  constructor(
    readonly value: unknown,
    readonly timestamp: number,
  ) {}

  /** No timeout needed any more ({@link AsyncDeadlineQueue}). */
  get settled(): boolean {
    return this.done || this.timedOut;
  }
}

/** Kind `asyncWait`. */
export class AsyncWaitOperator extends AbstractStreamOperator {
  private readonly fn: BoundAsyncFunction;
  private readonly retry: AsyncRetryStrategy<unknown> | undefined;
  private readonly capacity: number;
  private readonly timeoutMs: number;
  private readonly ordered: boolean;
  private queue!: StreamElementQueue;
  private downstream!: Output;
  private mail!: MailboxExecutor;
  /**
   * Records that arrived while the queue was full, not started yet (at most the rest of one
   * batch), and the watermarks after them (numbers), which must not overtake them.
   */
  private waiting: (InFlight | number)[] = [];
  private waitingHead = 0;
  private state: ListState<StoredElement> | undefined;
  private restored: StoredElement[] = [];
  private closed = false;
  private availableWaiter: { promise: Promise<void>; resolve: () => void } | undefined;
  /** The timeouts, with one timer (undefined without a timeout). */
  private deadlines: AsyncDeadlineQueue<InFlight> | undefined;
  /**
   * Completions, timeouts and retries not handled yet, in arrival order: the first one posts a
   * mail that handles all that came meanwhile (one mail per burst, not per record).
   */
  private events: (() => void)[] = [];
  private eventsPosted = false;

  /** The task stops reading input while this says no. */
  readonly inputAvailability: InputAvailability = {
    isAvailable: () => this.waitingHead === this.waiting.length && this.queue.size < this.capacity,
    whenAvailable: () => {
      if (this.inputAvailability.isAvailable()) return Promise.resolve();
      if (!this.availableWaiter) {
        let resolve!: () => void;
        const promise = new Promise<void>((r) => (resolve = r));
        this.availableWaiter = { promise, resolve };
      }
      return this.availableWaiter.promise;
    },
  };

  constructor(name: string, spec: AsyncWaitSpec, settings: AsyncWaitSettings) {
    super(name, spec.function);
    this.fn = bindAsyncFunction(spec.function, name);
    this.retry = spec.retryStrategy;
    this.capacity = settings.capacity;
    this.timeoutMs = settings.timeoutMs;
    this.ordered = settings.mode === 'ordered';
  }

  override async open(ctx: OperatorContext): Promise<void> {
    this.mail = ctx.mailboxExecutor ?? new LocalMailExecutor();
    this.downstream = ctx.output;
    const queueOutput = {
      emit: (e: AsyncQueueEntry) => {
        for (const r of e.results!) this.downstream.collect(r, e.timestamp);
      },
      emitWatermark: (ts: number) => this.downstream.emitWatermark(ts),
    };
    this.queue = this.ordered ? new OrderedElementQueue(queueOutput) : new UnorderedElementQueue(queueOutput);
    if (this.timeoutMs > 0) {
      this.deadlines = new AsyncDeadlineQueue<InFlight>(this.timeoutMs, this.capacity, () => this.post(() => this.onDeadlines()));
    }
    // Watermarks go through the queue: behind the records before them, never overtaken.
    const output: Output = {
      collect: (v, ts) => this.downstream.collect(v, ts),
      collectSide: (tag, v, ts) => this.downstream.collectSide(tag, v, ts),
      emitWatermark: (ts) => {
        if (this.waitingHead < this.waiting.length) this.waiting.push(ts);
        else this.queue.addWatermark(ts);
      },
      emitWatermarkStatus: ctx.output.emitWatermarkStatus ? (idle) => this.downstream.emitWatermarkStatus!(idle) : undefined,
    };
    await super.open({ ...ctx, output, runtimeContext: stateLessRuntimeContext(ctx.runtimeContext, this.name) });
  }

  override async initializeState(ctx: StateInitializationContext): Promise<void> {
    await super.initializeState(ctx);
    this.state = ctx.getListState<StoredElement>(ASYNC_WAIT_STATE);
    if (ctx.isRestored) this.restored = [...this.state.get()];
  }

  /** Restored records start their requests again, once the function is open. */
  protected override onOpen(): void {
    const restored = this.restored;
    this.restored = [];
    for (const e of restored) this.processElement(e.v, e.t ?? NO_TIMESTAMP);
  }

  processElement(value: unknown, timestamp: number): void {
    const entry = new InFlight(value, timestamp);
    if (this.waitingHead < this.waiting.length || this.queue.size >= this.capacity) {
      this.waiting.push(entry);
      return;
    }
    this.start(entry);
  }

  override snapshotState(ctx: StateSnapshotContext): void | Promise<void> {
    const items: StoredElement[] = [];
    const add = (e: AsyncQueueEntry): void => {
      items.push(e.timestamp === NO_TIMESTAMP ? { v: e.value } : { v: e.value, t: e.timestamp });
    };
    for (const e of this.queue.pendingRecords()) add(e);
    for (let i = this.waitingHead; i < this.waiting.length; i++) {
      const w = this.waiting[i]!;
      if (typeof w !== 'number') add(w);
    }
    this.state!.update(items);
    return super.snapshotState(ctx);
  }

  /** Every request completes (served from the mailbox) before the operator finishes. */
  override async finish(): Promise<void> {
    await this.mail.yieldUntil(() => this.queue.size === 0 && this.waitingHead === this.waiting.length);
  }

  override async close(): Promise<void> {
    this.closed = true;
    // A canceled or failed task stops waiting: pending timers go, late completions are dropped.
    for (const e of this.queue?.pendingRecords() ?? []) clearRetryTimer(e as InFlight);
    this.deadlines?.clear();
    this.events = [];
    this.waiting = [];
    this.waitingHead = 0;
    this.availableWaiter?.resolve();
    await super.close();
  }

  private start(entry: InFlight): void {
    this.queue.add(entry);
    this.deadlines?.add(entry);
    this.attempt(entry);
  }

  private attempt(entry: InFlight): void {
    const n = ++entry.attempts;
    const future = this.resultFuture(entry, n);
    try {
      this.fn.invoke(entry.value, future);
    } catch (err) {
      future.completeExceptionally(err);
    }
  }

  /** The future of attempt `n`: its first completion comes back through the mailbox. */
  private resultFuture(entry: InFlight, n: number): ResultFuture<unknown> {
    let completed = false;
    return {
      complete: (results) => {
        if (completed) return;
        completed = true;
        const list = Array.isArray(results) ? results : Array.from(results);
        this.post(() => this.onResults(entry, n, list));
      },
      completeExceptionally: (error) => {
        if (completed) return;
        completed = true;
        this.post(() => this.onError(entry, n, error));
      },
    };
  }

  /** Queues `event` for the mailbox; only the first of a burst posts a mail. */
  private post(event: () => void): void {
    this.events.push(event);
    if (this.eventsPosted) return;
    this.eventsPosted = true;
    this.mail.execute(this.handleEvents);
  }

  /** The mail: handles the events in arrival order (a failure leaves the rest for the next mail). */
  private readonly handleEvents = (): void => {
    this.eventsPosted = false;
    const events = this.events;
    this.events = [];
    let i = 0;
    try {
      while (i < events.length) events[i++]!();
    } finally {
      if (i < events.length && !this.closed) {
        this.events = events.slice(i).concat(this.events);
        this.eventsPosted = true;
        this.mail.execute(this.handleEvents);
      }
    }
  };

  /** The deadline timer fired: every request due times out, oldest first. */
  private onDeadlines(): void {
    if (this.closed || !this.deadlines) return;
    for (const e of this.deadlines.takeDue()) this.onTimeout(e);
  }

  private isStale(entry: InFlight, n: number): boolean {
    return this.closed || entry.done || n !== entry.attempts;
  }

  private onResults(entry: InFlight, n: number, results: unknown[]): void {
    if (this.isStale(entry, n)) return;
    const predicate = this.retry?.getRetryPredicate().resultPredicate;
    if (predicate && !entry.timedOut && this.retryAllowed(entry, () => predicate(results))) return this.scheduleRetry(entry);
    this.complete(entry, results);
  }

  private onError(entry: InFlight, n: number, error: unknown): void {
    if (this.isStale(entry, n)) return;
    const predicate = this.retry?.getRetryPredicate().exceptionPredicate;
    if (predicate && !entry.timedOut && this.retryAllowed(entry, () => predicate(error))) return this.scheduleRetry(entry);
    clearRetryTimer(entry);
    throw new UserCodeError(this.name, new IOError(`async call for element ${describeElement(entry.value)} failed: ${describeError(error)}`, { cause: error }));
  }

  private retryAllowed(entry: InFlight, test: () => boolean): boolean {
    try {
      return test() && this.retry!.canRetry(entry.attempts);
    } catch (err) {
      throw this.userError(err);
    }
  }

  private scheduleRetry(entry: InFlight): void {
    const delay = Math.max(0, this.retry!.getBackoffTimeMillis(entry.attempts));
    entry.retryTimer = setTimeout(
      () =>
        this.post(() => {
          entry.retryTimer = undefined;
          if (!this.closed && !entry.done && !entry.timedOut) this.attempt(entry);
        }),
      delay,
    );
  }

  private onTimeout(entry: InFlight): void {
    if (this.closed || entry.done || entry.timedOut) return;
    entry.timedOut = true;
    if (entry.retryTimer) clearTimeout(entry.retryTimer);
    entry.retryTimer = undefined;
    if (this.fn.timeout) {
      // The function decides; its future competes with the request's own (the first wins).
      try {
        this.fn.timeout(entry.value, this.resultFuture(entry, entry.attempts));
      } catch (err) {
        throw this.userError(err);
      }
      return;
    }
    throw new UserCodeError(this.name, new TimeoutError(`async call for element ${describeElement(entry.value)} timed out after ${this.timeoutMs} ms`));
  }

  private complete(entry: InFlight, results: readonly unknown[]): void {
    clearRetryTimer(entry);
    entry.done = true;
    entry.results = results;
    this.queue.completed(entry);
    this.startWaiting();
  }

  /** Starts waiting records while there is room; wakes the task once it may read input again. */
  private startWaiting(): void {
    const waiting = this.waiting;
    while (this.waitingHead < waiting.length && this.queue.size < this.capacity) {
      const e = waiting[this.waitingHead]!;
      waiting[this.waitingHead++] = undefined as never;
      if (typeof e === 'number') this.queue.addWatermark(e);
      else this.start(e);
    }
    if (this.waitingHead === waiting.length && waiting.length > 0) {
      this.waiting = [];
      this.waitingHead = 0;
    }
    if (this.availableWaiter && this.inputAvailability.isAvailable()) {
      const w = this.availableWaiter;
      this.availableWaiter = undefined;
      w.resolve();
    }
  }
}

function clearRetryTimer(entry: InFlight): void {
  if (entry.retryTimer) clearTimeout(entry.retryTimer);
  entry.retryTimer = undefined;
}
