/**
 * Time slices for long synchronous work on a daemon's event loop (restoring state): the work
 * checks {@link EventLoopSlices.due} every so many items and, once its slice is used up, awaits
 * {@link EventLoopSlices.next}, which lets timers and I/O run (heartbeats, RPCs) before it goes
 * on. Awaiting a promise that is already resolved would not: only a macrotask lets them in.
 */
import { performance } from 'node:perf_hooks';

/** Longest synchronous run of a restore loop between two turns of the event loop. */
export const RESTORE_SLICE_MS = 25;

/** Items a loop handles between two looks at the clock (a look costs far less than one item). */
export const ITEMS_PER_CLOCK_LOOK = 256;

/** The time slices of one piece of work. */
export class EventLoopSlices {
  private deadline: number;

  constructor(private readonly sliceMs = RESTORE_SLICE_MS) {
    this.deadline = performance.now() + sliceMs;
  }

  /** True once the current slice is used up. */
  get due(): boolean {
    return performance.now() >= this.deadline;
  }

  /** Yields to the event loop (timers and I/O run), then starts a new slice. */
  async next(): Promise<void> {
    await new Promise<void>((resolve) => setImmediate(resolve));
    this.deadline = performance.now() + this.sliceMs;
  }

  /** Yields when the slice is used up; resolves at once (no turn) otherwise. */
  async maybeNext(): Promise<void> {
    if (this.due) await this.next();
  }
}
