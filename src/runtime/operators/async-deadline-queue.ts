/**
 * The timeouts of the async operator with one timer instead of one per request: the timeout is
 * the same for every request and counts from its start (retries included), so requests time out
 * in start order and a FIFO of deadlines, with one timer armed for its head, replaces a
 * `setTimeout`/`clearTimeout` pair per record.
 *
 * Completed requests are not removed one by one: they leave when they reach the head, and the
 * FIFO is compacted when done entries pile up behind a slow one, so it holds at most about twice
 * the operator's capacity.
 */
import { performance } from 'node:perf_hooks';

/** What the queue needs of a request. */
export interface DeadlineEntry {
  /** True once the request no longer needs its timeout (completed, or already timed out). */
  readonly settled: boolean;
}

/** A FIFO of deadlines served by one timer. */
export class AsyncDeadlineQueue<E extends DeadlineEntry> {
  private entries: E[] = [];
  private deadlines: number[] = [];
  private head = 0;
  private timer: NodeJS.Timeout | undefined;
  private timerAt = Number.POSITIVE_INFINITY;

  /**
   * @param timeoutMs the timeout of every request (> 0)
   * @param maxLive at most this many entries are not settled at once (the operator's capacity)
   * @param onDue called from the timer (outside the mailbox) when deadlines are due: the owner
   *   then calls {@link takeDue} from its mailbox
   * @param now monotonic clock in milliseconds
   */
  constructor(
    private readonly timeoutMs: number,
    private readonly maxLive: number,
    private readonly onDue: () => void,
    private readonly now: () => number = () => performance.now(),
  ) {}

  /** Entries still held (settled ones included until they leave). */
  get size(): number {
    return this.entries.length - this.head;
  }

  /** `entry` starts now: its deadline is now + timeout. */
  add(entry: E): void {
    const deadline = this.now() + this.timeoutMs;
    this.entries.push(entry);
    this.deadlines.push(deadline);
    if (this.size > 2 * this.maxLive + 64) this.compact();
    if (this.timer === undefined) this.arm(deadline);
  }

  /** Removes and returns the unsettled entries whose deadline has come, oldest first; re-arms the timer. */
  takeDue(): E[] {
    const due: E[] = [];
    const t = this.now();
    const { entries, deadlines } = this;
    let h = this.head;
    while (h < entries.length && (entries[h]!.settled || deadlines[h]! <= t)) {
      const e = entries[h]!;
      if (!e.settled) due.push(e);
      entries[h] = undefined as never;
      h++;
    }
    this.head = h;
    if (h === entries.length) this.reset();
    else if (h > 1024 && h * 2 > entries.length) this.compact();
    this.timerAt = Number.POSITIVE_INFINITY;
    this.timer = undefined;
    if (this.size > 0) this.arm(this.deadlines[this.head]!);
    return due;
  }

  /** Drops every entry and the timer (the operator closes). */
  clear(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    this.timerAt = Number.POSITIVE_INFINITY;
    this.reset();
  }

  private arm(deadline: number): void {
    if (deadline >= this.timerAt) return;
    if (this.timer) clearTimeout(this.timer);
    this.timerAt = deadline;
    // The timer may fire a little before `deadline` on the monotonic clock: takeDue then finds
    // nothing due yet and arms again for the rest.
    this.timer = setTimeout(this.onDue, Math.max(1, Math.ceil(deadline - this.now())));
  }

  /** Keeps only the unsettled entries (in order). */
  private compact(): void {
    const entries: E[] = [];
    const deadlines: number[] = [];
    for (let i = this.head; i < this.entries.length; i++) {
      if (this.entries[i]!.settled) continue;
      entries.push(this.entries[i]!);
      deadlines.push(this.deadlines[i]!);
    }
    this.entries = entries;
    this.deadlines = deadlines;
    this.head = 0;
  }

  private reset(): void {
    this.entries = [];
    this.deadlines = [];
    this.head = 0;
  }
}
