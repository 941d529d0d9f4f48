/**
 * The StreamGraph: what a job's builder records, before chaining. Real nodes carry the live
 * user functions; partitioning, side outputs and unions are virtual nodes (as in Flink's
 * StreamGraph) that are resolved into plain edges as soon as a real node consumes them.
 * Parallelism and partitioners may stay unset here: the JobGraph generator resolves them,
 * because `setParallelism` may be called after a downstream operator was already attached.
 */
import { JobBuildError } from '../core/errors.js';
import type { KeySelector, Partitioner } from '../common/functions.js';
import type { OperatorKind, PartitionerKind } from '../common/job-graph.js';

/** Flink's chaining strategies. */
export type ChainingStrategy = 'ALWAYS' | 'HEAD' | 'NEVER';

/** One physical edge between two real nodes. */
export interface StreamEdge {
  /** Unique within the graph: `<source>_<target>_<n>`. */
  readonly id: string;
  readonly sourceId: number;
  readonly targetId: number;
  /** Undefined: forward when parallelisms match, else rebalance (Flink's default). */
  readonly partitioner: PartitionerKind | undefined;
  readonly sideOutputTag: string | undefined;
  /** For 'hash' and 'custom' edges. */
  readonly keySelector: KeySelector<unknown, unknown> | undefined;
  /** For 'custom' edges. */
  readonly customPartitioner: Partitioner<unknown> | undefined;
  /** Logical input of the target operator (0, or 1 for two-input operators). */
  readonly targetInput: number;
}

/** A real operator of the graph. Mutable until the graph is translated. */
export interface StreamNode {
  readonly id: number;
  readonly kind: OperatorKind;
  /** Display name without the "Source: " / "Sink: " prefix. */
  name: string;
  settings: Record<string, unknown>;
  /** Undefined: the job's default parallelism. */
  parallelism: number | undefined;
  /** Undefined: the job's max parallelism. */
  maxParallelism: number | undefined;
  chainingStrategy: ChainingStrategy;
  uid: string | undefined;
  /** True when the input is keyed (the operator may use keyed state). */
  keyed: boolean;
  numberOfInputs: number;
  userFunction: unknown;
  keySelectors: (KeySelector<unknown, unknown> | undefined)[];
  /** The watermark strategy given to `fromSource`, kept for the event-time work. */
  watermarkStrategy: unknown;
  readonly inEdges: StreamEdge[];
  readonly outEdges: StreamEdge[];
}

/** What a new real node is made of. */
export interface StreamNodeSpec {
  kind: OperatorKind;
  name: string;
  settings?: Record<string, unknown>;
  userFunction?: unknown;
  keyed?: boolean;
  keySelectors?: (KeySelector<unknown, unknown> | undefined)[];
  parallelism?: number;
  maxParallelism?: number;
  chainingStrategy?: ChainingStrategy;
  watermarkStrategy?: unknown;
}

/** A virtual node: re-partitions, selects a side output, or unions its inputs. */
export type VirtualNode =
  | {
      readonly type: 'partition';
      readonly id: number;
      readonly inputId: number;
      readonly partitioner: PartitionerKind;
      readonly keySelector?: KeySelector<unknown, unknown>;
      readonly customPartitioner?: Partitioner<unknown>;
    }
  | { readonly type: 'sideOutput'; readonly id: number; readonly inputId: number; readonly tag: string }
  | { readonly type: 'union'; readonly id: number; readonly inputIds: readonly number[] };

/** Edge attributes accumulated while walking up through virtual nodes. */
interface PendingEdge {
  partitioner?: PartitionerKind;
  sideOutputTag?: string;
  keySelector?: KeySelector<unknown, unknown>;
  customPartitioner?: Partitioner<unknown>;
}

/** The recorded graph of one builder run. */
export class StreamGraph {
  private nextId = 1;
  private readonly realNodes = new Map<number, StreamNode>();
  private readonly virtualNodes = new Map<number, VirtualNode>();
  private readonly edgeCounts = new Map<string, number>();

  /** Real nodes in creation order, which is a topological order. */
  get nodes(): StreamNode[] {
    return [...this.realNodes.values()];
  }

  /** The real node `id`; throws for virtual or unknown ids. */
  node(id: number): StreamNode {
    const node = this.realNodes.get(id);
    if (!node) throw new JobBuildError(`stream node ${id} is not an operator of this graph`);
    return node;
  }

  /** True when `id` names a real or virtual node of this graph. */
  has(id: number): boolean {
    return this.realNodes.has(id) || this.virtualNodes.has(id);
  }

  /** True when `id` names a virtual node. */
  isVirtual(id: number): boolean {
    return this.virtualNodes.has(id);
  }

  /** Adds a real node fed by `inputIds` (real or virtual), all into logical input `targetInput`. */
  addNode(spec: StreamNodeSpec, inputIds: readonly number[] = [], targetInput = 0): StreamNode {
    const node: StreamNode = {
      id: this.nextId++,
      kind: spec.kind,
      name: spec.name,
      settings: spec.settings ?? {},
      parallelism: spec.parallelism,
      maxParallelism: spec.maxParallelism,
      chainingStrategy: spec.chainingStrategy ?? (spec.kind === 'source' ? 'HEAD' : 'ALWAYS'),
      uid: undefined,
      keyed: spec.keyed ?? false,
      numberOfInputs: spec.kind === 'source' ? 0 : 1,
      userFunction: spec.userFunction,
      keySelectors: spec.keySelectors ?? [],
      watermarkStrategy: spec.watermarkStrategy,
      inEdges: [],
      outEdges: [],
    };
    this.realNodes.set(node.id, node);
    for (const inputId of inputIds) this.connect(inputId, node, targetInput, {});
    return node;
  }

  /**
   * Adds a two-input node: `input1Ids` feed logical input 0, `input2Ids` logical input 1
   * (Flink's TwoInputTransformation). Such a node never chains to its upstreams.
   */
  addTwoInputNode(spec: StreamNodeSpec, input1Ids: readonly number[], input2Ids: readonly number[]): StreamNode {
    const node = this.addNode(spec);
    node.numberOfInputs = 2;
    for (const inputId of input1Ids) this.connect(inputId, node, 0, {});
    for (const inputId of input2Ids) this.connect(inputId, node, 1, {});
    return node;
  }

  /** Adds a virtual partitioning node after `inputId`. */
  addPartition(
    inputId: number,
    partitioner: PartitionerKind,
    keySelector?: KeySelector<unknown, unknown>,
    customPartitioner?: Partitioner<unknown>,
  ): number {
    this.requireKnown(inputId);
    const id = this.nextId++;
    this.virtualNodes.set(id, { type: 'partition', id, inputId, partitioner, keySelector, customPartitioner });
    return id;
  }

  /** Adds a virtual node selecting the side output `tag` of `inputId`. */
  addSideOutput(inputId: number, tag: string): number {
    this.requireKnown(inputId);
    const id = this.nextId++;
    this.virtualNodes.set(id, { type: 'sideOutput', id, inputId, tag });
    return id;
  }

  /** Adds a virtual node that unions `inputIds`. */
  addUnion(inputIds: readonly number[]): number {
    for (const inputId of inputIds) this.requireKnown(inputId);
    const id = this.nextId++;
    this.virtualNodes.set(id, { type: 'union', id, inputIds: [...inputIds] });
    return id;
  }

  /** The real nodes that `id` reads from (itself when real). */
  realInputsOf(id: number): StreamNode[] {
    const node = this.realNodes.get(id);
    if (node) return [node];
    const v = this.virtualNodes.get(id);
    if (!v) return [];
    if (v.type === 'union') return v.inputIds.flatMap((i) => this.realInputsOf(i));
    return this.realInputsOf(v.inputId);
  }

  private requireKnown(id: number): void {
    if (!this.has(id)) throw new JobBuildError(`stream node ${id} is not part of this graph`);
  }

  /**
   * Resolves `upstreamId` through virtual nodes into edges ending at `target`. As in Flink,
   * the partitioner closest to the consumer wins and a side-output selection is kept.
   */
  private connect(upstreamId: number, target: StreamNode, targetInput: number, pending: PendingEdge): void {
    const v = this.virtualNodes.get(upstreamId);
    if (v) {
      if (v.type === 'union') {
        for (const inputId of v.inputIds) this.connect(inputId, target, targetInput, pending);
      } else if (v.type === 'sideOutput') {
        this.connect(v.inputId, target, targetInput, { ...pending, sideOutputTag: pending.sideOutputTag ?? v.tag });
      } else {
        const next = pending.partitioner
          ? pending
          : { ...pending, partitioner: v.partitioner, keySelector: v.keySelector, customPartitioner: v.customPartitioner };
        this.connect(v.inputId, target, targetInput, next);
      }
      return;
    }
    const source = this.realNodes.get(upstreamId);
    if (!source) throw new JobBuildError(`stream node ${upstreamId} is not part of this graph`);
    const pair = `${source.id}_${target.id}`;
    const n = this.edgeCounts.get(pair) ?? 0;
    this.edgeCounts.set(pair, n + 1);
    const edge: StreamEdge = {
      id: `${pair}_${n}`,
      sourceId: source.id,
      targetId: target.id,
      partitioner: pending.partitioner,
      sideOutputTag: pending.sideOutputTag,
      keySelector: pending.keySelector,
      customPartitioner: pending.customPartitioner,
      targetInput,
    };
    source.outEdges.push(edge);
    target.inEdges.push(edge);
  }
}
