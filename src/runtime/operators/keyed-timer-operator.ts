/**
 * Common base of the keyed operators whose user function may have `onTimer` (keyedProcess,
 * keyedCoProcess, keyedBroadcastProcess): it registers the timer callback on open and runs
 * `onTimer` with the firing timer's key current. Records emitted from an event-time timer carry
 * the timer's timestamp; from a processing-time timer, none.
 */
import type { Collector } from '../../common/functions.js';
import { NO_TIMESTAMP } from '../../common/stream-element.js';
import type { FiredTimer } from '../../state/heap-timer-queue.js';
import { AbstractStreamOperator } from './abstract-stream-operator.js';

/** Base of the keyed operators that call the user function's `onTimer`; `C` is the context `onTimer` receives. */
export abstract class KeyedTimerOperator<C> extends AbstractStreamOperator {
  private readonly onTimerFn: ((ts: number, ctx: C, out: Collector<unknown>) => void) | undefined;
  /** Timestamp of the records emitted now: the record's, the event-time timer's, or none. */
  protected timestamp = 0;
  /** What `ctx.timestamp()` returns: the record's, or the firing timer's. */
  protected contextTimestamp = 0;
  /** Domain of the timer firing last (what `ctx.timeDomain()` returns). */
  protected domain: 'EVENT_TIME' | 'PROCESSING_TIME' = 'EVENT_TIME';
  /** Emits with {@link KeyedTimerOperator.timestamp}. */
  protected readonly collector: Collector<unknown> = { collect: (v) => this.output.collect(v, this.timestamp) };
  /** The context `onTimer` receives (the keyed side's). */
  protected abstract readonly keyedContext: C;

  constructor(name: string, userFunction: unknown, numberOfInputs = 1) {
    super(name, userFunction, numberOfInputs);
    const onTimer = (userFunction as { onTimer?: unknown } | null | undefined)?.onTimer;
    this.onTimerFn = typeof onTimer === 'function' ? onTimer.bind(userFunction) : undefined;
  }

  protected override onOpen(): void | Promise<void> {
    this.ctx.timerService!.setCallback((timer, domain) => this.onTimer(timer, domain));
  }

  private onTimer(timer: FiredTimer, domain: 'EVENT_TIME' | 'PROCESSING_TIME'): void {
    if (!this.onTimerFn) return;
    this.domain = domain;
    this.timestamp = domain === 'EVENT_TIME' ? timer.timestamp : NO_TIMESTAMP;
    this.contextTimestamp = timer.timestamp;
    try {
      this.onTimerFn(timer.timestamp, this.keyedContext, this.collector);
    } catch (err) {
      throw this.userError(err);
    }
  }

  fireProcessingTimers(now: number): void {
    this.ctx.timerService!.fireProcessingTimers(now);
  }
}
