/**
 * Managed memory of a TaskManager, shared by its state backends as Flink shares it: each slot
 * gets an equal part, and the stateful (keyed) operators of a slot split the slot's part equally.
 * A slot here is one job's subtask index on this TaskManager (slot sharing puts subtask i of
 * every vertex of a job into one slot). A database opened in a slot learns its share from the
 * job graph (how many keyed operators run in the slot), so its LevelDB options are right from
 * the start; when more databases than expected share a slot (an attempt overlapping its
 * predecessor), every write-back cache in the slot shrinks, and grows again when one closes.
 *
 * A database's share is split into the write-back cache (deserialised values on the V8 heap)
 * and LevelDB's native memory: a block cache and two memtables (one filling, one being written).
 */

/** Part of a database's share on the V8 heap; the rest is LevelDB's. Matches the daemon's heap limit. */
export const CACHE_SHARE = 0.75;
const KB = 1024;
const MB = 1024 * KB;

/** How one database uses its share. */
export interface DatabaseMemory {
  /** Bound of the write-back cache. */
  cacheBytes: number;
  /** LevelDB's block cache (uncompressed blocks). */
  blockCacheBytes: number;
  /** LevelDB's memtable size; up to two exist at once. */
  writeBufferBytes: number;
}

/** Splits one database's share of managed memory. */
export function splitDatabaseShare(shareBytes: number): DatabaseMemory {
  const native = shareBytes * (1 - CACHE_SHARE);
  // Half of the native part to the two memtables, capped where larger ones stop paying off.
  const writeBufferBytes = Math.round(Math.min(32 * MB, Math.max(256 * KB, native / 4)));
  const blockCacheBytes = Math.round(Math.max(512 * KB, native - 2 * writeBufferBytes));
  return { cacheBytes: Math.max(64 * KB, Math.round(shareBytes * CACHE_SHARE)), blockCacheBytes, writeBufferBytes };
}

/** The part of a job graph that says how many keyed operators run in one slot. */
export interface SlotShape {
  vertices: readonly { parallelism: number; operators: readonly { keyed: boolean }[] }[];
}

/** Keyed operators of `graph` in the slot of `subtaskIndex` (subtask i of every vertex with more than i subtasks). */
export function keyedOperatorsInSlot(graph: SlotShape, subtaskIndex: number): number {
  let n = 0;
  for (const v of graph.vertices) if (v.parallelism > subtaskIndex) for (const op of v.operators) if (op.keyed) n++;
  return Math.max(1, n);
}

/** One consumer's share of managed memory. */
export interface ManagedMemoryLease {
  /** The current share in bytes. */
  readonly bytes: number;
  /** Gives the share back (the other consumers of the slot grow). */
  release(): void;
}

interface Consumer {
  bytes: number;
  onResize: (bytes: number) => void;
}

interface SlotUse {
  expected: number;
  consumers: Set<Consumer>;
}

/** The managed memory of one TaskManager. */
export class ManagedMemoryPool {
  private readonly slots = new Map<string, SlotUse>();

  constructor(
    /** Managed memory of the TaskManager in bytes. */
    readonly totalBytes: number,
    /** `taskmanager.numberOfTaskSlots`. */
    readonly numberOfSlots: number,
  ) {}

  /** Managed memory of one slot. */
  get slotBytes(): number {
    return Math.floor(this.totalBytes / this.numberOfSlots);
  }

  /**
   * A share for one state backend in `slot` (`<jobId>/<subtaskIndex>`), where `expected`
   * backends are expected; `onResize` hears of later changes of the share.
   */
  acquire(slot: string, expected: number, onResize: (bytes: number) => void): ManagedMemoryLease {
    let use = this.slots.get(slot);
    if (!use) this.slots.set(slot, (use = { expected, consumers: new Set() }));
    use.expected = Math.max(use.expected, expected);
    const consumer: Consumer = { bytes: 0, onResize };
    use.consumers.add(consumer);
    this.reshare(use, consumer);
    let released = false;
    return {
      get bytes() {
        return consumer.bytes;
      },
      release: () => {
        if (released) return;
        released = true;
        use.consumers.delete(consumer);
        if (use.consumers.size === 0) this.slots.delete(slot);
        else this.reshare(use, undefined);
      },
    };
  }

  private reshare(use: SlotUse, added: Consumer | undefined): void {
    const bytes = Math.floor(this.slotBytes / Math.max(use.expected, use.consumers.size));
    for (const c of use.consumers) {
      if (c.bytes === bytes) continue;
      c.bytes = bytes;
      if (c !== added) c.onResize(bytes);
    }
  }
}
