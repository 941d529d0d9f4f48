/**
 * Adds what TaskManagers reported (records in/out per vertex) and checkpoint progress to a
 * JobInfo, for clients that follow a job over gRPC (the CLI's live status line).
 */
import type { JobInfo } from '../rpc/messages.js';
import type { JobMaster } from './job-master.js';
import type { TaskMetricsStore } from './task-metrics-store.js';

/** `info` with per-vertex record counts and rates and the latest completed checkpoint. */
export function withJobMetrics(info: JobInfo, job: JobMaster | undefined, metrics: TaskMetricsStore | undefined): JobInfo {
  const vertices = info.vertices.map((v) => {
    let recordsIn = 0;
    let recordsOut = 0;
    let inRate = 0;
    let outRate = 0;
    for (const { task } of metrics?.ofVertex(info.jobId, v.id).values() ?? []) {
      recordsIn += task.numRecordsIn;
      recordsOut += task.numRecordsOut;
      inRate += task.numRecordsInPerSecond;
      outRate += task.numRecordsOutPerSecond;
    }
    return { ...v, recordsIn, recordsOut, recordsInPerSecond: inRate, recordsOutPerSecond: outRate };
  });
  const stats = job?.checkpointStats;
  const last = stats?.lastCompleted;
  return {
    ...info,
    vertices,
    completedCheckpoints: stats?.numberOfCompletedCheckpoints ?? 0,
    lastCheckpointId: last?.id ?? 0,
    lastCheckpointTime: last?.latest_ack_timestamp ?? 0,
  };
}
