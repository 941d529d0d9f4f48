/**
 * Checkpoint statistics of one job in the shape Flink's REST API returns them
 * (`/jobs/:jid/checkpoints`): counts, min/avg/max summaries, the latest completed, failed and
 * savepoint entries, and a bounded history. The CheckpointCoordinator reports into it; a job
 * without checkpointing shows zero counts and empty lists.
 */

import { CheckpointAckStats, checkpointDetails, vertexCheckpointDetails, type SubtaskAckStats, type VertexShape } from './checkpoint-stats-details.js';

/** Status of one checkpoint in the history. */
export type CheckpointStatus = 'IN_PROGRESS' | 'COMPLETED' | 'FAILED';

/** One checkpoint as the REST API lists it. */
export interface CheckpointStatsEntry {
  id: number;
  status: CheckpointStatus;
  is_savepoint: boolean;
  trigger_timestamp: number;
  latest_ack_timestamp: number;
  checkpointed_size: number;
  state_size: number;
  end_to_end_duration: number;
  alignment_buffered: number;
  /** Longest barrier alignment of a subtask, ms. */
  alignment_duration: number;
  processed_data: number;
  persisted_data: number;
  num_subtasks: number;
  num_acknowledged_subtasks: number;
  checkpoint_type: 'CHECKPOINT' | 'SAVEPOINT';
  external_path?: string;
  failure_timestamp?: number;
  failure_message?: string;
}

/** min / max / avg and percentiles of one quantity over completed checkpoints. */
export interface StatsSummary {
  min: number;
  max: number;
  avg: number;
  p50: number;
  p90: number;
  p95: number;
  p99: number;
  p999: number;
}

/** Body of `/jobs/:jid/checkpoints`. */
export interface CheckpointingStatistics {
  counts: { restored: number; total: number; in_progress: number; completed: number; failed: number };
  summary: {
    checkpointed_size: StatsSummary;
    state_size: StatsSummary;
    end_to_end_duration: StatsSummary;
    alignment_buffered: StatsSummary;
    processed_data: StatsSummary;
    persisted_data: StatsSummary;
  };
  latest: {
    completed: CheckpointStatsEntry | null;
    savepoint: CheckpointStatsEntry | null;
    failed: CheckpointStatsEntry | null;
    restored: { id: number; restore_timestamp: number; is_savepoint: boolean; external_path: string } | null;
  };
  history: CheckpointStatsEntry[];
}

/** Entries kept in the history (Flink's `web.checkpoints.history` default). */
const HISTORY_SIZE = 10;
/** Completed checkpoints the summaries are computed over. */
const SUMMARY_WINDOW = 1000;

/** Statistics of one job's checkpoints. */
export class CheckpointStatsTracker {
  private readonly history: CheckpointStatsEntry[] = [];
  private readonly completedWindow: CheckpointStatsEntry[] = [];
  private completed = 0;
  private failed = 0;
  private restoredFrom: CheckpointingStatistics['latest']['restored'] = null;
  private latestCompleted: CheckpointStatsEntry | null = null;
  private latestSavepoint: CheckpointStatsEntry | null = null;
  private latestFailed: CheckpointStatsEntry | null = null;
  /** The subtasks' statistics of the checkpoints in the history (the per-checkpoint details). */
  private readonly acks = new CheckpointAckStats();

  constructor(private readonly numSubtasks: number) {}

  /** Checkpoint `id` was triggered. */
  reportPending(id: number, triggerTimestamp: number, isSavepoint: boolean): void {
    this.history.unshift({
      id,
      status: 'IN_PROGRESS',
      is_savepoint: isSavepoint,
      trigger_timestamp: triggerTimestamp,
      latest_ack_timestamp: triggerTimestamp,
      checkpointed_size: 0,
      state_size: 0,
      end_to_end_duration: 0,
      alignment_buffered: 0,
      alignment_duration: 0,
      processed_data: 0,
      persisted_data: 0,
      num_subtasks: this.numSubtasks,
      num_acknowledged_subtasks: 0,
      checkpoint_type: isSavepoint ? 'SAVEPOINT' : 'CHECKPOINT',
    });
    this.history.length = Math.min(this.history.length, HISTORY_SIZE);
    this.acks.retainOnly(new Set(this.history.map((e) => e.id)));
  }

  /** One more subtask acknowledged checkpoint `id` (after aligning its barriers for `alignmentMs`). */
  reportAcknowledged(id: number, ackTimestamp: number, stateSize: number, alignmentMs = 0, ack?: Omit<SubtaskAckStats, 'ackTimestamp'>): void {
    const e = this.entry(id);
    if (!e) return;
    e.num_acknowledged_subtasks++;
    e.alignment_duration = Math.max(e.alignment_duration, alignmentMs);
    e.latest_ack_timestamp = Math.max(e.latest_ack_timestamp, ackTimestamp);
    e.state_size += stateSize;
    // Incremental checkpoints write less than the state they stand for.
    e.checkpointed_size += ack?.stats.checkpointedSize ?? stateSize;
    e.persisted_data += ack?.stats.channelStateBytes ?? 0;
    if (ack) this.acks.add(id, { ...ack, ackTimestamp });
  }

  /** Body of `/jobs/:jid/checkpoints/details/:cid`; undefined for a checkpoint not in the history. */
  details(id: number, vertices: readonly VertexShape[]): ReturnType<typeof checkpointDetails> | undefined {
    const e = this.entry(id);
    return e ? checkpointDetails({ ...e }, vertices, this.acks.of(id)) : undefined;
  }

  /** Body of `/jobs/:jid/checkpoints/details/:cid/subtasks/:vid`; undefined for a checkpoint not in the history. */
  vertexDetails(id: number, vertex: VertexShape): ReturnType<typeof vertexCheckpointDetails> | undefined {
    const e = this.entry(id);
    return e ? vertexCheckpointDetails({ ...e }, vertex, this.acks.of(id)) : undefined;
  }

  /** Checkpoint `id` completed: its `_metadata` exists at `externalPath`. */
  reportCompleted(id: number, completionTimestamp: number, externalPath: string): void {
    const e = this.entry(id);
    if (!e) return;
    e.status = 'COMPLETED';
    e.num_acknowledged_subtasks = this.numSubtasks;
    e.latest_ack_timestamp = Math.max(e.latest_ack_timestamp, completionTimestamp);
    e.end_to_end_duration = e.latest_ack_timestamp - e.trigger_timestamp;
    e.external_path = externalPath;
    this.completed++;
    if (e.is_savepoint) this.latestSavepoint = e;
    else this.latestCompleted = e;
    this.completedWindow.push(e);
    if (this.completedWindow.length > SUMMARY_WINDOW) this.completedWindow.shift();
  }

  /** Checkpoint `id` failed (declined, expired, or its files could not be written). */
  reportFailed(id: number, failureTimestamp: number, message: string): void {
    const e = this.entry(id);
    if (!e) return;
    e.status = 'FAILED';
    e.failure_timestamp = failureTimestamp;
    e.failure_message = message;
    this.failed++;
    this.latestFailed = e;
  }

  /** The job was restored from checkpoint or savepoint `id`. */
  reportRestored(id: number, restoreTimestamp: number, isSavepoint: boolean, externalPath: string): void {
    this.restoredFrom = { id, restore_timestamp: restoreTimestamp, is_savepoint: isSavepoint, external_path: externalPath };
  }

  /** Completed checkpoints (and savepoints). */
  get numberOfCompletedCheckpoints(): number {
    return this.completed;
  }

  /** Failed checkpoints. */
  get numberOfFailedCheckpoints(): number {
    return this.failed;
  }

  /** The latest completed checkpoint, or null. */
  get lastCompleted(): CheckpointStatsEntry | null {
    return this.latestCompleted;
  }

  /** Flink's REST body. */
  statistics(): CheckpointingStatistics {
    const inProgress = this.history.filter((e) => e.status === 'IN_PROGRESS').length;
    const summary = (f: (e: CheckpointStatsEntry) => number): StatsSummary => summarize(this.completedWindow.map(f));
    return {
      counts: { restored: this.restoredFrom ? 1 : 0, total: this.completed + this.failed + inProgress, in_progress: inProgress, completed: this.completed, failed: this.failed },
      summary: {
        checkpointed_size: summary((e) => e.checkpointed_size),
        state_size: summary((e) => e.state_size),
        end_to_end_duration: summary((e) => e.end_to_end_duration),
        alignment_buffered: summary((e) => e.alignment_buffered),
        processed_data: summary((e) => e.processed_data),
        persisted_data: summary((e) => e.persisted_data),
      },
      latest: { completed: this.latestCompleted, savepoint: this.latestSavepoint, failed: this.latestFailed, restored: this.restoredFrom },
      history: this.history.map((e) => ({ ...e })),
    };
  }

  private entry(id: number): CheckpointStatsEntry | undefined {
    return this.history.find((e) => e.id === id);
  }
}

/** Summary of `values`; all zeros for none. */
export function summarize(values: readonly number[]): StatsSummary {
  if (values.length === 0) return { min: 0, max: 0, avg: 0, p50: 0, p90: 0, p95: 0, p99: 0, p999: 0 };
  const sorted = [...values].sort((a, b) => a - b);
  const q = (p: number): number => sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(p * sorted.length) - 1))]!;
  return {
    min: sorted[0]!,
    max: sorted[sorted.length - 1]!,
    avg: Math.round(sorted.reduce((a, b) => a + b, 0) / sorted.length),
    p50: q(0.5),
    p90: q(0.9),
    p95: q(0.95),
    p99: q(0.99),
    p999: q(0.999),
  };
}
