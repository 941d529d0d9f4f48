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
import { liveSplits, RateLimiter, type StridedSplit } from './rate-limiter.js';
import type { InputStatus, ReaderOutput, Source, SourceReader, SourceReaderContext } from '../common/source.js';
import { InvalidArgumentError } from '../core/errors.js';

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
    if (!(count >= 0)) throw new InvalidArgumentError(`DataGeneratorSource count must be >= 0, got ${count}`);
    const rate = options.ratePerSecond;
    if (rate !== undefined && !(rate > 0)) throw new InvalidArgumentError(`DataGeneratorSource ratePerSecond must be > 0, got ${rate}`);
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
export type GeneratorSplit = StridedSplit;

/**
 * Reads strided shares of the indices. Its position is the list of its splits (initially one:
 * `{ next: subtask, stride: parallelism }`), so a restore at another parallelism hands the
 * splits out round-robin and every index is generated exactly once overall.
 */
class DataGeneratorReader<T> implements SourceReader<T> {
  private splits: GeneratorSplit[];
  private readonly limiter: RateLimiter | undefined;

  constructor(
    private readonly fn: (index: number) => T,
    private readonly count: number,
    subtaskIndex: number,
    stride: number,
    ratePerSecond: number | undefined,
    private readonly poison: PoisonRecordHandler,
  ) {
    this.splits = subtaskIndex < count ? [{ next: subtaskIndex, stride }] : [];
    this.limiter = ratePerSecond === undefined ? undefined : new RateLimiter(ratePerSecond);
  }

  start(): void {
    this.limiter?.start();
  }

  pollNext(output: ReaderOutput<T>, maxRecords: number): InputStatus {
    if (this.splits.length === 0) return 'END_OF_INPUT';
    let budget = maxRecords;
    const limiter = this.limiter;
    if (limiter !== undefined) {
      const allowed = limiter.allowance();
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
        limiter?.record(1);
        continue;
      }
      output.collect(value);
      split.next += split.stride;
      limiter?.record(1);
    }
    while (this.splits.length > 0 && this.splits[0]!.next >= count) this.splits.shift();
    return this.splits.length === 0 ? 'END_OF_INPUT' : 'MORE_AVAILABLE';
  }

  /**
   * Rate-limited: the records due by now but not emitted yet (it fell behind its rate), at most
   * what is left. Otherwise the indices left below its count; unknown when it runs forever.
   */
  pendingRecords(): number | undefined {
    const count = this.count;
    const left = this.splits.reduce((n, s) => n + (s.next < count ? Math.ceil((count - s.next) / s.stride) : 0), 0);
    if (this.limiter) return Math.min(left, Math.max(0, this.limiter.allowance() - 1));
    return Number.isFinite(left) ? left : undefined;
  }

  isAvailable(): Promise<void> {
    return this.limiter === undefined ? Promise.resolve() : this.limiter.nextDue();
  }

  snapshotState(): GeneratorSplit[] {
    return liveSplits(this.splits, this.count);
  }

  restoreState(state: unknown): void {
    const splits = Array.isArray(state) ? (state as GeneratorSplit[]) : [{ next: (state as { next: number }).next, stride: this.splits[0]?.stride ?? 1 }];
    this.splits = liveSplits(splits, this.count);
  }

  close(): void {
    this.poison.flush();
  }
}
