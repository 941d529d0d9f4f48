import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import {
  AggregatingStateDescriptor,
  ListStateDescriptor,
  MapStateDescriptor,
  ReducingStateDescriptor,
  StateDescriptor,
  ValueStateDescriptor,
} from '../../src/common/state-descriptors.js';
import { openNativeKeyedStateFile, restoreNativeKeyedState, writeNativeKeyedStateFile } from '../../src/checkpoint/native-keyed-state-file.js';
import { readKeyedStateFile, writeKeyedStateFile } from '../../src/checkpoint/state-files.js';
import { TypeRegistry } from '../../src/core/type-registry.js';
import { assignToKeyGroup, keyGroupRangeForOperator, type KeyGroupRange } from '../../src/state/key-groups.js';
import type { KeyedStateBackend } from '../../src/state/keyed-state-backend.js';
import {
  KeyedAggregatingState,
  KeyedListState,
  KeyedMapState,
  KeyedReducingState,
  KeyedValueState,
} from '../../src/state/keyed-states.js';
import { LevelDbKeyedStateBackend } from '../../src/state/leveldb-keyed-state-backend.js';
import { MemoryKeyedStateBackend } from '../../src/state/memory-keyed-state-backend.js';

/** A taxi ride, as in Flink's training exercises. */
class Ride {
  constructor(
    public rideId: number,
    public isStart: boolean,
    public eventTime: number,
  ) {}
  /** A method: only instances have it. */
  describe(): string {
    return `ride ${this.rideId} ${this.isStart ? 'START' : 'END'} at ${this.eventTime}`;
  }
}

/** Nested inside a Ride-like value, registered on its own. */
class GeoPoint {
  constructor(
    public lon: number,
    public lat: number,
  ) {}
  norm(): number {
    return Math.round(Math.hypot(this.lon, this.lat));
  }
}

/** A fare accumulator (AggregatingState). */
class FareAcc {
  count = 0;
  sum = 0;
  mean(): number {
    return this.count === 0 ? 0 : this.sum / this.count;
  }
}

/** Never named anywhere. */
class Unnamed {
  x = 1;
}

const MAX_PARALLELISM = 128;
const KEYS = 40;
let dirs: string[] = [];
let backends: KeyedStateBackend[] = [];

afterEach(async () => {
  for (const b of backends) await b.dispose();
  backends = [];
  for (const d of dirs) await rm(d, { recursive: true, force: true });
  dirs = [];
});

async function tmp(): Promise<string> {
  const d = await mkdtemp(join(tmpdir(), 'fluss-typed-'));
  dirs.push(d);
  return d;
}

type Kind = 'memory' | 'leveldb';

/** A backend of `kind`; LevelDB with a one-byte cache, so every read goes to the database. */
async function backend(kind: Kind, range: KeyGroupRange = { start: 0, end: MAX_PARALLELISM - 1 }, types?: TypeRegistry): Promise<KeyedStateBackend> {
  const options = { maxParallelism: MAX_PARALLELISM, keyGroupRange: range, operatorName: 'Typed', types };
  const b = kind === 'memory' ? new MemoryKeyedStateBackend(options) : await LevelDbKeyedStateBackend.open({ ...options, path: join(await tmp(), 'db'), cacheBytes: 1 });
  backends.push(b);
  return b;
}

/** The descriptors of the typed states, as a Flink user writes them. */
function descriptors() {
  return {
    ride: new ValueStateDescriptor('ride', Ride),
    rides: new ListStateDescriptor('rides', Ride),
    byId: new MapStateDescriptor('byId', Number, Ride),
    latest: new ReducingStateDescriptor('latest', (a: Ride, b: Ride) => (a.eventTime >= b.eventTime ? a : b), Ride),
    fares: new AggregatingStateDescriptor(
      'fares',
      {
        createAccumulator: () => new FareAcc(),
        add: (v: number, acc: FareAcc) => {
          acc.count++;
          acc.sum += v;
          return acc;
        },
        getResult: (acc: FareAcc) => acc,
        merge: (a: FareAcc) => a,
      },
      FareAcc,
    ),
    plain: new ValueStateDescriptor<{ n: number; tags: string[] }>('plain'),
  };
}

/** Handles over `b`, registered as the runtime does. */
function handles(b: KeyedStateBackend) {
  const d = descriptors();
  const reg = (x: StateDescriptor<unknown>) => b.registerState(x.name, x.kind);
  for (const x of Object.values(d)) reg(x as StateDescriptor<unknown>);
  return {
    ride: new KeyedValueState<Ride>(b, 'ride', undefined, d.ride.defaultValue, d.ride),
    rides: new KeyedListState<Ride>(b, 'rides', undefined, d.rides),
    byId: new KeyedMapState<number, Ride>(b, 'byId', undefined, d.byId),
    latest: new KeyedReducingState<Ride>(b, 'latest', undefined, d.latest.reduceFunction, d.latest),
    fares: new KeyedAggregatingState<number, FareAcc, FareAcc>(b, 'fares', undefined, d.fares.aggregateFunction, d.fares),
    plain: new KeyedValueState<{ n: number; tags: string[] }>(b, 'plain', undefined, undefined, d.plain),
  };
}

function fill(b: KeyedStateBackend): void {
  const h = handles(b);
  for (let k = 0; k < KEYS; k++) {
    b.setCurrentKey(k);
    h.ride.update(new Ride(k, true, 1000 + k));
    h.rides.add(new Ride(k, true, 1));
    h.rides.add(new Ride(k, false, 2));
    h.byId.put(k, new Ride(k, false, 3));
    h.latest.add(new Ride(k, true, 5));
    h.latest.add(new Ride(k, false, 9));
    h.fares.add(10);
    h.fares.add(20);
    h.plain.update({ n: k, tags: ['a'] });
  }
}

/** Every key in `range` reads back instances with working methods; plain data stays plain. */
function expectTyped(b: KeyedStateBackend, range: KeyGroupRange = b.keyGroupRange): number {
  const h = handles(b);
  let seen = 0;
  for (let k = 0; k < KEYS; k++) {
    const kg = assignToKeyGroup(k, MAX_PARALLELISM);
    if (kg < range.start || kg > range.end) continue;
    seen++;
    b.setCurrentKey(k);
    const ride = h.ride.value()!;
    expect(ride).toBeInstanceOf(Ride);
    expect(ride.describe()).toBe(`ride ${k} START at ${1000 + k}`);
    const rides = [...h.rides.get()];
    expect(rides.map((r) => r instanceof Ride && r.describe())).toEqual([`ride ${k} START at 1`, `ride ${k} END at 2`]);
    expect(h.byId.get(k)).toBeInstanceOf(Ride);
    expect([...h.byId.values()][0]!.describe()).toBe(`ride ${k} END at 3`);
    expect(h.latest.get()!.describe()).toBe(`ride ${k} END at 9`);
    const acc = h.fares.get()!;
    expect(acc).toBeInstanceOf(FareAcc);
    expect(acc.mean()).toBe(15);
    const plain = h.plain.value()!;
    expect(Object.getPrototypeOf(plain)).toBe(Object.prototype);
    expect(plain).toEqual({ n: k, tags: ['a'] });
  }
  return seen;
}

async function collect<T>(it: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const x of it) out.push(x);
  return out;
}

describe('typed state descriptors', () => {
  it('a class as the second argument names the type: a new key reads no value (not the class)', async () => {
    for (const kind of ['memory', 'leveldb'] as const) {
      const b = await backend(kind);
      const h = handles(b);
      b.setCurrentKey('fresh');
      expect(h.ride.value() == null).toBe(true);
      expect(descriptors().ride.defaultValue).toBeUndefined();
    }
    expect(new ValueStateDescriptor('count', 0).defaultValue).toBe(0);
    expect(new ValueStateDescriptor('d', { type: Ride, defaultValue: new Ride(0, false, 0) }).valueType).toBe(Ride);
    // A plain default value that happens to have a key named like an option stays a default value.
    expect(new ValueStateDescriptor('cfg', { type: 'taxi' }).defaultValue).toEqual({ type: 'taxi' });
  });

  it('a class-typed default value is handed out as a fresh instance per key', async () => {
    const b = await backend('memory');
    b.registerState('d', 'value');
    const d = new ValueStateDescriptor('d', Ride, new Ride(0, false, 7));
    const s = new KeyedValueState<Ride>(b, 'd', undefined, d.defaultValue, d);
    b.setCurrentKey(1);
    const first = s.value()!;
    expect(first.describe()).toBe('ride 0 END at 7');
    first.rideId = 99;
    expect(s.value()!.rideId).toBe(0);
  });

  for (const kind of ['memory', 'leveldb'] as const) {
    it(`${kind}: an instance of an unnamed class fails at update() with one line saying how to name it`, async () => {
      const b = await backend(kind);
      b.registerState('u', 'value');
      b.registerState('l', 'list');
      const d = new ValueStateDescriptor<Unnamed>('u');
      const s = new KeyedValueState<Unnamed>(b, 'u', undefined, undefined, d);
      const l = new KeyedListState<unknown>(b, 'l', undefined, new ListStateDescriptor('l'));
      b.setCurrentKey(1);
      expect(() => s.update(new Unnamed())).toThrow(
        `ValueState "u" got an instance of class Unnamed, which state cannot restore: name it in the descriptor: new ValueStateDescriptor('u', Unnamed), or register it: env.registerType(Unnamed)`,
      );
      expect(() => l.add({ inner: new Unnamed() })).toThrow(/^ListState "l" got a value holding an instance of class Unnamed, which state cannot restore: register it: env.registerType\(Unnamed\)$/);
      // Nothing was stored.
      expect(s.value()).toBeUndefined();
      expect([...l.get()]).toEqual([]);
    });
  }

  it('a custom serializer decides the stored form', async () => {
    const b = await backend('leveldb');
    b.registerState('s', 'value');
    const d = new ValueStateDescriptor<Unnamed>('s', {
      serializer: { serialize: (u: Unnamed) => `U${u.x}`, deserialize: (s) => Object.assign(new Unnamed(), { x: Number(String(s).slice(1)) }) },
    });
    const s = new KeyedValueState<Unnamed>(b, 's', undefined, d.defaultValue, d);
    for (let k = 0; k < 5; k++) {
      b.setCurrentKey(k);
      s.update(Object.assign(new Unnamed(), { x: k }));
    }
    await b.flush();
    const stored = (await collect(await b.snapshotKeyGroups())).map((e) => e.value).sort();
    expect(stored).toEqual(['U0', 'U1', 'U2', 'U3', 'U4']);
    b.setCurrentKey(3);
    expect(s.value()).toBeInstanceOf(Unnamed);
    expect(s.value()!.x).toBe(3);
  });
});

describe('typed state through eviction, checkpoints, savepoints and rescaling', () => {
  it('leveldb: values come back as instances after eviction from a one-byte cache', async () => {
    const b = await backend('leveldb');
    fill(b);
    await b.flush();
    expect(expectTyped(b)).toBe(KEYS);
  });

  it('nested instances of a registered class come back as instances too', async () => {
    const types = new TypeRegistry();
    types.register(GeoPoint);
    const b = await backend('leveldb', undefined, types);
    b.registerState('ride', 'value');
    const d = new ValueStateDescriptor('ride', Ride);
    const s = new KeyedValueState<Ride & { from?: GeoPoint }>(b, 'ride', undefined, undefined, d);
    b.setCurrentKey(1);
    s.update(Object.assign(new Ride(1, true, 0), { from: new GeoPoint(3, 4) }));
    b.setCurrentKey(2);
    s.update(new Ride(2, true, 0));
    b.setCurrentKey(1);
    expect(s.value()!.from!.norm()).toBe(5);
  });

  for (const [from, to] of [
    ['memory', 'leveldb'],
    ['leveldb', 'memory'],
    ['leveldb', 'leveldb'],
    ['memory', 'memory'],
  ] as const) {
    it(`savepoint (canonical files) of ${from} at parallelism 1 restores into ${to} at parallelism 2 with instances`, async () => {
      const src = await backend(from);
      fill(src);
      const dir = await tmp();
      const handle = await writeKeyedStateFile(dir, 'op-0-keyed', src.keyGroupRange, await src.snapshotKeyGroups());
      let total = 0;
      for (let i = 0; i < 2; i++) {
        const range = keyGroupRangeForOperator(MAX_PARALLELISM, 2, i);
        const dst = await backend(to, range);
        await dst.restore(await readKeyedStateFile(dir, handle, range));
        total += expectTyped(dst);
      }
      expect(total).toBe(KEYS);
    });
  }

  for (const to of ['leveldb', 'memory'] as const) {
    it(`checkpoint (native LevelDB files) with unwritten changes restores into ${to} at parallelism 2 with instances`, async () => {
      const src = await backend('leveldb');
      fill(src);
      const dir = await tmp();
      // Taken without a flush: part of the state is in the snapshot's unwritten changes.
      const handle = await writeNativeKeyedStateFile(dir, 'op-0-keyed', (src as LevelDbKeyedStateBackend).snapshotNative());
      let total = 0;
      for (let i = 0; i < 2; i++) {
        const range = keyGroupRangeForOperator(MAX_PARALLELISM, 2, i);
        const dst = await backend(to, range);
        await restoreNativeKeyedState(dst, [await openNativeKeyedStateFile(dir, handle)]);
        total += expectTyped(dst);
      }
      expect(total).toBe(KEYS);
    });
  }

  it('a restored value whose class the job no longer names fails with one line at read', async () => {
    const src = await backend('memory');
    fill(src);
    const dir = await tmp();
    const handle = await writeKeyedStateFile(dir, 'op-0-keyed', src.keyGroupRange, await src.snapshotKeyGroups());
    const dst = await backend('leveldb');
    await dst.restore(await readKeyedStateFile(dir, handle, dst.keyGroupRange));
    dst.registerState('ride', 'value');
    const s = new KeyedValueState<unknown>(dst, 'ride', undefined, undefined, new ValueStateDescriptor('ride'));
    dst.setCurrentKey(0);
    expect(() => s.value()).toThrow(
      `ValueState "ride" holds a value of class Ride, but this job names no class Ride: name it in the descriptor: new ValueStateDescriptor('ride', Ride), or register it: env.registerType(Ride)`,
    );
  });
});
