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

/** Reads one strided share of the indices. */
class DataGeneratorReader<T> implements SourceReader<T> {
  private next: number;
  /** Records emitted since {@link startedAt}, for the rate limit. */
  private emittedSinceStart = 0;
  private startedAt = 0;

  constructor(
    private readonly fn: (index: number) => T,
    private readonly count: number,
    subtaskIndex: number,
    private readonly stride: number,
    private readonly ratePerSecond: number | undefined,
    private readonly poison: PoisonRecordHandler,
  ) {
    this.next = subtaskIndex;
  }

  start(): void {
    this.startedAt = Date.now();
  }

  pollNext(output: ReaderOutput<T>, maxRecords: number): InputStatus {
    if (this.next >= this.count) return 'END_OF_INPUT';
    let budget = maxRecords;
    if (this.ratePerSecond !== undefined) {
      const allowed = Math.floor(((Date.now() - this.startedAt) * this.ratePerSecond) / 1000) + 1 - this.emittedSinceStart;
      if (allowed <= 0) return 'NOTHING_AVAILABLE';
      budget = Math.min(budget, allowed);
    }
    const fn = this.fn;
    for (let i = 0; i < budget && this.next < this.count; i++) {
      const index = this.next;
      let value: T;
      try {
        value = fn(index);
      } catch (err) {
        // Under `fail` this throws and the position stays on the index; `skip` moves past it.
        this.poison.onPoison(err, `record of index ${index}`);
        this.next += this.stride;
        this.emittedSinceStart++;
        continue;
      }
      output.collect(value);
      this.next += this.stride;
      this.emittedSinceStart++;
    }
    return this.next >= this.count ? 'END_OF_INPUT' : 'MORE_AVAILABLE';
  }

  isAvailable(): Promise<void> {
    if (this.ratePerSecond === undefined) return Promise.resolve();
    // The instant the next record is due under the rate limit.
    const dueAt = this.startedAt + (this.emittedSinceStart * 1000) / this.ratePerSecond;
    const wait = Math.max(0, Math.ceil(dueAt - Date.now()));
    return new Promise((resolve) => setTimeout(resolve, wait));
  }

  snapshotState(): unknown {
    return { next: this.next };
  }

  restoreState(state: unknown): void {
    this.next = (state as { next: number }).next;
  }

  close(): void {
    this.poison.flush();
  }
}
