/**
 * Flink's execution-mode and time-characteristic names, as values and types
 * (`env.setRuntimeMode(RuntimeExecutionMode.STREAMING)`).
 */
import { JobBuildError } from '../core/errors.js';
import { describeValue } from './function-checks.js';

/** Flink's execution modes (`env.setRuntimeMode(RuntimeExecutionMode.STREAMING)`). */
export type RuntimeExecutionMode = 'STREAMING' | 'BATCH' | 'AUTOMATIC';

/** `RuntimeExecutionMode.STREAMING`, as Flink users write it. */
export const RuntimeExecutionMode = {
  STREAMING: 'STREAMING',
  BATCH: 'BATCH',
  AUTOMATIC: 'AUTOMATIC',
} as const satisfies Record<RuntimeExecutionMode, RuntimeExecutionMode>;

/** Flink's (deprecated) time characteristic of `setStreamTimeCharacteristic`. */
export type TimeCharacteristic = 'EventTime' | 'ProcessingTime' | 'IngestionTime';

/** `TimeCharacteristic.EventTime`, as Flink users write it. */
export const TimeCharacteristic = {
  EventTime: 'EventTime',
  ProcessingTime: 'ProcessingTime',
  IngestionTime: 'IngestionTime',
} as const satisfies Record<TimeCharacteristic, TimeCharacteristic>;

/**
 * Checks `setRuntimeMode(mode)`: Fluss executes streaming only, so `BATCH` and `AUTOMATIC` are
 * refused (batch execution changes results: final instead of rolling aggregates).
 */
export function checkRuntimeMode(mode: RuntimeExecutionMode): void {
  if (mode === 'STREAMING') return;
  if (mode === 'BATCH' || mode === 'AUTOMATIC') {
    throw new JobBuildError(`setRuntimeMode(${mode}): Fluss runs jobs in STREAMING mode only (batch execution would emit different results); remove the call or pass STREAMING`);
  }
  throw new JobBuildError(`setRuntimeMode() expects STREAMING, BATCH or AUTOMATIC, got ${describeValue(mode)}`);
}

/** Checks `setStreamTimeCharacteristic(characteristic)`'s argument and returns it. */
export function checkedTimeCharacteristic(characteristic: TimeCharacteristic): TimeCharacteristic {
  if (characteristic !== 'EventTime' && characteristic !== 'ProcessingTime' && characteristic !== 'IngestionTime') {
    throw new JobBuildError(`setStreamTimeCharacteristic() expects EventTime, ProcessingTime or IngestionTime, got ${describeValue(characteristic)}`);
  }
  return characteristic;
}
