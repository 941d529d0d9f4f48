/**
 * Per-checkpoint details of the checkpoint statistics, in the shape of Flink's REST API:
 *
 * - `/jobs/:jid/checkpoints/details/:cid`: the checkpoint's entry plus `tasks`, one summary per
 *   vertex (Flink's TaskCheckpointStatistics);
 * - `/jobs/:jid/checkpoints/details/:cid/subtasks/:vid`: one vertex with a min/max/avg summary
 *   and every subtask (Flink's TaskCheckpointStatisticsWithSubtaskDetails): state size (full) and
 *   checkpointed size (written for this checkpoint: the delta of an incremental one), synchronous
 *   and asynchronous duration, alignment duration, and the in-flight data persisted as channel
 *   state (`alignment.persisted`; 0 until unaligned checkpoints fill it).
 *
 * The acknowledgements' statistics are kept for the checkpoints still in the history only.
 */
import type { SubtaskCheckpointStats } from '../../checkpoint/checkpoint-types.js';
import type { CheckpointStatsEntry } from './checkpoint-stats-tracker.js';

/** One subtask's acknowledgement, as the details need it. */
export interface SubtaskAckStats {
  vertexId: string;
  subtaskIndex: number;
  ackTimestamp: number;
  stats: SubtaskCheckpointStats;
}

/** A vertex of the job: id and parallelism. */
export interface VertexShape {
  id: string;
  parallelism: number;
}

/** Flink's TaskCheckpointStatistics. */
export interface TaskCheckpointStatistics {
  id: number;
  status: CheckpointStatsEntry['status'];
  latest_ack_timestamp: number;
  checkpointed_size: number;
  state_size: number;
  end_to_end_duration: number;
  alignment_buffered: number;
  processed_data: number;
  persisted_data: number;
  num_subtasks: number;
  num_acknowledged_subtasks: number;
}

/** Flink's CompletedSubtaskCheckpointStatistics / PendingSubtaskCheckpointStatistics. */
export type SubtaskCheckpointStatistics =
  | {
      index: number;
      status: 'completed';
      ack_timestamp: number;
      end_to_end_duration: number;
      state_size: number;
      checkpointed_size: number;
      checkpoint: { sync: number; async: number };
      alignment: { buffered: number; processed: number; persisted: number; duration: number };
      start_delay: number;
      unaligned_checkpoint: boolean;
      aborted: boolean;
    }
  | { index: number; status: 'pending_or_failed' };

/** The statistics of the subtasks' acknowledgements per checkpoint id. */
export class CheckpointAckStats {
  private readonly byId = new Map<number, SubtaskAckStats[]>();

  /** Records one acknowledgement of checkpoint `id`. */
  add(id: number, ack: SubtaskAckStats): void {
    let list = this.byId.get(id);
    if (!list) this.byId.set(id, (list = []));
    list.push(ack);
  }

  /** Forgets every checkpoint not in `ids` (those left the history). */
  retainOnly(ids: ReadonlySet<number>): void {
    for (const id of this.byId.keys()) if (!ids.has(id)) this.byId.delete(id);
  }

  /** The acknowledgements of checkpoint `id` so far. */
  of(id: number): readonly SubtaskAckStats[] {
    return this.byId.get(id) ?? [];
  }
}

const sum = (acks: readonly SubtaskAckStats[], f: (s: SubtaskCheckpointStats) => number): number => acks.reduce((n, a) => n + f(a.stats), 0);

/** Summary of one vertex's part of checkpoint `entry`. */
export function taskCheckpointStatistics(entry: CheckpointStatsEntry, vertex: VertexShape, acks: readonly SubtaskAckStats[]): TaskCheckpointStatistics {
  const mine = acks.filter((a) => a.vertexId === vertex.id);
  const latest = mine.reduce((t, a) => Math.max(t, a.ackTimestamp), 0);
  return {
    id: entry.id,
    status: entry.status,
    latest_ack_timestamp: latest,
    checkpointed_size: sum(mine, (s) => s.checkpointedSize ?? s.stateSize),
    state_size: sum(mine, (s) => s.stateSize),
    end_to_end_duration: mine.length > 0 ? latest - entry.trigger_timestamp : 0,
    alignment_buffered: 0,
    processed_data: 0,
    persisted_data: sum(mine, (s) => s.channelStateBytes ?? 0),
    num_subtasks: vertex.parallelism,
    num_acknowledged_subtasks: mine.length,
  };
}

/** Body of `/jobs/:jid/checkpoints/details/:cid`. */
export function checkpointDetails(entry: CheckpointStatsEntry, vertices: readonly VertexShape[], acks: readonly SubtaskAckStats[]): CheckpointStatsEntry & { tasks: Record<string, TaskCheckpointStatistics> } {
  const tasks: Record<string, TaskCheckpointStatistics> = {};
  for (const v of vertices) tasks[v.id] = taskCheckpointStatistics(entry, v, acks);
  return { ...entry, tasks };
}

/** min / max / avg of `values` (zeros for none), as Flink's MinMaxAvgStatistics. */
function minMaxAvg(values: readonly number[]): { min: number; max: number; avg: number } {
  if (values.length === 0) return { min: 0, max: 0, avg: 0 };
  return { min: Math.min(...values), max: Math.max(...values), avg: Math.round(values.reduce((a, b) => a + b, 0) / values.length) };
}

/** Body of `/jobs/:jid/checkpoints/details/:cid/subtasks/:vid`. */
export function vertexCheckpointDetails(entry: CheckpointStatsEntry, vertex: VertexShape, acks: readonly SubtaskAckStats[]) {
  const mine = acks.filter((a) => a.vertexId === vertex.id);
  const byIndex = new Map(mine.map((a) => [a.subtaskIndex, a]));
  const subtasks: SubtaskCheckpointStatistics[] = [];
  for (let index = 0; index < vertex.parallelism; index++) {
    const a = byIndex.get(index);
    if (!a) {
      subtasks.push({ index, status: 'pending_or_failed' });
      continue;
    }
    const s = a.stats;
    subtasks.push({
      index,
      status: 'completed',
      ack_timestamp: a.ackTimestamp,
      end_to_end_duration: a.ackTimestamp - entry.trigger_timestamp,
      state_size: s.stateSize,
      checkpointed_size: s.checkpointedSize ?? s.stateSize,
      checkpoint: { sync: s.syncMs, async: s.asyncMs },
      alignment: { buffered: 0, processed: 0, persisted: s.channelStateBytes ?? 0, duration: s.alignmentDurationMs ?? s.alignmentMs },
      start_delay: 0,
      unaligned_checkpoint: (s.channelStateBytes ?? 0) > 0,
      aborted: false,
    });
  }
  const of = (f: (a: SubtaskAckStats) => number) => minMaxAvg(mine.map(f));
  return {
    ...taskCheckpointStatistics(entry, vertex, acks),
    summary: {
      state_size: of((a) => a.stats.stateSize),
      checkpointed_size: of((a) => a.stats.checkpointedSize ?? a.stats.stateSize),
      end_to_end_duration: of((a) => a.ackTimestamp - entry.trigger_timestamp),
      checkpoint_duration: { sync: of((a) => a.stats.syncMs), async: of((a) => a.stats.asyncMs) },
      alignment: { buffered: of(() => 0), processed: of(() => 0), persisted: of((a) => a.stats.channelStateBytes ?? 0), duration: of((a) => a.stats.alignmentDurationMs ?? a.stats.alignmentMs) },
      start_delay: of(() => 0),
    },
    subtasks,
  };
}
