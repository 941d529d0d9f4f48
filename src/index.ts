/**
 * The `fluss` package: the DataStream API job authors import, plus the embeddable cluster
 * pieces (mini-cluster, daemons, clients) and the typed errors they raise.
 */
export * from './api/index.js';
export {
  TimeWindow,
  GlobalWindow,
  type Window,
} from './api/windowing/windows.js';
export {
  WindowAssigner,
  TumblingEventTimeWindows,
  TumblingProcessingTimeWindows,
  SlidingEventTimeWindows,
  SlidingProcessingTimeWindows,
  EventTimeSessionWindows,
  ProcessingTimeSessionWindows,
  GlobalWindows,
  type WindowAssignerContext,
} from './api/windowing/window-assigners.js';
export {
  Trigger,
  EventTimeTrigger,
  ProcessingTimeTrigger,
  CountTrigger,
  PurgingTrigger,
  NeverTrigger,
  ContinuousEventTimeTrigger,
  type TriggerResult,
  type TriggerContext,
  type OnMergeContext,
} from './api/windowing/triggers.js';
export { Evictor, CountEvictor, TimeEvictor, type TimestampedValue, type EvictorContext } from './api/windowing/evictors.js';
export {
  BoundedOutOfOrdernessWatermarks,
  WatermarksWithIdleness,
  type WatermarkGenerator,
  type WatermarkOutput,
} from './api/watermark-strategy.js';
export {
  FlussError,
  ConfigurationError,
  JobBuildError,
  UserCodeError,
  NotFoundError,
  InvalidArgumentError,
  FailedPreconditionError,
  UnavailableError,
  TimeoutError,
  type FlussErrorCode,
} from './core/errors.js';
export { loadConfig, type FlussConfig, type RawConfig } from './core/config.js';
export { MiniCluster } from './cluster/mini-cluster.js';
export { JobManager } from './cluster/jobmanager/job-manager.js';
export { TaskManager } from './cluster/taskmanager/task-manager.js';
export { JobManagerClient } from './cluster/rpc/job-manager-client.js';
export type { JobInfo, VertexInfo } from './cluster/rpc/messages.js';
/** The version of this package. */
export const VERSION = '0.1.0';
