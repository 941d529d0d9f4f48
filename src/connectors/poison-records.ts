/**
 * What a source does with a record its user-supplied decoding step cannot turn into a value
 * (a "poison record"): a line decoder of `FileSource.forLines(path, { decode })` or of a
 * `SocketTextSource`, or the function of a `DataGeneratorSource`, throwing.
 *
 * - `fail` (default, Flink's behaviour): the source fails, and with it the job (under its
 *   restart strategy), with a message naming the source and the record.
 * - `skip`: the record is dropped and counted in the source's `numRecordsDropped`; a warning
 *   goes to the log at most once per `pipeline.poison-records.log-interval` with the number
 *   dropped since the previous one. A skipped record never stops the job.
 *
 * The policy is chosen per source (`.withPoisonPolicy('skip')`, or the `poisonPolicy` option),
 * else by the cluster's `pipeline.poison-records.policy`, which the TaskManager installs with
 * {@link configurePoisonRecords} when it starts (TaskManagers in one process share it).
 */
import { brandErrorClass, describeError, FlussError, InvalidArgumentError } from '../core/errors.js';

/** `fail`: the source fails; `skip`: the record is dropped and counted. */
export type PoisonRecordPolicy = 'fail' | 'skip';

/** A record a source's decoding step could not decode, under the `fail` policy. */
export class PoisonRecordError extends FlussError {
  static {
    brandErrorClass(this, 'PoisonRecordError');
  }

  constructor(message: string, options?: { cause?: unknown }) {
    super('INVALID_ARGUMENT', message, options);
  }
}

/** Where skipped records are reported (a pino logger fits). */
export interface PoisonRecordLog {
  warn(fields: Record<string, unknown>, message: string): void;
}

interface Defaults {
  policy: PoisonRecordPolicy;
  logIntervalMs: number;
  log: PoisonRecordLog | undefined;
}

const defaults: Defaults = { policy: 'fail', logIntervalMs: 5_000, log: undefined };

/** Records dropped per source name, over the life of this process. */
const droppedBySource = new Map<string, number>();

/** Installs this process's defaults (the TaskManager does, from its configuration). */
export function configurePoisonRecords(options: { policy?: PoisonRecordPolicy; logIntervalMs?: number; log?: PoisonRecordLog }): void {
  if (options.policy !== undefined) defaults.policy = checkPoisonPolicy(options.policy);
  if (options.logIntervalMs !== undefined) defaults.logIntervalMs = options.logIntervalMs;
  if (options.log !== undefined) defaults.log = options.log;
}

/** Checks a policy given by a job (a typo must not silently mean `fail`). */
export function checkPoisonPolicy(policy: unknown): PoisonRecordPolicy {
  if (policy !== 'fail' && policy !== 'skip') throw new InvalidArgumentError(`poison record policy must be 'fail' or 'skip', got ${JSON.stringify(policy)}`);
  return policy;
}

/** `numRecordsDropped` of the sources named `sourceName` (all subtasks, this process). */
export function numRecordsDropped(sourceName: string): number {
  return droppedBySource.get(sourceName) ?? 0;
}

/** `numRecordsDropped` of every source that dropped records in this process. */
export function droppedRecordCounts(): ReadonlyMap<string, number> {
  return droppedBySource;
}

/** A record shown in messages: at most 120 characters. */
export function previewRecord(text: string): string {
  return JSON.stringify(text.length > 120 ? `${text.slice(0, 117)}...` : text);
}

/**
 * The poison-record handling of one source reader: created when the reader is, with the
 * source's own policy or the process default. Only the failure path does any work.
 */
export class PoisonRecordHandler {
  readonly policy: PoisonRecordPolicy;
  private dropped = 0;
  private sinceLastLog = 0;
  private lastLogAt = 0;
  private lastProblem = '';

  constructor(
    private readonly sourceName: string,
    policy: PoisonRecordPolicy | undefined,
  ) {
    this.policy = policy ?? defaults.policy;
  }

  /** Records this reader dropped. */
  get numRecordsDropped(): number {
    return this.dropped;
  }

  /**
   * The decoding step threw `err` on the record described by `where` (e.g. `line at byte 12
   * of /data/x.jsonl ("{oops")`): throws {@link PoisonRecordError} under `fail`, else counts it.
   */
  onPoison(err: unknown, where: string): void {
    const problem = `cannot decode the ${where}: ${describeError(err)}`;
    if (this.policy === 'fail') throw new PoisonRecordError(`${this.sourceName}: ${problem}`, { cause: err });
    this.dropped++;
    this.sinceLastLog++;
    this.lastProblem = problem;
    droppedBySource.set(this.sourceName, (droppedBySource.get(this.sourceName) ?? 0) + 1);
    const now = Date.now();
    if (now - this.lastLogAt >= defaults.logIntervalMs) this.report(now);
  }

  /** Logs what was dropped since the last line (the reader closes). */
  flush(): void {
    if (this.sinceLastLog > 0) this.report(Date.now());
  }

  private report(now: number): void {
    const count = this.sinceLastLog;
    this.sinceLastLog = 0;
    this.lastLogAt = now;
    defaults.log?.warn(
      { source: this.sourceName, dropped: count, numRecordsDropped: this.dropped, last: this.lastProblem },
      `${this.sourceName}: dropped ${count} poison record${count === 1 ? '' : 's'} since the last report (${this.dropped} in all); last: ${this.lastProblem}`,
    );
  }
}
