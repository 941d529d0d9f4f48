/**
 * A binary min-heap of timers ordered by timestamp, then by registration order, so timers with
 * equal timestamps fire in the order they were registered.
 */

/** One registered timer. */
export interface Timer {
  readonly timestamp: number;
  readonly key: unknown;
  readonly keyGroup: number;
  readonly namespace: string | number;
  /** Registration sequence number (tie-breaker). */
  readonly seq: number;
  /** Set when deleted; the heap drops it lazily. */
  cancelled: boolean;
}

/** Min-heap of {@link Timer}s. */
export class TimerHeap {
  private readonly items: Timer[] = [];

  get size(): number {
    return this.items.length;
  }

  /** The earliest timer (possibly cancelled), or undefined. */
  peek(): Timer | undefined {
    return this.items[0];
  }

  push(t: Timer): void {
    const a = this.items;
    a.push(t);
    let i = a.length - 1;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (!before(a[i]!, a[parent]!)) break;
      [a[i], a[parent]] = [a[parent]!, a[i]!];
      i = parent;
    }
  }

  pop(): Timer | undefined {
    const a = this.items;
    const top = a[0];
    const last = a.pop();
    if (a.length > 0 && last) {
      a[0] = last;
      let i = 0;
      for (;;) {
        const l = 2 * i + 1;
        const r = l + 1;
        let m = i;
        if (l < a.length && before(a[l]!, a[m]!)) m = l;
        if (r < a.length && before(a[r]!, a[m]!)) m = r;
        if (m === i) break;
        [a[i], a[m]] = [a[m]!, a[i]!];
        i = m;
      }
    }
    return top;
  }

  /** Every live timer, in no particular order (snapshots). */
  *live(): Iterable<Timer> {
    for (const t of this.items) if (!t.cancelled) yield t;
  }
}

function before(a: Timer, b: Timer): boolean {
  return a.timestamp < b.timestamp || (a.timestamp === b.timestamp && a.seq < b.seq);
}
