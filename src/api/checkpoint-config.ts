/**
 * Checkpointing options of a job (Flink's CheckpointConfig). Values are recorded into the
 * JobGraph's `settings.checkpoint`.
 */
import { JobBuildError } from '../core/errors.js';
import type { CheckpointSettings } from '../common/job-graph.js';
import { FileSystemCheckpointStorage } from './state-backends.js';

/** Consistency guarantee of checkpoints. */
export type CheckpointingMode = 'EXACTLY_ONCE' | 'AT_LEAST_ONCE';

/** `CheckpointingMode.EXACTLY_ONCE`, as Flink users write it. */
export const CheckpointingMode = {
  EXACTLY_ONCE: 'EXACTLY_ONCE',
  AT_LEAST_ONCE: 'AT_LEAST_ONCE',
} as const satisfies Record<CheckpointingMode, CheckpointingMode>;

/** What happens to the latest checkpoint when the job is cancelled. */
export type ExternalizedCheckpointRetention = 'RETAIN_ON_CANCELLATION' | 'DELETE_ON_CANCELLATION';

/** `ExternalizedCheckpointRetention.RETAIN_ON_CANCELLATION`, as Flink users write it. */
export const ExternalizedCheckpointRetention = {
  RETAIN_ON_CANCELLATION: 'RETAIN_ON_CANCELLATION',
  DELETE_ON_CANCELLATION: 'DELETE_ON_CANCELLATION',
} as const satisfies Record<ExternalizedCheckpointRetention, ExternalizedCheckpointRetention>;

/** Flink ≤ 1.19's name of {@link ExternalizedCheckpointRetention} (`ExternalizedCheckpointCleanup.RETAIN_ON_CANCELLATION`). */
export const ExternalizedCheckpointCleanup = ExternalizedCheckpointRetention;
/** Flink ≤ 1.19's name of {@link ExternalizedCheckpointRetention}. */
export type ExternalizedCheckpointCleanup = ExternalizedCheckpointRetention;

/** Flink's default checkpoint timeout: 10 minutes. */
export const DEFAULT_CHECKPOINT_TIMEOUT_MS = 10 * 60_000;

function nonNegative(what: string, n: number): number {
  if (!Number.isFinite(n) || n < 0) throw new JobBuildError(`${what} must be a non-negative number of milliseconds, got ${n}`);
  return n;
}

/** Checkpointing options; obtained from `env.getCheckpointConfig()`. */
export class CheckpointConfig {
  private storage: FileSystemCheckpointStorage | undefined;
  private readonly settings: CheckpointSettings = {
    intervalMs: 0,
    mode: 'EXACTLY_ONCE',
    timeoutMs: DEFAULT_CHECKPOINT_TIMEOUT_MS,
    minPauseMs: 0,
    maxConcurrent: 1,
    tolerableFailures: 0,
    retention: 'DELETE_ON_CANCELLATION',
  };

  /** Sets the interval between checkpoints; 0 disables checkpointing. */
  setCheckpointInterval(intervalMs: number): this {
    this.settings.intervalMs = nonNegative('checkpoint interval', intervalMs);
    return this;
  }

  /** The interval between checkpoints in ms (0: disabled). */
  getCheckpointInterval(): number {
    return this.settings.intervalMs;
  }

  /** True when checkpoints are taken periodically. */
  isCheckpointingEnabled(): boolean {
    return this.settings.intervalMs > 0;
  }

  /** Exactly-once (aligned barriers) or at-least-once (no alignment). */
  setCheckpointingMode(mode: CheckpointingMode): this {
    if (mode !== 'EXACTLY_ONCE' && mode !== 'AT_LEAST_ONCE') {
      throw new JobBuildError(`checkpointing mode must be EXACTLY_ONCE or AT_LEAST_ONCE, got ${String(mode)}`);
    }
    this.settings.mode = mode;
    return this;
  }

  /** The checkpointing mode. */
  getCheckpointingMode(): CheckpointingMode {
    return this.settings.mode;
  }

  /** A checkpoint not completed within `timeoutMs` is discarded. */
  setCheckpointTimeout(timeoutMs: number): this {
    if (!(timeoutMs > 0)) throw new JobBuildError(`checkpoint timeout must be positive, got ${timeoutMs}`);
    this.settings.timeoutMs = timeoutMs;
    return this;
  }

  /** The checkpoint timeout in ms. */
  getCheckpointTimeout(): number {
    return this.settings.timeoutMs;
  }

  /** The least pause between checkpoints in ms. */
  getMinPauseBetweenCheckpoints(): number {
    return this.settings.minPauseMs;
  }

  /** How many checkpoints may be in flight at once. */
  getMaxConcurrentCheckpoints(): number {
    return this.settings.maxConcurrent;
  }

  /** How many consecutive checkpoint failures the job tolerates. */
  getTolerableCheckpointFailureNumber(): number {
    return this.settings.tolerableFailures;
  }

  /** Whether the latest checkpoint survives cancelling the job. */
  getExternalizedCheckpointRetention(): ExternalizedCheckpointRetention {
    return this.settings.retention;
  }

  /** Flink ≤ 1.19's name of {@link setExternalizedCheckpointRetention}. */
  setExternalizedCheckpointCleanup(cleanup: ExternalizedCheckpointRetention): this {
    return this.setExternalizedCheckpointRetention(cleanup);
  }

  /** Flink's deprecated form of {@link setExternalizedCheckpointRetention}. */
  enableExternalizedCheckpoints(cleanup: ExternalizedCheckpointRetention): this {
    return this.setExternalizedCheckpointRetention(cleanup);
  }

  /** Least time between the end of one checkpoint and the start of the next. */
  setMinPauseBetweenCheckpoints(pauseMs: number): this {
    this.settings.minPauseMs = nonNegative('min pause between checkpoints', pauseMs);
    return this;
  }

  /** How many checkpoints may be in flight at once. */
  setMaxConcurrentCheckpoints(n: number): this {
    if (!Number.isInteger(n) || n < 1) throw new JobBuildError(`max concurrent checkpoints must be a positive integer, got ${n}`);
    this.settings.maxConcurrent = n;
    return this;
  }

  /** How many consecutive checkpoint failures the job tolerates before failing. */
  setTolerableCheckpointFailureNumber(n: number): this {
    if (!Number.isInteger(n) || n < 0) throw new JobBuildError(`tolerable checkpoint failures must be a non-negative integer, got ${n}`);
    this.settings.tolerableFailures = n;
    return this;
  }

  /** Whether the latest checkpoint survives cancelling the job. */
  setExternalizedCheckpointRetention(retention: ExternalizedCheckpointRetention): this {
    if (retention !== 'RETAIN_ON_CANCELLATION' && retention !== 'DELETE_ON_CANCELLATION') {
      throw new JobBuildError(`checkpoint retention must be RETAIN_ON_CANCELLATION or DELETE_ON_CANCELLATION, got ${String(retention)}`);
    }
    this.settings.retention = retention;
    return this;
  }

  /** Shorthand of {@link setExternalizedCheckpointRetention}. */
  setRetainCheckpointsOnCancellation(retain: boolean): this {
    return this.setExternalizedCheckpointRetention(retain ? 'RETAIN_ON_CANCELLATION' : 'DELETE_ON_CANCELLATION');
  }

  /**
   * Where the job's checkpoints go (Flink's `setCheckpointStorage(String | FileSystemCheckpointStorage)`):
   * an absolute path or a `file://` URI on a filesystem the JobManager and every TaskManager
   * share. It wins over the cluster's `state.checkpoints.dir`; a state backend that names a
   * directory (`new RocksDBStateBackend(dir)`) wins over it, as in Flink.
   */
  setCheckpointStorage(storage: string | FileSystemCheckpointStorage): this {
    const dir = storage instanceof FileSystemCheckpointStorage ? storage.getCheckpointPath() : storage;
    if (typeof dir !== 'string' || dir.trim() === '') {
      throw new JobBuildError(`setCheckpointStorage() expects a checkpoint directory (an absolute path or a file:// URI), got ${JSON.stringify(dir)}`);
    }
    this.storage = new FileSystemCheckpointStorage(dir);
    return this;
  }

  /** The checkpoint storage set with {@link setCheckpointStorage}, if any. */
  getCheckpointStorage(): FileSystemCheckpointStorage | undefined {
    return this.storage;
  }

  /**
   * Unaligned checkpoints (Flink's `enableUnalignedCheckpoints()`): barriers overtake buffered
   * records, which are stored with the checkpoint and replayed first on restore. Only under
   * EXACTLY_ONCE; savepoints stay aligned.
   */
  enableUnalignedCheckpoints(enabled = true): this {
    this.settings.unaligned = enabled;
    return this;
  }

  /** True when unaligned checkpoints were enabled on this job. */
  isUnalignedCheckpointsEnabled(): boolean {
    return this.settings.unaligned === true;
  }

  /**
   * With unaligned checkpoints: start each checkpoint aligned and switch to unaligned once its
   * alignment took longer than `timeoutMs` (`Duration.ofSeconds(1)`); 0 (the default): unaligned
   * at once.
   */
  setAlignedCheckpointTimeout(timeoutMs: number): this {
    this.settings.alignedCheckpointTimeoutMs = nonNegative('aligned checkpoint timeout', timeoutMs);
    return this;
  }

  /** The aligned-checkpoint timeout in ms (0: unaligned from the start). */
  getAlignedCheckpointTimeout(): number {
    return this.settings.alignedCheckpointTimeoutMs ?? 0;
  }

  /** A copy of the recorded settings. */
  toSettings(): CheckpointSettings {
    return { ...this.settings };
  }
}
