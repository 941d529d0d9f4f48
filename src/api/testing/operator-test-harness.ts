/**
 * Operator test harness (Flink's OneInputStreamOperatorTestHarness,
 * KeyedOneInputStreamOperatorTestHarness and TwoInputStreamOperatorTestHarness in one): runs
 * the operator a job author's function becomes — the same runtime operator classes a Task
 * runs, with a real keyed state backend (memory by default), real timers and a processing-time
 * clock the test controls — without a cluster.
 *
 * ```ts
 * const h = await OperatorTestHarness.forKeyedProcessFunction(new Alert(), (e) => e.user);
 * h.processElement({ user: 'a', amount: 5 }, 1000);
 * h.processWatermark(2000);          // fires event-time timers up to 2000
 * h.setProcessingTime(60_000);       // fires processing-time timers due by then
 * expect(h.extractOutputValues()).toEqual([...]);
 * await h.close();
 * ```
 */
import { WatermarkStrategy } from '../../common/watermark-strategy.js';
import { InvalidArgumentError, JobBuildError, UnsupportedOperationError } from '../../core/errors.js';
import type { Source } from '../../common/source.js';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createKeyedStateBackendFactory, type KeyedStateBackendFactory } from '../../state/keyed-state-backend-factory.js';
import { NO_TIMESTAMP } from '../../common/stream-element.js';
import type {
  BroadcastProcessFunction,
  CoProcessFunction,
  KeyedBroadcastProcessFunction,
  KeyedCoProcessFunction,
} from '../../common/co-functions.js';
import type { DataStream } from '../data-stream.js';
import type { KeyedProcessFunction, KeySelector, ProcessFunction } from '../../common/functions.js';
import type { OutputTag } from '../../common/output-tag.js';
import type { MapStateDescriptor } from '../../common/state-descriptors.js';
import { StreamExecutionEnvironment } from '../stream-execution-environment.js';
import { HarnessOperators, type HarnessOperatorsOptions, type HarnessOutputElement, type HarnessRecord } from './harness-operators.js';

export type { HarnessOutputElement, HarnessRecord } from './harness-operators.js';

/** Options of a harness. */
export interface OperatorTestHarnessOptions {
  /**
   * Keyed state backend of keyed operators: 'memory' (default), 'leveldb' (a database in a
   * temporary directory, removed by `close()`), or a factory.
   */
  stateBackend?: 'memory' | 'leveldb' | KeyedStateBackendFactory;
  /** Cache bound of the LevelDB backend in bytes (default 64 MiB). */
  leveldbCacheBytes?: number;
  /** Number of key groups (default 128). */
  maxParallelism?: number;
  /** The processing time the clock starts at (default 0). */
  initialProcessingTime?: number;
}

/** Backends list timers among their entries under state names with this reserved prefix. */
const TIMER_STATE_PREFIX = '_timers_';

/** A source that only stands for a harness input in the graph; it is never run. */
const PLACEHOLDER_SOURCE: Source<never> = {
  boundedness: 'BOUNDED',
  defaultName: 'Harness Input',
  createReader() {
    throw new UnsupportedOperationError('a test harness input is fed by the harness, not read');
  },
};

/** Runs the operator(s) built from a function or a stream transformation, one record at a time. */
export class OperatorTestHarness<IN1, OUT, IN2 = never> {
  private now: number;
  private ops!: HarnessOperators;
  private opened = false;
  /** Temporary directory of a LevelDB backend, removed on close. */
  private stateDir: string | undefined;
  private readonly operatorsOptions: HarnessOperatorsOptions;

  private constructor(build: (inputs: DataStream<unknown>[]) => DataStream<unknown>, numberOfInputs: number, private readonly options: OperatorTestHarnessOptions) {
    this.now = options.initialProcessingTime ?? 0;
    const env = new StreamExecutionEnvironment();
    const inputs = Array.from({ length: numberOfInputs }, (_, i) => env.fromSource(PLACEHOLDER_SOURCE, WatermarkStrategy.noWatermarks(), `Harness Input ${i + 1}`));
    const result = build(inputs as unknown as DataStream<unknown>[]);
    const graph = env.getStreamGraph();
    if (!result || graph.isVirtual(result.nodeId) || !graph.has(result.nodeId) || inputs.some((s) => s.nodeId === result.nodeId)) {
      throw new JobBuildError('OperatorTestHarness: the builder must return the stream of the operator under test (e.g. what process() returned)');
    }
    this.operatorsOptions = {
      graph,
      inputNodeIds: inputs.map((s) => s.nodeId),
      outputNodeId: result.nodeId,
      maxParallelism: options.maxParallelism ?? 128,
      backendFactory: undefined,
      clock: { now: () => this.now, requestWakeUp: () => undefined },
      jobName: 'OperatorTestHarness',
    };
  }

  private async backendFactory(): Promise<KeyedStateBackendFactory | undefined> {
    const choice = this.options.stateBackend ?? 'memory';
    if (typeof choice === 'function') return choice;
    if (choice === 'memory') return undefined;
    if (choice !== 'leveldb') throw new InvalidArgumentError(`OperatorTestHarness: unknown state backend ${String(choice)}`);
    this.stateDir = await mkdtemp(join(tmpdir(), 'fluss-harness-'));
    return createKeyedStateBackendFactory({ kind: 'leveldb', stateDir: this.stateDir, cacheBytes: this.options.leveldbCacheBytes ?? 64 * 1024 * 1024 });
  }

  /** A harness for the operators `build` puts after one input stream (e.g. `s => s.keyBy(k).window(w).reduce(f)`). */
  static async forStream<IN, OUT>(build: (input: DataStream<IN>) => DataStream<OUT>, options: OperatorTestHarnessOptions = {}): Promise<OperatorTestHarness<IN, OUT>> {
    return OperatorTestHarness.open<IN, OUT, never>(new OperatorTestHarness<IN, OUT>((i) => build(i[0] as DataStream<IN>) as DataStream<unknown>, 1, options));
  }

  /** A harness for the operators `build` puts after two input streams (e.g. `(a, b) => a.connect(b).process(f)`). */
  static async forTwoInputStreams<IN1, IN2, OUT>(
    build: (input1: DataStream<IN1>, input2: DataStream<IN2>) => DataStream<OUT>,
    options: OperatorTestHarnessOptions = {},
  ): Promise<OperatorTestHarness<IN1, OUT, IN2>> {
    const h = new OperatorTestHarness<IN1, OUT, IN2>((i) => build(i[0] as DataStream<IN1>, i[1] as DataStream<IN2>) as DataStream<unknown>, 2, options);
    return OperatorTestHarness.open(h);
  }

  /** A ProcessFunction on a non-keyed stream. */
  static forProcessFunction<IN, OUT>(fn: ProcessFunction<IN, OUT>, options?: OperatorTestHarnessOptions): Promise<OperatorTestHarness<IN, OUT>> {
    return OperatorTestHarness.forStream<IN, OUT>((s) => s.process(fn), options);
  }

  /** A KeyedProcessFunction on a stream keyed by `keySelector`. */
  static forKeyedProcessFunction<K, IN, OUT>(
    fn: KeyedProcessFunction<K, IN, OUT>,
    keySelector: KeySelector<IN, K>,
    options?: OperatorTestHarnessOptions,
  ): Promise<OperatorTestHarness<IN, OUT>> {
    return OperatorTestHarness.forStream<IN, OUT>((s) => s.keyBy(keySelector).process(fn), options);
  }

  /** A CoProcessFunction on two non-keyed connected streams. */
  static forCoProcessFunction<IN1, IN2, OUT>(fn: CoProcessFunction<IN1, IN2, OUT>, options?: OperatorTestHarnessOptions): Promise<OperatorTestHarness<IN1, OUT, IN2>> {
    return OperatorTestHarness.forTwoInputStreams<IN1, IN2, OUT>((a, b) => a.connect(b).process(fn), options);
  }

  /** A KeyedCoProcessFunction on two streams keyed by `keySelector1` / `keySelector2`. */
  static forKeyedCoProcessFunction<K, IN1, IN2, OUT>(
    fn: KeyedCoProcessFunction<K, IN1, IN2, OUT>,
    keySelector1: KeySelector<IN1, K>,
    keySelector2: KeySelector<IN2, K>,
    options?: OperatorTestHarnessOptions,
  ): Promise<OperatorTestHarness<IN1, OUT, IN2>> {
    return OperatorTestHarness.forTwoInputStreams<IN1, IN2, OUT>((a, b) => a.connect(b).keyBy(keySelector1, keySelector2).process(fn), options);
  }

  /** A BroadcastProcessFunction: input 1 is the non-broadcast stream, input 2 the broadcast one. */
  static forBroadcastProcessFunction<IN1, IN2, OUT>(
    fn: BroadcastProcessFunction<IN1, IN2, OUT>,
    descriptors: MapStateDescriptor<unknown, unknown>[],
    options?: OperatorTestHarnessOptions,
  ): Promise<OperatorTestHarness<IN1, OUT, IN2>> {
    return OperatorTestHarness.forTwoInputStreams<IN1, IN2, OUT>((a, b) => a.connect(b.broadcast(...descriptors)).process(fn), options);
  }

  /** A KeyedBroadcastProcessFunction: input 1 keyed by `keySelector`, input 2 broadcast. */
  static forKeyedBroadcastProcessFunction<K, IN1, IN2, OUT>(
    fn: KeyedBroadcastProcessFunction<K, IN1, IN2, OUT>,
    keySelector: KeySelector<IN1, K>,
    descriptors: MapStateDescriptor<unknown, unknown>[],
    options?: OperatorTestHarnessOptions,
  ): Promise<OperatorTestHarness<IN1, OUT, IN2>> {
    return OperatorTestHarness.forTwoInputStreams<IN1, IN2, OUT>((a, b) => a.keyBy(keySelector).connect(b.broadcast(...descriptors)).process(fn), options);
  }

  private static async open<A, B, C>(h: OperatorTestHarness<A, B, C>): Promise<OperatorTestHarness<A, B, C>> {
    try {
      h.ops = await HarnessOperators.create({ ...h.operatorsOptions, backendFactory: await h.backendFactory() });
      const { operators, contexts } = h.ops;
      // Tail first, as a chain opens: consumers are ready before their producers emit.
      for (let i = operators.length - 1; i >= 0; i--) await operators[i]!.open(contexts[i]!);
    } catch (err) {
      await h.dispose();
      throw err;
    }
    h.opened = true;
    return h;
  }

  private feed(input: number, value: unknown, timestamp: number | undefined): void {
    const ts = timestamp ?? NO_TIMESTAMP;
    for (const t of this.ops.inputTargets[input]!) t.op.processElement(value, ts, t.input);
  }

  private watermark(input: number, timestamp: number): void {
    for (const t of this.ops.inputTargets[input]!) t.op.processWatermark(timestamp, t.input);
  }

  /** A record on the (first) input, with an optional event timestamp. */
  processElement(value: IN1, timestamp?: number): void {
    this.feed(0, value, timestamp);
  }

  /** A record on the first input of a two-input operator. */
  processElement1(value: IN1, timestamp?: number): void {
    this.feed(0, value, timestamp);
  }

  /** A record on the second input of a two-input operator. */
  processElement2(value: IN2, timestamp?: number): void {
    this.feed(1, value, timestamp);
  }

  /** A watermark on every input (fires event-time timers and windows up to `timestamp`). */
  processWatermark(timestamp: number): void {
    for (let i = 0; i < this.ops.inputTargets.length; i++) this.watermark(i, timestamp);
  }

  /** A watermark on the first input only. */
  processWatermark1(timestamp: number): void {
    this.watermark(0, timestamp);
  }

  /** A watermark on the second input only. */
  processWatermark2(timestamp: number): void {
    this.watermark(1, timestamp);
  }

  /** Advances the processing-time clock to `ms` and fires every processing-time timer due by then. */
  setProcessingTime(ms: number): void {
    if (ms < this.now) throw new InvalidArgumentError(`processing time cannot go back (from ${this.now} to ${ms})`);
    this.now = ms;
    for (const op of this.ops.operators) op.fireProcessingTimers?.(ms);
  }

  /** The harness's processing time. */
  getProcessingTime(): number {
    return this.now;
  }

  /** Ends every input and finishes the operators, as at the end of a bounded job. */
  async endInput(): Promise<void> {
    const { operators, inputsOf } = this.ops;
    for (let i = 0; i < operators.length; i++) {
      for (const input of inputsOf[i]!) operators[i]!.endInput(input);
      await operators[i]!.finish();
    }
  }

  /** Records and watermarks emitted so far, in order. */
  getOutput(): HarnessOutputElement<OUT>[] {
    return [...this.ops.recorder.output] as HarnessOutputElement<OUT>[];
  }

  /** The values of the records emitted so far (no timestamps, no watermarks). */
  extractOutputValues(): OUT[] {
    const out: OUT[] = [];
    for (const e of this.ops.recorder.output) if (e.kind === 'record') out.push(e.value as OUT);
    return out;
  }

  /** The records emitted so far with their timestamps. */
  extractOutputRecords(): HarnessRecord<OUT>[] {
    const out: HarnessRecord<OUT>[] = [];
    for (const e of this.ops.recorder.output) if (e.kind === 'record') out.push({ value: e.value as OUT, timestamp: e.timestamp });
    return out;
  }

  /** The records emitted to the side output `tag` so far. */
  getSideOutput<X>(tag: OutputTag<X>): HarnessRecord<X>[] {
    return [...(this.ops.recorder.side.get(tag.id) ?? [])] as HarnessRecord<X>[];
  }

  /** Forgets the output recorded so far (main and side outputs). */
  clearOutput(): void {
    this.ops.recorder.output = [];
    this.ops.recorder.side.clear();
  }

  /** Number of keyed state entries (per key, state and namespace; timers excluded) over every keyed operator. */
  async numKeyedStateEntries(): Promise<number> {
    let n = 0;
    for (const backend of this.ops.backends) {
      const { start, end } = backend.keyGroupRange;
      for (let kg = start; kg <= end; kg++) {
        for await (const e of backend.entriesOfKeyGroup(kg)) if (!e.stateName.startsWith(TIMER_STATE_PREFIX)) n++;
      }
    }
    return n;
  }

  /** Number of pending event-time timers over every keyed operator. */
  numEventTimeTimers(): number {
    return this.ops.timerServices.reduce((n, t) => n + t.numTimers().eventTime, 0);
  }

  /** Number of pending processing-time timers over every keyed operator. */
  numProcessingTimeTimers(): number {
    return this.ops.timerServices.reduce((n, t) => n + t.numTimers().processingTime, 0);
  }

  /** Closes the operators (calling the functions' `close()`) and frees the state backends. */
  async close(): Promise<void> {
    let first: unknown;
    if (this.opened) {
      this.opened = false;
      for (const op of this.ops.operators) {
        try {
          await op.close();
        } catch (err) {
          first ??= err;
        }
      }
    }
    await this.dispose();
    if (first !== undefined) throw first;
  }

  private async dispose(): Promise<void> {
    if (this.ops) for (const b of this.ops.backends.splice(0)) await b.dispose();
    if (this.stateDir) await rm(this.stateDir, { recursive: true, force: true });
    this.stateDir = undefined;
  }
}
