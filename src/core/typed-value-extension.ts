/**
 * The msgpack encoding of named class instances, shared by state values, state files and
 * network frames: an instance of a class with a stable name (see type-registry.ts) is written
 * as the extension 'T' over `[name, fields]` (its own enumerable properties) and read back as
 * an instance of the class that name resolves to, prototype restored, constructor not called.
 *
 * msgpackr consults extensions only for objects whose constructor is not Object, Array or
 * Map, so plain data is encoded exactly as before and pays nothing. Encoding needs no context
 * (class → name is process-wide); decoding resolves names in the registry its caller sets with
 * {@link decodeWithTypes}, and a name it cannot resolve either fails (network frames) or
 * becomes an {@link UnresolvedTypedValue} that is written back unchanged, so a restore that
 * decodes before the job named its classes loses nothing.
 *
 * Instances of classes with no name: the packrs of state and of network frames (flagged with
 * {@link STRICT_TYPES}) refuse them while encoding, with one line saying how to register the
 * class; the producing task fails with it.
 */
import { addExtension } from 'msgpackr';
import { describeClass, registeredTypeName, UnregisteredTypeError, userClassOf, type TypeRegistry } from './type-registry.js';

/** msgpack extension type of named instances ('T'). */
export const TYPED_VALUE_EXTENSION = 0x54;

/** Set on a Packr whose encoding refuses instances of classes without a name: what it encodes ('state' or 'records'). */
export const STRICT_TYPES = Symbol('fluss.strictTypes');

/** The stable type name of an {@link UnresolvedTypedValue}. */
const TYPE_NAME = Symbol('fluss.typeName');

/**
 * An instance read before its class was known here: its fields as own properties, its type
 * name kept aside, written back as the instance it was.
 */
export class UnresolvedTypedValue {
  declare [TYPE_NAME]: string;
}

/** The stable type name of an unresolved value. */
export function unresolvedTypeName(v: UnresolvedTypedValue): string {
  return v[TYPE_NAME];
}

/** Turns `v` into an instance of `cls` in place (its fields stay; references to it stay valid). */
export function resolveInPlace(v: UnresolvedTypedValue, cls: object & { prototype: object }): void {
  delete (v as Partial<UnresolvedTypedValue>)[TYPE_NAME];
  Object.setPrototypeOf(v, cls.prototype);
}

/** Unresolved values made so far in this process (readers check for them only once there are any). */
export let unresolvedValuesMade = 0;

/** Registry names are resolved in while decoding; undefined: none (unresolved values). */
let decodeTypes: TypeRegistry | undefined;
/** Whether an unknown name fails decoding instead of giving an unresolved value. */
let decodeStrict = false;

/**
 * Runs `decode` (a synchronous msgpackr unpack) resolving type names in `types`; with `strict`,
 * a name `types` lacks throws {@link UnregisteredTypeError} instead of giving an unresolved value.
 */
export function decodeWithTypes<T>(types: TypeRegistry | undefined, strict: boolean, decode: () => T): T {
  const previousTypes = decodeTypes;
  const previousStrict = decodeStrict;
  decodeTypes = types;
  decodeStrict = strict;
  try {
    return decode();
  } finally {
    decodeTypes = previousTypes;
    decodeStrict = previousStrict;
  }
}

/** How to name a class whose instances cannot be carried. */
export function registerHint(cls: object): string {
  const name = typeof cls === 'function' && cls.name ? cls.name : undefined;
  return name
    ? `register it: env.registerType(${name}) (or env.getConfig().registerPojoType(${name})) in the job's builder`
    : 'give it a named class and register that: env.registerType(Ride)';
}

/** Matches the objects msgpackr asks about that are class instances (named or not). */
class ClassInstance {
  static [Symbol.hasInstance](v: unknown): boolean {
    return v instanceof UnresolvedTypedValue || userClassOf(v) !== undefined;
  }
}

addExtension({
  Class: ClassInstance as unknown as new () => object,
  type: TYPED_VALUE_EXTENSION,
  write(this: { [STRICT_TYPES]?: 'state' | 'records' }, value: object): unknown {
    if (value instanceof UnresolvedTypedValue) return [value[TYPE_NAME], { ...value }];
    const cls = userClassOf(value)!;
    const name = registeredTypeName(cls);
    if (name !== undefined) return [name, { ...value }];
    const strict = this[STRICT_TYPES];
    if (strict === 'state') throw new UnregisteredTypeError(`state cannot restore instances of ${describeClass(cls)}: ${registerHint(cls)}`);
    if (strict === 'records') throw new UnregisteredTypeError(`${describeClass(cls)} cannot cross the network as itself: ${registerHint(cls)}`);
    // Another encoder: read back as an unresolved value of the class name.
    return [typeof cls === 'function' ? cls.name : '', { ...value }];
  },
  read(data: [string, Record<string, unknown>]): unknown {
    const [name, fields] = data;
    const cls = decodeTypes?.resolve(name);
    if (cls !== undefined) return Object.assign(Object.create(cls.prototype as object) as object, fields);
    if (decodeStrict) {
      throw new UnregisteredTypeError(
        `a record holds an instance of class ${name}, but no class ${name} is registered on this TaskManager: register it in the job's builder: env.registerType(${name})`,
      );
    }
    unresolvedValuesMade++;
    const v = Object.assign(Object.create(UnresolvedTypedValue.prototype) as UnresolvedTypedValue, fields);
    Object.defineProperty(v, TYPE_NAME, { value: name, enumerable: false, configurable: true, writable: true });
    return v;
  },
});
