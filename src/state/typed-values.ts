/**
 * Walks over state values for the three things typed state needs besides the codec:
 * - {@link findUnnamedClass}: the first instance of a class without a name inside a value, so
 *   that `update()` fails at once, on every backend alike, instead of a backend handing back a
 *   plain object after eviction or restore;
 * - {@link resolveTypedValues}: turns values read before their class was known (restored
 *   before the operator's descriptors named it) into instances, in place;
 * - {@link cloneStateValue}: a deep copy that keeps prototypes (the memory backend's snapshots;
 *   `structuredClone` would drop them).
 */
import { registeredTypeName, userClassOf, type TypeRegistry } from '../core/type-registry.js';
import { resolveInPlace, UnresolvedTypedValue, unresolvedTypeName } from '../core/typed-value-extension.js';

/** Objects {@link findUnnamedClass} looks at before giving up (the codec still refuses the rest). */
const CHECK_BUDGET = 256;

/** Where an unnamed class was found: at the top of the value, or inside it. */
export interface UnnamedClass {
  cls: object;
  nested: boolean;
}

/** Objects left to look at in the current {@link findUnnamedClass} call. */
let budget = 0;

/**
 * The first instance of a class without a stable name in `value` (depth-first, at most
 * {@link CHECK_BUDGET} objects, so a huge value costs a bounded walk: the codec still refuses
 * what lies beyond), or undefined. Allocation-free for plain data; primitives cost one typeof.
 */
export function findUnnamedClass(value: unknown): UnnamedClass | undefined {
  if (typeof value !== 'object' || value === null) return undefined;
  budget = CHECK_BUDGET;
  return unnamedIn(value, false);
}

function unnamedIn(v: object, nested: boolean): UnnamedClass | undefined {
  if (--budget < 0) return undefined;
  const proto: unknown = Object.getPrototypeOf(v);
  if (proto === Array.prototype) {
    const a = v as unknown[];
    for (let i = 0; i < a.length; i++) {
      const x = a[i];
      if (typeof x === 'object' && x !== null) {
        const found = unnamedIn(x, true);
        if (found !== undefined) return found;
      }
    }
    return undefined;
  }
  if (proto !== Object.prototype && proto !== null) {
    if (v instanceof UnresolvedTypedValue) return undefined;
    const cls = userClassOf(v);
    if (cls !== undefined && registeredTypeName(cls) === undefined) return { cls, nested };
    if (cls === undefined) return builtinMembers(v);
  }
  // A plain object, or a named instance: its fields.
  for (const k in v) {
    const x = (v as Record<string, unknown>)[k];
    if (typeof x === 'object' && x !== null) {
      const found = unnamedIn(x, true);
      if (found !== undefined) return found;
    }
  }
  return undefined;
}

/** Members of a built-in container (Map entries, Set members; nothing in dates, buffers…). */
function builtinMembers(v: object): UnnamedClass | undefined {
  const members: unknown[] = v instanceof Map ? [...v.keys(), ...v.values()] : v instanceof Set ? [...v] : [];
  for (const x of members) {
    if (typeof x === 'object' && x !== null) {
      const found = unnamedIn(x, true);
      if (found !== undefined) return found;
    }
  }
  return undefined;
}

/**
 * Resolves the unresolved values inside `value` (itself included) whose name `types` knows,
 * in place, so references to them stay valid; returns whether unresolved values remain.
 */
export function resolveTypedValues(value: unknown, types: TypeRegistry): boolean {
  if (typeof value !== 'object' || value === null) return false;
  let remaining = false;
  const seen = new Set<object>();
  const stack: object[] = [value];
  while (stack.length > 0) {
    const v = stack.pop()!;
    if (seen.has(v)) continue;
    seen.add(v);
    if (v instanceof UnresolvedTypedValue) {
      const cls = types.resolve(unresolvedTypeName(v));
      if (cls) resolveInPlace(v, cls);
      else remaining = true;
    }
    const push = (x: unknown): void => {
      if (typeof x === 'object' && x !== null) stack.push(x);
    };
    if (Array.isArray(v)) for (const x of v) push(x);
    else if (v instanceof Map) for (const [k, x] of v) (push(k), push(x));
    else if (v instanceof Set) for (const x of v) push(x);
    else if (!ArrayBuffer.isView(v) && !(v instanceof Date)) for (const k of Object.keys(v)) push((v as Record<string, unknown>)[k]);
  }
  return remaining;
}

/**
 * A deep copy of a state value that keeps every object's prototype (class instances stay
 * instances, Maps stay of their class); shared references and cycles are kept.
 */
export function cloneStateValue<T>(value: T, seen = new Map<object, unknown>()): T {
  if (typeof value !== 'object' || value === null) return value;
  const known = seen.get(value);
  if (known !== undefined) return known as T;
  if (Array.isArray(value)) {
    const out: unknown[] = new Array(value.length);
    seen.set(value, out);
    for (let i = 0; i < value.length; i++) out[i] = cloneStateValue(value[i], seen);
    return out as T;
  }
  if (value instanceof Map) {
    const out = new (value.constructor as MapConstructor)();
    seen.set(value, out);
    for (const [k, v] of value) out.set(cloneStateValue(k, seen), cloneStateValue(v, seen));
    return out as T;
  }
  if (value instanceof Set) {
    const out = new (value.constructor as SetConstructor)();
    seen.set(value, out);
    for (const v of value) out.add(cloneStateValue(v, seen));
    return out as T;
  }
  if (value instanceof Date || value instanceof RegExp || ArrayBuffer.isView(value) || value instanceof ArrayBuffer) {
    const out = structuredClone(value);
    seen.set(value, out);
    return out;
  }
  const out = Object.create(Object.getPrototypeOf(value) as object | null) as Record<string | symbol, unknown>;
  seen.set(value, out);
  for (const k of Reflect.ownKeys(value)) {
    const d = Object.getOwnPropertyDescriptor(value, k)!;
    if ('value' in d) d.value = cloneStateValue(d.value, seen);
    Object.defineProperty(out, k, d);
  }
  return out as T;
}
