/**
 * A source generating `fn(index)` for `index = 0 … count - 1` (or forever with
 * `count = Infinity`). Subtask `i` of `p` takes the indices `i, i + p, i + 2p, …`; its position
 * is its next index, so it is replayable. An optional rate limit (total across subtasks) is
 * enforced with a timer, never by spinning.
 *
 * A throwing `fn` is a poison record, handled by the source's policy (see poison-records.ts):
 * fail naming the source and the index, or skip the index and count it.
 */
import { checkPoisonPolicy, PoisonRecordHandler, type PoisonRecordPolicy } from './poison-records.js';
import type { InputStatus, ReaderOutput, Source, SourceReader, SourceReaderContext } from './source.js';

/** Options of a {@link DataGeneratorSource}. */
export interface DataGeneratorOptions {
  /** Records per second across all subtasks. */
  ratePerSecond?: number;
  /** What to do when `fn` throws; default `pipeline.poison-records.policy`. */
  poisonPolicy?: PoisonRecordPolicy;
}

/** Generates records from their index. */
export class DataGeneratorSource<T> implements Source<T> {
  readonly boundedness: 'BOUNDED' | 'CONTINUOUS_UNBOUNDED';
  readonly defaultName = 'Data Generator';

  constructor(
    private readonly fn: (index: number) => T,
    private readonly count: number,
    private readonly options: DataGeneratorOptions = {},
  ) {
    if (!(count >= 0)) throw new RangeError(`DataGeneratorSource count must be >= 0, got ${count}`);
    const rate = options.ratePerSecond;
    if (rate !== undefined && !(rate > 0)) throw new RangeError(`DataGeneratorSource ratePerSecond must be > 0, got ${rate}`);
    if (options.poisonPolicy !== undefined) checkPoisonPolicy(options.poisonPolicy);
    this.boundedness = count === Infinity ? 'CONTINUOUS_UNBOUNDED' : 'BOUNDED';
  }

  /** The same source with poison-record policy `policy` (`'fail'` or `'skip'`). */
  withPoisonPolicy(policy: PoisonRecordPolicy): DataGeneratorSource<T> {
    return new DataGeneratorSource<T>(this.fn, this.count, { ...this.options, poisonPolicy: checkPoisonPolicy(policy) });
  }

  createReader(ctx: SourceReaderContext): SourceReader<T> {
    const rate = this.options.ratePerSecond === undefined ? undefined : this.options.ratePerSecond / ctx.parallelism;
    const poison = new PoisonRecordHandler(ctx.sourceName, this.options.poisonPolicy);
    return new DataGeneratorReader(this.fn, this.count, ctx.subtaskIndex, ctx.parallelism, rate, poison);
  }
}

/** Indices `next, next + stride, …` below the source's count: one split of a generator's position. */
export interface GeneratorSplit {
  next: number;
  stride: number;
}

/**
 * Reads strided shares of the indices. Its position is the list of its splits (initially one:
 * `{ next: subtask, stride: parallelism }`), so a restore at another parallelism hands the
 * splits out round-robin and every index is generated exactly once overall.
 */
class DataGeneratorReader<T> implements SourceReader<T> {
  private splits: GeneratorSplit[];
  /** Records emitted since {@link startedAt}, for the rate limit. */
  private emittedSinceStart = 0;
  private startedAt = 0;

  constructor(
    private readonly fn: (index: number) => T,
    private readonly count: number,
    subtaskIndex: number,
    stride: number,
    private readonly ratePerSecond: number | undefined,
    private readonly poison: PoisonRecordHandler,
  ) {
    this.splits = subtaskIndex < count ? [{ next: subtaskIndex, stride }] : [];
  }

  start(): void {
    this.startedAt = Date.now();
  }

  pollNext(output: ReaderOutput<T>, maxRecords: number): InputStatus {
    if (this.splits.length === 0) return 'END_OF_INPUT';
    let budget = maxRecords;
    if (this.ratePerSecond !== undefined) {
      const allowed = Math.floor(((Date.now() - this.startedAt) * this.ratePerSecond) / 1000) + 1 - this.emittedSinceStart;
      if (allowed <= 0) return 'NOTHING_AVAILABLE';
      budget = Math.min(budget, allowed);
    }
    const fn = this.fn;
    const count = this.count;
    let split = this.splits[0]!;
    for (let i = 0; i < budget; i++) {
      if (split.next >= count) {
        this.splits.shift();
        if (this.splits.length === 0) break;
        split = this.splits[0]!;
        i--;
        continue;
      }
      const index = split.next;
      let value: T;
      try {
        value = fn(index);
      } catch (err) {
        // Under `fail` this throws and the position stays on the index; `skip` moves past it.
        this.poison.onPoison(err, `record of index ${index}`);
        split.next += split.stride;
        this.emittedSinceStart++;
        continue;
      }
      output.collect(value);
      split.next += split.stride;
      this.emittedSinceStart++;
    }
    while (this.splits.length > 0 && this.splits[0]!.next >= count) this.splits.shift();
    return this.splits.length === 0 ? 'END_OF_INPUT' : 'MORE_AVAILABLE';
  }

  isAvailable(): Promise<void> {
    if (this.ratePerSecond === undefined) return Promise.resolve();
    // The instant the next record is due under the rate limit.
    const dueAt = this.startedAt + (this.emittedSinceStart * 1000) / this.ratePerSecond;
    const wait = Math.max(0, Math.ceil(dueAt - Date.now()));
    return new Promise((resolve) => setTimeout(resolve, wait));
  }

  snapshotState(): GeneratorSplit[] {
    return this.splits.filter((s) => s.next < this.count).map((s) => ({ next: s.next, stride: s.stride }));
  }

  restoreState(state: unknown): void {
    const splits = Array.isArray(state) ? (state as GeneratorSplit[]) : [{ next: (state as { next: number }).next, stride: this.splits[0]?.stride ?? 1 }];
    this.splits = splits.filter((s) => s.next < this.count).map((s) => ({ next: s.next, stride: s.stride }));
  }

  close(): void {
    this.poison.flush();
  }
}
