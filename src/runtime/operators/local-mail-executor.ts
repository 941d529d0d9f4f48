/**
 * A {@link MailboxExecutor} for an operator run outside a task (an operator test harness): mail
 * runs on the event loop, in order, one batch per turn; what a mail throws is kept and thrown
 * by the next {@link LocalMailExecutor.yieldUntil} (a task's mailbox would fail the task).
 */
import type { MailboxExecutor } from '../stream-operator.js';

/** Runs mail on the event loop. */
export class LocalMailExecutor implements MailboxExecutor {
  private queue: (() => void)[] = [];
  private scheduled = false;
  private failure: unknown;
  private wake: (() => void) | undefined;

  execute(mail: () => void): void {
    this.queue.push(mail);
    if (!this.scheduled) {
      this.scheduled = true;
      setImmediate(() => this.drain());
    }
    const w = this.wake;
    this.wake = undefined;
    w?.();
  }

  async yieldUntil(done: () => boolean): Promise<void> {
    for (;;) {
      this.drain();
      if (this.failure !== undefined) throw this.failure;
      if (this.queue.length > 0) continue;
      if (done()) return;
      await new Promise<void>((resolve) => (this.wake = resolve));
    }
  }

  /** The first failure of a mail so far, if any. */
  get firstFailure(): unknown {
    return this.failure;
  }

  private drain(): void {
    this.scheduled = false;
    const mails = this.queue;
    this.queue = [];
    for (const m of mails) {
      try {
        m();
      } catch (err) {
        this.failure ??= err;
      }
    }
  }
}
