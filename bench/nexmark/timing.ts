/**
 * Processing-time probes for the benchmark runner: the job's own runtime includes the final
 * checkpoint a bounded job waits for (up to one checkpoint interval after its input ended),
 * so the runner measures from the first event the source emitted to the last moment any
 * record left the source or reached the sink. Each probe writes `{ first, last, count }`
 * (epoch ms) into the timing directory when it closes.
 *
 * Clock reads are sampled every {@link SAMPLE} records, so a probe costs a counter increment
 * per record.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { OpenContext, SinkContext } from 'fluss';

const SAMPLE = 256;

/** What a probe saw. */
export interface ProbeTimes {
  first: number;
  last: number;
  count: number;
}

/** Records first/last times of the records passing by; writes them on close. */
class Probe {
  private first = 0;
  private last = 0;
  private count = 0;
  private subtask = 0;

  constructor(
    private readonly dir: string | undefined,
    private readonly kind: string,
  ) {}

  open(ctx: OpenContext): void {
    this.subtask = ctx.subtaskIndex;
  }

  protected seen(): void {
    if (this.count++ % SAMPLE === 0) {
      const now = Date.now();
      if (this.first === 0) this.first = now;
      this.last = now;
    }
  }

  close(): void {
    if (!this.dir || this.count === 0) return;
    const times: ProbeTimes = { first: this.first, last: this.last, count: this.count };
    writeFileSync(join(this.dir, `${this.kind}-${this.subtask}-${process.pid}-${Math.random().toString(36).slice(2)}.json`), JSON.stringify(times));
  }
}

/** A pass-through filter after the source. */
export class SourceProbe<T> extends Probe {
  constructor(dir: string | undefined) {
    super(dir, 'source');
  }

  filter(_value: T): boolean {
    this.seen();
    return true;
  }
}

/** A sink that discards its records and records when they came. */
export class DiscardingProbeSink<T> extends Probe {
  constructor(dir: string | undefined) {
    super(dir, 'sink');
  }

  invoke(_value: T, _ctx: SinkContext): void {
    this.seen();
  }
}
