/**
 * The one owner of timer slicing in a task. Timer firing (event time when a watermark passes,
 * processing time when due) runs on the mailbox and is bounded by the same slice budget as
 * input: every {@link InternalTimerService} of the chain reads the {@link TimerFiringBudget}
 * owned here, which each slice moves to its deadline. A watermark whose timers take longer fires
 * them over several slices, and no new input is taken until all fired. Processing-time timers
 * fire at the start of a slice, never inside one: the chain asks for a wake-up, the mailbox
 * wakes the loop, and the next slice fires what is due.
 */
import { performance } from 'node:perf_hooks';
import type { ProcessingTimeService, TimerFiringBudget } from './internal-timer-service.js';
import { yieldToEventLoop, type Mailbox } from './mailbox.js';

/** Longest a slice runs before yielding, so network I/O, heartbeats and other tasks keep up with slow user code. */
export const SLICE_MILLIS = 10;

/** The timers of an operator chain, as the slicing drives them. */
export interface ChainTimers {
  /** True while some operator's timer firing stopped at the deadline and waits to go on. */
  hasPendingTimers(): boolean;
  /** Goes on firing pending event-time timers within the deadline; true when none is left. */
  resumeTimers(): boolean;
  /** Fires due processing-time timers of every operator. */
  fireProcessingTimers(now: number): void;
  /** Earliest pending processing-time timer. */
  nextProcessingTimer(): number | undefined;
  /** A load of timers from a state backend that firing waits for, if any (resolves once applied). */
  pendingTimerLoad(): Promise<void> | undefined;
}

/** Slices the timer firing of one task. */
export class TimerSlicing {
  /** Shared by every timer service of the chain: firing stops once `performance.now()` passed it. */
  readonly budget: TimerFiringBudget = { deadline: Number.POSITIVE_INFINITY };
  /** The chain's processing-time service: wall clock, and wake-ups through the mailbox. */
  readonly processingTimeService: ProcessingTimeService;
  private chain: ChainTimers | undefined;

  constructor(
    private readonly mailbox: Mailbox,
    private readonly clock: () => number = Date.now,
  ) {
    this.processingTimeService = { now: clock, requestWakeUp: (ts) => mailbox.requestWakeUpAt(ts) };
  }

  /** The chain whose timers are sliced (created with {@link budget} and {@link processingTimeService}). */
  bind(chain: ChainTimers): void {
    this.chain = chain;
  }

  /** Starts a slice ending at `deadline`: due processing-time timers fire now, within it. */
  beginSlice(deadline: number): void {
    this.budget.deadline = deadline;
    const chain = this.chain!;
    const now = this.clock();
    if (!this.mailbox.takeDueWakeUp(now)) return;
    chain.fireProcessingTimers(now);
    const next = chain.nextProcessingTimer();
    if (next !== undefined) this.mailbox.requestWakeUpAt(next);
  }

  /** True while timers of a watermark already handed over are still to fire. */
  hasPendingTimers(): boolean {
    return this.chain!.hasPendingTimers();
  }

  /**
   * Goes on firing pending timers within the current slice; true when some are still pending
   * after that (the slice ends, and no input is taken).
   */
  resumePending(): boolean {
    const chain = this.chain!;
    return chain.hasPendingTimers() && (!chain.resumeTimers() || chain.hasPendingTimers());
  }

  /**
   * What pending timers wait for, when it is a load of timers from the state backend rather
   * than the next slice: the task waits for it instead of spinning.
   */
  pendingLoad(): Promise<void> | undefined {
    return this.chain!.pendingTimerLoad();
  }

  /** Lifts the bound: finishing is one step, whatever timers it fires fire now. */
  unbounded(): void {
    this.budget.deadline = Number.POSITIVE_INFINITY;
  }

  /**
   * Fires every pending timer over as many slices as it takes, yielding between them (end of
   * input: nothing else is left to do, but network I/O and heartbeats must go on). `blocked`
   * names output that cannot take more now; firing waits for it.
   */
  async drain(blocked: () => { whenAvailable(): Promise<void> } | undefined): Promise<void> {
    const chain = this.chain!;
    while (chain.hasPendingTimers()) {
      this.mailbox.throwIfCanceled();
      const b = blocked();
      if (b) {
        await this.mailbox.race(b.whenAvailable());
        continue;
      }
      this.beginSlice(performance.now() + SLICE_MILLIS);
      chain.resumeTimers();
      if (!chain.hasPendingTimers()) break;
      const load = chain.pendingTimerLoad();
      if (load) await this.mailbox.race(load);
      else await yieldToEventLoop();
    }
  }
}
