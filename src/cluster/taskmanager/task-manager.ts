/**
 * The TaskManager daemon: one gRPC server hosting the TaskManagerService (deploy/cancel) and
 * the DataExchange data plane, a {@link TaskExecutor} running subtasks, and a
 * {@link JobManagerConnection} that registers and heartbeats. It never exits because the
 * JobManager is away, and a failing task never takes it down.
 */
import { TaskMetricsReporter } from './task-metrics-reporter.js';
import { mkdir, rm } from 'node:fs/promises';
import { hostname } from 'node:os';
import { join } from 'node:path';
import type * as grpc from '@grpc/grpc-js';
import type { Logger } from 'pino';
import type { FlussConfig } from '../../core/config.js';
import { describeError, FailedPreconditionError } from '../../core/errors.js';
import { newId } from '../../core/ids.js';
import { loadFlussProto } from '../../core/proto.js';
import { configurePoisonRecords } from '../../connectors/poison-records.js';
import { NetworkEnvironment } from '../../network/network-environment.js';
import { firstTmpDir } from '../../state/keyed-state-backend-factory.js';
import { rpcSecurityFromConfig, type RpcSecurity } from '../../core/rpc/credentials.js';
import { bindServer, createGrpcServer, shutdownServer } from '../rpc/grpc-server.js';
import { payloadLimitsOf } from '../rpc/payload-limits.js';
import { JobBundleCache } from './job-bundle-cache.js';
import { JobManagerConnection } from './job-manager-connection.js';
import { etcdHaEnabled } from '../ha/etcd-connection.js';
import { TaskManagerLeaderFollower } from '../ha/task-manager-leader-follower.js';
import { TaskExecutor } from './task-executor.js';
import { ManagedMemoryPool } from '../../state/managed-memory.js';
import { deriveTaskManagerMemory, describeTaskManagerMemory, memoryMessage, type TaskManagerMemory } from './task-manager-memory.js';
import { taskManagerServiceHandlers } from './task-manager-service.js';
import { TaskLocalStateStores } from '../../checkpoint/local-state-stores.js';

/** Options of a {@link TaskManager}. */
export interface TaskManagerOptions {
  /** `host:port` of the JobManager; default `jobmanager.rpc.address:jobmanager.rpc.port`. */
  jobManagerAddress?: string;
  /**
   * The memory budget, as the daemon derived it when it sized its V8 heap. Default: derived
   * from the configuration for a TaskManager inside another process (the mini-cluster).
   */
  memory?: TaskManagerMemory;
}

/** How long `stop()` waits for cancelled tasks to wind down. */
const STOP_GRACE_MS = 5_000;

/** A TaskManager process (or one of several in a mini-cluster). */
export class TaskManager {
  /** Random id, new on every start of the process. */
  readonly taskManagerId: string = newId();
  private readonly log: Logger;
  /** Root logger bound to this TaskManager's id (components add their own names). */
  private readonly baseLog: Logger;
  private readonly jobManagerAddress: string;
  private server: grpc.Server | undefined;
  private network: NetworkEnvironment | undefined;
  /** Task-local state, with `state.backend.local-recovery`. */
  private localStates: TaskLocalStateStores | undefined;
  private connection: JobManagerConnection | undefined;
  /** With `high-availability.type: etcd`: the leader on etcd and the fencing-token check. */
  private ha: TaskManagerLeaderFollower | undefined;
  private executor: TaskExecutor | undefined;
  private tmpDir: string | undefined;
  private metrics: TaskMetricsReporter | undefined;
  private advertised: string | undefined;
  private readonly security: RpcSecurity;
  /** The memory budget (heap, managed memory, overhead). */
  readonly memory: TaskManagerMemory;
  /** Managed memory, shared by the state backends of this TaskManager's slots. */
  readonly managedMemory: ManagedMemoryPool;

  constructor(
    private readonly config: FlussConfig,
    logger: Logger,
    options: TaskManagerOptions = {},
  ) {
    this.baseLog = logger.child({ taskManagerId: this.taskManagerId });
    this.log = this.baseLog.child({ component: 'TaskManager' });
    this.jobManagerAddress = options.jobManagerAddress ?? `${config['jobmanager.rpc.address']}:${config['jobmanager.rpc.port']}`;
    // Reads the PEM files now: a missing one fails the start with its key named.
    this.security = rpcSecurityFromConfig(config);
    // Contradicting memory keys fail the start with the keys named.
    this.memory = options.memory ?? deriveTaskManagerMemory(config, true);
    this.managedMemory = new ManagedMemoryPool(this.memory.managedBytes, config['taskmanager.numberOfTaskSlots']);
  }

  /** Advertised `host:port` of this TaskManager's server (after {@link start}). */
  get address(): string {
    if (!this.advertised) throw new FailedPreconditionError('TaskManager is not started');
    return this.advertised;
  }

  /** Subtasks currently deployed on this TaskManager (0 before {@link start}). */
  get numberOfTasks(): number {
    return this.executor?.numberOfTasks ?? 0;
  }

  /** True once registered at the JobManager. */
  get isRegistered(): boolean {
    return this.connection?.isRegistered ?? false;
  }

  /** Resolves once registered at the JobManager. */
  whenRegistered(): Promise<void> {
    if (!this.connection) return Promise.reject(new FailedPreconditionError('TaskManager is not started'));
    return this.connection.whenRegistered();
  }

  /** Binds the server and starts registering at the JobManager (in the background). */
  async start(): Promise<void> {
    if (this.server) throw new FailedPreconditionError('TaskManager already started');
    const config = this.config;
    this.tmpDir = join(firstTmpDir(config['io.tmp.dirs']), `taskmanager-${this.taskManagerId}`);
    await mkdir(this.tmpDir, { recursive: true });
    if (etcdHaEnabled(config)) this.ha = await TaskManagerLeaderFollower.start(config, this.log);

    const network = new NetworkEnvironment({
      taskManagerId: this.taskManagerId,
      logger: this.baseLog.child({ component: 'Network' }),
      creditsPerChannel: config['taskmanager.network.memory.buffers-per-channel'],
      requestTimeoutMs: config['taskmanager.network.request-timeout'],
      security: this.security,
    });
    this.network = network;
    const metrics = new TaskMetricsReporter(config, this.taskManagerId);
    await metrics.start();
    this.metrics = metrics;
    if (config['state.backend.local-recovery']) {
      const root = localStateRoot(config, this.tmpDir, this.taskManagerId);
      this.localStates = new TaskLocalStateStores(root, (what, err) => this.log.warn({ err: describeError(err) }, `Local state: ${what} failed`));
      this.log.info({ root }, 'Task-local recovery is on');
    }

    // Sources without their own poison-record policy follow the cluster's.
    configurePoisonRecords({
      policy: config['pipeline.poison-records.policy'],
      logIntervalMs: config['pipeline.poison-records.log-interval'],
      log: this.baseLog.child({ component: 'PoisonRecords' }),
    });

    const limits = payloadLimitsOf(config);
    // One server for TaskManagerService and the data plane: both under the same TLS and token.
    const server = createGrpcServer(this.security, {
      // A deployment is two JSON fields; consumers only send subscriptions and credits.
      maxReceiveMessageBytes: 2 * limits.maxJsonBytes + 64 * 1024,
      onRefused: (reason, method, peer) => this.log.warn({ method, peer, reason }, 'refused an unauthenticated call'),
    });
    const bindHost = config['taskmanager.bind-host'];
    const bound = await bindServer(server, bindHost, config['taskmanager.rpc.port'], this.security);
    this.server = server;
    const port = bound.slice(bound.lastIndexOf(':') + 1);
    this.advertised = `${formatHost(advertisedHost(config))}:${port}`;
    network.setDataAddress(this.advertised);

    const connection = new JobManagerConnection({
      jobManagerAddress: this.jobManagerAddress,
      taskManagerId: this.taskManagerId,
      rpcAddress: this.advertised,
      numberOfSlots: config['taskmanager.numberOfTaskSlots'],
      memory: memoryMessage(this.memory),
      initialBackoffMs: config['taskmanager.registration.initial-backoff'],
      maxBackoffMs: config['taskmanager.registration.max-backoff'],
      heartbeatIntervalMs: config['heartbeat.interval'],
      heartbeatTimeoutMs: config['heartbeat.timeout'],
      runningTasks: () => this.executor?.runningTasks() ?? [],
      metricsJson: () => metrics.metricsJson(),
      localStateJobIds: () => this.localStates?.jobIds() ?? [],
      onJobsEnded: (jobIds) => {
        for (const jobId of jobIds) void this.localStates?.releaseJob(jobId);
      },
      logger: this.log,
      security: this.security,
    });
    this.connection = connection;
    const executor = new TaskExecutor({
      config,
      logger: this.baseLog,
      shuffle: network,
      bundles: new JobBundleCache(join(this.tmpDir, 'bundles'), (hash) => connection.fetchBundle(hash)),
      tmpDir: this.tmpDir,
      managedMemory: this.managedMemory,
      reportTaskState: (update) => connection.reportTaskState(update),
      acknowledgeCheckpoint: (jobId, ack) => connection.acknowledgeCheckpoint(jobId, ack),
      declineCheckpoint: (decline) => connection.declineCheckpoint(decline),
      metrics,
      ...(this.localStates ? { localStates: this.localStates } : {}),
    });
    this.executor = executor;

    // Services are registered before any RPC can arrive: bindAsync does not serve until here.
    const handlers = taskManagerServiceHandlers(executor, this.log, limits);
    server.addService(loadFlussProto().TaskManagerService.service, this.ha ? this.ha.fence(handlers) : handlers);
    network.bindService(server);
    this.log.info(
      {
        address: this.advertised,
        slots: config['taskmanager.numberOfTaskSlots'],
        jobManager: this.jobManagerAddress,
        tls: this.security.tls !== undefined,
        auth: this.security.token !== undefined,
      },
      'TaskManager started',
    );
    this.log.info({ memory: this.memory }, describeTaskManagerMemory(this.memory, config['taskmanager.numberOfTaskSlots']));
    connection.start();
    this.ha?.follow((address) => connection.switchJobManager(address));
  }

  /** Cancels running tasks, deregisters (by going silent), closes the server and temp files. */
  async stop(): Promise<void> {
    const server = this.server;
    if (!server) return;
    this.server = undefined;
    await this.executor?.cancelAll(STOP_GRACE_MS);
    await this.connection?.stop();
    this.ha?.stop();
    await this.network?.close().catch((err: unknown) => this.log.warn({ err: describeError(err) }, 'Closing the network failed'));
    await shutdownServer(server);
    await this.metrics?.stop();
    await this.localStates?.close();
    if (this.tmpDir) await rm(this.tmpDir, { recursive: true, force: true });
    this.log.info('TaskManager stopped');
  }
}

/**
 * Root of this TaskManager's task-local state: `fluss-localState-<id>` in the first of
 * `taskmanager.state.local.root-dirs`, else `local-state` in its temp directory (beside its
 * LevelDB databases). The id is new on every start, so a restarted process starts empty.
 */
function localStateRoot(config: FlussConfig, tmpDir: string, taskManagerId: string): string {
  const dirs = config['taskmanager.state.local.root-dirs'];
  return dirs ? join(firstTmpDir(dirs), `fluss-localState-${taskManagerId}`) : join(tmpDir, 'local-state');
}

/** `taskmanager.host`, else the bind host, else (wildcard bind) this machine's host name. */
function advertisedHost(config: FlussConfig): string {
  const host = config['taskmanager.host'];
  if (host) return host;
  const bind = config['taskmanager.bind-host'];
  return bind === '0.0.0.0' || bind === '::' ? hostname() : bind;
}

function formatHost(host: string): string {
  return host.includes(':') && !host.startsWith('[') ? `[${host}]` : host;
}
