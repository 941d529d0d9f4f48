/**
 * A task's mailbox (Flink's MailboxProcessor): one loop on the event loop that alternates
 * between queued mails and a default action. Mails (checkpoint triggers, notifications) run
 * between two slices of the default action, never inside one. The default action (reading
 * input) does one bounded slice per turn and then tells the loop whether to go on at once
 * (after yielding to the event loop, so network I/O, heartbeats and other tasks run), to wait
 * for something (input, output credit), or to stop. A wait ends early when mail arrives, when a
 * processing-time wake-up is due, or when the mailbox is canceled.
 *
 * The mailbox knows nothing of records, timers' owners or checkpoints: it only runs closures.
 */
import { performance } from 'node:perf_hooks';

/** Work run in the mailbox, between two slices of the default action. */
export type Mail = () => void | Promise<void>;

/** Thrown out of waits (and the loop) once the mailbox is canceled. */
export class MailboxCanceledSignal extends Error {}

/** How the default action steers the loop after a slice (Flink's MailboxDefaultAction.Controller). */
export interface MailboxController {
  /** The default action has no work left: the loop returns after this turn. */
  allActionsCompleted(): void;
  /**
   * Nothing to do until `ready` settles (`backPressured`: waiting for output rather than input).
   * The wait also ends when mail arrives or a wake-up is due.
   */
  suspendDefaultAction(ready: Promise<unknown>, backPressured: boolean): void;
}

/** The work a mailbox does when no mail waits: one bounded slice per call. */
export interface MailboxDefaultAction {
  /**
   * Runs one slice. Without a call on `controller` the loop yields to the event loop and calls
   * again; the returned promise (if any) is awaited once per slice, never per record.
   */
  runDefaultAction(controller: MailboxController): void | Promise<void>;
}

/** Told when the loop gives the event loop back (once per slice, never per record). */
export interface MailboxSuspensionListener {
  /** Before the loop yields or waits. */
  beforeSuspend(): void;
  /** After a wait, with its duration. */
  waited(millis: number, backPressured: boolean): void;
}

/**
 * A wait that never ends by itself (only mail, a wake-up or cancel end it). A fresh promise each
 * time: a shared one would keep every abandoned wait's reaction alive.
 */
export function untilWoken(): Promise<never> {
  return new Promise<never>(() => undefined);
}

/** Queue, wake-ups and run loop of one task. */
export class Mailbox implements MailboxController {
  private readonly queue: Mail[] = [];
  private canceled = false;
  /** A failure of work running outside the mailbox, raised by the loop at its next turn. */
  private failure: Error | undefined;
  /** Resolves the current wait early (mail, cancel, a due wake-up). */
  private wake: (() => void) | undefined;
  private timer: NodeJS.Timeout | undefined;
  private wakeUpAt = Number.POSITIVE_INFINITY;
  /** Steering of the current turn, set by the default action through the controller. */
  private completed = false;
  private suspendedOn: Promise<unknown> | undefined;
  private suspendedBackPressured = false;

  /**
   * @param clock wall clock of processing-time wake-ups
   * @param performanceNow monotonic clock timing waits (only read when a listener is set)
   */
  constructor(
    private readonly clock: () => number = Date.now,
    private readonly performanceNow: () => number = () => performance.now(),
  ) {}

  /** True when mail is waiting. */
  get hasMail(): boolean {
    return this.queue.length > 0;
  }

  /** True once {@link cancel} was called. */
  get isCanceled(): boolean {
    return this.canceled;
  }

  /** Queues `mail` and wakes the loop. */
  post(mail: Mail): void {
    this.queue.push(mail);
    this.signal();
  }

  /** Ends the current wait, if any. */
  signal(): void {
    const w = this.wake;
    this.wake = undefined;
    w?.();
  }

  /** Every wait from now on throws {@link MailboxCanceledSignal}. */
  cancel(): void {
    this.canceled = true;
    this.signal();
  }

  /** Records a failure of detached work; the loop throws it at its next turn. */
  fail(err: Error): void {
    this.failure ??= err;
    this.signal();
  }

  /** Throws when canceled or when detached work failed. */
  throwIfStopped(): void {
    if (this.canceled) throw new MailboxCanceledSignal();
    if (this.failure) throw this.failure;
  }

  /** Throws when canceled. */
  throwIfCanceled(): void {
    if (this.canceled) throw new MailboxCanceledSignal();
  }

  /** Throws the failure of detached work, if any. */
  throwIfFailed(): void {
    if (this.failure) throw this.failure;
  }

  /** Runs queued mail in order; an asynchronous mail is awaited (cancel ends the wait). */
  async processMail(): Promise<void> {
    while (this.queue.length > 0) {
      const r = this.queue.shift()!();
      if (r) await this.race(r);
    }
  }

  /** {@link MailboxExecutor.execute}: queues `mail`. */
  execute(mail: () => void): void {
    this.post(mail);
  }

  /**
   * Runs mail until `done()` holds, waiting for more in between (Flink's MailboxExecutor#yield):
   * an operator finishing waits here for its own work to come back. Throws when canceled.
   */
  async yieldUntil(done: () => boolean): Promise<void> {
    for (;;) {
      this.throwIfStopped();
      // Mail posted while the last batch ran (a promise settling in between) is served first.
      if (this.queue.length > 0) {
        await this.processMail();
        continue;
      }
      if (done()) return;
      await this.race(untilWoken(), true);
    }
  }

  /** Wakes the loop at wall-clock time `ts` (the earliest requested wins). */
  requestWakeUpAt(ts: number): void {
    if (ts >= this.wakeUpAt) return;
    this.stopWakeUp();
    this.wakeUpAt = ts;
    this.armWakeUp();
  }

  private armWakeUp(): void {
    this.timer = setTimeout(() => {
      this.timer = undefined;
      if (this.wakeUpAt === Number.POSITIVE_INFINITY) return;
      // Node's timers count from a loop time cached per turn, so one may fire before `wakeUpAt`
      // by the wall clock: `takeDueWakeUp` would then refuse it and no timer would be left.
      if (this.clock() < this.wakeUpAt) return this.armWakeUp();
      this.signal();
    }, Math.max(0, this.wakeUpAt - this.clock()));
  }

  /** True (once) when the requested wake-up time has come: the caller then does its work. */
  takeDueWakeUp(now: number): boolean {
    if (now < this.wakeUpAt) return false;
    this.wakeUpAt = Number.POSITIVE_INFINITY;
    return true;
  }

  /** Drops the pending wake-up timer (the task ends). */
  stopWakeUp(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
  }

  /**
   * Awaits `p`; throws when the mailbox is canceled meanwhile. With `wakeable`, also returns
   * (undefined) when woken (mail, a due wake-up), so the loop can serve it.
   */
  async race<T>(p: Promise<T>, wakeable = false): Promise<T | undefined> {
    const settled = p.then((v) => ({ v }));
    // A promise abandoned by cancel must not surface as an unhandled rejection.
    settled.catch(() => undefined);
    for (;;) {
      if (this.canceled) throw new MailboxCanceledSignal();
      const woken = new Promise<undefined>((resolve) => {
        this.wake = () => resolve(undefined);
      });
      const r = await Promise.race([settled, woken]);
      this.wake = undefined;
      if (this.canceled) throw new MailboxCanceledSignal();
      if (r) return r.v;
      if (wakeable) return undefined;
    }
  }

  /**
   * Runs mail and the default action in turns until the action completes. Throws when canceled
   * or when detached work failed.
   */
  async runMailboxLoop(action: MailboxDefaultAction, listener?: MailboxSuspensionListener): Promise<void> {
    for (;;) {
      this.throwIfStopped();
      if (this.queue.length > 0) await this.processMail();
      this.completed = false;
      this.suspendedOn = undefined;
      const r = action.runDefaultAction(this);
      if (r) await r;
      if (this.completed) return;
      const ready = this.suspendedOn;
      if (ready) {
        this.suspendedOn = undefined;
        // Mail or a wake-up that came meanwhile is served first.
        if (this.queue.length > 0 || this.clock() >= this.wakeUpAt) continue;
        await this.suspend(ready, this.suspendedBackPressured, listener);
      } else {
        listener?.beforeSuspend();
        await yieldToEventLoop();
      }
    }
  }

  /** {@inheritDoc MailboxController.allActionsCompleted} */
  allActionsCompleted(): void {
    this.completed = true;
  }

  /** {@inheritDoc MailboxController.suspendDefaultAction} */
  suspendDefaultAction(ready: Promise<unknown>, backPressured: boolean): void {
    this.suspendedOn = ready;
    this.suspendedBackPressured = backPressured;
  }

  /** Waits are timed only when someone listens; they are per slice, not per record. */
  private async suspend(ready: Promise<unknown>, backPressured: boolean, listener: MailboxSuspensionListener | undefined): Promise<void> {
    if (!listener) return void (await this.race(ready, true));
    listener.beforeSuspend();
    const t0 = this.performanceNow();
    try {
      await this.race(ready, true);
    } finally {
      listener.waited(this.performanceNow() - t0, backPressured);
    }
  }
}

/** Lets the event loop run everything else that is ready (I/O, other tasks) once. */
export function yieldToEventLoop(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}
