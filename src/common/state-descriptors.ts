/**
 * State descriptors: a name plus what the runtime needs to create the state. The state
 * itself is synchronous, like Flink's: `value()` returns the value, not a promise.
 *
 * A descriptor may name the type of its values as Flink's do
 * (`new ValueStateDescriptor('ride', Ride)`: a class in that position is a type, never a
 * default value), or through an options object (`{ type, defaultValue, serializer }`). Values
 * of a named class come back as instances of it from every backend, after eviction, restore
 * and rescaling; a custom serializer decides the stored form itself.
 */
import { InvalidArgumentError } from '../core/errors.js';
import { isBuiltinTypeHint, isClassConstructor, nameType, type TypeClass } from '../core/type-registry.js';
import type { AggregateFunction, ReduceFunction } from './functions.js';

/** Time-to-live of keyed state entries (processing time). */
export interface StateTtlConfig {
  ttlMs: number;
  updateType: 'OnCreateAndWrite' | 'OnReadAndWrite';
  /** Expired values are never returned (the only visibility Fluss offers). */
  stateVisibility: 'NeverReturnExpired';
}

/** Builds a {@link StateTtlConfig}: `StateTtlConfig.newBuilder(Time.minutes(5)).updateTtlOnReadAndWrite().build()`. */
export const StateTtlConfig = {
  newBuilder(ttlMs: number) {
    const cfg: StateTtlConfig = { ttlMs, updateType: 'OnCreateAndWrite', stateVisibility: 'NeverReturnExpired' };
    const builder = {
      updateTtlOnCreateAndWrite() { cfg.updateType = 'OnCreateAndWrite'; return builder; },
      updateTtlOnReadAndWrite() { cfg.updateType = 'OnReadAndWrite'; return builder; },
      setUpdateType(t: StateTtlConfig['updateType']) { cfg.updateType = t; return builder; },
      neverReturnExpired() { return builder; },
      build(): StateTtlConfig { return { ...cfg }; },
    };
    return builder;
  },
};

/** A type a descriptor may name: a class, or a built-in constructor (Number, String…) for plain values. */
export type StateTypeHint<T> = TypeClass<T> | NumberConstructor | StringConstructor | BooleanConstructor | BigIntConstructor;

/**
 * A custom serializer of state values (Flink's TypeSerializer reduced to its two ends): the
 * state stores what `serialize` returns (bytes or plain data) and hands out what `deserialize`
 * makes of it, on every read.
 */
export interface StateSerializer<T> {
  serialize(value: T): unknown;
  deserialize(stored: unknown): T;
}

/** Options of a descriptor: the type of its values and/or a serializer. */
export interface StateDescriptorOptions<T> {
  type?: StateTypeHint<T>;
  serializer?: StateSerializer<T>;
}

/** Options of a {@link ValueStateDescriptor}. */
export interface ValueStateDescriptorOptions<T> extends StateDescriptorOptions<T> {
  defaultValue?: T;
}

/** Options of a {@link MapStateDescriptor}: types of keys and values, serializer of values. */
export interface MapStateDescriptorOptions<UK, UV> {
  keyType?: StateTypeHint<UK>;
  valueType?: StateTypeHint<UV>;
  serializer?: StateSerializer<UV>;
}

/** True when `x` is an options object: a plain object whose keys are all among `keys`. */
function isOptions(x: unknown, keys: readonly string[]): x is Record<string, unknown> {
  if (typeof x !== 'object' || x === null || Array.isArray(x)) return false;
  const proto = Object.getPrototypeOf(x) as unknown;
  if (proto !== Object.prototype && proto !== null) return false;
  const own = Object.keys(x);
  if (own.length === 0 || !own.every((k) => keys.includes(k))) return false;
  const o = x as Record<string, unknown>;
  // A default value that merely has such keys ({ type: 'taxi' }) is not options.
  for (const k of own) if (k.endsWith('ype') && o[k] !== undefined && typeof o[k] !== 'function') return false;
  if (o.serializer !== undefined && !isSerializer(o.serializer)) return false;
  return true;
}

function isSerializer(x: unknown): x is StateSerializer<unknown> {
  const s = x as StateSerializer<unknown> | null;
  return typeof s === 'object' && s !== null && typeof s.serialize === 'function' && typeof s.deserialize === 'function';
}

/** Checks a named type and gives a user class its stable name; undefined stays undefined. */
function typeHint(descriptor: string, name: string, t: unknown): StateTypeHint<unknown> | undefined {
  if (t === undefined) return undefined;
  if (!isClassConstructor(t)) {
    throw new InvalidArgumentError(`${descriptor} "${name}": a type must be a class (e.g. Ride), got ${typeof t === 'function' ? 'a function without a prototype' : typeof t}`);
  }
  if (!isBuiltinTypeHint(t)) nameType(t);
  return t as StateTypeHint<unknown>;
}

/** Common base of every descriptor. */
export abstract class StateDescriptor<T> {
  abstract readonly kind: 'value' | 'list' | 'map' | 'reducing' | 'aggregating';
  ttl: StateTtlConfig | undefined;
  declare readonly __type?: T;
  /** The type of the values (list elements, map values, the accumulator), if named. */
  valueType: StateTypeHint<unknown> | undefined;
  /** The type of map keys, if named (MapState only). */
  keyType: StateTypeHint<unknown> | undefined;
  /** A custom serializer of the values (list elements, map values, the accumulator), if given. */
  serializer: StateSerializer<unknown> | undefined;

  constructor(readonly name: string) {
    if (!name) throw new InvalidArgumentError('state name must not be empty');
  }

  /** Enables time-to-live for this state. */
  enableTimeToLive(ttl: StateTtlConfig): void {
    this.ttl = ttl;
  }

  /** The user classes this descriptor names (their instances are restored as such). */
  namedClasses(): object[] {
    return [this.valueType, this.keyType].filter((t): t is StateTypeHint<unknown> => t !== undefined && !isBuiltinTypeHint(t));
  }

  /** How a Flink user names `className` as the value type of this state (for error messages). */
  abstract typedForm(className: string): string;

  /** Sets type and serializer from `{ type, serializer }` or a bare type. */
  protected setTyping(descriptor: string, arg: unknown): void {
    if (isClassConstructor(arg)) {
      this.valueType = typeHint(descriptor, this.name, arg);
    } else if (isOptions(arg, ['type', 'serializer'])) {
      this.valueType = typeHint(descriptor, this.name, arg.type);
      this.serializer = arg.serializer as StateSerializer<unknown> | undefined;
    } else if (arg !== undefined) {
      throw new InvalidArgumentError(`${descriptor} "${this.name}": expected a class (the type of the values) or { type, serializer }, got ${typeof arg}`);
    }
  }
}

/**
 * A single value per key. `new ValueStateDescriptor('ride', Ride)` names the type (a new key
 * reads undefined); `new ValueStateDescriptor('count', 0)` gives a default value instead.
 */
export class ValueStateDescriptor<T> extends StateDescriptor<T> {
  readonly kind = 'value' as const;
  /** Returned while nothing was stored for the key. */
  readonly defaultValue?: T;

  constructor(name: string, type: StateTypeHint<T>, defaultValue?: T);
  constructor(name: string, options: ValueStateDescriptorOptions<T>);
  constructor(name: string, defaultValue?: T);
  constructor(name: string, arg?: unknown, defaultValue?: T) {
    super(name);
    if (typeof arg === 'function') {
      // A class in Flink's position is the type, never a default value.
      this.valueType = typeHint('ValueStateDescriptor', name, arg);
      this.defaultValue = defaultValue;
    } else if (isOptions(arg, ['type', 'defaultValue', 'serializer'])) {
      this.valueType = typeHint('ValueStateDescriptor', name, arg.type);
      this.serializer = arg.serializer as StateSerializer<unknown> | undefined;
      this.defaultValue = arg.defaultValue as T | undefined;
    } else {
      this.defaultValue = arg as T | undefined;
    }
  }

  typedForm(className: string): string {
    return `new ValueStateDescriptor('${this.name}', ${className})`;
  }
}

/** A list per key (or per subtask, as operator state); `new ListStateDescriptor('rides', Ride)` names the element type. */
export class ListStateDescriptor<T> extends StateDescriptor<T[]> {
  readonly kind = 'list' as const;
  constructor(name: string, typeOrOptions?: StateTypeHint<T> | StateDescriptorOptions<T>) {
    super(name);
    this.setTyping('ListStateDescriptor', typeOrOptions);
  }

  typedForm(className: string): string {
    return `new ListStateDescriptor('${this.name}', ${className})`;
  }
}

/** A map per key; `new MapStateDescriptor('rides', String, Ride)` names key and value types. */
export class MapStateDescriptor<UK, UV> extends StateDescriptor<Map<UK, UV>> {
  readonly kind = 'map' as const;
  constructor(name: string, keyType?: StateTypeHint<UK>, valueType?: StateTypeHint<UV>);
  constructor(name: string, options: MapStateDescriptorOptions<UK, UV>);
  constructor(name: string, keyOrOptions?: unknown, valueType?: unknown) {
    super(name);
    if (isOptions(keyOrOptions, ['keyType', 'valueType', 'serializer'])) {
      this.keyType = typeHint('MapStateDescriptor', name, keyOrOptions.keyType);
      this.valueType = typeHint('MapStateDescriptor', name, keyOrOptions.valueType);
      this.serializer = keyOrOptions.serializer as StateSerializer<unknown> | undefined;
    } else {
      this.keyType = typeHint('MapStateDescriptor', name, keyOrOptions);
      this.valueType = typeHint('MapStateDescriptor', name, valueType);
    }
  }

  typedForm(className: string): string {
    return `new MapStateDescriptor('${this.name}', ${this.keyType?.name ?? 'String'}, ${className})`;
  }
}

/** A value per key folded by a reduce function; a third argument names the value type. */
export class ReducingStateDescriptor<T> extends StateDescriptor<T> {
  readonly kind = 'reducing' as const;
  constructor(
    name: string,
    readonly reduceFunction: ReduceFunction<T>,
    typeOrOptions?: StateTypeHint<T> | StateDescriptorOptions<T>,
  ) {
    super(name);
    this.setTyping('ReducingStateDescriptor', typeOrOptions);
  }

  typedForm(className: string): string {
    return `new ReducingStateDescriptor('${this.name}', reduceFunction, ${className})`;
  }
}

/** A value per key folded by an aggregate function; a third argument names the accumulator type. */
export class AggregatingStateDescriptor<IN, ACC, OUT> extends StateDescriptor<ACC> {
  readonly kind = 'aggregating' as const;
  declare readonly __out?: OUT;
  constructor(
    name: string,
    readonly aggregateFunction: AggregateFunction<IN, ACC, OUT>,
    accumulatorTypeOrOptions?: StateTypeHint<ACC> | StateDescriptorOptions<ACC>,
  ) {
    super(name);
    this.setTyping('AggregatingStateDescriptor', accumulatorTypeOrOptions);
  }

  typedForm(className: string): string {
    return `new AggregatingStateDescriptor('${this.name}', aggregateFunction, ${className})`;
  }
}
