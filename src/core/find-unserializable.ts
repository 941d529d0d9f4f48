/**
 * Finds what makes a value unserialisable for msgpack (records on the network, state values):
 * a cycle, a function, a symbol, or nesting deeper than a recursive encoder follows, with its
 * location inside the value (`record.lines[0].order`). Walks iteratively and linearly, so the
 * very values that overflow an encoder's stack cannot overflow it; meant for error paths only.
 */
import { MAX_NESTING_DEPTH } from './nesting-depth.js';

/** Path segments shown before the rest of a long path is elided. */
const MAX_PATH_SEGMENTS = 12;

/** A readable path such as `record.items[3].owner` (long paths keep their head and depth). */
function formatPath(root: string, path: readonly (string | number)[]): string {
  const shown = path.length > MAX_PATH_SEGMENTS ? path.slice(0, MAX_PATH_SEGMENTS) : path;
  let out = root;
  for (const seg of shown) {
    if (typeof seg === 'number') out += `[${seg}]`;
    else if (/^[A-Za-z_$][\w$]*$/.test(seg)) out += `.${seg}`;
    else out += `[${JSON.stringify(seg.length > 40 ? `${seg.slice(0, 40)}…` : seg)}]`;
  }
  if (shown.length < path.length) out += `… (${path.length} levels deep)`;
  return out;
}

interface Frame {
  value: unknown;
  key: string | number | undefined;
  parent: Frame | undefined;
  depth: number;
  /** Set once the frame's children were pushed: popping it again leaves its subtree. */
  entered: boolean;
}

function pathOf(frame: Frame): (string | number)[] {
  const path: (string | number)[] = [];
  for (let f: Frame | undefined = frame; f !== undefined && f.key !== undefined; f = f.parent) path.push(f.key);
  return path.reverse();
}

/** Children of a container: own enumerable string keys, Map entries, Set members. */
function childrenOf(value: object): [string | number, unknown][] {
  if (Array.isArray(value)) return value.map((v, i) => [i, v]);
  if (value instanceof Map) {
    const out: [string | number, unknown][] = [];
    let i = 0;
    for (const [k, v] of value) {
      out.push([`<map key ${i}>`, k], [`<map value ${i}>`, v]);
      i++;
    }
    return out;
  }
  if (value instanceof Set) return [...value].map((v, i) => [`<set member ${i}>`, v]);
  if (ArrayBuffer.isView(value) || value instanceof ArrayBuffer || value instanceof Date || value instanceof RegExp) return [];
  return Object.keys(value).map((k) => [k, (value as Record<string, unknown>)[k]]);
}

/** Depth from which a record counts as nested too deeply (msgpackr recurses per level). */
const TOO_DEEP = MAX_NESTING_DEPTH;
/** Nodes the diagnosis visits at most: a huge batch is not walked to its last leaf. */
const MAX_VISITS = 1_000_000;

/**
 * What makes `record` unserialisable, as one phrase with its location (paths start at `root`),
 * or undefined when nothing obvious is found. Walks iteratively (linear in the record's size),
 * so a deep or circular record cannot overflow it.
 */
export function findUnserializable(record: unknown, root = 'record'): string | undefined {
  const stack: Frame[] = [{ value: record, key: undefined, parent: undefined, depth: 0, entered: false }];
  /** Objects on the path from the record to the current frame. */
  const onPath = new Set<object>();
  let deepest: Frame | undefined;
  let visited = 0;
  while (stack.length > 0) {
    const frame = stack[stack.length - 1]!;
    const value = frame.value;
    if (frame.entered) {
      stack.pop();
      onPath.delete(value as object);
      continue;
    }
    const type = typeof value;
    if (type === 'function') return `a function at ${formatPath(root, pathOf(frame))} (functions cannot be serialised)`;
    if (type === 'symbol') return `a symbol at ${formatPath(root, pathOf(frame))} (symbols cannot be serialised)`;
    if (value === null || type !== 'object') {
      stack.pop();
      continue;
    }
    const obj = value as object;
    if (onPath.has(obj)) return `circular reference at ${formatPath(root, pathOf(frame))}`;
    if (deepest === undefined || frame.depth > deepest.depth) deepest = frame;
    if (++visited > MAX_VISITS) break;
    frame.entered = true;
    onPath.add(obj);
    const children = childrenOf(obj);
    for (let i = children.length - 1; i >= 0; i--) {
      const [key, child] = children[i]!;
      stack.push({ value: child, key, parent: frame, depth: frame.depth + 1, entered: false });
    }
  }
  if (deepest !== undefined && deepest.depth >= TOO_DEEP) return `nested too deeply to serialise: ${formatPath(root, pathOf(deepest))}`;
  return undefined;
}
