/**
 * Serialisation of keyed state values for the LevelDB backend: msgpackr without records (each
 * value decodes on its own, whatever was written before). msgpackr writes plain Maps as
 * msgpack maps that read back as objects, so the Map that MapState keeps per key is a
 * {@link StateMap}, registered as a msgpackr extension and read back as a StateMap. A Map
 * stored at the top level of any state value is kept as a Map too; Maps nested deeper inside
 * user values read back as plain objects (use MapState for maps).
 *
 * Instances of named classes (registered, or named by a state descriptor) are written with
 * their type name and read back as instances (see core/typed-value-extension.ts); instances of
 * classes without a name are refused while encoding, so no backend ever hands back a plain
 * object in place of an instance.
 */
import { addExtension, Packr } from 'msgpackr';
import type { TypeRegistry } from '../core/type-registry.js';
import { decodeWithTypes, STRICT_TYPES } from '../core/typed-value-extension.js';
import { StateSerializationError } from './state-errors.js';
import { findUnserializable } from '../core/find-unserializable.js';

/** The Map a MapState keeps per key and namespace (user key identity → entry). */
export class StateMap<K = unknown, V = unknown> extends Map<K, V> {}

/** msgpack extension type of {@link StateMap} ('F'). */
const STATE_MAP_EXTENSION = 0x46;

addExtension({
  Class: StateMap,
  type: STATE_MAP_EXTENSION,
  write: (m: StateMap) => [...m],
  read: (entries: [unknown, unknown][]) => new StateMap(entries),
});

/** The msgpackr codec of state values, shared by LevelDB values and canonical state files. */
export const stateValuePackr = new Packr({ useRecords: false, useBigIntExtension: true, moreTypes: true });
const packr = stateValuePackr;
(packr as unknown as { [STRICT_TYPES]: string })[STRICT_TYPES] = 'state';

/** A value as stored: a plain Map at the top (restored from another backend, or a user's Map) keeps its type. */
export function storedValue(value: unknown): unknown {
  return value instanceof Map && !(value instanceof StateMap) ? new StateMap(value) : value;
}

/** The bytes of a state value. */
export function serializeValue(value: unknown): Buffer {
  try {
    return packr.pack(storedValue(value));
  } catch (cause) {
    throw new StateSerializationError(`cannot serialise a state value: ${findUnserializable(value, 'value') ?? (cause as Error).message}`, { cause });
  }
}

/**
 * The value of bytes written by {@link serializeValue}; type names resolve in `types` (names it
 * lacks, or all without it, give unresolved values that serialise back unchanged).
 */
export function deserializeValue(bytes: Buffer, types?: TypeRegistry): unknown {
  try {
    return types === undefined ? packr.unpack(bytes) : decodeWithTypes(types, false, () => packr.unpack(bytes));
  } catch (cause) {
    throw new StateSerializationError(`corrupt state value (${bytes.length} bytes): ${(cause as Error).message}`, { cause });
  }
}

/**
 * Bytes of `v` in msgpack when {@link writeScalar} writes it (numbers, booleans, null, ASCII
 * strings of up to 31 characters), else -1. Checkpoints write these, the common values of
 * counters and sums, without a call into msgpackr and a Buffer per value; they decode as msgpackr
 * decodes its own.
 */
export function scalarLength(v: unknown): number {
  switch (typeof v) {
    case 'number':
      if (!Number.isInteger(v) || Object.is(v, -0)) return 9;
      if (v >= -32 && v <= 127) return 1;
      if (v >= -128 && v <= 255) return 2;
      if (v >= -32768 && v <= 65535) return 3;
      if (v >= -2147483648 && v <= 4294967295) return 5;
      return 9;
    case 'boolean':
      return 1;
    case 'string': {
      if (v.length > 31) return -1;
      for (let i = 0; i < v.length; i++) if (v.charCodeAt(i) >= 0x80) return -1;
      return 1 + v.length;
    }
    default:
      return v === null ? 1 : -1;
  }
}

const scalarView = new DataView(new ArrayBuffer(8));

/** Writes `v` of {@link scalarLength} `n` (not -1) at `pos`; returns the position after it. */
export function writeScalar(buf: Uint8Array, pos: number, v: unknown, n: number): number {
  if (typeof v === 'number') {
    if (n === 1) buf[pos++] = v & 0xff;
    else if (n === 2) {
      buf[pos++] = v < 0 ? 0xd0 : 0xcc;
      buf[pos++] = v & 0xff;
    } else if (n === 3) {
      buf[pos++] = v < 0 ? 0xd1 : 0xcd;
      buf[pos++] = (v >> 8) & 0xff;
      buf[pos++] = v & 0xff;
    } else if (n === 5) {
      buf[pos++] = v < 0 ? 0xd2 : 0xce;
      buf[pos++] = (v >>> 24) & 0xff;
      buf[pos++] = (v >>> 16) & 0xff;
      buf[pos++] = (v >>> 8) & 0xff;
      buf[pos++] = v & 0xff;
    } else {
      buf[pos++] = 0xcb;
      scalarView.setFloat64(0, v);
      for (let i = 0; i < 8; i++) buf[pos++] = scalarView.getUint8(i);
    }
    return pos;
  }
  if (typeof v === 'boolean') {
    buf[pos++] = v ? 0xc3 : 0xc2;
    return pos;
  }
  if (v === null) {
    buf[pos++] = 0xc0;
    return pos;
  }
  const s = v as string;
  buf[pos++] = 0xa0 | s.length;
  for (let i = 0; i < s.length; i++) buf[pos++] = s.charCodeAt(i);
  return pos;
}
