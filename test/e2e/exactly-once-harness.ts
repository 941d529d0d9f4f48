/**
 * Shared pieces of the exactly-once end-to-end tests: a process cluster whose JobManager and
 * TaskManagers can be killed with SIGKILL and replaced, the sequence-checking job, and the
 * verification of the committed FileSink output.
 */
import { mkdirSync, mkdtempSync, readFileSync, readdirSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { assertBuilt, type Daemon, freePort, runCli, startDaemon, waitFor } from '../helpers/process-cluster.js';

/**
 * The job: a rate-limited generator of (key, seq) pairs, keyed by key, a KeyedProcessFunction
 * keeping the last seq per key in ValueState (emitting an ALERT line on any gap or repeat), and
 * the exactly-once FileSink. Arguments: output dir, records, keys, rate per second, checkpoint
 * interval ms, parallelism, delay per record in ms (0: none), restart delay ms.
 */
export const SEQUENCE_JOB = `
import {
  defineJob, DataGeneratorSource, FileSink, KeyedProcessFunction, RestartStrategies,
  ValueStateDescriptor, WatermarkStrategy, type Collector, type KeyedProcessContext, type ValueState,
} from 'fluss';

interface Rec { k: number; s: number }

class SequenceCheck extends KeyedProcessFunction<number, Rec, string> {
  private last!: ValueState<number>;
  constructor(private readonly delayMs: number) { super(); }
  override open(): void {
    this.last = this.getRuntimeContext().getState(new ValueStateDescriptor<number>('last', -1));
  }
  processElement(r: Rec, _ctx: KeyedProcessContext<number>, out: Collector<string>): void {
    if (this.delayMs > 0) {
      const until = Date.now() + this.delayMs;
      while (Date.now() < until) { /* a slow pipeline end */ }
    }
    const last = this.last.value() ?? -1;
    if (r.s !== last + 1) out.collect('ALERT ' + r.k + ' ' + r.s + ' after ' + last);
    this.last.update(r.s);
    out.collect(r.k + ' ' + r.s);
  }
}

export default defineJob((env, [output, n, k, rate, interval, parallelism, delay, restartDelay]) => {
  const N = Number(n), K = Number(k), P = Number(parallelism);
  env.enableCheckpointing(Number(interval));
  env.setRestartStrategy(RestartStrategies.fixedDelay(100, Number(restartDelay)));
  env
    .fromSource(
      new DataGeneratorSource((i: number): Rec => ({ k: i % K, s: Math.floor(i / K) }), N, { ratePerSecond: Number(rate) }),
      WatermarkStrategy.noWatermarks(),
      'sequence generator',
    )
    .setParallelism(P)
    .keyBy((r: Rec) => r.k)
    .process(new SequenceCheck(Number(delay)))
    .name('sequence check')
    .setParallelism(P)
    .sinkTo(FileSink.forRowFormat<string>(output))
    .name('file sink')
    .setParallelism(P);
});
`;

/** Parameters of one run of {@link SEQUENCE_JOB}. */
export interface SequenceJobParams {
  records: number;
  /** A multiple of the parallelism, so each key comes from one source subtask (order is kept per key). */
  keys: number;
  ratePerSecond: number;
  checkpointIntervalMs: number;
  parallelism: number;
  sinkDelayMs?: number;
  /** Delay of the fixed-delay restart strategy (default 100 ms). */
  restartDelayMs?: number;
  /** More `fluss run` flags (e.g. `--restoreFromEmptyOnDamage`). */
  runFlags?: string[];
  /** Another job with the same arguments and output (default {@link SEQUENCE_JOB}). */
  jobSource?: string;
  /** Arguments after the restart delay, for such a job. */
  extraArgs?: string[];
}

/** A JobManager and TaskManagers as processes that a test may kill and replace. */
export class KillableCluster {
  readonly workDir = mkdtempSync(join(tmpdir(), 'fluss-eo-'));
  readonly checkpointsDir = join(this.workDir, 'checkpoints');
  readonly outputDir = join(this.workDir, 'out');
  jobManager!: Daemon;
  readonly taskManagers: Daemon[] = [];
  /** Every daemon ever started, for logs and cleanup. */
  private readonly all: Daemon[] = [];
  private args: string[] = [];
  address = '';
  restPort = 0;

  constructor(private readonly options: { taskManagers: number; slots: number; extra?: string[] }) {}

  /** Starts the JobManager and the TaskManagers; resolves once all registered. */
  async start(): Promise<void> {
    assertBuilt();
    mkdirSync(this.outputDir, { recursive: true });
    const port = await freePort();
    this.restPort = await freePort();
    this.address = `127.0.0.1:${port}`;
    this.args = [
      '-D', `jobmanager.rpc.port=${port}`,
      '-D', 'jobmanager.rpc.address=127.0.0.1',
      '-D', `rest.port=${this.restPort}`,
      '-D', `io.tmp.dirs=${join(this.workDir, 'tmp')}`,
      '-D', `state.checkpoints.dir=${this.checkpointsDir}`,
      '-D', `high-availability.storageDir=${join(this.workDir, 'ha')}`,
      '-D', 'heartbeat.interval=300 ms',
      '-D', 'heartbeat.timeout=2 s',
      '-D', 'taskmanager.registration.max-backoff=500 ms',
      ...(this.options.extra ?? []),
    ];
    this.startJobManager();
    for (let i = 0; i < this.options.taskManagers; i++) this.startTaskManager();
    await this.waitForRegistrations(this.options.taskManagers);
  }

  /** Starts a (new) JobManager process with the cluster's configuration. */
  startJobManager(): Daemon {
    this.jobManager = startDaemon(['jobmanager', ...this.args]);
    this.all.push(this.jobManager);
    return this.jobManager;
  }

  /** Starts one more TaskManager process. */
  startTaskManager(): Daemon {
    const tm = startDaemon(['taskmanager', ...this.args, '-D', `taskmanager.numberOfTaskSlots=${this.options.slots}`]);
    this.taskManagers.push(tm);
    this.all.push(tm);
    return tm;
  }

  /** Resolves once the current JobManager saw `n` TaskManager registrations. */
  async waitForRegistrations(n: number, timeoutMs = 30_000): Promise<void> {
    const jm = this.jobManager;
    await waitFor(`${n} TaskManagers to register`, () => (jm.stderr().match(/TaskManager registered/g) ?? []).length >= n, timeoutMs);
  }

  /** SIGKILLs TaskManager `index` (of the live ones) and starts a fresh one in its place. */
  async replaceTaskManager(index: number): Promise<void> {
    const [victim] = this.taskManagers.splice(index, 1);
    await victim!.kill('SIGKILL');
    this.startTaskManager();
  }

  /** Writes the job file and submits it detached; resolves with the job id. */
  async submit(params: SequenceJobParams): Promise<string> {
    const jobFile = join(this.workDir, 'sequence-job.ts');
    writeFileSync(jobFile, params.jobSource ?? SEQUENCE_JOB);
    const r = await runCli([
      'run', '-d', '-m', this.address, ...(params.runFlags ?? []), jobFile, this.outputDir,
      String(params.records), String(params.keys), String(params.ratePerSecond),
      String(params.checkpointIntervalMs), String(params.parallelism), String(params.sinkDelayMs ?? 0),
      String(params.restartDelayMs ?? 100), ...(params.extraArgs ?? []),
    ]);
    if (r.code !== 0) throw new Error(`submission failed (${r.code}): ${r.stderr}`);
    return /JobID ([0-9a-f]{32})/.exec(r.stdout)![1]!;
  }

  /** Cancels the job through the REST API (`PATCH /jobs/:jid?mode=cancel`). */
  async cancel(jobId: string): Promise<void> {
    const res = await fetch(`http://127.0.0.1:${this.restPort}/jobs/${jobId}?mode=cancel`, { method: 'PATCH' });
    if (!res.ok) throw new Error(`cancelling ${jobId} failed: ${res.status} ${await res.text()}`);
  }

  /** GET on the REST API; undefined while the JobManager does not answer. */
  async rest<T>(path: string): Promise<T | undefined> {
    try {
      const res = await fetch(`http://127.0.0.1:${this.restPort}${path}`);
      if (!res.ok) return undefined;
      return (await res.json()) as T;
    } catch {
      return undefined;
    }
  }

  /** The job's state as the REST API reports it. */
  async jobState(jobId: string): Promise<string | undefined> {
    return (await this.rest<{ state: string }>(`/jobs/${jobId}`))?.state;
  }

  /** Waits until the job reached `state`; fails early on a terminal state other than it. */
  async waitForJobState(jobId: string, state: string, timeoutMs = 45_000): Promise<void> {
    await waitFor(`job ${jobId} to be ${state}`, async () => {
      const s = await this.jobState(jobId);
      if (s && s !== state && (s === 'FAILED' || s === 'CANCELED' || s === 'FINISHED')) {
        throw new FatalState(`job ended ${s}, expected ${state}\n${this.logs()}`);
      }
      return s === state;
    }, timeoutMs, 200).catch((e: Error) => {
      throw new Error(`${e.message}\n${this.logs()}`);
    });
  }

  /** Completed checkpoint ids of the job, from the `chk-<n>/_metadata` files. */
  completedCheckpoints(jobId: string): number[] {
    const dir = join(this.checkpointsDir, jobId);
    if (!existsSync(dir)) return [];
    return readdirSync(dir)
      .filter((d) => /^chk-\d+$/.test(d) && existsSync(join(dir, d, '_metadata')))
      .map((d) => Number(d.slice(4)))
      .sort((a, b) => a - b);
  }

  /** The tail of the JobManager's log (for failure messages). */
  logs(chars = 4000): string {
    return `work dir ${this.workDir}\nJobManager log:\n${this.jobManager?.stderr().slice(-chars) ?? ''}`;
  }

  /** Kills every process this cluster started. */
  async stop(): Promise<void> {
    await Promise.all(this.all.map((d) => d.kill('SIGKILL')));
    // Logs stay beside the output for a look after a failure.
    this.all.forEach((d, i) => writeFileSync(join(this.workDir, `daemon-${i}.log`), d.stderr()));
  }
}

/** A terminal state other than the awaited one. */
class FatalState extends Error {}

/** Sleeps `ms`. */
export function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

/** A random delay in [min, max). */
export function randomBetween(min: number, max: number): number {
  return min + Math.floor(Math.random() * (max - min));
}

/** What the committed output holds. */
export interface OutputCheck {
  records: number;
  duplicates: string[];
  gaps: string[];
  outOfOrder: string[];
  alerts: string[];
  committedFiles: number;
}

/**
 * Reads the committed part files (names not starting with '.') of `dir` in commit order per
 * sink subtask — `part-<job 8 hex>-<attempt 4 hex>-…-<subtask>-<n>`: by attempt, then part
 * index — and checks that every (key, seq) appears once, seqs per key are 0..max in order, and
 * no ALERT line was written.
 */
export function checkOutput(dir: string, expectedRecords: number, keys: number): OutputCheck {
  const files = readdirSync(dir)
    .filter((f) => !f.startsWith('.'))
    .map((f) => {
      const m = /^part-[0-9a-f]{8}-([0-9a-f]{4})-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}-(\d+)-(\d+)$/.exec(f);
      if (!m) throw new Error(`unexpected file in the sink directory: ${f}`);
      return { f, attempt: parseInt(m[1]!, 16), subtask: Number(m[2]), part: Number(m[3]) };
    })
    .sort((a, b) => a.subtask - b.subtask || a.attempt - b.attempt || a.part - b.part);
  const seen = new Set<string>();
  const next = new Map<number, number>();
  const result: OutputCheck = { records: 0, duplicates: [], gaps: [], outOfOrder: [], alerts: [], committedFiles: files.length };
  for (const { f } of files) {
    for (const line of readFileSync(join(dir, f), 'utf8').split('\n')) {
      if (!line) continue;
      if (line.startsWith('ALERT')) {
        result.alerts.push(`${line} (in ${f})`);
        continue;
      }
      const [k, s] = line.split(' ').map(Number) as [number, number];
      const id = `${k}/${s}`;
      if (seen.has(id)) {
        result.duplicates.push(`${id} (in ${f})`);
        continue;
      }
      seen.add(id);
      result.records++;
      const expected = next.get(k) ?? 0;
      if (s !== expected) result.outOfOrder.push(`key ${k}: ${s} where ${expected} was next (in ${f})`);
      next.set(k, Math.max(expected, s + 1));
    }
  }
  // Completeness: with `expectedRecords` generated, key k holds seqs 0 .. ceil((N - k) / K) - 1.
  for (let k = 0; k < keys; k++) {
    const count = Math.ceil((expectedRecords - k) / keys);
    for (let s = 0; s < count; s++) if (!seen.has(`${k}/${s}`)) result.gaps.push(`${k}/${s}`);
  }
  return result;
}

/** A short summary of an {@link OutputCheck} for assertion messages. */
export function describeCheck(c: OutputCheck): string {
  return `records ${c.records}, files ${c.committedFiles}, duplicates ${c.duplicates.length} ${c.duplicates.slice(0, 5).join(', ')}; ` +
    `gaps ${c.gaps.length} ${c.gaps.slice(0, 5).join(', ')}; out of order ${c.outOfOrder.length} ${c.outOfOrder.slice(0, 5).join(', ')}; ` +
    `alerts ${c.alerts.length} ${c.alerts.slice(0, 5).join(', ')}`;
}
