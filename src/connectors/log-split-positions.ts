/**
 * Positions of a source over a partitioned, replayable log (a JetStream stream's subjects, a
 * Kafka topic's partitions): a split is a partition of the log, its position the next offset
 * (stream sequence) to read. The source has no enumerator, so every subtask decides alone
 * which splits it reads, as Flink's legacy FlinkKafkaConsumer does: split `id` belongs to
 * subtask `ownerOfSplit(id, parallelism)`, a pure function of the split and the parallelism.
 *
 * Positions live in operator **union** list state (`_log_split_positions`): each subtask
 * stores the positions of its own splits, and on restore every subtask gets all of them and
 * keeps those it owns at the new parallelism. A split found in the restored positions resumes
 * exactly at its saved offset; a split that is not there (created, or not yet discovered,
 * after the checkpoint) is read from its beginning, so that none of its records were part of
 * the checkpoint and none is lost. Restore and rescale therefore read every record exactly once.
 *
 * The state is kept by {@link LogSplitPositions}, the function the source operator hosts for
 * its reader (`Source.createUserFunction`); the reader reports its positions to it when a
 * checkpoint is taken.
 */
import type { CheckpointedFunction, StateInitializationContext, StateSnapshotContext } from '../common/checkpoint-hooks.js';
import type { ListState } from '../common/runtime-context.js';

/** Operator union list state of the positions. */
export const LOG_SPLIT_POSITIONS_STATE = '_log_split_positions';

/** The saved position of one split: the next offset to read, or a start time before the first record. */
export interface LogSplitPosition {
  /** The split (a subject filter; a Kafka `topic-partition`). */
  split: string;
  /** Next offset (stream sequence) to read; undefined until the first record when starting at a time. */
  next?: number;
  /** Start time (ms since epoch) while `next` is unknown. */
  startTime?: number;
  /** Last offset to read (bounded sources), inclusive. */
  end?: number;
}

/**
 * The subtask that reads split `id` at `parallelism`: Java's `String.hashCode` of the id,
 * modulo the parallelism. Ids that differ only in a trailing counter (`orders.0`, `orders.1`,
 * a Kafka partition number) get consecutive hashes, so they are dealt round-robin.
 */
export function ownerOfSplit(id: string, parallelism: number): number {
  let h = 0;
  for (let i = 0; i < id.length; i++) h = (Math.imul(h, 31) + id.charCodeAt(i)) | 0;
  return ((h % parallelism) + parallelism) % parallelism;
}

/** What the hosted function asks of the reader at a checkpoint. */
export interface LogSplitPositionSource {
  /** The positions of the splits this subtask reads, after the last record it emitted. */
  positions(): LogSplitPosition[];
}

/** Keeps one subtask's split positions in union list state (hosted by the source operator). */
export class LogSplitPositions implements CheckpointedFunction {
  private state: ListState<LogSplitPosition> | undefined;
  /** Every subtask's saved positions, by split; undefined when not restored. */
  private restoredPositions: Map<string, LogSplitPosition> | undefined;
  private reader: LogSplitPositionSource | undefined;

  initializeState(ctx: StateInitializationContext): void {
    this.state = ctx.getUnionListState<LogSplitPosition>(LOG_SPLIT_POSITIONS_STATE);
    if (!ctx.isRestored) return;
    this.restoredPositions = new Map();
    for (const p of this.state.get()) this.restoredPositions.set(p.split, { ...p });
  }

  snapshotState(_ctx: StateSnapshotContext): void {
    // Before the reader started (a restore that failed early), the restored positions stand.
    const positions = this.reader ? this.reader.positions() : [...(this.restoredPositions?.values() ?? [])];
    this.state?.update(positions.map((p) => ({ ...p })));
  }

  /** True when the job was restored (then a split without a saved position starts at its beginning). */
  get restored(): boolean {
    return this.restoredPositions !== undefined;
  }

  /** The restored position of `split`, if a checkpoint had one. */
  restoredPosition(split: string): LogSplitPosition | undefined {
    const p = this.restoredPositions?.get(split);
    return p ? { ...p } : undefined;
  }

  /** The restored splits owned by `subtaskIndex` of `parallelism`. */
  restoredSplitsOf(subtaskIndex: number, parallelism: number): LogSplitPosition[] {
    return [...(this.restoredPositions?.values() ?? [])].filter((p) => ownerOfSplit(p.split, parallelism) === subtaskIndex).map((p) => ({ ...p }));
  }

  /** The reader whose positions are saved from now on. */
  attach(reader: LogSplitPositionSource): void {
    this.reader = reader;
  }
}
