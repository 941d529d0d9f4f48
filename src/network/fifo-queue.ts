/**
 * A first-in first-out queue over one array with a moving head: `push` and `shift` are O(1)
 * amortised and allocate nothing but the array's own growth (Array#shift is O(n)).
 */
export class FifoQueue<T> {
  private items: (T | undefined)[] = [];
  private head = 0;

  /** Number of queued items. */
  get size(): number {
    return this.items.length - this.head;
  }

  /** Appends an item at the tail. */
  push(item: T): void {
    this.items.push(item);
  }

  /** The item at the head, without removing it. */
  peek(): T | undefined {
    return this.head < this.items.length ? this.items[this.head] : undefined;
  }

  /** Removes and returns the item at the head. */
  shift(): T | undefined {
    if (this.head >= this.items.length) return undefined;
    const item = this.items[this.head];
    this.items[this.head++] = undefined;
    if (this.head === this.items.length) {
      this.items.length = 0;
      this.head = 0;
    } else if (this.head >= 1024 && this.head * 2 >= this.items.length) {
      // Reclaim the consumed prefix once it dominates the array.
      this.items = this.items.slice(this.head);
      this.head = 0;
    }
    return item;
  }

  /** The item `offset` places behind the head (0: the head), without removing it. */
  at(offset: number): T | undefined {
    const i = this.head + offset;
    return i < this.items.length ? this.items[i] : undefined;
  }

  /** Inserts `item` `offset` places behind the head (0: as the new head); O(size), for rare priority events. */
  insertAt(offset: number, item: T): void {
    if (offset === 0 && this.head > 0) this.items[--this.head] = item;
    else this.items.splice(this.head + Math.min(offset, this.size), 0, item);
  }

  /** Removes and returns the item `offset` places behind the head; O(size), for rare priority events. */
  removeAt(offset: number): T | undefined {
    if (offset < 0 || offset >= this.size) return undefined;
    if (offset === 0) return this.shift();
    return this.items.splice(this.head + offset, 1)[0];
  }

  /** Drops every item. */
  clear(): void {
    this.items = [];
    this.head = 0;
  }
}
