/**
 * A parallel, replayable Nexmark source. Subtask `i` of `p` generates the event numbers
 * `i, i + p, i + 2p, …` below the event count, so the subtasks share one event-time timeline
 * and stay close in event time. Records carry their event time as the record timestamp (a
 * watermark strategy needs no timestamp assigner).
 *
 * The position is a list of splits `{ next, stride }` in operator list state (as
 * DataGeneratorSource): a restore at another parallelism deals the splits out round-robin
 * and every event is still generated exactly once overall. A reader holding several splits
 * always emits the lowest pending event number next, so its timestamps never go backwards.
 */
import { liveSplits, RateLimiter, type StridedSplit } from '../rate-limiter.js';
import type { InputStatus, ReaderOutput, Source, SourceReader, SourceReaderContext } from '../../common/source.js';
import { nexmarkConfig, type NexmarkConfig, type NexmarkOptions } from './nexmark-config.js';
import type { NexmarkEvent } from './nexmark-events.js';
import { NexmarkGenerator } from './nexmark-generator.js';
import { InvalidArgumentError } from '../../core/errors.js';

/** Event numbers `next, next + stride, …` below the event count: one split of the position. */
export type NexmarkSplit = StridedSplit;

/** The Nexmark benchmark's event source (bounded by `events`; unthrottled unless `ratePerSecond`). */
export class NexmarkSource implements Source<NexmarkEvent> {
  readonly boundedness: 'BOUNDED' | 'CONTINUOUS_UNBOUNDED';
  readonly defaultName = 'Nexmark Source';
  readonly config: NexmarkConfig;

  constructor(options: NexmarkOptions = {}) {
    this.config = nexmarkConfig(options);
    this.boundedness = Number.isFinite(this.config.events) ? 'BOUNDED' : 'CONTINUOUS_UNBOUNDED';
  }

  createReader(ctx: SourceReaderContext): SourceReader<NexmarkEvent> {
    return new NexmarkSourceReader(this.config, ctx.subtaskIndex, ctx.parallelism);
  }
}

/** Reads one subtask's splits. */
export class NexmarkSourceReader implements SourceReader<NexmarkEvent> {
  private splits: NexmarkSplit[];
  private readonly generator: NexmarkGenerator;
  private readonly limiter: RateLimiter | undefined;

  constructor(
    private readonly config: NexmarkConfig,
    subtaskIndex: number,
    parallelism: number,
  ) {
    this.generator = new NexmarkGenerator(config);
    this.splits = subtaskIndex < config.events ? [{ next: subtaskIndex, stride: parallelism }] : [];
    this.limiter = config.ratePerSecond === undefined ? undefined : new RateLimiter(config.ratePerSecond / parallelism);
  }

  start(): void {
    this.limiter?.start();
  }

  pollNext(output: ReaderOutput<NexmarkEvent>, maxRecords: number): InputStatus {
    const count = this.config.events;
    let budget = maxRecords;
    const limiter = this.limiter;
    if (limiter !== undefined) {
      const allowed = limiter.allowance();
      if (allowed <= 0) return this.splits.length === 0 ? 'END_OF_INPUT' : 'NOTHING_AVAILABLE';
      budget = Math.min(budget, allowed);
    }
    const generator = this.generator;
    if (this.splits.length === 1) {
      // The common case: one strided split, a tight loop.
      const split = this.splits[0]!;
      let n = split.next;
      const stride = split.stride;
      const end = Math.min(count, n + budget * stride);
      for (; n < end; n += stride) {
        const event = generator.event(n);
        output.collect(event, event.dateTime);
      }
      limiter?.record((n - split.next) / stride);
      split.next = n;
      if (n >= count) this.splits = [];
    } else {
      for (let i = 0; i < budget && this.splits.length > 0; i++) {
        let lowest = this.splits[0]!;
        for (const s of this.splits) if (s.next < lowest.next) lowest = s;
        const n = lowest.next;
        const event = generator.event(n);
        output.collect(event, event.dateTime);
        lowest.next += lowest.stride;
        limiter?.record(1);
        if (lowest.next >= count) this.splits = this.splits.filter((s) => s.next < count);
      }
    }
    return this.splits.length === 0 ? 'END_OF_INPUT' : 'MORE_AVAILABLE';
  }

  isAvailable(): Promise<void> {
    return this.limiter === undefined ? Promise.resolve() : this.limiter.nextDue();
  }

  snapshotState(): NexmarkSplit[] {
    return liveSplits(this.splits, this.config.events);
  }

  restoreState(state: unknown): void {
    if (!Array.isArray(state)) throw new InvalidArgumentError(`Nexmark source: expected a list of splits to restore, got ${typeof state}`);
    this.splits = (state as NexmarkSplit[])
      .filter((s) => Number.isSafeInteger(s.next) && Number.isSafeInteger(s.stride) && s.stride > 0 && s.next < this.config.events)
      .map((s) => ({ next: s.next, stride: s.stride }));
  }

  close(): void {}
}
