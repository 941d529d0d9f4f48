/**
 * The bound on how deeply a record may nest. msgpack encoders and decoders recurse once per
 * level, so without a bound a deep record is refused only when the recursion happens to
 * overflow the stack, which depends on how large the JIT made the frames that time. Checking
 * the depth first makes the refusal depend on the value alone; the check stops at the first
 * path that reaches the bound, so a cyclic value is caught after {@link MAX_NESTING_DEPTH}
 * steps instead of by a stack overflow.
 */

/**
 * Nesting depth from which a value is refused: an object, array, Map, Set, Date or typed array
 * this many levels below the record (the record itself is level 0). Flink has no such bound;
 * there, the serializer's recursion overflowing the stack is the limit.
 */
export const MAX_NESTING_DEPTH = 500;

/**
 * Whether `value` holds a container {@link MAX_NESTING_DEPTH} (or `limit`) levels below it, or
 * a cycle. Recursive but bounded by `limit`; cost is one type check per child of a container,
 * nothing for scalars.
 */
export function nestedTooDeeply(value: unknown, limit: number = MAX_NESTING_DEPTH): boolean {
  return typeof value === 'object' && value !== null && reaches(value, limit);
}

/** Whether a container sits `remaining` levels below `obj` (0: `obj` itself). */
function reaches(obj: object, remaining: number): boolean {
  if (remaining === 0) return true;
  const below = remaining - 1;
  if (Array.isArray(obj)) {
    for (let i = 0; i < obj.length; i++) {
      const child: unknown = obj[i];
      if (typeof child === 'object' && child !== null && reaches(child, below)) return true;
    }
    return false;
  }
  const ctor = (obj as { constructor?: unknown }).constructor;
  if (ctor !== Object && ctor !== undefined) {
    if (obj instanceof Map) {
      for (const [k, v] of obj) {
        if (typeof k === 'object' && k !== null && reaches(k, below)) return true;
        if (typeof v === 'object' && v !== null && reaches(v, below)) return true;
      }
      return false;
    }
    if (obj instanceof Set) {
      for (const m of obj) if (typeof m === 'object' && m !== null && reaches(m, below)) return true;
      return false;
    }
    // Their indices or internals are not nested values (a for-in over a typed array would
    // enumerate every byte).
    if (ArrayBuffer.isView(obj) || obj instanceof ArrayBuffer || obj instanceof Date || obj instanceof RegExp) return false;
  }
  // Plain objects and class instances: their own enumerable fields, as the encoders write them.
  for (const key in obj) {
    const child: unknown = (obj as Record<string, unknown>)[key];
    if (typeof child === 'object' && child !== null && Object.hasOwn(obj, key) && reaches(child, below)) return true;
  }
  return false;
}
