/**
 * The JobGraph: plain, serialisable data describing a job after chaining. It travels from the
 * client to the JobManager (JSON) and to TaskManagers inside task deployments. User functions
 * never appear here; TaskManagers rebuild them by running the job's builder and bind them to
 * operators by `nodeId` (operators) and `streamEdgeId` (partitioners).
 */

/** How records are routed from a producer subtask to consumer subtasks. */
export type PartitionerKind =
  | 'forward' // same subtask index; requires equal parallelism
  | 'rebalance' // round robin over all consumers
  | 'rescale' // round robin over a local subset of consumers
  | 'shuffle' // uniformly random
  | 'global' // everything to subtask 0
  | 'broadcast' // every consumer gets every record
  | 'hash' // keyBy: key group of the key → owning subtask
  | 'custom'; // partitionCustom(partitioner, keySelector)

/**
 * Which runtime operator a node becomes. The runtime has exactly one operator implementation
 * per kind; `settings` carries the kind's serialisable options.
 */
export type OperatorKind =
  | 'source' // userFunction: Source (src/common/source.ts)
  | 'map' // userFunction: MapFunction
  | 'flatMap' // userFunction: FlatMapFunction
  | 'filter' // userFunction: FilterFunction
  | 'process' // userFunction: ProcessFunction
  | 'timestampsAndWatermarks' // userFunction: WatermarkStrategy (assignTimestampsAndWatermarks)
  | 'window' // keyed; userFunction: WindowOperatorSpec (src/common/windowing/window-operator-spec.ts); settings: { assigner, trigger, evictor, function, allowedLateness, lateDataTag }
  | 'keyedProcess' // userFunction: KeyedProcessFunction
  | 'keyedReduce' // userFunction: ReduceFunction
  | 'keyedAggregation' // settings: { aggregation: 'sum'|'min'|'max'|'minBy'|'maxBy', field: string | number | null }
  | 'coMap' // two inputs; userFunction: CoMapFunction (map1/map2)
  | 'coFlatMap' // two inputs; userFunction: CoFlatMapFunction (flatMap1/flatMap2)
  | 'coProcess' // two inputs; userFunction: CoProcessFunction
  | 'keyedCoProcess' // two keyed inputs; userFunction: KeyedCoProcessFunction
  | 'broadcastProcess' // input 0 non-broadcast, input 1 broadcast; userFunction: BroadcastProcessFunction; settings: { broadcastStates }
  | 'keyedBroadcastProcess' // input 0 keyed, input 1 broadcast; userFunction: KeyedBroadcastProcessFunction; settings: { broadcastStates }
  | 'intervalJoin' // two keyed inputs; userFunction: ProcessJoinFunction; settings: { lowerBound, upperBound, lowerBoundInclusive, upperBoundInclusive }
  | 'asyncWait' // userFunction: AsyncWaitSpec (src/common/async-function.ts); settings: AsyncWaitSettings { mode, timeoutMs, capacity }
  | 'sink'; // userFunction: SinkFunction | function | Sink (FileSink, PrintSink, CollectSink)

/** An output of an operator that stays inside its chain. */
export interface ChainedOutput {
  /** Index (in `JobVertex.operators`) of the chained operator fed by this output. */
  targetOperatorIndex: number;
  /** Which logical input of the target (0, or 1 for two-input operators). */
  targetInput: number;
  /** Side output tag id, when this output carries a side output instead of the main output. */
  sideOutputTag?: string;
}

/** One operator inside a chain. */
export interface OperatorDescriptor {
  /** Stable operator id (32 hex): a hash of `uid` when given, else of the position in the graph. */
  operatorId: string;
  /** The user-assigned uid, if any. */
  uid?: string;
  /** StreamGraph node id, used to bind the user function rebuilt on the TaskManager. */
  nodeId: number;
  /** Display name ("Map", "Source: words", …). */
  name: string;
  kind: OperatorKind;
  /** Kind-specific serialisable options. */
  settings: Record<string, unknown>;
  /** Number of logical inputs (0 for sources, 1, or 2 for two-input operators). */
  numberOfInputs: number;
  /** True when the operator's input(s) are keyed (key selectors bound by node id). */
  keyed: boolean;
  /** Outputs to operators of the same chain. */
  chainedOutputs: ChainedOutput[];
  /** Indices into `JobVertex.outputs` fed by this operator (main or side output per edge). */
  networkOutputs: number[];
}

/** A physical connection between two vertices (one result partition on the producer side). */
export interface JobEdge {
  /** Unique id of this edge within the job graph. */
  id: string;
  /** The StreamGraph edge it came from, used to bind key selectors / custom partitioners. */
  streamEdgeId: string;
  sourceVertexId: string;
  targetVertexId: string;
  partitioner: PartitionerKind;
  /** Index in the producer's chain of the operator that emits into this edge. */
  sourceOperatorIndex: number;
  /** Side output tag id carried by this edge, if not the main output. */
  sideOutputTag?: string;
  /** Index in the consumer's chain of the operator that receives from this edge. */
  targetOperatorIndex: number;
  /** Which logical input of that operator (0 or 1). */
  targetInput: number;
}

/** One chain of operators, executed as `parallelism` subtasks. */
export interface JobVertex {
  /** Vertex id: the operator id of the chain's head. */
  id: string;
  /** "Source: x -> Map -> Filter". */
  name: string;
  parallelism: number;
  maxParallelism: number;
  /** Operators in chain order; index 0 is the head. Outputs only point forward. */
  operators: OperatorDescriptor[];
  /** Incoming edges, in input-gate order. */
  inputs: JobEdge[];
  /** Outgoing edges, in result-partition order. */
  outputs: JobEdge[];
}

/** Checkpointing settings chosen by the job (used from the fault-tolerance work on). */
export interface CheckpointSettings {
  /** Interval in ms; 0 or absent = disabled. */
  intervalMs: number;
  mode: 'EXACTLY_ONCE' | 'AT_LEAST_ONCE';
  timeoutMs: number;
  minPauseMs: number;
  maxConcurrent: number;
  tolerableFailures: number;
  retention: 'RETAIN_ON_CANCELLATION' | 'DELETE_ON_CANCELLATION';
  /** Unaligned checkpoints; absent: the cluster's `execution.checkpointing.unaligned.enabled`. */
  unaligned?: boolean;
  /** Aligned-checkpoint timeout in ms; absent: the cluster's `execution.checkpointing.aligned-checkpoint-timeout`. */
  alignedCheckpointTimeoutMs?: number;
}

/** Restart strategy chosen by the job. */
export type RestartStrategySettings =
  | { type: 'none' }
  | { type: 'fixed-delay'; attempts: number; delayMs: number }
  | {
      type: 'exponential-delay';
      initialBackoffMs: number;
      maxBackoffMs: number;
      backoffMultiplier: number;
      resetBackoffThresholdMs: number;
      jitterFactor: number;
    }
  | { type: 'failure-rate'; maxFailuresPerInterval: number; failureRateIntervalMs: number; delayMs: number };

/** Job-wide settings recorded from the environment. */
export interface JobSettings {
  parallelism: number;
  maxParallelism: number;
  bufferTimeoutMs: number;
  /** 'leveldb' | 'memory', or undefined to use the cluster's `state.backend.type`. */
  stateBackend?: 'leveldb' | 'memory';
  checkpoint: CheckpointSettings;
  /**
   * The job's checkpoint directory as the job wrote it (`new RocksDBStateBackend(dir)`,
   * `new FsStateBackend(dir)`, `CheckpointConfig.setCheckpointStorage(dir)`): an absolute path
   * or a `file://` URI. It wins over the cluster's `state.checkpoints.dir`; undefined: the
   * cluster's directory.
   */
  checkpointStorage?: string;
  /** Undefined: the cluster default (none without checkpointing). */
  restartStrategy?: RestartStrategySettings;
  autoWatermarkIntervalMs: number;
  /**
   * The job's own configuration (`env.configure(...)`): job-scoped keys (the autoscaler's) that
   * win over the cluster's for this job; absent: the cluster's apply.
   */
  configuration?: Record<string, string | number | boolean>;
}

/** The whole job after translation. */
export interface JobGraph {
  jobName: string;
  /** Vertices in topological order. */
  vertices: JobVertex[];
  settings: JobSettings;
  /**
   * Hash of the graph's structure (everything above except the name). A TaskManager rebuilding
   * the job must get the same fingerprint, or the builder is not deterministic.
   */
  fingerprint: string;
}
