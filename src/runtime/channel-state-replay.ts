/**
 * Restoring the channel state of an unaligned checkpoint (Flink's recovered channel state):
 * the output records the barrier overtook go out again first, into the subpartitions they were
 * queued in, before the task emits anything new; the input records are handed to the task's
 * input processor, which processes them before reading its gates. Together with the operators'
 * state this puts every record of the checkpoint's cut exactly once downstream.
 */
import type { ChannelStateContent } from '../checkpoint/channel-state-file.js';
import { channelStateRecords } from '../checkpoint/channel-state-file.js';
import { NO_TIMESTAMP } from '../common/stream-element.js';
import { InternalError } from '../core/errors.js';
import type { Logger } from '../core/logger.js';
import type { ResultPartition } from '../network/shuffle-types.js';

/** Re-emits the restored output records; returns `content` for the input side. */
export function replayOutputChannelState(content: ChannelStateContent, partitions: readonly ResultPartition[], logger: Logger): ChannelStateContent {
  for (const s of content.outputs) {
    const partition = partitions[s.output];
    if (!partition || s.subpartition >= partition.numberOfSubpartitions) {
      throw new InternalError(`restored channel state names output ${s.output} subpartition ${s.subpartition}, which this task does not have`);
    }
    for (const batch of s.batches) {
      const { values, timestamps } = batch;
      for (let i = 0; i < values.length; i++) partition.emitRecord(s.subpartition, values[i], timestamps ? timestamps[i]! : NO_TIMESTAMP);
    }
  }
  for (const p of partitions) p.flushAll();
  logger.info({ records: channelStateRecords(content), inputChannels: content.inputs.length, outputSubpartitions: content.outputs.length }, 'Restoring in-flight data of an unaligned checkpoint');
  return content;
}
