/**
 * The JobManager daemon: a gRPC server for JobManagerService with its Dispatcher,
 * ResourceManager and blob store. `fluss jobmanager` and the mini-cluster start this class.
 */
import type * as grpc from '@grpc/grpc-js';
import type { FlussConfig } from '../../core/config.js';
import { FlussError } from '../../core/errors.js';
import type { Logger } from '../../core/logger.js';
import { loadFlussProto } from '../../core/proto.js';
import { rpcSecurityFromConfig, type RpcSecurity } from '../../core/rpc/credentials.js';
import { bindServer, createGrpcServer, shutdownServer } from '../rpc/grpc-server.js';
import { payloadLimitsOf } from '../rpc/payload-limits.js';
import { BlobStore } from './blob-store.js';
import { Dispatcher } from './dispatcher.js';
import { jobManagerServiceHandlers } from './job-manager-service.js';
import { JobRescaler } from './job-rescaler.js';
import { AdaptiveScheduler, schedulerConfig, schedulerKindOf } from './adaptive-scheduler.js';
import { JobAutoscaler } from './autoscaler/job-autoscaler.js';
import { rescaleServiceHandlers } from './rescale-service-handlers.js';
import type { LeaderFence } from '../ha/fencing.js';
import { ResourceManager } from './resource-manager.js';
import { RestServer } from './rest/rest-server.js';
import { TaskMetricsStore } from './task-metrics-store.js';

const WILDCARD_HOSTS = new Set(['0.0.0.0', '::', '[::]']);

/** Ports tried, from `rest.port` upwards, when it is taken. */
const REST_PORT_ATTEMPTS = 32;

/** The JobManager: Dispatcher + ResourceManager + JobMasters behind one gRPC server. */
export class JobManager {
  /** Job registry (exposed for embedding and tests). */
  readonly dispatcher: Dispatcher;
  /** TaskManager registry and slots (exposed for embedding and tests). */
  readonly resourceManager: ResourceManager;
  /** Task metrics reported with TaskManager heartbeats. */
  readonly taskMetrics = new TaskMetricsStore();
  /** Rescaling of running jobs (rescale on request, adaptive scheduler, reactive mode). */
  readonly rescaler: JobRescaler;
  /** The adaptive scheduler or reactive mode, when configured. */
  private readonly adaptiveScheduler: AdaptiveScheduler | undefined;
  /** The autoscaler (`jobmanager.autoscaler.enabled`). */
  readonly autoscaler: JobAutoscaler;
  private readonly rest: RestServer;
  private restBound: string | undefined;
  private readonly log: Logger;
  private readonly rootLogger: Logger;
  private server: grpc.Server | undefined;
  private boundAddress: string | undefined;
  private readonly security: RpcSecurity;

  constructor(
    private readonly config: FlussConfig,
    logger: Logger,
    /** With leader election: the term this JobManager leads in (fences its writes and RPCs). */
    options: { fence?: LeaderFence } = {},
  ) {
    this.rootLogger = logger;
    this.log = logger.child({ component: 'JobManager' });
    // Reads the PEM files now: a missing one fails the start with its key named.
    this.security = rpcSecurityFromConfig(config);
    this.resourceManager = new ResourceManager(config, logger, this.security, options.fence);
    this.dispatcher = new Dispatcher(schedulerConfig(config), logger, this.resourceManager, new BlobStore(config['high-availability.storageDir']));
    this.dispatcher.onJobRemoved((jobId) => this.taskMetrics.removeJob(jobId));
    this.rescaler = new JobRescaler(this.dispatcher, this.resourceManager, config, logger);
    this.dispatcher.onJobRemoved((jobId) => this.rescaler.history.remove(jobId));
    this.autoscaler = new JobAutoscaler(config, this.dispatcher, this.rescaler, this.taskMetrics, logger);
    this.dispatcher.onJobCreated((job) => this.autoscaler.jobCreated(job));
    const kind = schedulerKindOf(config);
    if (kind !== 'default') {
      const scheduler = new AdaptiveScheduler(kind, () => this.dispatcher.jobMasters(), this.resourceManager, this.rescaler, config, logger);
      this.dispatcher.onJobCreated((job) => scheduler.jobCreated(job));
      this.adaptiveScheduler = scheduler;
    }
    this.rest = new RestServer(
      {
        dispatcher: this.dispatcher,
        resourceManager: this.resourceManager,
        taskMetrics: this.taskMetrics,
        savepointRoots: [config['state.savepoints.dir'], config['state.checkpoints.dir']],
        rescaler: this.rescaler,
        autoscaler: this.autoscaler,
      },
      logger,
      undefined,
      { token: this.security.token },
    );
  }

  /**
   * `host:port` of the REST API and dashboard, after {@link start}: `rest.bind-address:rest.port`
   * with the port actually bound; a wildcard bind address is reported as `rest.address`.
   */
  get restAddress(): string {
    if (!this.restBound) throw new FlussError('FAILED_PRECONDITION', 'the JobManager is not started');
    return this.restBound;
  }

  /**
   * `host:port` clients and TaskManagers connect to, after {@link start}. A wildcard bind host
   * is reported as `jobmanager.rpc.address`.
   */
  get address(): string {
    if (!this.boundAddress) throw new FlussError('FAILED_PRECONDITION', 'the JobManager is not started');
    return this.boundAddress;
  }

  /** Binds `jobmanager.bind-host:jobmanager.rpc.port` (0 = a free port) and starts serving. */
  async start(): Promise<void> {
    if (this.server) return;
    const limits = payloadLimitsOf(this.config);
    const server = createGrpcServer(this.security, {
      // A submission is one bundle plus one JobGraph; anything larger is refused by gRPC itself.
      maxReceiveMessageBytes: limits.maxBundleBytes + limits.maxJsonBytes + 64 * 1024,
      onRefused: (reason, method, peer) => this.log.warn({ method, peer, reason }, 'refused an unauthenticated call'),
    });
    server.addService(loadFlussProto().JobManagerService.service, {
      ...jobManagerServiceHandlers(this.dispatcher, this.resourceManager, this.rootLogger, this.taskMetrics, limits),
      ...rescaleServiceHandlers(this.dispatcher, this.rescaler, limits),
    });
    const host = this.config['jobmanager.bind-host'];
    const bound = await bindServer(server, host, this.config['jobmanager.rpc.port'], this.security);
    const port = bound.slice(bound.lastIndexOf(':') + 1);
    this.boundAddress = WILDCARD_HOSTS.has(host) ? `${this.config['jobmanager.rpc.address']}:${port}` : bound;
    this.server = server;
    const restHost = this.config['rest.bind-address'];
    try {
      await this.startRest(restHost, this.config['rest.port']);
    } catch (err) {
      this.server = undefined;
      await shutdownServer(server);
      throw err;
    }
    const restPort = this.rest.port;
    this.restBound = WILDCARD_HOSTS.has(restHost) ? `${this.config['rest.address']}:${restPort}` : this.rest.address;
    this.resourceManager.start();
    this.autoscaler.start();
    // Jobs a previous JobManager left running resume once TaskManagers (re)connect.
    const recovered = await this.dispatcher.recoverJobs();
    if (recovered.length > 0) this.log.info({ jobs: recovered }, 'recovered jobs from high-availability.storageDir');
    this.log.info(
      { address: this.boundAddress, rest: `http://${this.restBound}`, tls: this.security.tls !== undefined, auth: this.security.token !== undefined },
      'JobManager started',
    );
  }

  /**
   * Binds the REST server. A configured port that is taken moves to the next free one (up to
   * {@link REST_PORT_ATTEMPTS}, as Spark's UI does) with a warning naming the port used, so a
   * second JobManager on one host still gets its dashboard; 0 takes any free port.
   */
  private async startRest(host: string, port: number): Promise<void> {
    const attempts = port === 0 ? 1 : REST_PORT_ATTEMPTS;
    for (let i = 0; ; i++) {
      try {
        await this.rest.start(host, port === 0 ? 0 : port + i);
        if (i > 0) this.log.warn({ configured: port, bound: port + i }, `rest.port ${port} is in use; the REST API listens on ${port + i}`);
        return;
      } catch (err) {
        const inUse = err instanceof Error && (err.cause as NodeJS.ErrnoException | undefined)?.code === 'EADDRINUSE';
        if (!inUse || i + 1 >= attempts || port + i + 1 > 65535) throw err;
      }
    }
  }

  /** Suspends running jobs and stops serving. */
  async stop(): Promise<void> {
    const server = this.server;
    if (!server) return;
    this.server = undefined;
    this.dispatcher.stop();
    this.adaptiveScheduler?.stop();
    this.autoscaler.stop();
    this.resourceManager.stop();
    await Promise.all([shutdownServer(server), this.rest.stop()]);
    this.log.info('JobManager stopped');
  }
}
