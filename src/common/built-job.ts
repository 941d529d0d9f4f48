/**
 * The result of running a job's builder: the serialisable JobGraph plus the live user
 * function instances, looked up by StreamGraph node id and edge id.
 */
import type { KeySelector, Partitioner } from './functions.js';
import type { TypeRegistry } from '../core/type-registry.js';
import type { JobGraph } from './job-graph.js';
import type { JobExecutionConfig } from './global-job-parameters.js';

/** The live functions of one StreamGraph node. */
export interface NodeFunctions {
  /**
   * The user function: a Source, a map/flatMap/filter/reduce function or object, a
   * (Keyed)ProcessFunction instance, a SinkFunction or Sink; undefined for kinds without one.
   */
  userFunction: unknown;
  /** Key selector per logical input, for keyed operators. */
  keySelectors: (KeySelector<unknown, unknown> | undefined)[];
  /** For sources: the WatermarkStrategy given to `fromSource` (undefined: none). */
  watermarkStrategy?: unknown;
}

/** The live functions of one StreamGraph edge (partitioning). */
export interface EdgeFunctions {
  /** For 'hash' and 'custom' edges: extracts the key of a record. */
  keySelector?: KeySelector<unknown, unknown>;
  /** For 'custom' edges. */
  partitioner?: Partitioner<unknown>;
}

/** Live functions of a built job. */
export interface UserFunctions {
  /** Throws when the node is unknown (a non-deterministic builder). */
  node(nodeId: number): NodeFunctions;
  /** Throws when the edge is unknown. */
  edge(streamEdgeId: string): EdgeFunctions;
}

/** A job built from its builder: what the client submits and what a TaskManager binds. */
export interface BuiltJob {
  jobGraph: JobGraph;
  functions: UserFunctions;
  /** Classes the builder registered (`env.registerType`): records and state carry them by name. */
  types?: TypeRegistry;
  /** The builder's `env.getConfig()`: functions read its global job parameters. */
  executionConfig?: JobExecutionConfig;
}
