/**
 * The earliest timers of one domain over a subtask's key groups, read from LevelDB: one range
 * scan per key group (its timers are sorted by timestamp, then key and namespace bytes, see
 * leveldb-key-layout.ts), merged into the subtask's timer order (ordered-timer-store.ts). Each
 * scan starts at the first key at or after the `from` bound in that order, so a scan never
 * reads timers the caller holds already; each reads in growing chunks, so a key group with no
 * timer in the range costs one empty read.
 */
import type { KeyGroupRange } from './key-groups.js';
import type { TimeDomain } from './keyed-state-backend.js';
import { parseKey, prefixKey, stateEnd, timerStateId } from './leveldb-key-layout.js';
import type { LevelDbStore, RawIterator } from './leveldb-store.js';
import { orderOfTimerKey, type OrderedTimer } from './ordered-timer-store.js';

/** Largest chunk one key group's scan reads per hop. */
const MAX_CHUNK = 1024;

/** One key group's scan: its buffered entries and the order of the next one. */
interface Cursor {
  readonly it: RawIterator;
  rows: [Buffer, Buffer][];
  i: number;
  chunk: number;
  done: boolean;
  head: string | undefined;
}

/**
 * Up to `limit` timers of `domain` in this subtask's key groups, in timer order, starting at
 * `from` (an order string; '' starts at the first). Reads the database as it is now.
 */
export async function scanTimersInOrder(store: LevelDbStore, range: KeyGroupRange, domain: TimeDomain, from: string, limit: number): Promise<OrderedTimer[]> {
  const sid = timerStateId(domain);
  const groups = range.end - range.start + 1;
  const first = Math.min(limit, MAX_CHUNK, Math.max(8, Math.ceil((2 * limit) / groups)));
  const cursors: Cursor[] = [];
  for (let kg = range.start; kg <= range.end; kg++) {
    const gte = lowerBound(kg, sid, from);
    if (gte) cursors.push({ it: store.rawRangeIterator(gte, stateEnd(kg, sid)), rows: [], i: 0, chunk: first, done: false, head: undefined });
  }
  const out: OrderedTimer[] = [];
  try {
    await Promise.all(cursors.map(refill));
    while (out.length < limit) {
      let min: Cursor | undefined;
      for (let c = 0; c < cursors.length; c++) {
        const cur = cursors[c]!;
        if (cur.head !== undefined && (min === undefined || cur.head < min.head!)) min = cur;
      }
      if (min === undefined) break;
      const k = min.rows[min.i]![0];
      const p = parseKey(k);
      out.push({ domain, timestamp: p.timestamp, key: p.key, keyGroup: p.keyGroup, namespace: p.namespace, order: min.head! });
      min.i++;
      if (min.i < min.rows.length) min.head = orderOfTimerKey(min.rows[min.i]![0]);
      else await refill(min);
    }
  } finally {
    await Promise.all(cursors.map((c) => c.it.close().catch(() => undefined)));
  }
  return out;
}

/** Reads the next chunk of a cursor (doubling, up to {@link MAX_CHUNK}); sets its head. */
async function refill(c: Cursor): Promise<void> {
  c.rows = c.done ? [] : await c.it.nextv(c.chunk);
  c.i = 0;
  if (c.rows.length < c.chunk) c.done = true;
  c.chunk = Math.min(MAX_CHUNK, c.chunk * 2);
  c.head = c.rows.length > 0 ? orderOfTimerKey(c.rows[0]![0]) : undefined;
}

/**
 * The first LevelDB key of key group `kg` whose timer is at or after `from` in timer order, or
 * undefined when none can be. `from` is `[timestamp 8][key group 2][key + namespace]`.
 */
function lowerBound(kg: number, sid: number, from: string): Buffer | undefined {
  const prefix = prefixKey(kg, sid);
  if (from.length === 0) return prefix;
  const ts = Buffer.from(from.slice(0, 8), 'latin1');
  const fromGroup = (from.charCodeAt(8) << 8) | from.charCodeAt(9);
  if (kg === fromGroup) return Buffer.concat([prefix, ts, Buffer.from(from.slice(10), 'latin1')]);
  if (kg > fromGroup) return Buffer.concat([prefix, ts]);
  // An earlier key group: its timers of the same timestamp come before `from` in timer order.
  const next = successor(ts);
  return next ? Buffer.concat([prefix, next]) : undefined;
}

/** The next 8-byte big-endian value, or undefined past the largest. */
function successor(b: Buffer): Buffer | undefined {
  const n = Buffer.from(b);
  for (let i = n.length - 1; i >= 0; i--) {
    if (n[i]! < 0xff) {
      n[i]!++;
      return n;
    }
    n[i] = 0;
  }
  return undefined;
}
