/**
 * The handle returned by `print()`, `addSink()` and `sinkTo()` (Flink's DataStreamSink):
 * configures the sink operator.
 */
import { JobBuildError } from '../core/errors.js';
import type { StreamNode } from '../graph/stream-graph.js';
import {
  configureDisableChaining,
  configureMaxParallelism,
  configureName,
  configureParallelism,
  configureStartNewChain,
  configureUid,
  type UidRegistry,
} from './operator-configuration.js';

/** A sink operator of the job. */
export class DataStreamSink<T> {
  declare readonly __type?: T;

  /** @internal created by DataStream's sink methods. */
  constructor(
    private readonly registry: UidRegistry,
    /** @internal the sink's StreamGraph node. */
    readonly node: StreamNode,
  ) {}

  /** Runs the sink with `parallelism` subtasks. */
  setParallelism(parallelism: number): this {
    configureParallelism(this.node, parallelism);
    return this;
  }

  /** Sets the sink's max parallelism. */
  setMaxParallelism(maxParallelism: number): this {
    configureMaxParallelism(this.node, maxParallelism);
    return this;
  }

  /** A stable id for the sink's state across job versions (savepoints map state by it). */
  uid(uid: string): this {
    configureUid(this.registry, this.node, uid);
    return this;
  }

  /** The sink's display name. */
  name(name: string): this {
    configureName(this.node, name);
    return this;
  }

  /** Starts a new chain at this sink. */
  startNewChain(): this {
    configureStartNewChain(this.node);
    return this;
  }

  /**
   * Flink's slot-sharing group, accepted so ported jobs compile; it has no effect: Fluss puts
   * every operator of a job into one slot-sharing group (a job needs as many slots as its
   * highest parallelism). Takes a name or a group object with `getName()`.
   */
  slotSharingGroup(group: string | { getName(): string }): this {
    const name = typeof group === 'string' ? group : typeof group?.getName === 'function' ? group.getName() : undefined;
    if (typeof name !== 'string' || name === '') throw new JobBuildError(`slotSharingGroup() of '${this.node.name}' expects a non-empty name`);
    return this;
  }

  /** Keeps this sink out of any chain. */
  disableChaining(): this {
    configureDisableChaining(this.node);
    return this;
  }
}
