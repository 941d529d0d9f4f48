/**
 * Which kind of barrier a checkpoint starts with (Flink's CheckpointOptions.AlignmentType):
 * aligned, unaligned, or aligned with a timeout after which it turns unaligned. Flink's rules:
 * unaligned checkpoints exist only under EXACTLY_ONCE (AT_LEAST_ONCE does not align at all),
 * and savepoints are always aligned. An aligned-checkpoint timeout of 0 means "unaligned from
 * the start"; a positive one starts aligned and switches when alignment (counted from the
 * checkpoint's trigger) exceeds it.
 */
import type { CheckpointSettings } from '../common/job-graph.js';
import type { CheckpointRequest } from './checkpoint-types.js';

/** The cluster-level defaults (Flink's configuration keys). */
export interface UnalignedCheckpointDefaults {
  'execution.checkpointing.unaligned.enabled': boolean;
  'execution.checkpointing.aligned-checkpoint-timeout': number;
}

/** The job's settings with the cluster defaults applied where the job left them open. */
export function resolveUnalignedSettings(settings: CheckpointSettings, defaults: UnalignedCheckpointDefaults): CheckpointSettings {
  return {
    ...settings,
    unaligned: settings.unaligned ?? defaults['execution.checkpointing.unaligned.enabled'],
    alignedCheckpointTimeoutMs: settings.alignedCheckpointTimeoutMs ?? defaults['execution.checkpointing.aligned-checkpoint-timeout'],
  };
}

/** True when checkpoints of `settings` may be unaligned (unaligned enabled, exactly-once). */
export function unalignedCheckpointsApply(settings: CheckpointSettings): boolean {
  return settings.unaligned === true && settings.mode === 'EXACTLY_ONCE';
}

/** The barrier-alignment fields of a checkpoint request. */
export function barrierAlignment(settings: CheckpointSettings, savepoint: boolean): Pick<CheckpointRequest, 'aligned' | 'unaligned' | 'alignedTimeoutMs'> {
  const aligned = savepoint || settings.mode === 'EXACTLY_ONCE';
  if (savepoint || !unalignedCheckpointsApply(settings)) return { aligned };
  const timeout = settings.alignedCheckpointTimeoutMs ?? 0;
  return timeout > 0 ? { aligned, alignedTimeoutMs: timeout } : { aligned, unaligned: true };
}
