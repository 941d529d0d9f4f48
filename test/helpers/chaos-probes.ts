/**
 * Probes for chaos tests on a process cluster: how long the job takes to commit output again
 * after a fault, and how many `chk-*` directories exist while it runs. Both poll the file system
 * only, so they keep measuring while the JobManager itself is down.
 */
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';

/** The execution attempt in a committed FileSink part file name (`part-<job>-<attempt>-…`), or -1. */
export function attemptOfPartFile(name: string): number {
  const m = /^part-[0-9a-f]{8}-([0-9a-f]{4})-/.exec(name);
  return m ? parseInt(m[1]!, 16) : -1;
}

/** Committed (visible) part files of a FileSink output directory. */
export function committedPartFiles(dir: string): string[] {
  try {
    return readdirSync(dir).filter((f) => !f.startsWith('.'));
  } catch {
    return [];
  }
}

/** One measured recovery. */
export interface Recovery {
  kind: string;
  /** From the fault to the first committed file of a newer attempt; undefined while waiting. */
  ms: number | undefined;
}

/**
 * Measures recoveries: {@link fault} notes the time and the newest committed attempt; the
 * recovery ends when a part file of a newer attempt is committed (the restarted job ran, took a
 * checkpoint and committed it). Polls every `everyMs`.
 */
export class RecoveryClock {
  private readonly timer: NodeJS.Timeout;
  private newestAttempt = -1;
  private readonly open: { recovery: Recovery; start: number; above: number; resolve: () => void }[] = [];
  /** Every recovery measured, in fault order. */
  readonly recoveries: Recovery[] = [];

  constructor(private readonly outputDir: string, everyMs = 20) {
    this.timer = setInterval(() => this.poll(), everyMs);
  }

  /** A fault of `kind` happens now; resolves once the job committed output of a newer attempt. */
  fault(kind: string): Promise<Recovery> {
    this.poll();
    const recovery: Recovery = { kind, ms: undefined };
    this.recoveries.push(recovery);
    return new Promise((resolve) => {
      this.open.push({ recovery, start: performance.now(), above: this.newestAttempt, resolve: () => resolve(recovery) });
    });
  }

  /** The worst recovery per kind of fault (ms), and `undefined` for one that never ended. */
  worstByKind(): Record<string, number | undefined> {
    const worst: Record<string, number | undefined> = {};
    for (const r of this.recoveries) {
      if (!(r.kind in worst)) worst[r.kind] = r.ms;
      else if (worst[r.kind] !== undefined) worst[r.kind] = r.ms === undefined ? undefined : Math.max(worst[r.kind]!, r.ms);
    }
    return worst;
  }

  /** Stops polling. */
  stop(): void {
    clearInterval(this.timer);
  }

  private poll(): void {
    for (const f of committedPartFiles(this.outputDir)) this.newestAttempt = Math.max(this.newestAttempt, attemptOfPartFile(f));
    const now = performance.now();
    for (let i = this.open.length - 1; i >= 0; i--) {
      const o = this.open[i]!;
      if (this.newestAttempt <= o.above) continue;
      o.recovery.ms = Math.round(now - o.start);
      this.open.splice(i, 1);
      o.resolve();
    }
  }
}

/** `chk-<n>` directories of one job's checkpoint directory. */
export function checkpointDirectories(jobCheckpointDir: string): string[] {
  if (!existsSync(jobCheckpointDir)) return [];
  try {
    return readdirSync(jobCheckpointDir).filter((d) => /^chk-\d+$/.test(d));
  } catch {
    return [];
  }
}

/** Samples the number of `chk-*` directories of a job every `everyMs`; keeps the maximum seen. */
export class CheckpointDirectorySampler {
  private readonly timer: NodeJS.Timeout;
  /** The most `chk-*` directories seen at once, and which. */
  max: { count: number; dirs: string[] } = { count: 0, dirs: [] };
  samples = 0;

  constructor(private readonly jobCheckpointDir: string, everyMs = 100) {
    this.timer = setInterval(() => this.sample(), everyMs);
  }

  /** Takes one sample now. */
  sample(): number {
    const dirs = checkpointDirectories(join(this.jobCheckpointDir));
    this.samples++;
    if (dirs.length > this.max.count) this.max = { count: dirs.length, dirs };
    return dirs.length;
  }

  /** Stops sampling. */
  stop(): void {
    clearInterval(this.timer);
  }
}
