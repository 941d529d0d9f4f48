/**
 * `fluss/cluster`: run and talk to a cluster from code: the in-process {@link MiniCluster}, the
 * {@link JobManager} and {@link TaskManager} daemons, the {@link JobManagerClient}, their
 * configuration and the job information they report. Loading it loads the package entry, so
 * job bundles run by these daemons find `fluss` and its other entry points.
 */
import { providePublicModule } from './cluster/job-loader.js';
import * as cluster from './cluster-entry.js';
import './index.js';

export { MiniCluster, type MiniClusterOptions } from './cluster/mini-cluster.js';
export { JobManager } from './cluster/jobmanager/job-manager.js';
export { TaskManager } from './cluster/taskmanager/task-manager.js';
export { JobManagerClient } from './cluster/rpc/job-manager-client.js';
export { connectToLeader } from './cluster/ha/leader-job-manager-client.js';
export type { JobInfo, VertexInfo } from './cluster/rpc/messages.js';
export { loadConfig, type FlussConfig, type RawConfig } from './core/config.js';

providePublicModule('fluss/cluster', cluster);
