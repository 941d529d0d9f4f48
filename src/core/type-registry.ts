/**
 * Named types: the classes whose instances state and records carry as themselves. Flink finds
 * a value's serializer through its Java class; JavaScript values carry only a prototype, and a
 * prototype does not survive serialisation. So a class gets a stable name (its class name, or
 * one given at registration), the codecs write that name next to the instance's fields, and
 * the reading side finds the class again by name in a {@link TypeRegistry}.
 *
 * - Encoding needs only class → name, which is process-wide ({@link registeredTypeName}): a
 *   class object belongs to one evaluation of one job's code, so its name cannot clash with
 *   another job's class.
 * - Decoding needs name → class, which depends on the job: {@link jobTypeRegistry} holds one
 *   registry per job on this process, filled from every build of the job's builder
 *   (`env.registerType`, `env.getConfig().registerPojoType`) and by state descriptors that
 *   name a class.
 * - Within one registry two different classes may not share a name (refused with one line).
 */
import { brandErrorClass, InvalidArgumentError } from './errors.js';

/** A class (a function with a prototype) whose instances may be named. */
export type TypeClass<T = unknown> = abstract new (...args: never[]) => T;

/** A class or a built-in constructor cannot be named as it was given (anonymous, arrow function, clash). */
export class TypeRegistrationError extends InvalidArgumentError {
  static {
    brandErrorClass(this, 'TypeRegistrationError');
  }
}

/** A value holds an instance of a class that was neither registered nor named by a descriptor. */
export class UnregisteredTypeError extends InvalidArgumentError {
  static {
    brandErrorClass(this, 'UnregisteredTypeError');
  }
}

/** Class → stable name, process-wide (set by every registration and by descriptors naming a class). */
const namesOfClasses = new WeakMap<object, string>();

/** Per constructor: whether it is a built-in (carried by the codecs natively) or a user class. */
const builtinConstructors = new WeakMap<object, boolean>();

/** Constructors whose instances the codecs carry natively (besides plain objects and arrays). */
const BUILTIN_VALUE_CLASSES: readonly object[] = [Map, Set, Date, RegExp, Error, ArrayBuffer, DataView, Promise, WeakMap, WeakSet];

/** Built-in constructors a state descriptor may name as the type of primitive or built-in values. */
const BUILTIN_TYPE_HINTS: readonly object[] = [Number, String, Boolean, BigInt, Object, Array, ...BUILTIN_VALUE_CLASSES];

/** True for a function that can construct instances: a `class`, or a `function` with a prototype. */
export function isClassConstructor(f: unknown): f is TypeClass {
  return typeof f === 'function' && typeof (f as { prototype?: unknown }).prototype === 'object' && (f as { prototype?: unknown }).prototype !== null;
}

/** True for built-in constructors (Number, Map, Date…) that name a type without registration. */
export function isBuiltinTypeHint(f: unknown): boolean {
  return BUILTIN_TYPE_HINTS.includes(f as object);
}

/** Whether instances of `ctor` are built-in values: a known class or native code (cached per constructor). */
function isBuiltinConstructor(ctor: object): boolean {
  let builtin = builtinConstructors.get(ctor);
  if (builtin === undefined) {
    builtin = BUILTIN_VALUE_CLASSES.includes(ctor) || /\{\s*\[native code\]\s*\}\s*$/.test(Function.prototype.toString.call(ctor));
    builtinConstructors.set(ctor, builtin);
  }
  return builtin;
}

/**
 * The class of `value` when it is an instance of a user class — not a primitive, plain object
 * (prototype Object.prototype or null), array, typed array, or built-in (Map, Set, Date…) —
 * else undefined. An object whose prototype has no constructor yields its prototype.
 */
export function userClassOf(value: unknown): object | undefined {
  if (typeof value !== 'object' || value === null) return undefined;
  const proto = Object.getPrototypeOf(value) as object | null;
  if (proto === Object.prototype || proto === null || proto === Array.prototype) return undefined;
  if (Array.isArray(value) || ArrayBuffer.isView(value)) return undefined;
  const ctor = Object.hasOwn(proto, 'constructor') ? (proto as { constructor: unknown }).constructor : undefined;
  if (typeof ctor !== 'function') return proto;
  if (value instanceof Map || value instanceof Set || value instanceof Date || value instanceof Error || value instanceof RegExp) return undefined;
  return isBuiltinConstructor(ctor) ? undefined : ctor;
}

/** The stable name `cls` was registered or named under anywhere in this process, if any. */
export function registeredTypeName(cls: object): string | undefined {
  return namesOfClasses.get(cls);
}

/** How a class reads in messages: its name, or a description of an anonymous one. */
export function describeClass(cls: object): string {
  const name = typeof cls === 'function' ? cls.name : '';
  return name ? `class ${name}` : typeof cls === 'function' ? 'an anonymous class' : 'an object with a custom prototype';
}

/**
 * Gives `cls` its stable name process-wide (`name`, default the class name), so the codecs
 * write its instances with that name. Idempotent; refuses anonymous classes, non-classes, and
 * a second, different name for the same class.
 */
export function nameType(cls: unknown, name?: string): string {
  if (!isClassConstructor(cls)) {
    throw new TypeRegistrationError(`a type must be a class, got ${typeof cls === 'function' ? 'a function without a prototype (an arrow function?)' : typeof cls}`);
  }
  const stable = name ?? cls.name;
  if (typeof stable !== 'string' || stable === '') {
    throw new TypeRegistrationError('an anonymous class cannot be registered: give the class a name (class Ride { … }) or register it with one: env.registerType(cls, "Ride")');
  }
  const existing = namesOfClasses.get(cls);
  if (existing !== undefined && existing !== stable) {
    throw new TypeRegistrationError(`class ${cls.name || existing} is already registered as "${existing}", cannot register it again as "${stable}"`);
  }
  namesOfClasses.set(cls, stable);
  return stable;
}

/**
 * Refuses a record (already known not to be a plain object or array) that is an instance of a
 * class without a name: it could not arrive as itself on the other side of a network exchange.
 * Checked for every channel alike, so a job does not depend on where its subtasks run.
 */
export function checkRecordClass(record: object, operatorName: string): void {
  const cls = userClassOf(record);
  if (cls === undefined || namesOfClasses.has(cls)) return;
  const name = typeof cls === 'function' && cls.name ? cls.name : undefined;
  throw new UnregisteredTypeError(
    `${operatorName} emits records of ${describeClass(cls)}, which cannot cross a network exchange (keyBy, rebalance…) as themselves: ` +
      (name ? `register it in the job's builder: env.registerType(${name}) (or env.getConfig().registerPojoType(${name}))` : 'give them a named class and register it: env.registerType(Ride)'),
  );
}

/** Name → class for decoding, with an optional parent consulted for names this registry lacks. */
export class TypeRegistry {
  private readonly byName = new Map<string, TypeClass>();

  /**
   * @param parent consulted for names this registry does not hold
   * @param lenient keep the first class of a name instead of refusing a second one (a job's
   *   registry on a TaskManager collects every build of the builder, and a class defined
   *   inside the builder is a new class object in each build)
   */
  constructor(
    private readonly parent?: TypeRegistry,
    private readonly lenient = false,
  ) {}

  /**
   * Registers `cls` under `name` (default: its class name; see {@link nameType}). Built-in
   * constructors are accepted and ignored (their values need no name). Throws when another
   * class holds the name here.
   */
  register(cls: unknown, name?: string): void {
    if (isBuiltinTypeHint(cls)) return;
    const stable = nameType(cls, name);
    const existing = this.byName.get(stable);
    if (existing === undefined) this.byName.set(stable, cls as TypeClass);
    else if (existing !== cls && !this.lenient) {
      throw new TypeRegistrationError(
        `two different classes are registered under the name "${stable}": rename one of them, or register one under another name: env.registerType(${stable}, "other.${stable}")`,
      );
    }
  }

  /** Adds every class of `other` (keeping this registry's class where a name is taken, when lenient). */
  include(other: TypeRegistry): void {
    for (const [name, cls] of other.byName) this.register(cls, name);
  }

  /** The class registered under `name` here or in the parent. */
  resolve(name: string): TypeClass | undefined {
    return this.byName.get(name) ?? this.parent?.resolve(name);
  }

  /** Names registered here (not in the parent). */
  names(): string[] {
    return [...this.byName.keys()];
  }
}

/** Per job id: the registry of the job's classes in this process. */
const jobRegistries = new Map<string, TypeRegistry>();

/** The registry of job `jobId` in this process (created empty on first use; lenient, see {@link TypeRegistry}). */
export function jobTypeRegistry(jobId: string): TypeRegistry {
  let r = jobRegistries.get(jobId);
  if (!r) jobRegistries.set(jobId, (r = new TypeRegistry(undefined, true)));
  return r;
}

/** Forgets the registry of `jobId` (its last task on this process ended). */
export function releaseJobTypeRegistry(jobId: string): void {
  jobRegistries.delete(jobId);
}
