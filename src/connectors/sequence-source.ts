/**
 * A bounded source of the numbers `from..to` (inclusive), as Flink's `fromSequence`. Subtask
 * `i` of `p` reads a contiguous share. Its position is the list of ranges it has left to read
 * (`[{ next, end }]`, one split per range), so it is replayable and, restored at another
 * parallelism, its ranges are redistributed without losing or repeating a number.
 */
import type { InputStatus, ReaderOutput, Source, SourceReader, SourceReaderContext } from '../common/source.js';
import { InvalidArgumentError } from '../core/errors.js';

/** Emits `from, from + 1, …, to`, split into contiguous ranges across subtasks. */
export class SequenceSource implements Source<number> {
  readonly boundedness = 'BOUNDED' as const;
  readonly defaultName = 'Sequence Source';

  constructor(readonly from: number, readonly to: number) {
    if (!Number.isSafeInteger(from) || !Number.isSafeInteger(to)) throw new InvalidArgumentError('fromSequence bounds must be safe integers');
    if (to < from) throw new InvalidArgumentError(`fromSequence: to (${to}) is smaller than from (${from})`);
  }

  createReader(ctx: SourceReaderContext): SourceReader<number> {
    const total = this.to - this.from + 1;
    const start = this.from + Math.floor((total * ctx.subtaskIndex) / ctx.parallelism);
    const end = this.from + Math.floor((total * (ctx.subtaskIndex + 1)) / ctx.parallelism) - 1;
    return new SequenceSourceReader(start <= end ? [{ next: start, end }] : []);
  }
}

/** A range of numbers still to read, `next..end` inclusive. */
export interface SequenceSplit {
  next: number;
  end: number;
}

/** Reads its ranges one after another. */
class SequenceSourceReader implements SourceReader<number> {
  constructor(private splits: SequenceSplit[]) {}

  start(): void {}

  pollNext(output: ReaderOutput<number>, maxRecords: number): InputStatus {
    let budget = maxRecords;
    while (budget > 0) {
      const split = this.splits[0];
      if (!split) return 'END_OF_INPUT';
      const stop = Math.min(split.end, split.next + budget - 1);
      while (split.next <= stop) {
        output.collect(split.next++);
        budget--;
      }
      if (split.next > split.end) this.splits.shift();
    }
    return this.splits.length > 0 ? 'MORE_AVAILABLE' : 'END_OF_INPUT';
  }

  /** The numbers left in its ranges. */
  pendingRecords(): number {
    return this.splits.reduce((n, s) => n + Math.max(0, s.end - s.next + 1), 0);
  }

  isAvailable(): Promise<void> {
    return Promise.resolve();
  }

  snapshotState(): SequenceSplit[] {
    return this.splits.map((s) => ({ next: s.next, end: s.end }));
  }

  restoreState(state: unknown): void {
    this.splits = (state as SequenceSplit[]).filter((s) => s.next <= s.end).map((s) => ({ next: s.next, end: s.end }));
  }

  close(): void {}
}
