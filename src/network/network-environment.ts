/**
 * The data plane of one TaskManager (Flink's NettyShuffleEnvironment): result partitions its
 * tasks produce, input gates its tasks read, the DataExchange gRPC service other TaskManagers
 * subscribe through, and the clients it subscribes with.
 */
import type * as grpc from '@grpc/grpc-js';
import type { Logger } from '../core/logger.js';
import { FailedPreconditionError, InvalidArgumentError } from '../core/errors.js';
import type {
  InputChannelDescriptor,
  InputGate,
  InputGateOptions,
  ResultPartition,
  ResultPartitionOptions,
  ShuffleEnvironment,
} from './shuffle-types.js';
import type { RpcSecurity } from '../core/rpc/credentials.js';
import { DataClientPool } from './data-client-pool.js';
import { dataExchangeServiceDefinition } from './data-exchange-protocol.js';
import { DataExchangeService, DEFAULT_MAX_FRAME_BYTES } from './data-exchange-service.js';
import { FrameCodec } from './frame-codec.js';
import { SingleInputGate } from './input-gate.js';
import type { InputChannel } from './input-channel.js';
import { LocalInputChannel } from './local-input-channel.js';
import { ProducerFailedError } from './network-errors.js';
import { RemoteInputChannel } from './remote-input-channel.js';
import { DEFAULT_MAX_RECORDS_PER_BATCH, PipelinedResultPartition } from './result-partition.js';
import { jobIdOfPartition, ResultPartitionManager } from './result-partition-manager.js';

/** Options of a {@link NetworkEnvironment}. */
export interface NetworkEnvironmentOptions {
  /** Id of the hosting TaskManager; channels whose producer has this id are local. */
  taskManagerId: string;
  logger: Logger;
  /** Credits (batches) per input channel, and the backlog bound of subpartitions (default 4). */
  creditsPerChannel?: number;
  /** How long a subscription waits for its partition to be registered (default 30000 ms). */
  requestTimeoutMs?: number;
  /** Default records per batch of partitions that do not set their own (default 1024). */
  maxRecordsPerBatch?: number;
  /** Transport security of the clients this TaskManager subscribes with (default plaintext). */
  security?: RpcSecurity;
  /** Largest data frame sent to a remote consumer (default: the gRPC message limit). */
  maxFrameBytes?: number;
}

/** The {@link ShuffleEnvironment} of one TaskManager. */
export class NetworkEnvironment implements ShuffleEnvironment {
  readonly taskManagerId: string;
  private address: string | null = null;
  private readonly logger: Logger;
  private readonly creditsPerChannel: number;
  private readonly requestTimeoutMs: number;
  private readonly maxRecordsPerBatch: number;
  private readonly partitions: ResultPartitionManager;
  private readonly gates = new Set<SingleInputGate>();
  private readonly clients: DataClientPool;
  private readonly codec = new FrameCodec();
  private readonly service: DataExchangeService;
  private closed = false;

  constructor(options: NetworkEnvironmentOptions) {
    this.taskManagerId = options.taskManagerId;
    this.logger = options.logger;
    this.creditsPerChannel = positiveInt(options.creditsPerChannel ?? 4, 'creditsPerChannel');
    this.requestTimeoutMs = positiveInt(options.requestTimeoutMs ?? 30_000, 'requestTimeoutMs');
    this.maxRecordsPerBatch = positiveInt(options.maxRecordsPerBatch ?? DEFAULT_MAX_RECORDS_PER_BATCH, 'maxRecordsPerBatch');
    this.partitions = new ResultPartitionManager(this.taskManagerId);
    this.clients = new DataClientPool(options.security);
    this.service = new DataExchangeService(
      this.partitions,
      this.codec,
      this.requestTimeoutMs,
      this.logger,
      positiveInt(options.maxFrameBytes ?? DEFAULT_MAX_FRAME_BYTES, 'maxFrameBytes'),
    );
  }

  /** `host:port` of the TaskManager's data server; set by {@link setDataAddress}. */
  get dataAddress(): string {
    if (this.address === null) {
      throw new FailedPreconditionError(`the data address of TaskManager ${this.taskManagerId} is not known before its server is bound`);
    }
    return this.address;
  }

  /** Records the address the TaskManager's server was bound to. */
  setDataAddress(address: string): void {
    this.address = address;
  }

  /** Adds the DataExchange service to the TaskManager's gRPC server (before it starts). */
  bindService(server: grpc.Server): void {
    server.addService(dataExchangeServiceDefinition(), this.service.handlers());
  }

  createResultPartition(partitionId: string, numberOfSubpartitions: number, options: ResultPartitionOptions): ResultPartition {
    this.checkOpen();
    const partition = new PipelinedResultPartition(
      partitionId,
      numberOfSubpartitions,
      { bufferTimeoutMs: options.bufferTimeoutMs, maxRecordsPerBatch: options.maxRecordsPerBatch ?? this.maxRecordsPerBatch },
      this.creditsPerChannel,
      (p, cause) => this.partitions.unregister(p, cause),
    );
    this.partitions.register(partition);
    return partition;
  }

  createInputGate(channels: InputChannelDescriptor[], options?: InputGateOptions): InputGate {
    this.checkOpen();
    const credits = positiveInt(options?.creditsPerChannel ?? this.creditsPerChannel, 'creditsPerChannel');
    const jobId = channels.length > 0 ? jobIdOfPartition(channels[0]!.partitionId) : '';
    const gate = new SingleInputGate(jobId, (g) => this.gates.delete(g));
    const built: InputChannel[] = channels.map((d, i) =>
      d.producerTaskManagerId === this.taskManagerId
        ? new LocalInputChannel(i, d, credits, gate, this.partitions, this.requestTimeoutMs)
        : new RemoteInputChannel(i, d, credits, gate, this.clients.get(d.producerAddress), this.codec),
    );
    this.gates.add(gate);
    gate.setChannels(built);
    return gate;
  }

  releaseJob(jobId: string, cause?: Error): void {
    this.release(cause ?? new ProducerFailedError(`job ${jobId} was released on TaskManager ${this.taskManagerId}`), jobId);
  }

  releasePartitions(partitionIds: Iterable<string>, cause?: Error): void {
    for (const id of partitionIds) {
      const error = cause ?? new ProducerFailedError(`result partition ${id} was released on TaskManager ${this.taskManagerId}: its producer ended`);
      this.partitions.get(id)?.release(error);
      this.partitions.failWaitersOf(id, error);
    }
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.release(new ProducerFailedError(`the network environment of TaskManager ${this.taskManagerId} was closed`));
    this.clients.close();
    this.logger.debug({ taskManagerId: this.taskManagerId }, 'network environment closed');
  }

  /** Fails the partitions, waiting requests and gates of one job (or of all jobs) with `error`. */
  private release(error: Error, jobId?: string): void {
    for (const p of this.partitions.list(jobId)) p.release(error);
    this.partitions.failWaiters(error, jobId);
    for (const gate of [...this.gates]) {
      if (jobId !== undefined && gate.jobId !== jobId) continue;
      gate.fail(error);
      gate.close();
    }
  }

  private checkOpen(): void {
    if (this.closed) throw new FailedPreconditionError(`the network environment of TaskManager ${this.taskManagerId} is closed`);
  }
}

function positiveInt(value: number, name: string): number {
  if (!Number.isInteger(value) || value < 1) throw new InvalidArgumentError(`${name} must be a positive integer, got ${value}`);
  return value;
}
