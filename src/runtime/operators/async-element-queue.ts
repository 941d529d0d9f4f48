/**
 * The queues of the async operator (Flink's OrderedStreamElementQueue and
 * UnorderedStreamElementQueue): they hold the records whose requests are in flight (or done but
 * not emitted yet) and the watermarks between them, and emit as soon as the mode allows:
 *
 * - ordered: in input order; a completed record waits for every record before it;
 * - unordered: a completed record is emitted at once, but never across a watermark: the
 *   watermarks cut the input into segments, and a segment's records are emitted only once every
 *   record of the earlier segments was, its closing watermark right after them.
 *
 * Pure and synchronous: the operator tells it what completed, it calls the output. `size` counts
 * records and watermarks not emitted yet (Flink's capacity counts both).
 */

/** One record in the queue. */
export interface AsyncQueueEntry {
  readonly value: unknown;
  readonly timestamp: number;
  /** Set (with `results`) when the request completed. */
  done: boolean;
  results: readonly unknown[] | undefined;
  /** Bookkeeping of the unordered queue (the entry's segment); undefined outside it. */
  segment?: object | undefined;
}

/** Where a queue emits. */
export interface AsyncQueueOutput {
  /** The results of a completed entry. */
  emit(entry: AsyncQueueEntry): void;
  emitWatermark(timestamp: number): void;
}

/** What both queues offer. */
export interface StreamElementQueue {
  /** Records and watermarks not emitted yet. */
  readonly size: number;
  /** Adds a record whose request starts now. */
  add(entry: AsyncQueueEntry): void;
  /** Adds a watermark (emitted at once when nothing is queued before it). */
  addWatermark(timestamp: number): void;
  /** `entry` (already marked done) completed: emits whatever may go now. */
  completed(entry: AsyncQueueEntry): void;
  /** Records not emitted yet, in input order (a checkpoint re-issues them on restore). */
  pendingRecords(): AsyncQueueEntry[];
}

/** Ordered mode: a FIFO of records and watermarks; the head goes once it is done. */
export class OrderedElementQueue implements StreamElementQueue {
  /** Records, and watermarks as numbers (always done). */
  private items: (AsyncQueueEntry | number)[] = [];
  private head = 0;

  constructor(private readonly output: AsyncQueueOutput) {}

  get size(): number {
    return this.items.length - this.head;
  }

  add(entry: AsyncQueueEntry): void {
    this.items.push(entry);
  }

  addWatermark(timestamp: number): void {
    if (this.size === 0) return this.output.emitWatermark(timestamp);
    // Watermarks with no record between them: the later one stands for both.
    if (typeof this.items[this.items.length - 1] === 'number') this.items[this.items.length - 1] = timestamp;
    else this.items.push(timestamp);
  }

  completed(_entry: AsyncQueueEntry): void {
    const { items, output } = this;
    let h = this.head;
    while (h < items.length) {
      const item = items[h]!;
      if (typeof item === 'number') output.emitWatermark(item);
      else if (item.done) output.emit(item);
      else break;
      items[h++] = undefined as never;
    }
    // Compacted now and then, so the array does not grow with the records ever queued.
    if (h === items.length) {
      items.length = 0;
      h = 0;
    } else if (h > 1024 && h * 2 > items.length) {
      this.items = items.slice(h);
      h = 0;
    }
    this.head = h;
  }

  pendingRecords(): AsyncQueueEntry[] {
    const out: AsyncQueueEntry[] = [];
    for (let i = this.head; i < this.items.length; i++) {
      const item = this.items[i]!;
      if (typeof item !== 'number') out.push(item);
    }
    return out;
  }
}

/** The records between two watermarks, and the watermark closing them. */
interface Segment {
  /** Records not emitted yet, in input order. */
  readonly entries: Set<AsyncQueueEntry>;
  /** The watermark after these records; undefined while the segment is open. */
  watermark: number | undefined;
}

/** Unordered mode: completed records go at once within the first segment. */
export class UnorderedElementQueue implements StreamElementQueue {
  private readonly segments: Segment[] = [];
  private count = 0;

  constructor(private readonly output: AsyncQueueOutput) {}

  get size(): number {
    return this.count;
  }

  add(entry: AsyncQueueEntry): void {
    let last = this.segments[this.segments.length - 1];
    if (!last || last.watermark !== undefined) {
      last = { entries: new Set(), watermark: undefined };
      this.segments.push(last);
    }
    last.entries.add(entry);
    // On the entry rather than in a map: no lookup or map entry per record.
    entry.segment = last;
    this.count++;
  }

  addWatermark(timestamp: number): void {
    if (this.count === 0) return this.output.emitWatermark(timestamp);
    const last = this.segments[this.segments.length - 1]!;
    // Watermarks with no record between them: the later one stands for both.
    if (last.watermark === undefined) this.count++;
    last.watermark = timestamp;
  }

  completed(entry: AsyncQueueEntry): void {
    const segment = entry.segment as Segment | undefined;
    if (!segment || segment !== this.segments[0]) return;
    this.emitRecord(segment, entry);
    this.advance();
  }

  pendingRecords(): AsyncQueueEntry[] {
    const out: AsyncQueueEntry[] = [];
    for (const s of this.segments) for (const e of s.entries) out.push(e);
    return out;
  }

  private emitRecord(segment: Segment, entry: AsyncQueueEntry): void {
    segment.entries.delete(entry);
    entry.segment = undefined;
    this.count--;
    this.output.emit(entry);
  }

  /** Emits closed first segments whose records all went, and the done records of the next one. */
  private advance(): void {
    const segments = this.segments;
    for (;;) {
      const first = segments[0];
      if (!first || first.entries.size > 0 || first.watermark === undefined) return;
      segments.shift();
      this.count--;
      this.output.emitWatermark(first.watermark);
      const next = segments[0];
      if (!next) return;
      for (const e of [...next.entries]) if (e.done) this.emitRecord(next, e);
    }
  }
}
