/**
 * A bounded source of the numbers `from..to` (inclusive), as Flink's `fromSequence`. Subtask
 * `i` of `p` reads a contiguous share; its position is the next number, so it is replayable.
 */
import type { InputStatus, ReaderOutput, Source, SourceReader, SourceReaderContext } from './source.js';

/** Emits `from, from + 1, …, to`, split into contiguous ranges across subtasks. */
export class SequenceSource implements Source<number> {
  readonly boundedness = 'BOUNDED' as const;
  readonly defaultName = 'Sequence Source';

  constructor(readonly from: number, readonly to: number) {
    if (!Number.isSafeInteger(from) || !Number.isSafeInteger(to)) throw new RangeError('fromSequence bounds must be safe integers');
    if (to < from) throw new RangeError(`fromSequence: to (${to}) is smaller than from (${from})`);
  }

  createReader(ctx: SourceReaderContext): SourceReader<number> {
    const total = this.to - this.from + 1;
    const start = this.from + Math.floor((total * ctx.subtaskIndex) / ctx.parallelism);
    const end = this.from + Math.floor((total * (ctx.subtaskIndex + 1)) / ctx.parallelism) - 1;
    return new SequenceSourceReader(start, end);
  }
}

/** Reads one contiguous range `[next, end]`. */
class SequenceSourceReader implements SourceReader<number> {
  constructor(private next: number, private readonly end: number) {}

  start(): void {}

  pollNext(output: ReaderOutput<number>, maxRecords: number): InputStatus {
    const stop = Math.min(this.end, this.next + maxRecords - 1);
    while (this.next <= stop) output.collect(this.next++);
    return this.next <= this.end ? 'MORE_AVAILABLE' : 'END_OF_INPUT';
  }

  isAvailable(): Promise<void> {
    return Promise.resolve();
  }

  snapshotState(): unknown {
    return { next: this.next };
  }

  restoreState(state: unknown): void {
    this.next = (state as { next: number }).next;
  }

  close(): void {}
}
