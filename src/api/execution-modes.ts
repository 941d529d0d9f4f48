/**
 * Flink's execution-mode and time-characteristic names, as values and types
 * (`env.setRuntimeMode(RuntimeExecutionMode.STREAMING)`).
 */

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
