/**
 * Processing-time probes for the benchmark runner: the job's own runtime includes the final
 * checkpoint a bounded job waits for (up to one checkpoint interval after its input ended),
 * so the runner measures from the first event the source emitted to the last moment any
 * record left the source or reached the sink. Each probe writes `{ first, last, count }`
 * (epoch ms) into the timing directory when it closes.
 *
 * Clock reads are sampled every {@link SAMPLE} records, so a probe costs a counter increment
 * per record. While the job runs, a probe also rewrites its file every {@link FLUSH_MS}: the
 * runner's unbounded mode reads the source probes' counts at the start and end of its
 * measured window.
 */
import { renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { OpenContext, SinkContext } from 'fluss';

const SAMPLE = 256;
/** How often a running probe rewrites its file. */
const FLUSH_MS = 200;

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
  private file: string | undefined;
  private flushedAt = 0;

  constructor(
    private readonly dir: string | undefined,
    private readonly kind: string,
  ) {}

  open(ctx: OpenContext): void {
    this.subtask = ctx.subtaskIndex;
    if (this.dir) this.file = join(this.dir, `${this.kind}-${this.subtask}-${process.pid}-${Math.random().toString(36).slice(2)}.json`);
  }

  protected seen(): void {
    if (this.count++ % SAMPLE === 0) {
      const now = Date.now();
      if (this.first === 0) this.first = now;
      this.last = now;
      if (now - this.flushedAt >= FLUSH_MS) this.flush(now);
    }
  }

  private flush(now: number): void {
    if (!this.file) return;
    this.flushedAt = now;
    const times: ProbeTimes = { first: this.first, last: this.last, count: this.count };
    // Renamed into place: the runner never reads a half-written file.
    writeFileSync(`${this.file}.tmp`, JSON.stringify(times));
    renameSync(`${this.file}.tmp`, this.file);
  }

  close(): void {
    if (this.count > 0) this.flush(Date.now());
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
