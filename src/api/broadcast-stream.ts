/**
 * The broadcast state pattern (Flink's BroadcastStream / BroadcastConnectedStream):
 * `rules.broadcast(ruleStateDescriptor)` sends every record to every subtask of the operator
 * it is connected to, where `processBroadcastElement` may write the named broadcast states;
 * `events.connect(broadcastRules).process(fn)` then reads them in `processElement`. Every
 * subtask applies the same broadcast records, so every subtask holds the same broadcast state.
 */
import { JobBuildError } from '../core/errors.js';
import type {
  BroadcastProcessFunction,
  KeyedBroadcastProcessFunction,
} from '../common/co-functions.js';
import { addTwoInputOperator, keySelectorOf } from './connected-streams.js';
import type { DataStream } from './data-stream.js';
import { requireMethod } from './function-checks.js';
import type { MapStateDescriptor } from '../common/state-descriptors.js';
import type { SingleOutputStreamOperator } from './single-output-stream-operator.js';
import type { StreamContext } from './stream-context.js';

/** Settings of `broadcastProcess` / `keyedBroadcastProcess` nodes. */
export interface BroadcastProcessSettings {
  /** Names of the broadcast states declared by `broadcast(...descriptors)`. */
  broadcastStates: string[];
}

/** A stream broadcast to every subtask, with the broadcast states its consumer may write. */
export class BroadcastStream<T> {
  declare readonly __type?: T;

  /** @internal created by `DataStream.broadcast(...descriptors)`. */
  constructor(
    /** @internal */ readonly context: StreamContext,
    /** @internal the virtual 'broadcast' partitioning node. */ readonly nodeId: number,
    private readonly descriptors: readonly MapStateDescriptor<unknown, unknown>[],
  ) {
    const names = new Set<string>();
    for (const d of descriptors) {
      if (!d || d.kind !== 'map') throw new JobBuildError('broadcast() expects MapStateDescriptors for the broadcast states');
      if (names.has(d.name)) throw new JobBuildError(`broadcast(): broadcast state "${d.name}" is declared twice`);
      names.add(d.name);
    }
  }

  /** The broadcast state descriptors given to `broadcast(...)`. */
  getBroadcastStateDescriptors(): readonly MapStateDescriptor<unknown, unknown>[] {
    return this.descriptors;
  }
}

/** A (keyed or non-keyed) stream connected with a {@link BroadcastStream}. */
export class BroadcastConnectedStream<IN1, IN2> {
  /** @internal created by `DataStream.connect(broadcastStream)`. */
  constructor(
    private readonly context: StreamContext,
    private readonly nonBroadcast: DataStream<IN1>,
    private readonly broadcastStream: BroadcastStream<IN2>,
  ) {
    if (nonBroadcast.context !== broadcastStream.context) {
      throw new JobBuildError('connect() of streams from different execution environments: build the whole job on one environment');
    }
  }

  /** The non-broadcast input. */
  getFirstInput(): DataStream<IN1> {
    return this.nonBroadcast;
  }

  /** The broadcast input. */
  getSecondInput(): BroadcastStream<IN2> {
    return this.broadcastStream;
  }

  /**
   * Processes the non-broadcast records with `processElement` (read-only broadcast state) and
   * the broadcast records with `processBroadcastElement` (writable broadcast state). A keyed
   * non-broadcast input needs a KeyedBroadcastProcessFunction (keyed state, timers,
   * `applyToKeyedState`), a non-keyed one a BroadcastProcessFunction.
   */
  process<R, K = unknown>(fn: BroadcastProcessFunction<IN1, IN2, R> | KeyedBroadcastProcessFunction<K, IN1, IN2, R>): SingleOutputStreamOperator<R> {
    requireMethod('process', fn, 'processElement', 'a BroadcastProcessFunction');
    requireMethod('process', fn, 'processBroadcastElement', 'a BroadcastProcessFunction');
    const keySelector = keySelectorOf(this.nonBroadcast as DataStream<unknown>);
    const settings: BroadcastProcessSettings = { broadcastStates: this.broadcastStream.getBroadcastStateDescriptors().map((d) => d.name) };
    return addTwoInputOperator<R>(
      this.context,
      this.nonBroadcast.nodeId,
      this.broadcastStream.nodeId,
      keySelector
        ? { kind: 'keyedBroadcastProcess', name: 'Co-Process-Broadcast-Keyed', userFunction: fn, keyed: true, keySelectors: [keySelector, undefined], settings: { ...settings } }
        : { kind: 'broadcastProcess', name: 'Co-Process-Broadcast', userFunction: fn, settings: { ...settings } },
    );
  }
}
