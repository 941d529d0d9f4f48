/**
 * The `broadcastProcess` operator (Flink's CoBroadcastWithNonKeyedOperator): input 0 is the
 * non-broadcast stream (`processElement`, read-only broadcast state), input 1 the broadcast
 * stream (`processBroadcastElement`, writable broadcast state). Broadcast state is operator
 * state every subtask holds identically.
 */
import type { BroadcastContext, BroadcastReadOnlyContext } from '../../common/co-functions.js';
import type { Collector } from '../../common/functions.js';
import type { OutputTag } from '../../common/output-tag.js';
import type { MapStateDescriptor } from '../../common/state-descriptors.js';
import { bindUserFunction } from '../user-function.js';
import { AbstractStreamOperator, visibleTimestamp } from './abstract-stream-operator.js';
import { BroadcastStateAccess, declaredBroadcastStates } from './broadcast-state-access.js';

/** Kind `broadcastProcess`. */
export class BroadcastProcessOperator extends AbstractStreamOperator {
  private readonly fn: (value: unknown, ctx: BroadcastReadOnlyContext, out: Collector<unknown>) => void;
  private readonly broadcastFn: (value: unknown, ctx: BroadcastContext, out: Collector<unknown>) => void;
  private timestamp = 0;
  private readonly collector: Collector<unknown> = { collect: (v) => this.output.collect(v, this.timestamp) };
  private readonly readOnlyContext: BroadcastReadOnlyContext;
  private readonly context: BroadcastContext;

  constructor(name: string, userFunction: unknown, settings: Record<string, unknown>) {
    super(name, userFunction, 2);
    this.fn = bindUserFunction(userFunction, 'processElement', name);
    this.broadcastFn = bindUserFunction(userFunction, 'processBroadcastElement', name);
    const states = new BroadcastStateAccess(name, declaredBroadcastStates(settings), () => this.ctx.operatorStateStore);
    const base = {
      timestamp: () => visibleTimestamp(this.timestamp),
      currentProcessingTime: () => this.ctx.currentProcessingTime(),
      currentWatermark: () => this.currentWatermark,
      output: <X>(tag: OutputTag<X>, value: X) => this.output.collectSide(tag.id, value, this.timestamp),
    };
    this.readOnlyContext = { ...base, getBroadcastState: <K, V>(d: MapStateDescriptor<K, V>) => states.readOnly(d) };
    this.context = { ...base, getBroadcastState: <K, V>(d: MapStateDescriptor<K, V>) => states.writable(d) };
  }

  processElement(value: unknown, timestamp: number, input: number): void {
    this.timestamp = timestamp;
    try {
      if (input === 0) this.fn(value, this.readOnlyContext, this.collector);
      else this.broadcastFn(value, this.context, this.collector);
    } catch (err) {
      throw this.userError(err);
    }
  }
}
