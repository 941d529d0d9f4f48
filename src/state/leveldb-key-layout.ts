/**
 * The LevelDB key layout of keyed state: `[keyGroup u16 BE][state id u16 BE][key][namespace]`,
 * so one key group is one contiguous range (snapshot, restore and rescale are range scans) and,
 * inside it, one state is one contiguous range. Timers use two reserved state ids and put their
 * timestamp (8 order-preserving bytes) before the key, so a key group's timers scan in time
 * order: `[keyGroup][timer state id][timestamp][key][namespace]`, with an empty value.
 */
import type { StateNamespace, TimeDomain } from './keyed-state-backend.js';
import { KeyReader, type KeyWriter } from './key-codec.js';

/** Highest state id of user states. */
export const MAX_USER_STATE_ID = 0xfff0;
/** State id of event-time timers. */
export const EVENT_TIMER_STATE_ID = 0xfffe;
/** State id of processing-time timers. */
export const PROCESSING_TIMER_STATE_ID = 0xffff;

/** The state id of a timer domain. */
export function timerStateId(domain: TimeDomain): number {
  return domain === 'EVENT_TIME' ? EVENT_TIMER_STATE_ID : PROCESSING_TIMER_STATE_ID;
}

/** Writes the key of a state entry. */
export function writeStateKey(w: KeyWriter, keyGroup: number, stateId: number, key: unknown, namespace: StateNamespace): void {
  w.u16(keyGroup);
  w.u16(stateId);
  w.key(key);
  w.key(namespace);
}

/** The value of a timer record: timers are keys only. */
export const TIMER_VALUE = Buffer.alloc(0);

/** Writes the key of a cached state entry (see leveldb-write-back-cache.ts). */
export function writeEntryKey(
  w: KeyWriter,
  e: { readonly keyGroup: number; readonly state: { readonly id: number }; readonly key: unknown; readonly namespace: StateNamespace },
): void {
  writeStateKey(w, e.keyGroup, e.state.id, e.key, e.namespace);
}

/** Writes the key of a timer. */
export function writeTimerKey(w: KeyWriter, keyGroup: number, domain: TimeDomain, timestamp: number, key: unknown, namespace: StateNamespace): void {
  w.u16(keyGroup);
  w.u16(timerStateId(domain));
  w.orderedDouble(timestamp);
  w.key(key);
  w.key(namespace);
}

/** The first key of a (key group, state id) prefix; `stateId` 0 starts the whole key group. */
export function prefixKey(keyGroup: number, stateId = 0): Buffer {
  const b = Buffer.allocUnsafe(4);
  b.writeUInt16BE(keyGroup, 0);
  b.writeUInt16BE(stateId, 2);
  return b;
}

/** The first key after every key of `keyGroup` (works for the last key group too). */
export function keyGroupEnd(keyGroup: number): Buffer {
  return keyGroup >= 0xffff ? Buffer.from([0xff, 0xff, 0xff, 0xff, 0xff]) : prefixKey(keyGroup + 1);
}

/** The first key after every key of (keyGroup, stateId). */
export function stateEnd(keyGroup: number, stateId: number): Buffer {
  return stateId >= 0xffff ? keyGroupEnd(keyGroup) : prefixKey(keyGroup, stateId + 1);
}

/** A LevelDB key taken apart. */
export interface ParsedStateKey {
  keyGroup: number;
  stateId: number;
  /** Timers only. */
  timestamp: number;
  key: unknown;
  namespace: StateNamespace;
  /** Byte offset where the key ends (the namespace starts). */
  keyEnd: number;
}

/** Parses a key written by {@link writeStateKey} or {@link writeTimerKey}. */
export function parseKey(buf: Buffer): ParsedStateKey {
  const keyGroup = buf.readUInt16BE(0);
  const stateId = buf.readUInt16BE(2);
  const r = new KeyReader(buf, 4);
  const timestamp = stateId >= EVENT_TIMER_STATE_ID ? r.orderedDouble() : 0;
  const key = r.key();
  const keyEnd = r.pos;
  const namespace = r.key() as StateNamespace;
  return { keyGroup, stateId, timestamp, key, namespace, keyEnd };
}
