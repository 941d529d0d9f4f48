/**
 * The memory backend's timers, per domain and key group slot, with the same copy-on-write
 * treatment as its state tables ({@link SnapshotVersions}): a timer is an immutable cell, so only
 * removals and re-additions while a snapshot runs need care. Removing a timer a running snapshot
 * shares replaces it by a removal marker whose `origin` is the shared timer; the marker keeps the
 * timer's place in the Map until no running snapshot needs it.
 */
import { timerId, type TimeDomain, type TimerEntry } from './keyed-state-backend.js';
import type { SnapshotVersions, Versioned } from './copy-on-write-versions.js';

/** A stored timer at one version; `removed` marks a removal kept for a running snapshot. */
export interface TimerCell extends TimerEntry, Versioned<TimerCell> {
  removed: boolean;
}

const timerGone = (c: TimerCell): boolean => c.removed;

/** Timers of one backend. */
export class CopyOnWriteTimerTable {
  /** Per domain, per key group slot: timer id → timer. */
  readonly groups: Record<TimeDomain, (Map<string, TimerCell> | undefined)[]>;

  constructor(
    private readonly slots: number,
    private readonly versions: SnapshotVersions,
  ) {
    this.groups = { EVENT_TIME: this.newGroups(), PROCESSING_TIME: this.newGroups() };
  }

  private newGroups(): (Map<string, TimerCell> | undefined)[] {
    return new Array<Map<string, TimerCell> | undefined>(this.slots).fill(undefined);
  }

  /** Stores a copy of `timer` (idempotent). */
  put(timer: TimerEntry, slot: number): void {
    const groups = this.groups[timer.domain];
    let m = groups[slot];
    if (m === undefined) groups[slot] = m = new Map();
    const id = timerId(timer);
    const existing = m.get(id);
    if (existing === undefined) {
      m.set(id, this.cell(timer, false, undefined));
    } else if (existing.removed) {
      if (existing.version > this.versions.highest) {
        existing.removed = false;
      } else {
        const c = this.cell(timer, false, existing);
        m.set(id, c);
        this.versions.replaced(m, id, c, timerGone);
      }
    }
  }

  /** Removes a timer (no-op when absent). */
  delete(timer: TimerEntry, slot: number): void {
    const m = this.groups[timer.domain][slot];
    if (m === undefined) return;
    const id = timerId(timer);
    const existing = m.get(id);
    if (existing === undefined || existing.removed) return;
    if (existing.version > this.versions.highest) {
      if (existing.origin === undefined) m.delete(id);
      else existing.removed = true;
      return;
    }
    // Shared with a running snapshot: a marker takes its place until no snapshot needs it.
    const c = this.cell(existing, true, existing);
    m.set(id, c);
    this.versions.replaced(m, id, c, timerGone);
  }

  private cell(t: TimerEntry, removed: boolean, origin: TimerCell | undefined): TimerCell {
    return { domain: t.domain, timestamp: t.timestamp, key: t.key, keyGroup: t.keyGroup, namespace: t.namespace, removed, version: this.versions.current, origin };
  }

  /** Every live timer, as plain timer entries. */
  *live(): Iterable<TimerEntry> {
    for (const groups of Object.values(this.groups)) {
      for (const m of groups) {
        if (!m) continue;
        for (const c of m.values()) if (!c.removed) yield { domain: c.domain, timestamp: c.timestamp, key: c.key, keyGroup: c.keyGroup, namespace: c.namespace };
      }
    }
  }

  clear(): void {
    for (const groups of Object.values(this.groups)) groups.fill(undefined);
  }
}
