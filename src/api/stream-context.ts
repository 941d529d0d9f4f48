/**
 * What every stream of one environment shares: the StreamGraph being recorded, the uids in
 * use, and the constructors of derived streams. The environment implements it; streams only
 * import its type, which keeps the stream classes free of import cycles.
 */
import type { KeySelector } from '../common/functions.js';
import type { StreamGraph, StreamNode } from '../graph/stream-graph.js';
import type { KeyedStream } from './keyed-stream.js';
import type { SingleOutputStreamOperator } from './single-output-stream-operator.js';
import type { StreamExecutionEnvironment } from './stream-execution-environment.js';
import type { UidRegistry } from './operator-configuration.js';

/** Shared state of the streams of one environment. */
export interface StreamContext extends UidRegistry {
  readonly environment: StreamExecutionEnvironment;
  readonly graph: StreamGraph;
  /** Wraps a new operator node into a stream. */
  operatorStream<T>(node: StreamNode): SingleOutputStreamOperator<T>;
  /** Wraps a hash-partitioning virtual node into a keyed stream. */
  keyedStream<T, K>(partitionId: number, keySelector: KeySelector<T, K>): KeyedStream<T, K>;
  /** Runs the job on a local mini-cluster and returns what reached `sinkNodeId`'s collector. */
  executeAndCollect<T>(streamNodeId: number, jobName?: string): Promise<T[]>;
}
