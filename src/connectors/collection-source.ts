/**
 * A bounded source over an in-memory list (`fromElements`, `fromCollection`). Runs with
 * parallelism 1; its position is one split, `[{ next }]` (the index of the next element), so it
 * is replayable.
 */
import type { InputStatus, ReaderOutput, Source, SourceReader, SourceReaderContext } from '../common/source.js';

/** Emits the given items in order, then ends. */
export class CollectionSource<T> implements Source<T> {
  readonly boundedness = 'BOUNDED' as const;
  readonly defaultName = 'Collection Source';
  readonly maxParallelism = 1;

  constructor(private readonly items: readonly T[]) {}

  /** Creates the reader of subtask 0 (every other subtask would read nothing). */
  createReader(ctx: SourceReaderContext): SourceReader<T> {
    return new CollectionSourceReader(ctx.subtaskIndex === 0 ? this.items : []);
  }
}

/** Reads a {@link CollectionSource}. */
class CollectionSourceReader<T> implements SourceReader<T> {
  private next = 0;

  constructor(private readonly items: readonly T[]) {}

  start(): void {}

  pollNext(output: ReaderOutput<T>, maxRecords: number): InputStatus {
    const end = Math.min(this.items.length, this.next + maxRecords);
    while (this.next < end) output.collect(this.items[this.next++] as T);
    return this.next < this.items.length ? 'MORE_AVAILABLE' : 'END_OF_INPUT';
  }

  /** The elements left. */
  pendingRecords(): number {
    return Math.max(0, this.items.length - this.next);
  }

  isAvailable(): Promise<void> {
    return Promise.resolve();
  }

  snapshotState(): { next: number }[] {
    return this.items.length === 0 ? [] : [{ next: this.next }];
  }

  restoreState(state: unknown): void {
    const splits = Array.isArray(state) ? (state as { next: number }[]) : [state as { next: number }];
    // No split: everything was read (or another subtask holds it).
    this.next = splits.length === 0 ? this.items.length : splits[0]!.next;
  }

  close(): void {}
}
