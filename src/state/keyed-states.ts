/**
 * The keyed state handles (Value, List, Map, Reducing, Aggregating): synchronous views on the
 * entries of the current key in a {@link KeyedStateBackend}, honouring TTL when configured.
 * Handles are created once per operator and state name, not per key.
 */
import type { AggregateFunction, ReduceFunction } from '../common/functions.js';
import type { AggregatingState, ListState, MapState, ReducingState, ValueState } from '../common/runtime-context.js';
import type { StateDescriptor, StateSerializer } from '../common/state-descriptors.js';
import { describeClass, UnregisteredTypeError } from '../core/type-registry.js';
import { UnresolvedTypedValue, unresolvedTypeName, unresolvedValuesMade } from '../core/typed-value-extension.js';
import { keyIdentity, VOID_NAMESPACE, type KeyedStateBackend, type StateNamespace } from './keyed-state-backend.js';
import type { TtlPolicy, TtlValue } from './state-ttl.js';
import { cloneStateValue, findUnnamedClass } from './typed-values.js';
import { StateMap } from './value-codec.js';
import { InvalidArgumentError } from '../core/errors.js';

/** Flink's name of each kind of state, for messages. */
const STATE_LABELS = { value: 'ValueState', list: 'ListState', map: 'MapState', reducing: 'ReducingState', aggregating: 'AggregatingState' } as const;

/** What every handle shares: backend, name, TTL and the namespace it reads. */
abstract class AbstractKeyedState {
  /** Namespace later reads and writes apply to (windows set it; others keep VOID). */
  namespace: StateNamespace = VOID_NAMESPACE;

  /** The descriptor's serializer of values (elements, map values, accumulator), if any. */
  protected readonly serializer: StateSerializer<unknown> | undefined;

  /**
   * @param descriptor the user's descriptor: its named classes are registered with the
   *   backend, and values are checked on write (internal operator states pass none)
   */
  constructor(
    protected readonly backend: KeyedStateBackend,
    readonly name: string,
    protected readonly ttl: TtlPolicy | undefined,
    protected readonly descriptor?: StateDescriptor<unknown>,
  ) {
    this.serializer = descriptor?.serializer;
    if (descriptor) backend.registerTypes(descriptor.namedClasses());
  }

  /**
   * Refuses a value holding an instance of a class without a name, at once and on every
   * backend alike: no backend could hand it back as an instance after eviction or restore.
   */
  protected check(value: unknown): void {
    if (this.descriptor === undefined || typeof value !== 'object' || value === null) return;
    const found = findUnnamedClass(value);
    if (found === undefined) return;
    const d = this.descriptor;
    const cls = typeof found.cls === 'function' && found.cls.name ? found.cls.name : undefined;
    const label = `${STATE_LABELS[d.kind]} "${d.name}"`;
    const how = cls === undefined
      ? 'give it a named class and name that in the descriptor'
      : found.nested
        ? `register it: env.registerType(${cls})`
        : `name it in the descriptor: ${d.typedForm(cls)}, or register it: env.registerType(${cls})`;
    throw new UnregisteredTypeError(
      `${label} got ${found.nested ? 'a value holding an instance of ' : 'an instance of '}${describeClass(found.cls)}, which state cannot restore: ${how}`,
    );
  }

  /** Refuses a value read back whose class this job no longer names (restored from an older job). */
  protected checkResolved(v: unknown): void {
    if (unresolvedValuesMade === 0 || !(v instanceof UnresolvedTypedValue)) return;
    const d = this.descriptor;
    const cls = unresolvedTypeName(v);
    const label = d ? `${STATE_LABELS[d.kind]} "${d.name}"` : `state "${this.name}"`;
    const named = d ? `name it in the descriptor: ${d.typedForm(cls)}, or register it` : 'register it';
    throw new UnregisteredTypeError(`${label} holds a value of class ${cls}, but this job names no class ${cls}: ${named}: env.registerType(${cls})`);
  }

  /** The stored form of a value (the serializer's output when there is one). */
  protected encode(value: unknown): unknown {
    return this.serializer ? this.serializer.serialize(value) : value;
  }

  /** A value from its stored form. */
  protected decode(stored: unknown): unknown {
    if (this.serializer) return this.serializer.deserialize(stored);
    this.checkResolved(stored);
    return stored;
  }

  /** Sets the namespace (e.g. the window) of later accesses. */
  setCurrentNamespace(namespace: StateNamespace): void {
    this.namespace = namespace;
  }

  /** The stored value, unwrapped; undefined when absent or expired (then removed). */
  protected read(): unknown {
    const raw = this.backend.get(this.name, this.namespace);
    if (raw === undefined || !this.ttl) return raw;
    const stored = raw as TtlValue<unknown>;
    const now = this.ttl.now();
    if (this.ttl.isExpired(stored, now)) {
      this.backend.remove(this.name, this.namespace);
      return undefined;
    }
    if (this.ttl.refreshOnRead) {
      stored.t = now;
      // Written back so that a caching backend persists the new access time.
      this.backend.put(this.name, this.namespace, stored);
    }
    return stored.v;
  }

  protected write(value: unknown): void {
    this.backend.put(this.name, this.namespace, this.ttl ? this.ttl.wrap(value) : value);
  }

  clear(): void {
    this.backend.remove(this.name, this.namespace);
  }
}

/** {@link ValueState} of the current key. */
export class KeyedValueState<T> extends AbstractKeyedState implements ValueState<T> {
  constructor(
    backend: KeyedStateBackend,
    name: string,
    ttl: TtlPolicy | undefined,
    private readonly defaultValue: T | undefined,
    descriptor?: StateDescriptor<unknown>,
  ) {
    super(backend, name, ttl, descriptor);
  }

  value(): T | undefined {
    const v = this.read();
    if (v !== undefined) {
      // Inlined decode(): the common case (no serializer, nothing unresolved) is two compares.
      if (this.serializer !== undefined) return this.serializer.deserialize(v) as T;
      if (unresolvedValuesMade !== 0) this.checkResolved(v);
      return v as T;
    }
    const d = this.defaultValue;
    // A mutable default must not be shared between keys (and keeps its class).
    return d !== null && typeof d === 'object' ? cloneStateValue(d) : d;
  }

  update(value: T): void {
    if (value === undefined || value === null) return this.clear();
    const stored = this.serializer === undefined ? value : this.serializer.serialize(value);
    if (typeof stored === 'object') this.check(stored);
    this.write(stored);
  }
}

/** {@link ListState} of the current key; with TTL, each element expires on its own. */
export class KeyedListState<T> extends AbstractKeyedState implements ListState<T> {
  get(): Iterable<T> {
    const raw = this.backend.get(this.name, this.namespace) as unknown[] | undefined;
    if (!raw) return [];
    if (!this.ttl) return this.decodeAll(raw);
    const now = this.ttl.now();
    const live = (raw as TtlValue<T>[]).filter((e) => !this.ttl!.isExpired(e, now));
    if (live.length === 0) {
      this.clear();
      return [];
    }
    if (this.ttl.refreshOnRead) for (const e of live) e.t = now;
    if (live.length !== raw.length || this.ttl.refreshOnRead) this.backend.put(this.name, this.namespace, live);
    return this.decodeAll(live.map((e) => e.v));
  }

  /** The elements from their stored form (the stored array itself without a serializer). */
  private decodeAll(stored: unknown[]): T[] {
    if (this.serializer) return stored.map((e) => this.serializer!.deserialize(e)) as T[];
    if (unresolvedValuesMade > 0) for (const e of stored) this.checkResolved(e);
    return stored as T[];
  }

  /** The stored form of an element, checked. */
  private element(value: T): unknown {
    const stored = this.encode(value);
    this.check(stored);
    return this.ttl ? this.ttl.wrap(stored) : stored;
  }

  add(value: T): void {
    if (value === undefined || value === null) throw new InvalidArgumentError(`ListState "${this.name}": cannot add ${String(value)}`);
    const item = this.element(value);
    const raw = this.backend.get(this.name, this.namespace) as unknown[] | undefined;
    if (raw) raw.push(item);
    // Written back even when mutated in place, so a caching backend sees the change.
    this.backend.put(this.name, this.namespace, raw ?? [item]);
  }

  addAll(values: Iterable<T>): void {
    for (const v of values) this.add(v);
  }

  update(values: Iterable<T>): void {
    const list = [...values].map((v) => this.element(v));
    if (list.length === 0) this.clear();
    else this.backend.put(this.name, this.namespace, list);
  }
}

/** One map entry: the user key, its value and (with TTL) its last access. */
interface MapEntry<UK, UV> {
  k: UK;
  v: UV;
  t: number;
}

/** {@link MapState} of the current key; with TTL, each entry expires on its own. */
export class KeyedMapState<UK, UV> extends AbstractKeyedState implements MapState<UK, UV> {
  private map(create: boolean): Map<unknown, MapEntry<UK, UV>> | undefined {
    let m = this.backend.get(this.name, this.namespace) as Map<unknown, MapEntry<UK, UV>> | undefined;
    if (!m && create) this.backend.put(this.name, this.namespace, (m = new StateMap()));
    return m;
  }

  /** The entry if present and live (expired entries are removed). */
  private live(m: Map<unknown, MapEntry<UK, UV>>, id: unknown, e: MapEntry<UK, UV> | undefined, now: number): MapEntry<UK, UV> | undefined {
    if (!e || !this.ttl) return e;
    if (this.ttl.isExpired(e, now)) {
      m.delete(id);
      if (m.size === 0) this.clear();
      else this.backend.put(this.name, this.namespace, m);
      return undefined;
    }
    if (this.ttl.refreshOnRead) {
      e.t = now;
      // Written back so that a caching backend persists the new access time.
      this.backend.put(this.name, this.namespace, m);
    }
    return e;
  }

  private now(): number {
    return this.ttl ? this.ttl.now() : 0;
  }

  get(key: UK): UV | undefined {
    const m = this.map(false);
    if (!m) return undefined;
    const id = keyIdentity(key);
    const e = this.live(m, id, m.get(id), this.now());
    return e === undefined ? undefined : (this.decode(e.v) as UV);
  }

  put(key: UK, value: UV): void {
    const stored = this.encode(value);
    this.check(key);
    this.check(stored);
    const m = this.map(true)!;
    m.set(keyIdentity(key), { k: key, v: stored as UV, t: this.now() });
    this.backend.put(this.name, this.namespace, m);
  }

  putAll(entries: Iterable<[UK, UV]>): void {
    for (const [k, v] of entries) this.put(k, v);
  }

  remove(key: UK): void {
    const m = this.map(false);
    if (!m) return;
    m.delete(keyIdentity(key));
    if (m.size === 0) this.clear();
    else this.backend.put(this.name, this.namespace, m);
  }

  contains(key: UK): boolean {
    return this.get(key) !== undefined;
  }

  /** A snapshot of the live entries (safe to modify the state while iterating). */
  entries(): Iterable<[UK, UV]> {
    const m = this.map(false);
    if (!m) return [];
    const now = this.now();
    const out: [UK, UV][] = [];
    for (const [id, e] of [...m]) {
      const l = this.live(m, id, e, now);
      if (l) out.push([l.k, this.decode(l.v) as UV]);
    }
    return out;
  }

  keys(): Iterable<UK> {
    return [...this.entries()].map((e) => e[0]);
  }

  values(): Iterable<UV> {
    return [...this.entries()].map((e) => e[1]);
  }

  isEmpty(): boolean {
    return [...this.entries()].length === 0;
  }
}

/** Calls a reduce function given as a lambda or an object. */
export function callReduce<T>(fn: ReduceFunction<T>, a: T, b: T): T {
  return typeof fn === 'function' ? fn(a, b) : fn.reduce(a, b);
}

/** {@link ReducingState} of the current key. */
export class KeyedReducingState<T> extends AbstractKeyedState implements ReducingState<T> {
  constructor(
    backend: KeyedStateBackend,
    name: string,
    ttl: TtlPolicy | undefined,
    private readonly reduce: ReduceFunction<T>,
    descriptor?: StateDescriptor<unknown>,
  ) {
    super(backend, name, ttl, descriptor);
  }

  get(): T | undefined {
    const v = this.read();
    return v === undefined ? undefined : (this.decode(v) as T);
  }

  add(value: T): void {
    const current = this.get();
    const stored = this.encode(current === undefined ? value : callReduce(this.reduce, current, value));
    this.check(stored);
    this.write(stored);
  }
}

/** {@link AggregatingState} of the current key (stores the accumulator). */
export class KeyedAggregatingState<IN, ACC, OUT> extends AbstractKeyedState implements AggregatingState<IN, OUT> {
  constructor(
    backend: KeyedStateBackend,
    name: string,
    ttl: TtlPolicy | undefined,
    private readonly fn: AggregateFunction<IN, ACC, OUT>,
    descriptor?: StateDescriptor<unknown>,
  ) {
    super(backend, name, ttl, descriptor);
  }

  private accumulator(): ACC | undefined {
    const v = this.read();
    return v === undefined ? undefined : (this.decode(v) as ACC);
  }

  get(): OUT | undefined {
    const acc = this.accumulator();
    return acc === undefined ? undefined : this.fn.getResult(acc);
  }

  add(value: IN): void {
    const acc = this.accumulator() ?? this.fn.createAccumulator();
    const stored = this.encode(this.fn.add(value, acc));
    this.check(stored);
    this.write(stored);
  }
}
