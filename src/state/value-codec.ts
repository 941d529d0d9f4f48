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
