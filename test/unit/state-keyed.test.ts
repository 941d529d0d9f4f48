import { describe, expect, it } from 'vitest';
import {
  AggregatingStateDescriptor,
  ListStateDescriptor,
  MapStateDescriptor,
  ReducingStateDescriptor,
  StateTtlConfig,
  ValueStateDescriptor,
} from '../../src/common/state-descriptors.js';
import { assignToKeyGroup, keyGroupRangeForOperator } from '../../src/state/key-groups.js';
import { StreamingRuntimeContext } from '../../src/runtime/streaming-runtime-context.js';
import { MemoryKeyedStateBackend } from '../../src/state/memory-keyed-state-backend.js';
import { OperatorStateStore } from '../../src/state/operator-state-store.js';

async function collect<T>(it: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const x of it) out.push(x);
  return out;
}

const info = { taskName: 'T', subtaskIndex: 0, parallelism: 1, maxParallelism: 128, attemptNumber: 0, jobId: 'j' };

function setup(clock = { now: 0 }) {
  const backend = new MemoryKeyedStateBackend({ maxParallelism: 128, keyGroupRange: { start: 0, end: 127 }, operatorName: 'KeyedProcess' });
  const rc = new StreamingRuntimeContext(info, 'KeyedProcess', backend, new OperatorStateStore('KeyedProcess'), () => clock.now);
  return { backend, rc, clock };
}

describe('keyed state in memory', () => {
  it('scopes value, list, map, reducing and aggregating state to the current key', () => {
    const { backend, rc } = setup();
    const count = rc.getState(new ValueStateDescriptor<number>('count', 0));
    const list = rc.getListState(new ListStateDescriptor<string>('list'));
    const map = rc.getMapState(new MapStateDescriptor<[number, number], string>('map'));
    const sum = rc.getReducingState(new ReducingStateDescriptor<number>('sum', (a, b) => a + b));
    const avg = rc.getAggregatingState(
      new AggregatingStateDescriptor<number, [number, number], number>('avg', {
        createAccumulator: () => [0, 0],
        add: (v, acc) => [acc[0] + v, acc[1] + 1],
        getResult: (acc) => acc[0] / acc[1],
        merge: (a, b) => [a[0] + b[0], a[1] + b[1]],
      }),
    );
    for (const [key, v] of [['a', 1], ['b', 10], ['a', 3]] as const) {
      backend.setCurrentKey(key);
      count.update(count.value()! + 1);
      list.add(`${key}${v}`);
      map.put([v, v], key);
      sum.add(v);
      avg.add(v);
    }
    backend.setCurrentKey('a');
    expect(count.value()).toBe(2);
    expect([...list.get()]).toEqual(['a1', 'a3']);
    expect(map.get([3, 3])).toBe('a');
    expect(map.contains([10, 10])).toBe(false);
    expect([...map.keys()]).toEqual([[1, 1], [3, 3]]);
    expect(sum.get()).toBe(4);
    expect(avg.get()).toBe(2);
    backend.setCurrentKey('b');
    expect(count.value()).toBe(1);
    expect(sum.get()).toBe(10);
    map.remove([10, 10]);
    expect(map.isEmpty()).toBe(true);
    backend.setCurrentKey('c');
    expect(count.value()).toBe(0);
    expect([...list.get()]).toEqual([]);
    expect(sum.get()).toBeUndefined();
  });

  it('iterates entries per key group and lists keys', async () => {
    const { backend, rc } = setup();
    const v = rc.getState(new ValueStateDescriptor<string>('v'));
    for (const k of ['x', 'y', 'z']) {
      backend.setCurrentKey(k);
      v.update(k.toUpperCase());
    }
    expect((await collect(backend.keys('v'))).sort()).toEqual(['x', 'y', 'z']);
    const kg = assignToKeyGroup('y', 128);
    expect(backend.getCurrentKeyGroup()).toBe(assignToKeyGroup('z', 128));
    const entries = await collect(backend.entriesOfKeyGroup(kg));
    expect(entries.find((e) => e.key === 'y')).toMatchObject({ keyGroup: kg, stateName: 'v', value: 'Y' });
  });

  it('never returns expired values (OnCreateAndWrite and OnReadAndWrite)', async () => {
    const { backend, rc, clock } = setup();
    const d1 = new ValueStateDescriptor<string>('w');
    d1.enableTimeToLive(StateTtlConfig.newBuilder(100).build());
    const d2 = new ValueStateDescriptor<string>('r');
    d2.enableTimeToLive(StateTtlConfig.newBuilder(100).updateTtlOnReadAndWrite().build());
    const dl = new ListStateDescriptor<number>('l');
    dl.enableTimeToLive(StateTtlConfig.newBuilder(100).build());
    const w = rc.getState(d1);
    const r = rc.getState(d2);
    const l = rc.getListState(dl);
    backend.setCurrentKey(1);
    w.update('w');
    r.update('r');
    l.add(1);
    clock.now = 60;
    l.add(2);
    expect(w.value()).toBe('w');
    expect(r.value()).toBe('r'); // refreshed at 60
    clock.now = 120;
    expect(w.value()).toBeUndefined();
    expect(r.value()).toBe('r');
    expect([...l.get()]).toEqual([2]);
    clock.now = 300;
    expect(r.value()).toBeUndefined();
    expect([...l.get()]).toEqual([]);
    expect(await collect(backend.entriesOfKeyGroup(backend.getCurrentKeyGroup()))).toEqual([]);
  });

  it('expires map entries on their own', () => {
    const { backend, rc, clock } = setup();
    const d = new MapStateDescriptor<string, number>('m');
    d.enableTimeToLive(StateTtlConfig.newBuilder(50).build());
    const m = rc.getMapState(d);
    backend.setCurrentKey('k');
    m.put('old', 1);
    clock.now = 30;
    m.put('new', 2);
    clock.now = 60;
    expect([...m.entries()]).toEqual([['new', 2]]);
  });

  it('refuses keyed state outside keyed operators and a name reused with another kind, naming the operator', () => {
    const plain = new StreamingRuntimeContext(info, 'Map', undefined, new OperatorStateStore('Map'));
    expect(() => plain.getState(new ValueStateDescriptor('s'))).toThrow(/Map: keyed state "s" is only available on a keyed stream/);
    const { rc } = setup();
    rc.getState(new ValueStateDescriptor('s'));
    expect(rc.getState(new ValueStateDescriptor('s'))).toBe(rc.getState(new ValueStateDescriptor('s')));
    expect(() => rc.getListState(new ListStateDescriptor('s'))).toThrow(/KeyedProcess: state "s" is already registered as value state/);
  });

  it('rejects keys outside the subtask key-group range', () => {
    const range = keyGroupRangeForOperator(128, 4, 0);
    const backend = new MemoryKeyedStateBackend({ maxParallelism: 128, keyGroupRange: range, operatorName: 'Op' });
    let foreign = 0;
    while (assignToKeyGroup(foreign, 128) <= range.end) foreign++;
    expect(() => backend.setCurrentKey(foreign)).toThrow(/Op: key .* outside this subtask's range/);
  });
});

describe('operator state', () => {
  it('keeps list and union list state, snapshots and restores them', () => {
    const store = new OperatorStateStore('Sink');
    const rc = new StreamingRuntimeContext(info, 'Sink', undefined, store);
    const buf = rc.getOperatorListState(new ListStateDescriptor<number>('buffer'));
    buf.addAll([1, 2]);
    rc.getUnionListState(new ListStateDescriptor<string>('offsets')).add('o');
    expect(() => rc.getUnionListState(new ListStateDescriptor('buffer'))).toThrow(/Sink: operator state "buffer"/);
    const snap = store.snapshot();
    expect(snap).toEqual({ buffer: { mode: 'split', items: [1, 2] }, offsets: { mode: 'union', items: ['o'] } });
    const restored = new OperatorStateStore('Sink');
    restored.restore(snap);
    expect([...restored.getListState<number>('buffer', 'split').get()]).toEqual([1, 2]);
  });
});
