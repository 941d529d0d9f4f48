/**
 * Timers scanned in time order from a backend that stores them durably (the LevelDB backend),
 * so the timer service can hold only the head of each domain's queue in memory. The order of a
 * domain's timers over a subtask is (timestamp, key group, key bytes, namespace bytes): one
 * latin1 string per timer whose string order is that order ({@link timerOrderKey}); the
 * LevelDB key layout sorts a key group's timers the same way, so a merge over the key groups'
 * range scans returns the subtask's earliest timers.
 */
import type { KeyWriter } from './key-codec.js';
import type { StateNamespace, TimeDomain, TimerEntry } from './keyed-state-backend.js';

/** A stored timer with its place in the order of its domain. */
export interface OrderedTimer extends TimerEntry {
  /** See {@link timerOrderKey}. */
  readonly order: string;
}

/** A backend's timers of one domain, in timer order. */
export interface OrderedTimerStore {
  /**
   * Up to `limit` timers of `domain` whose order is at or after `from` ('' : from the first),
   * earliest first. The scan sees every timer write made before the call.
   */
  scanTimers(domain: TimeDomain, from: string, limit: number): Promise<OrderedTimer[]>;
}

/**
 * The order string of a timer: `[timestamp (8 order-preserving bytes)][key group u16][key][namespace]`
 * as latin1 (one char per byte, so comparing strings compares bytes). `w` is reset.
 */
export function timerOrderKey(w: KeyWriter, keyGroup: number, timestamp: number, key: unknown, namespace: StateNamespace): string {
  w.reset();
  w.orderedDouble(timestamp);
  w.u16(keyGroup);
  w.key(key);
  w.key(namespace);
  return w.buf.toString('latin1', 0, w.pos);
}

/** The order string of a LevelDB timer key `[keyGroup][state id][timestamp][key][namespace]`. */
export function orderOfTimerKey(k: Buffer): string {
  return k.toString('latin1', 4, 12) + k.toString('latin1', 0, 2) + k.toString('latin1', 12);
}
