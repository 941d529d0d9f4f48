/**
 * StreamExecutionEnvironment: where a job is described (Flink's class of the same name).
 * It records sources, job-wide settings and, through the streams it creates, the whole
 * StreamGraph. Inside a job builder (`buildJob`, `fluss run`) it only records; an environment
 * obtained outside a builder runs its job on a local mini-cluster from `execute()`.
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import type { BuiltJob } from '../common/built-job.js';
import type { KeySelector } from '../common/functions.js';
import type { RestartStrategySettings } from '../common/job-graph.js';
import type { SourceFunction } from '../common/source-functions.js';
import type { Source } from '../common/source.js';
import type { WatermarkStrategy } from '../common/watermark-strategy.js';
import type { SourceFunctionOptions } from '../connectors/source-function-source.js';
import { JobBuildError } from '../core/errors.js';
import { generateJobGraph, type JobSettingsDraft } from '../graph/job-graph-generator.js';
import { StreamGraph, type StreamNode } from '../graph/stream-graph.js';
import { StreamGraphFunctions } from '../graph/stream-graph-functions.js';
import { UPPER_BOUND_MAX_PARALLELISM } from '../state/key-groups.js';
import { CheckpointConfig, type CheckpointingMode } from './checkpoint-config.js';
import { DEFAULT_AUTO_WATERMARK_INTERVAL_MS, ExecutionConfig } from './execution-config.js';
import { checkedTimeCharacteristic, checkRuntimeMode, type RuntimeExecutionMode, type TimeCharacteristic } from './execution-modes.js';
import { addSourceNode, checkFlip27Source, collectionSource, sequenceSource, socketTextSource, sourceFunctionSource, textFileSource } from './environment-sources.js';
import { executionPlanJson } from './execution-plan.js';
import { describeValue, requireParallelism } from './function-checks.js';
import { KeyedStream } from './keyed-stream.js';
import { collectLocally, lastDanglingNode, runJobLocally } from './local-execution.js';
import { checkedRestartStrategy } from './restart-strategies.js';
import { SingleOutputStreamOperator } from './single-output-stream-operator.js';
import type { StateBackend, StateBackendKind } from './state-backends.js';
import type { StreamContext } from './stream-context.js';

/** The job name used when neither `execute(name)` nor the submitter names the job. */
export const DEFAULT_JOB_NAME = 'Fluss Streaming Job';
/** Default buffer timeout: how long records may wait in a network buffer. */
export const DEFAULT_BUFFER_TIMEOUT_MS = 5;

/** How an environment was created. */
export type EnvironmentMode =
  /** Created for a job builder: records the job, `execute()` only records the name. */
  | 'builder'
  /** Created by user code: `execute()` runs the job on a local mini-cluster. */
  | 'local';

/** Options of a new environment. */
export interface EnvironmentOptions {
  /** Parallelism of operators that do not set one (default 1). */
  defaultParallelism?: number;
  mode?: EnvironmentMode;
}

/** The environment of the builder currently running (across its awaits). */
const builderScope = new AsyncLocalStorage<StreamExecutionEnvironment>();

/** The entry point of the DataStream API. */
export class StreamExecutionEnvironment {
  private parallelism: number;
  private maxParallelism: number | undefined;
  private bufferTimeoutMs = DEFAULT_BUFFER_TIMEOUT_MS;
  private stateBackend: StateBackend | undefined;
  private restartStrategy: RestartStrategySettings | undefined;
  private readonly checkpointConfig = new CheckpointConfig();
  private readonly config = new ExecutionConfig();
  private jobName: string | undefined;
  private chainingEnabled = true;
  private timeCharacteristic: TimeCharacteristic = 'EventTime';
  private readonly mode: EnvironmentMode;
  private readonly graph = new StreamGraph();
  private readonly context: StreamContext;

  /**
   * The environment of the job builder being run, or else a new environment that executes
   * jobs on a local mini-cluster.
   */
  static getExecutionEnvironment(options: Omit<EnvironmentOptions, 'mode'> = {}): StreamExecutionEnvironment {
    return builderScope.getStore() ?? new StreamExecutionEnvironment({ ...options, mode: 'local' });
  }

  /** An environment that runs its job on a local mini-cluster (Flink's `createLocalEnvironment`). */
  static createLocalEnvironment(parallelism?: number): StreamExecutionEnvironment {
    return new StreamExecutionEnvironment({ defaultParallelism: parallelism, mode: 'local' });
  }

  /** @internal runs `fn` with `env` as what `getExecutionEnvironment()` returns. */
  static runInBuilderScope<R>(env: StreamExecutionEnvironment, fn: () => R): R {
    return builderScope.run(env, fn);
  }

  constructor(options: EnvironmentOptions = {}) {
    const p = options.defaultParallelism ?? 1;
    requireParallelism('default parallelism', p);
    this.parallelism = p;
    this.mode = options.mode ?? 'local';
    const env = this;
    const uids = new Map<string, number>();
    this.context = {
      environment: env,
      graph: this.graph,
      uids,
      operatorStream: <T>(node: StreamNode) => new SingleOutputStreamOperator<T>(env.context, node),
      keyedStream: <T, K>(id: number, keySelector: KeySelector<T, K>) => new KeyedStream<T, K>(env.context, id, keySelector),
      executeAndCollect: <T>(nodeId: number, jobName?: string) => env.collect<T>(nodeId, jobName),
    };
  }

  // ---- job-wide settings ----

  /** Parallelism of every operator that does not set its own. */
  setParallelism(parallelism: number): this {
    requireParallelism('parallelism', parallelism);
    if (this.maxParallelism !== undefined && parallelism > this.maxParallelism) {
      throw new JobBuildError(`parallelism ${parallelism} is above the max parallelism ${this.maxParallelism}`);
    }
    this.parallelism = parallelism;
    return this;
  }

  /** The default parallelism of operators. */
  getParallelism(): number {
    return this.parallelism;
  }

  /** Number of key groups of keyed state, the upper bound for rescaling (default: Flink's rule, at least 128). */
  setMaxParallelism(maxParallelism: number): this {
    if (!Number.isInteger(maxParallelism) || maxParallelism < 1 || maxParallelism > UPPER_BOUND_MAX_PARALLELISM) {
      throw new JobBuildError(`max parallelism must be an integer in [1, ${UPPER_BOUND_MAX_PARALLELISM}], got ${maxParallelism}`);
    }
    if (this.parallelism > maxParallelism) {
      throw new JobBuildError(`max parallelism ${maxParallelism} is below the parallelism ${this.parallelism}`);
    }
    this.maxParallelism = maxParallelism;
    return this;
  }

  /** The max parallelism set on the environment, or undefined for the default. */
  getMaxParallelism(): number | undefined {
    return this.maxParallelism;
  }

  /** Takes a checkpoint every `intervalMs`. */
  enableCheckpointing(intervalMs: number, mode?: CheckpointingMode): this {
    if (!(Number.isFinite(intervalMs) && intervalMs > 0)) {
      throw new JobBuildError(`checkpoint interval must be a positive number of ms, got ${intervalMs}`);
    }
    this.checkpointConfig.setCheckpointInterval(intervalMs);
    if (mode !== undefined) this.checkpointConfig.setCheckpointingMode(mode);
    return this;
  }

  /** The checkpointing options of the job. */
  getCheckpointConfig(): CheckpointConfig {
    return this.checkpointConfig;
  }

  /** Where keyed state lives: `'memory'`, `'leveldb'` or a backend object. */
  setStateBackend(backend: StateBackendKind | StateBackend): this {
    const kind = typeof backend === 'string' ? backend : backend?.kind;
    if (kind !== 'memory' && kind !== 'leveldb') {
      throw new JobBuildError(`setStateBackend() expects 'memory', 'leveldb' or a state backend, got ${describeValue(backend)}`);
    }
    this.stateBackend = typeof backend === 'string' ? { kind } : backend;
    return this;
  }

  /** The state backend chosen by the job, if any. */
  getStateBackend(): StateBackend | undefined {
    return this.stateBackend;
  }

  /**
   * The job's checkpoint directory: the one its state backend names (`new FsStateBackend(dir)`,
   * `new RocksDBStateBackend(dir)`), else `getCheckpointConfig().setCheckpointStorage(dir)`'s, as
   * in Flink; undefined: the cluster's `state.checkpoints.dir`.
   */
  getCheckpointStorage(): string | undefined {
    return this.stateBackend?.checkpointDir ?? this.checkpointConfig.getCheckpointStorage()?.getCheckpointPath();
  }

  /**
   * How the job restarts after a failure (`RestartStrategies.fixedDelayRestart(3, 1000)`, …);
   * `RestartStrategies.fallBackRestart()` (undefined) leaves it to the cluster's configuration.
   */
  setRestartStrategy(strategy: RestartStrategySettings | undefined): this {
    this.restartStrategy = checkedRestartStrategy(strategy);
    return this;
  }

  /** Longest time (ms) a record waits in a partly filled network buffer. */
  setBufferTimeout(timeoutMs: number): this {
    if (!Number.isFinite(timeoutMs) || timeoutMs < 0) throw new JobBuildError(`buffer timeout must be a non-negative number of ms, got ${timeoutMs}`);
    this.bufferTimeoutMs = timeoutMs;
    return this;
  }

  /** The buffer timeout in ms. */
  getBufferTimeout(): number {
    return this.bufferTimeoutMs;
  }

  /** Execution options (auto watermark interval). */
  getConfig(): ExecutionConfig {
    return this.config;
  }

  /** Job-scoped configuration over the cluster's (Flink's `env.configure`), as {@link ExecutionConfig.configure}. */
  configure(configuration: Readonly<Record<string, string | number | boolean>>): this {
    this.config.configure(configuration);
    return this;
  }

  /**
   * Registers a class whose instances are sent through network exchanges (`keyBy`, rebalance…)
   * and kept in state as instances of it (Flink's `env.registerType(Ride.class)`); same as
   * `getConfig().registerPojoType(type, name)`.
   */
  registerType(type: abstract new (...args: never[]) => unknown, name?: string): this {
    this.config.registerPojoType(type, name);
    return this;
  }

  /** Runs every operator in its own task: no operator is chained to another. */
  disableOperatorChaining(): this {
    this.chainingEnabled = false;
    return this;
  }

  /** False after {@link disableOperatorChaining}. */
  isChainingEnabled(): boolean {
    return this.chainingEnabled;
  }

  /**
   * Flink's execution mode. Fluss executes streaming only: `STREAMING` is accepted; `BATCH`
   * and `AUTOMATIC` are refused, since batch execution changes results (final instead of
   * rolling aggregates) and silently running them as streaming would too.
   */
  setRuntimeMode(mode: RuntimeExecutionMode): this {
    checkRuntimeMode(mode);
    return this;
  }

  /**
   * Flink's deprecated time characteristic, as Flink ≥ 1.12 treats it: event time is always
   * on; `ProcessingTime` sets the auto watermark interval to 0, the others to 200 ms.
   */
  setStreamTimeCharacteristic(characteristic: TimeCharacteristic): this {
    this.timeCharacteristic = checkedTimeCharacteristic(characteristic);
    this.config.setAutoWatermarkInterval(characteristic === 'ProcessingTime' ? 0 : DEFAULT_AUTO_WATERMARK_INTERVAL_MS);
    return this;
  }

  /** The characteristic last given to {@link setStreamTimeCharacteristic} (EventTime by default). */
  getStreamTimeCharacteristic(): TimeCharacteristic {
    return this.timeCharacteristic;
  }

  // ---- sources ----

  /** A bounded, non-parallel stream of the given elements. */
  fromElements<T>(...elements: T[]): SingleOutputStreamOperator<T> {
    if (elements.length === 0) throw new JobBuildError('fromElements() needs at least one element');
    return this.addSourceNode(collectionSource<T>(elements), undefined, undefined);
  }

  /** Flink 1.19's name for {@link fromElements}. */
  fromData<T>(...elements: T[]): SingleOutputStreamOperator<T> {
    return this.fromElements(...elements);
  }

  /** Flink's deprecated name for {@link fromSequence}. */
  generateSequence(from: number, to: number): SingleOutputStreamOperator<number> {
    return this.fromSequence(from, to);
  }

  /** A bounded, non-parallel stream of the elements of `collection`. */
  fromCollection<T>(collection: Iterable<T>): SingleOutputStreamOperator<T> {
    return this.addSourceNode(collectionSource(collection), undefined, undefined);
  }

  /** The numbers `from … to` (inclusive), read in parallel. */
  fromSequence(from: number, to: number): SingleOutputStreamOperator<number> {
    return this.addSourceNode(sequenceSource(from, to), undefined, undefined);
  }

  /** The lines of a text file, or of every file in a directory. */
  readTextFile(path: string): SingleOutputStreamOperator<string> {
    return this.addSourceNode(textFileSource(path), undefined, undefined);
  }

  /** Text from a TCP socket, split by `delimiter` (non-parallel, unbounded). */
  socketTextStream(host: string, port: number, delimiter = '\n'): SingleOutputStreamOperator<string> {
    return this.addSourceNode(socketTextSource(host, port, delimiter), undefined, undefined);
  }

  /** A stream read from `source` (FLIP-27 style), named `name`. */
  fromSource<T>(source: Source<T>, watermarkStrategy: WatermarkStrategy<T>, name?: string): SingleOutputStreamOperator<T> {
    checkFlip27Source(source, watermarkStrategy);
    return this.addSourceNode(source, watermarkStrategy, name);
  }

  /**
   * A stream from a legacy {@link SourceFunction} (Flink's `addSource`): its `run(ctx)` emits
   * with `ctx.collect(x)` until it returns or is canceled. A `SourceFunction` or
   * `RichSourceFunction` runs with one subtask (a higher parallelism is refused); one extending
   * `ParallelSourceFunction` or `RichParallelSourceFunction` with any. `options.bufferCapacity`
   * bounds what it may collect ahead of the task (see `source-function-source.ts`).
   */
  addSource<T>(fn: SourceFunction<T>, sourceName?: string, options?: SourceFunctionOptions): SingleOutputStreamOperator<T> {
    const node = this.addSourceNode(sourceFunctionSource(fn, sourceName, options), undefined, sourceName);
    if (node.node.maxParallelism === 1) {
      node.node.settings.nonParallel = 'a SourceFunction runs with one subtask: extend ParallelSourceFunction or RichParallelSourceFunction to run it in parallel';
    }
    return node;
  }

  private addSourceNode<T>(source: Source<T>, watermarkStrategy: WatermarkStrategy<T> | undefined, name: string | undefined): SingleOutputStreamOperator<T> {
    return new SingleOutputStreamOperator<T>(this.context, addSourceNode(this.graph, source, watermarkStrategy, name));
  }

  // ---- execution ----

  /**
   * Inside a job builder: records the job name and resolves at once. Otherwise: runs the job
   * on a local mini-cluster and resolves when it finished.
   */
  async execute(jobName?: string): Promise<void> {
    if (jobName !== undefined) this.jobName = jobName;
    if (this.mode === 'builder') return;
    await runJobLocally(this.toBuiltJob(this.jobName ?? DEFAULT_JOB_NAME));
  }

  /**
   * Runs the job locally and returns the records of the most recently created stream that
   * feeds nothing yet (usually the last transformation). `stream.executeAndCollect()` says
   * which stream explicitly.
   */
  executeAndCollect<T = unknown>(jobName?: string): Promise<T[]> {
    return this.collect<T>(lastDanglingNode(this.graph), jobName);
  }

  /**
   * The job's dataflow as Flink's execution-plan JSON (`{"nodes": [...]}`): one entry per
   * operator before chaining, with its parallelism and, per input, how records are partitioned
   * (`FORWARD`, `HASH`, `REBALANCE`, ...), for Flink's plan visualizer or a look at the job.
   */
  getExecutionPlan(): string {
    return executionPlanJson(this.graph, this.parallelism);
  }

  /** The job name given to `execute(name)`, if any. */
  getJobName(): string | undefined {
    return this.jobName;
  }

  /** @internal the StreamGraph recorded so far. */
  getStreamGraph(): StreamGraph {
    return this.graph;
  }

  /** @internal the job-wide settings recorded so far. */
  getSettingsDraft(): JobSettingsDraft {
    const draft: JobSettingsDraft = {
      parallelism: this.parallelism,
      maxParallelism: this.maxParallelism,
      bufferTimeoutMs: this.bufferTimeoutMs,
      checkpoint: this.checkpointConfig.toSettings(),
      autoWatermarkIntervalMs: this.config.getAutoWatermarkInterval(),
    };
    if (this.stateBackend) draft.stateBackend = this.stateBackend.kind;
    const checkpointStorage = this.getCheckpointStorage();
    if (checkpointStorage !== undefined) draft.checkpointStorage = checkpointStorage;
    if (this.restartStrategy) draft.restartStrategy = { ...this.restartStrategy };
    if (this.config.getJobConfiguration()) draft.configuration = { ...this.config.getJobConfiguration() };
    return draft;
  }

  /** @internal translates the recorded graph; throws JobBuildError when it has no sink. */
  toBuiltJob(jobName: string): BuiltJob {
    if (!this.graph.nodes.some((n) => n.kind === 'sink')) {
      throw new JobBuildError('the job has no sink: add print(), addSink(...) or sinkTo(...) to a stream');
    }
    // disableOperatorChaining(): every operator is its own chain, as in Flink.
    if (!this.chainingEnabled) for (const n of this.graph.nodes) n.chainingStrategy = 'NEVER';
    const jobGraph = generateJobGraph(this.graph, jobName, this.getSettingsDraft());
    return { jobGraph, functions: new StreamGraphFunctions(this.graph), types: this.config.getRegisteredTypes(), executionConfig: this.config };
  }

  private async collect<T>(nodeId: number, jobName: string | undefined): Promise<T[]> {
    if (this.mode === 'builder') {
      throw new JobBuildError('executeAndCollect() runs a job locally and cannot be called while a job is being built for submission');
    }
    return collectLocally<T>(this.graph, nodeId, () => this.toBuiltJob(jobName ?? this.jobName ?? DEFAULT_JOB_NAME));
  }
}
