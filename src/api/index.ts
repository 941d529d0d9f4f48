/**
 * The public DataStream API: everything a job author imports from 'fluss'.
 */
export {
  StreamExecutionEnvironment,
  DEFAULT_JOB_NAME,
  DEFAULT_BUFFER_TIMEOUT_MS,
  type EnvironmentMode,
  type EnvironmentOptions,
} from './stream-execution-environment.js';
export { RuntimeExecutionMode, TimeCharacteristic } from './execution-modes.js';
export { DataStream } from './data-stream.js';
export { SingleOutputStreamOperator } from './single-output-stream-operator.js';
export { KeyedStream, type AggregationKind, type FieldExpression } from './keyed-stream.js';
export { ConnectedStreams } from './connected-streams.js';
export { BroadcastStream, BroadcastConnectedStream } from './broadcast-stream.js';
export { IntervalJoin, IntervalJoined } from './join-interval.js';
export { JoinedStreams, JoinWithWindowAssigner, JoinWithWindow } from './join-windowed.js';
export { CoGroupedStreams, CoGroupWithWindowAssigner, WithWindow, type TaggedUnion } from './co-grouped-streams.js';
export * from '../common/co-functions.js';
export * from '../common/join-functions.js';
export {
  OperatorTestHarness,
  type OperatorTestHarnessOptions,
  type HarnessOutputElement,
  type HarnessRecord,
} from './testing/operator-test-harness.js';
export { DataStreamSink } from './data-stream-sink.js';
export {
  CheckpointConfig,
  CheckpointingMode,
  ExternalizedCheckpointRetention,
  ExternalizedCheckpointCleanup,
  DEFAULT_CHECKPOINT_TIMEOUT_MS,
} from './checkpoint-config.js';
export { ExecutionConfig, DEFAULT_AUTO_WATERMARK_INTERVAL_MS } from './execution-config.js';
export { ParameterTool, NO_VALUE_KEY } from './parameter-tool.js';
export { GlobalJobParameters, type JobExecutionConfig } from '../common/global-job-parameters.js';
export { SimpleCounter, MeterView, type Counter, type Gauge, type Meter } from '../common/metrics/metric-types.js';
export { DescriptiveStatisticsHistogram, type Histogram, type HistogramStatistics } from '../common/metrics/histogram.js';
export type { MetricGroup } from '../common/metrics/metric-group.js';
export {
  MemoryStateBackend,
  FsStateBackend,
  LevelDBStateBackend,
  HashMapStateBackend,
  EmbeddedRocksDBStateBackend,
  RocksDBStateBackend,
  FileSystemCheckpointStorage,
  type StateBackend,
  type StateBackendKind,
} from './state-backends.js';
export { RestartStrategies, type ExponentialDelayOptions } from './restart-strategies.js';
export { Time, TimeUnit, Duration } from '../common/time.js';
export { defineJob, buildJob, cloneForSubtask, type JobBuilder, type BuildJobOptions } from './build-job.js';
export * from '../common/functions.js';
export * from './rich-functions.js';
export * from '../common/source-functions.js';
export { Configuration, type OpenParameters } from '../common/configuration.js';
export * from '../common/state-descriptors.js';
export * from '../common/runtime-context.js';
export { OutputTag } from '../common/output-tag.js';
export {
  WatermarkStrategy,
  BoundedOutOfOrdernessWatermarks,
  WatermarksWithIdleness,
  Watermark,
  type TimestampAssigner,
  type WatermarkGenerator,
  type WatermarkOutput,
} from '../common/watermark-strategy.js';
export { WindowedStream } from './windowed-stream.js';
export { AllWindowedStream } from './all-windowed-stream.js';
export * from '../common/window-functions.js';
export { TimeWindow, GlobalWindow, type Window, type WindowAccessor } from '../common/windowing/windows.js';
export {
  WindowAssigner,
  TumblingEventTimeWindows,
  TumblingProcessingTimeWindows,
  SlidingEventTimeWindows,
  SlidingProcessingTimeWindows,
  EventTimeSessionWindows,
  ProcessingTimeSessionWindows,
  DynamicEventTimeSessionWindows,
  DynamicProcessingTimeSessionWindows,
  GlobalWindows,
  type WindowAssignerContext,
  type SessionWindowTimeGapExtractor,
} from '../common/windowing/window-assigners.js';
export {
  Trigger,
  EventTimeTrigger,
  ProcessingTimeTrigger,
  CountTrigger,
  PurgingTrigger,
  NeverTrigger,
  ContinuousEventTimeTrigger,
  TriggerResult,
  type TriggerContext,
  type OnMergeContext,
} from '../common/windowing/triggers.js';
export { Evictor, CountEvictor, TimeEvictor, DeltaEvictor, type TimestampedValue, type EvictorContext } from '../common/windowing/evictors.js';
export { ContinuousProcessingTimeTrigger } from '../common/windowing/continuous-processing-time-trigger.js';
export { DeltaTrigger } from '../common/windowing/delta-trigger.js';
export type { DeltaFunction } from '../common/windowing/delta-function.js';
export type { WindowOperatorSpec, WindowAggregation, WindowFunctionKind } from '../common/windowing/window-operator-spec.js';
export { CollectionSource } from '../connectors/collection-source.js';
export { SequenceSource } from '../connectors/sequence-source.js';
export { FileSource } from '../connectors/file-source.js';
export { SocketTextSource } from '../connectors/socket-text-source.js';
export { DataGeneratorSource, type DataGeneratorOptions } from '../connectors/data-generator-source.js';
export { SourceFunctionSource, type SourceFunctionOptions } from '../connectors/source-function-source.js';
export { PrintSink, type PrintSinkOptions } from '../connectors/print-sink.js';
export { FileSink } from '../connectors/file-sink.js';
export {
  BasePathBucketAssigner,
  DateTimeBucketAssigner,
  DEFAULT_DATE_TIME_FORMAT,
  type BucketAssigner,
  type BucketAssignerContext,
} from '../connectors/bucket-assigners.js';
export * from '../connectors/postgres/index.js';
export type { Sink, SinkWriter, SinkWriterContext } from '../common/sink.js';
export type { Source, SourceReader, SourceReaderContext, ReaderOutput, InputStatus, Boundedness } from '../common/source.js';
export type { BuiltJob } from '../common/built-job.js';
export type { JobGraph, JobSettings, CheckpointSettings, RestartStrategySettings } from '../common/job-graph.js';
export { TwoPhaseCommitSink, type TwoPhaseCommitContext } from './two-phase-commit-sink.js';
export type {
  CheckpointedFunction,
  CheckpointListener,
  StateInitializationContext,
  StateSnapshotContext,
  OperatorStateStoreAccess,
  /** Flink's name of what `CheckpointedFunction.initializeState` gets. */
  StateInitializationContext as FunctionInitializationContext,
  /** Flink's name of what `CheckpointedFunction.snapshotState` gets. */
  StateSnapshotContext as FunctionSnapshotContext,
} from '../common/checkpoint-hooks.js';
export * from '../connectors/nexmark/index.js';
export * from './changelog/index.js';
