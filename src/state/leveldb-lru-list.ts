/**
 * An intrusive least-recently-used list of write-back cache entries: the entries carry their
 * own links (`prev`/`next`), so moving one costs no allocation. A sentinel closes the ring:
 * `head.next` is the most recently used entry, `head.prev` the least.
 */
import { CacheEntry } from './leveldb-cache-entry.js';
import { KeyTable } from './leveldb-key-table.js';

/** One LRU list of cache entries, with its length. */
export class LruList {
  private readonly head: CacheEntry;
  /** Entries in the list. */
  length = 0;

  constructor() {
    this.head = new CacheEntry({ id: 0, voidTable: new KeyTable(), tables: new Map() }, new KeyTable(), undefined, undefined, 0, '', undefined, 0);
  }

  /** The least recently used entry, undefined when empty. */
  get oldest(): CacheEntry | undefined {
    return this.head.prev === this.head ? undefined : this.head.prev;
  }

  /** The entry used right after `e` (in this list), undefined when `e` is the newest. */
  newerThan(e: CacheEntry): CacheEntry | undefined {
    return e.prev === this.head ? undefined : e.prev;
  }

  /** Adds `e` (in no list) as the most recently used. */
  pushFront(e: CacheEntry): void {
    const h = this.head;
    e.prev = h;
    e.next = h.next;
    h.next.prev = e;
    h.next = e;
    this.length++;
  }

  /** Takes `e` (in this list) out. */
  remove(e: CacheEntry): void {
    e.prev.next = e.next;
    e.next.prev = e.prev;
    e.prev = e.next = e;
    this.length--;
  }

  /** Marks `e` (in this list) most recently used; `unmark`: its second chance is used up. */
  moveToFront(e: CacheEntry, unmark = false): void {
    if (unmark) e.referenced = false;
    const h = this.head;
    if (h.next === e) return;
    e.prev.next = e.next;
    e.next.prev = e.prev;
    e.prev = h;
    e.next = h.next;
    h.next.prev = e;
    h.next = e;
  }

  /** Marks `e` (in this list) least recently used: it is the next to go (`unmark`: without a second chance). */
  moveToBack(e: CacheEntry, unmark = false): void {
    if (unmark) e.referenced = false;
    const h = this.head;
    if (h.prev === e) return;
    e.prev.next = e.next;
    e.next.prev = e.prev;
    e.next = h;
    e.prev = h.prev;
    h.prev.next = e;
    h.prev = e;
  }

  /** Every entry, most recently used first (the list must not change meanwhile). */
  *entries(): IterableIterator<CacheEntry> {
    for (let e = this.head.next; e !== this.head; e = e.next) yield e;
  }

  /** Empties the list (the entries' links are left as they are). */
  clear(): void {
    this.head.next = this.head.prev = this.head;
    this.length = 0;
  }
}
