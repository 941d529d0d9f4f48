/**
 * The stream produced by a transformation or a source (Flink's SingleOutputStreamOperator):
 * a DataStream whose operator can still be configured.
 */
import { JobBuildError } from '../core/errors.js';
import type { StreamNode } from '../graph/stream-graph.js';
import { DataStream } from './data-stream.js';
import {
  configureDisableChaining,
  configureMaxParallelism,
  configureName,
  configureParallelism,
  configureStartNewChain,
  configureUid,
} from './operator-configuration.js';
import type { OutputTag } from '../common/output-tag.js';
import type { StreamContext } from './stream-context.js';

/** The output of one operator, whose parallelism, uid, name and chaining can be set. */
export class SingleOutputStreamOperator<T> extends DataStream<T> {
  /** @internal created through the StreamContext. */
  constructor(
    context: StreamContext,
    /** @internal the operator's StreamGraph node. */ readonly node: StreamNode,
  ) {
    super(context, node.id);
  }

  /** Runs the operator with `parallelism` subtasks. */
  setParallelism(parallelism: number): this {
    configureParallelism(this.node, parallelism);
    return this;
  }

  /** The parallelism set on this operator, or undefined when it uses the job's default. */
  getParallelism(): number | undefined {
    return this.node.parallelism;
  }

  /** Sets the operator's max parallelism (its number of key groups when keyed). */
  setMaxParallelism(maxParallelism: number): this {
    configureMaxParallelism(this.node, maxParallelism);
    return this;
  }

  /** A stable id for the operator's state across job versions (savepoints map state by it). */
  uid(uid: string): this {
    configureUid(this.context, this.node, uid);
    return this;
  }

  /** The operator's display name. */
  name(name: string): this {
    configureName(this.node, name);
    return this;
  }

  /** The operator's display name (without the "Source: " / "Sink: " prefix). */
  getName(): string {
    return this.node.name;
  }

  /** Starts a new chain at this operator, even if it could be chained to its input. */
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

  /** Keeps this operator out of any chain. */
  disableChaining(): this {
    configureDisableChaining(this.node);
    return this;
  }

  /** The records this operator emitted to the side output `tag` (`ctx.output(tag, value)`). */
  getSideOutput<X>(tag: OutputTag<X>): DataStream<X> {
    return new DataStream<X>(this.context, this.context.graph.addSideOutput(this.node.id, tag.id));
  }
}
