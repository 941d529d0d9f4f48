/**
 * The {@link RuntimeContext} handed to user functions: subtask information, keyed state
 * (only in keyed operators, scoped to the current key) and operator state (`getListState` on
 * an operator without a key is its operator list state). A state handle is
 * created once per name; asking for the same name with another kind is an error naming the
 * operator.
 */
import type {
  AggregatingState,
  ListState,
  MapState,
  OpenContext,
  ReducingState,
  RuntimeContext,
  TaskInfo,
  ValueState,
} from '../common/runtime-context.js';
import { EMPTY_JOB_EXECUTION_CONFIG, type JobExecutionConfig } from '../common/global-job-parameters.js';
import { type MetricGroup, UserMetricGroup } from '../common/metrics/metric-group.js';
import { registerUserMetricGroup } from '../common/metrics/user-metric-registry.js';
import type {
  AggregatingStateDescriptor,
  ListStateDescriptor,
  MapStateDescriptor,
  ReducingStateDescriptor,
  StateDescriptor,
  ValueStateDescriptor,
} from '../common/state-descriptors.js';
import { FailedPreconditionError } from '../core/errors.js';
import type { KeyedStateBackend, KeyedStateKind } from '../state/keyed-state-backend.js';
import {
  KeyedAggregatingState,
  KeyedListState,
  KeyedMapState,
  KeyedReducingState,
  KeyedValueState,
} from '../state/keyed-states.js';
import type { OperatorStateStore } from '../state/operator-state-store.js';
import { TtlPolicy, type TtlTimeProvider } from '../state/state-ttl.js';

/** What a runtime context reads from the job and the task beyond the subtask's identity. */
export interface RuntimeContextServices {
  /** The job's built `env.getConfig()` (default: nothing set). */
  executionConfig?: JobExecutionConfig;
}

/** Runtime context of one operator in one subtask. */
export class StreamingRuntimeContext implements RuntimeContext {
  readonly taskName: string;
  readonly subtaskIndex: number;
  readonly parallelism: number;
  readonly maxParallelism: number;
  readonly attemptNumber: number;
  readonly jobId: string;
  private readonly keyedStates = new Map<string, { kind: KeyedStateKind; state: unknown }>();
  private readonly executionConfig: JobExecutionConfig;
  private taskInfo: TaskInfo | undefined;
  private metricGroup: UserMetricGroup | undefined;

  constructor(
    info: OpenContext,
    private readonly operatorName: string,
    private readonly keyedBackend: KeyedStateBackend | undefined,
    private readonly operatorState: OperatorStateStore,
    private readonly ttlTime: TtlTimeProvider = Date.now,
    services: RuntimeContextServices = {},
  ) {
    this.executionConfig = services.executionConfig ?? EMPTY_JOB_EXECUTION_CONFIG;
    this.taskName = info.taskName;
    this.subtaskIndex = info.subtaskIndex;
    this.parallelism = info.parallelism;
    this.maxParallelism = info.maxParallelism;
    this.attemptNumber = info.attemptNumber;
    this.jobId = info.jobId;
  }

  getIndexOfThisSubtask(): number {
    return this.subtaskIndex;
  }

  getNumberOfParallelSubtasks(): number {
    return this.parallelism;
  }

  getMaxNumberOfParallelSubtasks(): number {
    return this.maxParallelism;
  }

  getAttemptNumber(): number {
    return this.attemptNumber;
  }

  getTaskName(): string {
    return this.taskName;
  }

  getTaskInfo(): TaskInfo {
    if (this.taskInfo) return this.taskInfo;
    const { taskName, subtaskIndex, parallelism, maxParallelism, attemptNumber, jobId } = this;
    return (this.taskInfo = Object.freeze({
      getTaskName: () => taskName,
      getTaskNameWithSubtasks: () => `${taskName} (${subtaskIndex + 1}/${parallelism})`,
      getIndexOfThisSubtask: () => subtaskIndex,
      getNumberOfParallelSubtasks: () => parallelism,
      getMaxNumberOfParallelSubtasks: () => maxParallelism,
      getAttemptNumber: () => attemptNumber,
      getAllocationIDAsString: () => `${jobId}-${subtaskIndex}-${attemptNumber}`,
    }));
  }

  getExecutionConfig(): JobExecutionConfig {
    return this.executionConfig;
  }

  getGlobalJobParameters(): Map<string, string> {
    return this.executionConfig.getGlobalJobParameters().toMap();
  }

  /**
   * The operator's user metric group, created on first use and registered under this subtask,
   * so the TaskManager exports its metrics with the operator's scope.
   */
  getMetricGroup(): MetricGroup {
    if (this.metricGroup) return this.metricGroup;
    this.metricGroup = new UserMetricGroup();
    const id = { jobId: this.jobId, taskName: this.taskName, subtaskIndex: this.subtaskIndex, attempt: this.attemptNumber };
    registerUserMetricGroup(id, this.operatorName, this.metricGroup);
    return this.metricGroup;
  }

  /** The plain subtask information (what `open(ctx)` receives). */
  openContext(): OpenContext {
    const { taskName, subtaskIndex, parallelism, maxParallelism, attemptNumber, jobId } = this;
    return { taskName, subtaskIndex, parallelism, maxParallelism, attemptNumber, jobId };
  }

  private keyed<S>(d: StateDescriptor<unknown>, create: (backend: KeyedStateBackend, ttl: TtlPolicy | undefined) => S): S {
    const backend = this.keyedBackend;
    if (!backend) {
      throw new FailedPreconditionError(
        `${this.operatorName}: keyed state "${d.name}" is only available on a keyed stream (apply keyBy() before this operator)`,
      );
    }
    const existing = this.keyedStates.get(d.name);
    if (existing) {
      if (existing.kind !== d.kind) {
        throw new FailedPreconditionError(
          `${this.operatorName}: state "${d.name}" is already registered as ${existing.kind} state, cannot register it as ${d.kind} state`,
        );
      }
      return existing.state as S;
    }
    backend.registerState(d.name, d.kind);
    const state = create(backend, d.ttl ? new TtlPolicy(d.ttl, this.ttlTime) : undefined);
    this.keyedStates.set(d.name, { kind: d.kind, state });
    return state;
  }

  getState<T>(d: ValueStateDescriptor<T>): ValueState<T> {
    return this.keyed(d, (b, ttl) => new KeyedValueState<T>(b, d.name, ttl, d.defaultValue, d));
  }

  /**
   * Keyed list state on a keyed stream; on any other operator the operator list state `name`
   * (split round-robin on rescale), as the architecture's `BufferSink` uses it. Flink asks for
   * `CheckpointedFunction` there; both forms reach the same state.
   */
  getListState<T>(d: ListStateDescriptor<T>): ListState<T> {
    if (!this.keyedBackend) return this.getOperatorListState(d);
    return this.keyed(d, (b, ttl) => new KeyedListState<T>(b, d.name, ttl, d));
  }

  getMapState<UK, UV>(d: MapStateDescriptor<UK, UV>): MapState<UK, UV> {
    return this.keyed(d, (b, ttl) => new KeyedMapState<UK, UV>(b, d.name, ttl, d));
  }

  getReducingState<T>(d: ReducingStateDescriptor<T>): ReducingState<T> {
    return this.keyed(d, (b, ttl) => new KeyedReducingState<T>(b, d.name, ttl, d.reduceFunction, d));
  }

  getAggregatingState<IN, ACC, OUT>(d: AggregatingStateDescriptor<IN, ACC, OUT>): AggregatingState<IN, OUT> {
    return this.keyed(d, (b, ttl) => new KeyedAggregatingState<IN, ACC, OUT>(b, d.name, ttl, d.aggregateFunction, d));
  }

  getOperatorListState<T>(d: ListStateDescriptor<T>): ListState<T> {
    return this.operatorState.getListState<T>(d.name, 'split');
  }

  getUnionListState<T>(d: ListStateDescriptor<T>): ListState<T> {
    return this.operatorState.getListState<T>(d.name, 'union');
  }
}
