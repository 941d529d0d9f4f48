/**
 * The mini-cluster: the real JobManager and TaskManager classes in one process, talking gRPC
 * over loopback on free ports. Used by `fluss run --local`, `executeAndCollect()` and tests.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Logger } from 'pino';
import { loadConfig, type FlussConfig, type RawConfig } from '../core/config.js';
import { FailedPreconditionError } from '../core/errors.js';
import { createLogger, silentLogger } from '../core/logger.js';
import { JobManager } from './jobmanager/job-manager.js';
import { TaskManager } from './taskmanager/task-manager.js';

/** Options of a {@link MiniCluster}. */
export interface MiniClusterOptions {
  /** Number of TaskManagers (default 1). */
  numTaskManagers?: number;
  /** Slots per TaskManager (default `taskmanager.numberOfTaskSlots`, i.e. 1). */
  slotsPerTaskManager?: number;
  /** Configuration overrides (highest precedence). */
  config?: RawConfig;
  /** Logger; default silent (debug logs on stderr with `FLUSS_DEBUG=1`). */
  logger?: Logger;
}

/** A JobManager and TaskManagers in this process. */
export class MiniCluster {
  private jobManager: JobManager | undefined;
  private readonly taskManagers: TaskManager[] = [];
  private workDir: string | undefined;
  private readonly logger: Logger;

  constructor(private readonly options: MiniClusterOptions = {}) {
    // Quiet by default: an embedded cluster must not mix logs into a program's output.
    this.logger = options.logger ?? (process.env['FLUSS_DEBUG'] === '1' ? createLogger({ level: 'debug' }) : silentLogger());
  }

  /** `host:port` of the JobManager (after {@link start}). */
  get jobManagerAddress(): string {
    if (!this.jobManager) throw new FailedPreconditionError('MiniCluster is not started');
    return this.jobManager.address;
  }

  /** `host:port` of the JobManager's REST API and dashboard (after {@link start}). */
  get restAddress(): string {
    if (!this.jobManager) throw new FailedPreconditionError('MiniCluster is not started');
    return this.jobManager.restAddress;
  }

  /** The TaskManagers (after {@link start}). */
  getTaskManagers(): readonly TaskManager[] {
    return this.taskManagers;
  }

  /** Starts the JobManager, then the TaskManagers; resolves once every TaskManager registered. */
  async start(): Promise<void> {
    if (this.jobManager) throw new FailedPreconditionError('MiniCluster already started');
    this.workDir = await mkdtemp(join(tmpdir(), 'fluss-minicluster-'));
    const config = this.buildConfig(this.workDir);
    try {
      const jobManager = new JobManager(config, this.logger);
      this.jobManager = jobManager;
      await jobManager.start();
      const count = this.options.numTaskManagers ?? 1;
      for (let i = 0; i < count; i++) {
        const tm = new TaskManager(config, this.logger, { jobManagerAddress: jobManager.address });
        this.taskManagers.push(tm);
        await tm.start();
      }
      await Promise.all(this.taskManagers.map((tm) => tm.whenRegistered()));
    } catch (err) {
      await this.stop();
      throw err;
    }
  }

  /** Stops the TaskManagers, then the JobManager, and removes the cluster's files. */
  async stop(): Promise<void> {
    const tms = this.taskManagers.splice(0);
    await Promise.all(tms.map((tm) => tm.stop()));
    const jm = this.jobManager;
    this.jobManager = undefined;
    await jm?.stop();
    if (this.workDir) await rm(this.workDir, { recursive: true, force: true });
    this.workDir = undefined;
  }

  private buildConfig(workDir: string): FlussConfig {
    const slots = this.options.slotsPerTaskManager;
    return loadConfig({
      // The environment's FLUSS_PROPERTIES belong to real clusters, not to an embedded one.
      properties: '',
      overrides: {
        'jobmanager.rpc.address': '127.0.0.1',
        'jobmanager.bind-host': '127.0.0.1',
        'jobmanager.rpc.port': 0,
        'rest.port': 0,
        'rest.bind-address': '127.0.0.1',
        'taskmanager.bind-host': '127.0.0.1',
        'taskmanager.rpc.port': 0,
        'io.tmp.dirs': join(workDir, 'tmp'),
        'state.checkpoints.dir': join(workDir, 'checkpoints'),
        'state.savepoints.dir': join(workDir, 'savepoints'),
        'high-availability.storageDir': join(workDir, 'ha'),
        'heartbeat.interval': 500,
        ...(slots !== undefined ? { 'taskmanager.numberOfTaskSlots': slots } : {}),
        ...(this.options.config ?? {}),
      },
    });
  }
}
