/**
 * The `keyedBroadcastProcess` operator (Flink's CoBroadcastWithKeyedOperator): input 0 is a
 * keyed stream (`processElement` with its key current: keyed state, timers, read-only
 * broadcast state), input 1 the broadcast stream (`processBroadcastElement`: writable
 * broadcast state, and `applyToKeyedState` to visit the keyed state of every key).
 */
import type {
  KeyedBroadcastContext,
  KeyedBroadcastOnTimerContext,
  KeyedStateFunction,
} from '../../common/co-functions.js';
import type { Collector, KeySelector } from '../../common/functions.js';
import type { OutputTag } from '../../common/output-tag.js';
import type {
  AggregatingStateDescriptor,
  ListStateDescriptor,
  MapStateDescriptor,
  ReducingStateDescriptor,
  StateDescriptor,
  ValueStateDescriptor,
} from '../../common/state-descriptors.js';
import { keyIdentity, VOID_NAMESPACE } from '../../state/keyed-state-backend.js';
import { bindUserFunction } from '../user-function.js';
import { visibleTimestamp } from './abstract-stream-operator.js';
import { BroadcastStateAccess, declaredBroadcastStates } from './broadcast-state-access.js';
import { bindKeySelector } from './keyed-process-operator.js';
import { KeyedTimerOperator } from './keyed-timer-operator.js';

type Ctx = KeyedBroadcastOnTimerContext<unknown>;

/** Kind `keyedBroadcastProcess`. */
export class KeyedBroadcastProcessOperator extends KeyedTimerOperator<Ctx> {
  private readonly fn: (value: unknown, ctx: Ctx, out: Collector<unknown>) => void;
  private readonly broadcastFn: (value: unknown, ctx: KeyedBroadcastContext, out: Collector<unknown>) => void;
  private readonly keyOf: (value: unknown) => unknown;
  /** The keyed side's context: read-only broadcast state, keyed state and timers. */
  protected readonly keyedContext: Ctx;
  /** The broadcast side's context: writable broadcast state. */
  private readonly context: KeyedBroadcastContext;
  /** Every key seen on the keyed input (or restored), by identity. */
  private readonly knownKeys = new Map<unknown, unknown>();

  constructor(name: string, userFunction: unknown, settings: Record<string, unknown>, keySelector: KeySelector<unknown, unknown> | undefined) {
    super(name, userFunction, 2);
    this.fn = bindUserFunction(userFunction, 'processElement', name);
    this.broadcastFn = bindUserFunction(userFunction, 'processBroadcastElement', name);
    this.keyOf = bindKeySelector(keySelector, name);
    const states = new BroadcastStateAccess(name, declaredBroadcastStates(settings), () => this.ctx.operatorStateStore);
    const base = {
      timestamp: () => visibleTimestamp(this.contextTimestamp),
      currentProcessingTime: () => this.ctx.currentProcessingTime(),
      currentWatermark: () => this.currentWatermark,
      output: <X>(tag: OutputTag<X>, value: X) => this.output.collectSide(tag.id, value, this.timestamp),
    };
    this.keyedContext = {
      ...base,
      getBroadcastState: <K, V>(d: MapStateDescriptor<K, V>) => states.readOnly(d),
      getCurrentKey: () => this.ctx.keyedStateBackend!.getCurrentKey(),
      timerService: () => this.ctx.timerService!,
      timeDomain: () => this.domain,
    };
    this.context = {
      ...base,
      getBroadcastState: <K, V>(d: MapStateDescriptor<K, V>) => states.writable(d),
      applyToKeyedState: <K, S>(d: StateDescriptor<unknown>, f: KeyedStateFunction<K, S>) => this.applyToKeyedState(d, f),
    };
  }

  protected override async onOpen(): Promise<void> {
    await super.onOpen();
    // Keys with restored state: `applyToKeyedState` must visit them too.
    const backend = this.ctx.keyedStateBackend!;
    const { start, end } = backend.keyGroupRange;
    for (let kg = start; kg <= end; kg++) {
      for await (const entry of backend.entriesOfKeyGroup(kg)) this.knownKeys.set(keyIdentity(entry.key), entry.key);
    }
  }

  processElement(value: unknown, timestamp: number, input: number): void {
    this.timestamp = timestamp;
    this.contextTimestamp = timestamp;
    try {
      if (input === 0) {
        const key = this.keyOf(value);
        this.ctx.keyedStateBackend!.setCurrentKey(key);
        const id = keyIdentity(key);
        if (!this.knownKeys.has(id)) this.knownKeys.set(id, key);
        this.fn(value, this.keyedContext, this.collector);
      } else {
        // No key on the broadcast side (Flink: "No key set"): keyed state is reached through
        // applyToKeyedState only, never the last key of the keyed input.
        this.ctx.keyedStateBackend!.clearCurrentKey();
        this.broadcastFn(value, this.context, this.collector);
      }
    } catch (err) {
      throw this.userError(err);
    }
  }

  /** Visits every key of this subtask with an entry in the state `descriptor`. */
  private applyToKeyedState<K, S>(descriptor: StateDescriptor<unknown>, fn: KeyedStateFunction<K, S>): void {
    const rc = this.ctx.runtimeContext;
    let state: unknown;
    switch (descriptor.kind) {
      case 'value':
        state = rc.getState(descriptor as ValueStateDescriptor<unknown>);
        break;
      case 'list':
        state = rc.getListState(descriptor as ListStateDescriptor<unknown>);
        break;
      case 'map':
        state = rc.getMapState(descriptor as MapStateDescriptor<unknown, unknown>);
        break;
      case 'reducing':
        state = rc.getReducingState(descriptor as ReducingStateDescriptor<unknown>);
        break;
      case 'aggregating':
        state = rc.getAggregatingState(descriptor as AggregatingStateDescriptor<unknown, unknown, unknown>);
        break;
    }
    // Keyed state is only ever written with a key current, and keys become current through
    // processElement (or timers and applyToKeyedState, whose keys came from there), so the keys
    // seen so far hold every key with state. Iterating the backend instead would be asynchronous.
    const backend = this.ctx.keyedStateBackend!;
    try {
      for (const key of [...this.knownKeys.values()]) {
        backend.setCurrentKey(key);
        if (backend.get(descriptor.name, VOID_NAMESPACE) === undefined) continue;
        fn(key as K, state as S);
      }
    } finally {
      backend.clearCurrentKey();
    }
  }
}
