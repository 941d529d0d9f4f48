/**
 * The request the JobManager sends a job's sources for one checkpoint or savepoint (what Flink
 * carries in CheckpointOptions and the trigger call): its id and trigger time, the barrier
 * alignment the job's settings ask for (checkpoint-alignment.ts), the directory the tasks
 * write into, and the stop-with-savepoint flags.
 */
import type { CheckpointSettings } from '../common/job-graph.js';
import { barrierAlignment } from './checkpoint-alignment.js';
import type { CheckpointRequest } from './checkpoint-types.js';

/** What identifies one triggered checkpoint or savepoint. */
export interface TriggeredCheckpoint {
  checkpointId: number;
  /** Trigger time, ms since epoch (the aligned-checkpoint timeout counts from it). */
  timestamp: number;
  savepoint: boolean;
  /** The directory the tasks write their state files into. */
  targetDir: string;
  /** Stop-with-savepoint: the sources end their input once it completed. */
  stop: boolean;
  /** With `stop`: the maximal watermark precedes the barrier. */
  drain: boolean;
}

/** The request for `triggered` under the job's checkpoint `settings`. */
export function checkpointRequest(triggered: TriggeredCheckpoint, settings: CheckpointSettings): CheckpointRequest {
  const { checkpointId, timestamp, savepoint, targetDir, stop, drain } = triggered;
  const request: CheckpointRequest = { checkpointId, timestamp, savepoint, ...barrierAlignment(settings, savepoint), targetDir };
  if (stop) {
    request.stop = true;
    request.drain = drain;
  }
  return request;
}
