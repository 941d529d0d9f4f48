/**
 * The channel state one subtask restores from an unaligned checkpoint: the file its head
 * operator's entry names for this subtask index. Checked like the other state (checksum first,
 * a damaged file refuses the checkpoint); whether the job's channels still match was checked
 * with the rest of `_metadata` ({@link checkChannelStateRestorable}).
 */
import type { JobVertex } from '../common/job-graph.js';
import type { TaskRestore } from './checkpoint-types.js';
import { parseCheckpointMetadata } from './checkpoint-metadata-validation.js';
import { readMetadataText } from './checkpoint-storage.js';
import { readChannelStateFile, type ChannelStateContent } from './channel-state-file.js';

/** The in-flight records subtask `subtaskIndex` of `vertex` replays, or undefined when there are none. */
export async function loadChannelState(restore: TaskRestore, vertex: JobVertex, subtaskIndex: number): Promise<ChannelStateContent | undefined> {
  const metadata = parseCheckpointMetadata(await readMetadataText(restore.checkpointDir), restore.checkpointDir);
  const head = metadata.operators.find((o) => o.operatorId === vertex.operators[0]!.operatorId);
  const handle = head?.subtasks.find((s) => s.subtaskIndex === subtaskIndex)?.channelState;
  return handle ? readChannelStateFile(restore.checkpointDir, handle) : undefined;
}
