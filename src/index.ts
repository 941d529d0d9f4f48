/**
 * The `fluss` package: the DataStream API job authors import, plus the embeddable cluster
 * pieces (mini-cluster, daemons, clients) and the typed errors they raise. The same pieces are
 * also reachable through narrower entry points: `fluss/testing` (the operator test harness),
 * `fluss/cluster` (mini-cluster, daemons, client) and `fluss/nexmark` (the Nexmark source).
 */
import * as publicModule from './index.js';
import { registerLocalExecutor } from './api/local-execution.js';
import { providePublicModule } from './cluster/job-loader.js';
import { executeLocally } from './cluster/local-executor.js';
// The narrower entry points register themselves for job bundles when loaded.
import './nexmark.js';
import './testing.js';

export * from './api/index.js';
export { JetStreamSource, JetStreamSourceBuilder } from './connectors/jetstream/jetstream-source.js';
export { JetStreamStartingPositions, type JetStreamStartingPosition } from './connectors/jetstream/jetstream-source-settings.js';
export type { JetStreamRecord, JetStreamDeserializer } from './connectors/jetstream/jetstream-record.js';
export type { JetStreamConnectionOptions } from './connectors/jetstream/jetstream-connection.js';
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
  UnsupportedOperationError,
  IOError,
  InternalError,
  type FlussErrorCode,
} from './core/errors.js';
export { loadConfig, type FlussConfig, type RawConfig } from './core/config.js';
export { MiniCluster } from './cluster/mini-cluster.js';
export { JobManager } from './cluster/jobmanager/job-manager.js';
export { TaskManager } from './cluster/taskmanager/task-manager.js';
export { JobManagerClient } from './cluster/rpc/job-manager-client.js';
export type { JobInfo, VertexInfo } from './cluster/rpc/messages.js';
export { VERSION } from './core/version.js';

// Wiring the layers below cannot do themselves: local runs go to the mini-cluster, and job
// bundles evaluated in this process get this very module for `require('fluss')`.
registerLocalExecutor(executeLocally);
providePublicModule('fluss', publicModule);
