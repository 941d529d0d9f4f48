import { describe, expect, it } from 'vitest';
import {
  BroadcastProcessFunction,
  KeyedBroadcastProcessFunction,
  MapStateDescriptor,
  OperatorTestHarness,
  ValueStateDescriptor,
  type BroadcastContext,
  type BroadcastReadOnlyContext,
  type Collector,
  type KeyedBroadcastContext,
  type KeyedBroadcastReadOnlyContext,
  type ValueState,
} from '../../src/api/index.js';
import { OperatorStateStore } from '../../src/state/operator-state-store.js';

interface Event { user: string; amount: number }
interface Rule { name: string; threshold: number }

const rules = new MapStateDescriptor<string, Rule>('rules');

/** Alerts when a user's running total crosses a broadcast rule; a "reset" rule clears every total. */
class Alerts extends KeyedBroadcastProcessFunction<string, Event, Rule, string> {
  private total!: ValueState<number>;
  private readonly totalDescriptor = new ValueStateDescriptor<number>('total', 0);
  override open(): void {
    this.total = this.getRuntimeContext().getState(this.totalDescriptor);
  }
  processElement(e: Event, ctx: KeyedBroadcastReadOnlyContext<string>, out: Collector<string>): void {
    const t = (this.total.value() ?? 0) + e.amount;
    this.total.update(t);
    for (const [name, rule] of ctx.getBroadcastState(rules).entries()) {
      if (t >= rule.threshold) out.collect(`${ctx.getCurrentKey()} ${name} ${t}`);
    }
  }
  processBroadcastElement(r: Rule, ctx: KeyedBroadcastContext, out: Collector<string>): void {
    if (r.name === 'reset') {
      ctx.applyToKeyedState(this.totalDescriptor, (key: string, state: ValueState<number>) => {
        out.collect(`reset ${key} from ${state.value()}`);
        state.clear();
      });
      return;
    }
    ctx.getBroadcastState(rules).put(r.name, r);
  }
}

describe('broadcast state in the harness', () => {
  it('rules broadcast to a keyed stream: read-only on the keyed side, applyToKeyedState on the broadcast side', async () => {
    const h = await OperatorTestHarness.forKeyedBroadcastProcessFunction(new Alerts(), (e: Event) => e.user, [rules]);
    h.processElement1({ user: 'a', amount: 5 });
    h.processElement2({ name: 'big', threshold: 10 });
    h.processElement1({ user: 'a', amount: 6 });
    h.processElement1({ user: 'b', amount: 3 });
    h.processElement2({ name: 'huge', threshold: 20 });
    h.processElement1({ user: 'a', amount: 10 });
    expect(h.extractOutputValues()).toEqual(['a big 11', 'a big 21', 'a huge 21']);
    h.processElement2({ name: 'reset', threshold: 0 });
    expect(h.extractOutputValues().slice(3).sort()).toEqual(['reset a from 21', 'reset b from 3']);
    expect(await h.numKeyedStateEntries()).toBe(0);
    h.processElement1({ user: 'b', amount: 10 });
    expect(h.extractOutputValues().slice(5)).toEqual(['b big 10']);
    await h.close();
  });

  it('keyed state touched directly on the broadcast side fails the element instead of using the last key', async () => {
    const total = new ValueStateDescriptor<number>('total', 0);
    const fn = new (class extends KeyedBroadcastProcessFunction<string, Event, Rule, string> {
      private state!: ValueState<number>;
      override open(): void {
        this.state = this.getRuntimeContext().getState(total);
      }
      processElement(e: Event): void {
        this.state.update((this.state.value() ?? 0) + e.amount);
      }
      processBroadcastElement(r: Rule, ctx: KeyedBroadcastContext, out: Collector<string>): void {
        if (r.name === 'visit') ctx.applyToKeyedState(total, (key: string, s: ValueState<number>) => out.collect(`${key}=${s.value()}`));
        this.state.update(-1);
      }
    })();
    const h = await OperatorTestHarness.forKeyedBroadcastProcessFunction(fn, (e: Event) => e.user, [rules]);
    h.processElement1({ user: 'a', amount: 5 });
    expect(() => h.processElement2({ name: 'r', threshold: 1 })).toThrow(/keyed state accessed without a current key/);
    // Also after applyToKeyedState left some key current.
    expect(() => h.processElement2({ name: 'visit', threshold: 1 })).toThrow(/keyed state accessed without a current key/);
    expect(h.extractOutputValues()).toEqual(['a=5']);
    await h.close();
  });

  it('the non-broadcast side cannot write, and undeclared states are refused', async () => {
    const other = new MapStateDescriptor<string, number>('other');
    const fn = new (class extends BroadcastProcessFunction<string, Rule, string> {
      processElement(v: string, ctx: BroadcastReadOnlyContext, out: Collector<string>): void {
        if (v === 'undeclared') ctx.getBroadcastState(other);
        const state = ctx.getBroadcastState(rules) as unknown as { put?: unknown };
        out.collect(`${v}:${typeof state.put}:${ctx.getBroadcastState(rules).get('r')?.threshold}`);
      }
      processBroadcastElement(r: Rule, ctx: BroadcastContext): void {
        ctx.getBroadcastState(rules).put(r.name, r);
      }
    })();
    const h = await OperatorTestHarness.forBroadcastProcessFunction(fn, [rules]);
    h.processElement2({ name: 'r', threshold: 7 });
    h.processElement1('x');
    expect(h.extractOutputValues()).toEqual(['x:undefined:7']);
    expect(() => h.processElement1('undeclared')).toThrow(/Co-Process-Broadcast.*broadcast state "other" was not declared by broadcast\(\.\.\.descriptors\) \(declared: "rules"\)/);
    await h.close();
  });

  it('broadcast state snapshots as [key, value] pairs and restores from any copy', () => {
    const a = new OperatorStateStore('op');
    a.getBroadcastState<[number, number], string>('s').put([1, 2], 'x');
    a.getBroadcastState<[number, number], string>('s').put([1, 2], 'y');
    const snap = a.snapshot();
    expect(snap).toEqual({ s: { mode: 'broadcast', items: [[[1, 2], 'y']] } });
    const b = new OperatorStateStore('op');
    b.restore(snap);
    expect(b.getBroadcastState<[number, number], string>('s').get([1, 2])).toBe('y');
    expect(() => b.getListState('s', 'split')).toThrow(/op: operator state "s" is already registered as broadcast state/);
  });
});
