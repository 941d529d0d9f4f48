/**
 * The JobManager daemon: a gRPC server for JobManagerService with its Dispatcher,
 * ResourceManager and blob store. `fluss jobmanager` and the mini-cluster start this class.
 */
import * as grpc from '@grpc/grpc-js';
import type { FlussConfig } from '../../core/config.js';
import { FlussError } from '../../core/errors.js';
import type { Logger } from '../../core/logger.js';
import { GRPC_OPTIONS, loadFlussProto } from '../../core/proto.js';
import { bindServer, shutdownServer } from '../rpc/grpc-server.js';
import { BlobStore } from './blob-store.js';
import { Dispatcher } from './dispatcher.js';
import { jobManagerServiceHandlers } from './job-manager-service.js';
import { ResourceManager } from './resource-manager.js';

const WILDCARD_HOSTS = new Set(['0.0.0.0', '::', '[::]']);

/** The JobManager: Dispatcher + ResourceManager + JobMasters behind one gRPC server. */
export class JobManager {
  /** Job registry (exposed for embedding and tests). */
  readonly dispatcher: Dispatcher;
  /** TaskManager registry and slots (exposed for embedding and tests). */
  readonly resourceManager: ResourceManager;
  private readonly log: Logger;
  private readonly rootLogger: Logger;
  private server: grpc.Server | undefined;
  private boundAddress: string | undefined;

  constructor(
    private readonly config: FlussConfig,
    logger: Logger,
  ) {
    this.rootLogger = logger;
    this.log = logger.child({ component: 'JobManager' });
    this.resourceManager = new ResourceManager(config, logger);
    this.dispatcher = new Dispatcher(config, logger, this.resourceManager, new BlobStore(config['high-availability.storageDir']));
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
    const server = new grpc.Server(GRPC_OPTIONS);
    server.addService(loadFlussProto().JobManagerService.service, jobManagerServiceHandlers(this.dispatcher, this.resourceManager, this.rootLogger));
    const host = this.config['jobmanager.bind-host'];
    const bound = await bindServer(server, host, this.config['jobmanager.rpc.port']);
    const port = bound.slice(bound.lastIndexOf(':') + 1);
    this.boundAddress = WILDCARD_HOSTS.has(host) ? `${this.config['jobmanager.rpc.address']}:${port}` : bound;
    this.server = server;
    this.resourceManager.start();
    this.log.info({ address: this.boundAddress }, 'JobManager started');
  }

  /** Suspends running jobs and stops serving. */
  async stop(): Promise<void> {
    const server = this.server;
    if (!server) return;
    this.server = undefined;
    this.dispatcher.stop();
    this.resourceManager.stop();
    await shutdownServer(server);
    this.log.info('JobManager stopped');
  }
}
