/**
 * The operators a test harness runs: the real runtime operators of the StreamGraph nodes a
 * test built with the DataStream API (every node except the harness's input placeholders),
 * wired to each other synchronously like a chain, each with a real keyed state backend,
 * timer service, operator state and runtime context, all on one controllable clock. The
 * output of the node under test (main, side outputs and watermarks) is recorded.
 */
import type { BuiltJob, NodeFunctions } from '../../common/built-job.js';
import type { OperatorDescriptor } from '../../common/job-graph.js';
import { operatorDisplayName } from '../../graph/job-graph-generator.js';
import { keyGroupRangeForOperator } from '../../state/key-groups.js';
import type { StreamGraph, StreamNode } from '../../graph/stream-graph.js';
import { InternalTimerService, type ProcessingTimeService } from '../../runtime/internal-timer-service.js';
import type { KeyedStateBackendFactory } from '../../state/keyed-state-backend-factory.js';
import { createStreamOperator } from '../../runtime/operators/operator-factory.js';
import { NO_TIMESTAMP } from '../../common/stream-element.js';
import type { OperatorContext, Output, StreamOperator } from '../../runtime/stream-operator.js';
import { StreamingRuntimeContext } from '../../runtime/streaming-runtime-context.js';
import type { KeyedStateBackend } from '../../state/keyed-state-backend.js';
import { MemoryKeyedStateBackend } from '../../state/memory-keyed-state-backend.js';
import { OperatorStateStore } from '../../state/operator-state-store.js';

/** An element the node under test emitted: a record (with its timestamp, if any) or a watermark. */
export type HarnessOutputElement<T> =
  | { readonly kind: 'record'; readonly value: T; readonly timestamp: number | undefined }
  | { readonly kind: 'watermark'; readonly timestamp: number };

/** A record of a side output. */
export interface HarnessRecord<T> {
  readonly value: T;
  readonly timestamp: number | undefined;
}

/** Where a record goes: an operator and its logical input. */
export interface HarnessTarget {
  readonly op: StreamOperator;
  readonly input: number;
}

/** What the harness records of the node under test. */
export class HarnessRecorder {
  output: HarnessOutputElement<unknown>[] = [];
  readonly side = new Map<string, HarnessRecord<unknown>[]>();

  record(value: unknown, timestamp: number): void {
    this.output.push({ kind: 'record', value, timestamp: timestamp === NO_TIMESTAMP ? undefined : timestamp });
  }

  recordSide(tagId: string, value: unknown, timestamp: number): void {
    let list = this.side.get(tagId);
    if (!list) this.side.set(tagId, (list = []));
    list.push({ value, timestamp: timestamp === NO_TIMESTAMP ? undefined : timestamp });
  }
}

/** Fans one operator's output out to its consumers (and the recorder for the node under test). */
class HarnessOutput implements Output {
  constructor(
    private readonly main: HarnessTarget[],
    private readonly side: Map<string, HarnessTarget[]>,
    private readonly all: HarnessTarget[],
    private readonly recorder: HarnessRecorder | undefined,
  ) {}

  collect(value: unknown, timestamp: number): void {
    for (const t of this.main) t.op.processElement(value, timestamp, t.input);
    this.recorder?.record(value, timestamp);
  }

  collectSide(tagId: string, value: unknown, timestamp: number): void {
    const targets = this.side.get(tagId);
    if (targets) for (const t of targets) t.op.processElement(value, timestamp, t.input);
    this.recorder?.recordSide(tagId, value, timestamp);
  }

  emitWatermark(timestamp: number): void {
    for (const t of this.all) t.op.processWatermark(timestamp, t.input);
    this.recorder?.output.push({ kind: 'watermark', timestamp });
  }

  emitWatermarkStatus(idle: boolean): void {
    for (const t of this.all) (t.op as { processWatermarkStatus?(idle: boolean, input: number): void }).processWatermarkStatus?.(idle, t.input);
  }
}

/** Options of the operators a harness runs. */
export interface HarnessOperatorsOptions {
  graph: StreamGraph;
  /** Placeholder source node ids, one per harness input. */
  inputNodeIds: readonly number[];
  /** The node whose output is recorded. */
  outputNodeId: number;
  maxParallelism: number;
  backendFactory: KeyedStateBackendFactory | undefined;
  clock: ProcessingTimeService;
  jobName: string;
}

/** The runtime operators of a harness, in topological order. */
export class HarnessOperators {
  readonly operators: StreamOperator[] = [];
  readonly contexts: OperatorContext[] = [];
  readonly backends: KeyedStateBackend[] = [];
  readonly timerServices: InternalTimerService[] = [];
  /** Per harness input: the operators (and logical inputs) it feeds. */
  readonly inputTargets: HarnessTarget[][];
  /** Per operator: its logical inputs, ended when the harness input or operator before it ends. */
  readonly inputsOf: number[][] = [];
  readonly recorder = new HarnessRecorder();

  /** Builds the operators of the graph and their contexts; keyed backends may open asynchronously. */
  static async create(o: HarnessOperatorsOptions): Promise<HarnessOperators> {
    const ops = new HarnessOperators(o);
    await ops.createContexts(o);
    return ops;
  }

  private readonly nodes: StreamNode[];
  private readonly outputs: HarnessOutput[] = [];

  private constructor(o: HarnessOperatorsOptions) {
    const nodes = (this.nodes = o.graph.nodes.filter((n) => !o.inputNodeIds.includes(n.id)));
    const index = new Map<number, number>();
    nodes.forEach((n, i) => index.set(n.id, i));
    const functions: BuiltJob['functions'] = {
      node: (id) => nodeFunctions(o.graph.node(id)),
      edge: () => ({}),
    };
    for (const node of nodes) this.operators.push(createStreamOperator(descriptorOf(node), functions.node(node.id)));
    const targetOf = (nodeId: number, input: number): HarnessTarget => ({ op: this.operators[index.get(nodeId)!]!, input });
    this.inputTargets = o.inputNodeIds.map((id) => o.graph.node(id).outEdges.map((e) => targetOf(e.targetId, e.targetInput)));
    nodes.forEach((n) => this.inputsOf.push([...new Set(n.inEdges.map((e) => e.targetInput))]));

    for (const node of nodes) {
      const main: HarnessTarget[] = [];
      const side = new Map<string, HarnessTarget[]>();
      const all: HarnessTarget[] = [];
      for (const e of node.outEdges) {
        const t = targetOf(e.targetId, e.targetInput);
        all.push(t);
        if (e.sideOutputTag === undefined) main.push(t);
        else side.set(e.sideOutputTag, [...(side.get(e.sideOutputTag) ?? []), t]);
      }
      this.outputs.push(new HarnessOutput(main, side, all, node.id === o.outputNodeId ? this.recorder : undefined));
    }
  }

  private async createContexts(o: HarnessOperatorsOptions): Promise<void> {
    const range = keyGroupRangeForOperator(o.maxParallelism, 1, 0);
    const factory = o.backendFactory ?? ((p) => new MemoryKeyedStateBackend(p));
    for (let i = 0; i < this.nodes.length; i++) {
      const node = this.nodes[i]!;
      const output = this.outputs[i]!;
      const name = operatorDisplayName(node);
      let backend: KeyedStateBackend | undefined;
      let timerService: InternalTimerService | undefined;
      if (node.keyed) {
        backend = await factory({
          jobId: o.jobName,
          operatorId: String(node.id).padStart(32, '0'),
          operatorName: name,
          subtaskIndex: 0,
          attemptNumber: 0,
          maxParallelism: o.maxParallelism,
          keyGroupRange: range,
        });
        timerService = new InternalTimerService(backend, o.clock);
        this.backends.push(backend);
        this.timerServices.push(timerService);
      }
      const operatorStateStore = new OperatorStateStore(name);
      const info = { taskName: name, subtaskIndex: 0, parallelism: 1, maxParallelism: o.maxParallelism, attemptNumber: 0, jobId: o.jobName };
      const runtimeContext = new StreamingRuntimeContext(info, name, backend, operatorStateStore, () => o.clock.now());
      // Not annotated: optional members of OperatorContext come and go with the runtime.
      const context = {
        operatorName: this.operators[i]!.name,
        subtaskIndex: 0,
        parallelism: 1,
        maxParallelism: o.maxParallelism,
        attemptNumber: 0,
        jobId: o.jobName,
        output,
        runtimeContext,
        keyedStateBackend: backend,
        timerService,
        operatorStateStore,
        currentProcessingTime: () => o.clock.now(),
        processingTimeService: o.clock,
        autoWatermarkIntervalMs: 0,
      };
      this.contexts.push(context);
    }
  }
}

/** The live functions of a node, as a TaskManager would bind them. */
function nodeFunctions(node: StreamNode): NodeFunctions {
  return { userFunction: node.userFunction, keySelectors: [...node.keySelectors] };
}

/** The descriptor the JobGraph generator would give `node`. */
function descriptorOf(node: StreamNode): OperatorDescriptor {
  return {
    operatorId: String(node.id).padStart(32, '0'),
    nodeId: node.id,
    name: operatorDisplayName(node),
    kind: node.kind,
    settings: node.settings,
    numberOfInputs: node.numberOfInputs,
    keyed: node.keyed,
    chainedOutputs: [],
    networkOutputs: [],
  };
}
