/**
 * A binary min-heap of timers ordered by timestamp, then by registration order, so timers with
 * equal timestamps fire in the order they were registered; then by their order string (timer
 * queues that hold only a head of their timers give every timer the same sequence number and
 * order equal timestamps by key group, key and namespace instead, as their backend scans them).
 */

/** One registered timer. */
export interface Timer {
  readonly timestamp: number;
  readonly key: unknown;
  readonly keyGroup: number;
  readonly namespace: string | number;
  /** Registration sequence number (tie-breaker). */
  readonly seq: number;
  /** Second tie-breaker: the timer's order string (ordered-timer-store.ts), or '' when unused. */
  readonly order: string;
  /** Set when deleted; the heap drops it lazily. */
  cancelled: boolean;
}

/** Min-heap of {@link Timer}s. */
export class TimerHeap {
  private items: Timer[] = [];

  /** Number of timers held (cancelled ones included). */
  get length(): number {
    return this.items.length;
  }

  /** Removes every timer and returns them, in no particular order. */
  takeAll(): Timer[] {
    const all = this.items;
    this.items = [];
    return all;
  }

  /** Replaces the content by `sorted` (earliest first: a sorted array is a heap). */
  resetSorted(sorted: Timer[]): void {
    this.items = sorted;
  }

  /** The earliest timer (possibly cancelled), or undefined. */
  peek(): Timer | undefined {
    return this.items[0];
  }

  push(t: Timer): void {
    const a = this.items;
    // Sift up through a hole: parents move down, the new timer is written once.
    let i = a.length;
    a.push(t);
    while (i > 0) {
      const parent = (i - 1) >> 1;
      const p = a[parent]!;
      if (!before(t, p)) break;
      a[i] = p;
      i = parent;
    }
    a[i] = t;
  }

  pop(): Timer | undefined {
    const a = this.items;
    const top = a[0];
    const last = a.pop();
    const n = a.length;
    if (n > 0 && last) {
      // Sift down through a hole at the root: the smaller child moves up until `last` fits.
      let i = 0;
      for (;;) {
        const l = 2 * i + 1;
        if (l >= n) break;
        let m = l;
        let c = a[l]!;
        const r = l + 1;
        if (r < n && before(a[r]!, c)) {
          m = r;
          c = a[r]!;
        }
        if (!before(c, last)) break;
        a[i] = c;
        i = m;
      }
      a[i] = last;
    }
    return top;
  }
}

function before(a: Timer, b: Timer): boolean {
  return a.timestamp < b.timestamp || (a.timestamp === b.timestamp && (a.seq < b.seq || (a.seq === b.seq && a.order < b.order)));
}

/** Compares timers in heap order (for sorting). */
export function compareTimers(a: Timer, b: Timer): number {
  return before(a, b) ? -1 : before(b, a) ? 1 : 0;
}
