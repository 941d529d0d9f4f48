/**
 * What a function sees of the subtask it runs in. Implemented by the runtime.
 */
import type {
  AggregatingStateDescriptor,
  ListStateDescriptor,
  MapStateDescriptor,
  ReducingStateDescriptor,
  ValueStateDescriptor,
} from './state-descriptors.js';
import type { JobExecutionConfig } from './global-job-parameters.js';
import type { MetricGroup } from './metrics/metric-group.js';

/** Keyed or operator state holding one value. */
export interface ValueState<T> {
  value(): T | undefined;
  update(value: T): void;
  clear(): void;
}

/** Keyed or operator state holding a list. */
export interface ListState<T> {
  get(): Iterable<T>;
  add(value: T): void;
  addAll(values: Iterable<T>): void;
  update(values: Iterable<T>): void;
  clear(): void;
}

/** Keyed state holding a map. */
export interface MapState<UK, UV> {
  get(key: UK): UV | undefined;
  put(key: UK, value: UV): void;
  putAll(entries: Iterable<[UK, UV]>): void;
  remove(key: UK): void;
  contains(key: UK): boolean;
  entries(): Iterable<[UK, UV]>;
  keys(): Iterable<UK>;
  values(): Iterable<UV>;
  isEmpty(): boolean;
  clear(): void;
}

/** Keyed state folding added values with a reduce function. */
export interface ReducingState<T> {
  get(): T | undefined;
  add(value: T): void;
  clear(): void;
}

/** Keyed state folding added values with an aggregate function. */
export interface AggregatingState<IN, OUT> {
  get(): OUT | undefined;
  add(value: IN): void;
  clear(): void;
}

/** Information about the running subtask, handed to `open`. */
export interface OpenContext {
  readonly taskName: string;
  readonly subtaskIndex: number;
  readonly parallelism: number;
  readonly maxParallelism: number;
  readonly attemptNumber: number;
  readonly jobId: string;
}

/** Flink's `TaskInfo` (1.19+): who this subtask is. */
export interface TaskInfo {
  /** The task's name (its chain's name). */
  getTaskName(): string;
  /** Flink's `getTaskNameWithSubtasks()`: "name (i/n)", i counted from 1. */
  getTaskNameWithSubtasks(): string;
  /** 0-based index of this subtask. */
  getIndexOfThisSubtask(): number;
  /** The task's parallelism. */
  getNumberOfParallelSubtasks(): number;
  /** The number of key groups (the highest parallelism state can be rescaled to). */
  getMaxNumberOfParallelSubtasks(): number;
  /** How often this subtask was restarted (0 on the first run). */
  getAttemptNumber(): number;
  /** Flink's `getAllocationIDAsString()`: here the job id, subtask and attempt. */
  getAllocationIDAsString(): string;
}

/** State and information of the subtask a function runs in. */
export interface RuntimeContext extends OpenContext {
  /** Flink 1.19's task information object. */
  getTaskInfo(): TaskInfo;
  /** The job's execution configuration, with its global job parameters. */
  getExecutionConfig(): JobExecutionConfig;
  /** Flink 1.19's shortcut: the global job parameters as a map (empty when none were set). */
  getGlobalJobParameters(): Map<string, string>;
  /** The operator's metric group: user counters, gauges, meters and histograms, exported with its scope. */
  getMetricGroup(): MetricGroup;
  /** Flink's getter of {@link OpenContext.subtaskIndex} (0-based). */
  getIndexOfThisSubtask(): number;
  /** Flink's getter of {@link OpenContext.parallelism}. */
  getNumberOfParallelSubtasks(): number;
  /** Flink's getter of {@link OpenContext.maxParallelism}. */
  getMaxNumberOfParallelSubtasks(): number;
  /** Flink's getter of {@link OpenContext.attemptNumber}. */
  getAttemptNumber(): number;
  /** Flink's getter of {@link OpenContext.taskName}. */
  getTaskName(): string;
  /** Keyed state: only inside keyed operators, scoped to the current key. */
  getState<T>(descriptor: ValueStateDescriptor<T>): ValueState<T>;
  /**
   * Keyed list state inside keyed operators; elsewhere (a sink, a `map` before any `keyBy`) the
   * operator list state of that name, as {@link getOperatorListState} gives it: one list per
   * subtask, checkpointed, redistributed round-robin when the parallelism changes.
   */
  getListState<T>(descriptor: ListStateDescriptor<T>): ListState<T>;
  getMapState<UK, UV>(descriptor: MapStateDescriptor<UK, UV>): MapState<UK, UV>;
  getReducingState<T>(descriptor: ReducingStateDescriptor<T>): ReducingState<T>;
  getAggregatingState<IN, ACC, OUT>(descriptor: AggregatingStateDescriptor<IN, ACC, OUT>): AggregatingState<IN, OUT>;
  /** Operator state (per subtask, redistributed on rescale) — used by sinks and sources. */
  getOperatorListState<T>(descriptor: ListStateDescriptor<T>): ListState<T>;
  getUnionListState<T>(descriptor: ListStateDescriptor<T>): ListState<T>;
}
