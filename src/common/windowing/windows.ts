/**
 * Windows: a time window `[start, end)` or the single global window. Pure values.
 */

/** A window of event or processing time, `[start, end)`. Fires at `end - 1`. */
export class TimeWindow {
  constructor(
    readonly start: number,
    readonly end: number,
  ) {}

  /** The start of the window, inclusive (Flink's `getStart()`; same as `start`). */
  getStart(): number {
    return this.start;
  }

  /** The end of the window, exclusive (Flink's `getEnd()`; same as `end`). */
  getEnd(): number {
    return this.end;
  }

  /** The largest timestamp that belongs to this window: `end - 1`. */
  maxTimestamp(): number {
    return this.end - 1;
  }

  /** True when the two windows overlap (session windows merge such windows). */
  intersects(other: TimeWindow): boolean {
    return this.start <= other.end && this.end >= other.start;
  }

  /** The smallest window containing both. */
  cover(other: TimeWindow): TimeWindow {
    return new TimeWindow(Math.min(this.start, other.start), Math.max(this.end, other.end));
  }

  equals(other: unknown): boolean {
    return other instanceof TimeWindow && other.start === this.start && other.end === this.end;
  }

  toString(): string {
    return `TimeWindow{start=${this.start}, end=${this.end}}`;
  }

  /** Flink's `getWindowStartWithOffset`: the start of the window of `size` containing `timestamp`. */
  static getWindowStartWithOffset(timestamp: number, offset: number, size: number): number {
    const remainder = (timestamp - offset) % size;
    // JS `%` keeps the dividend's sign; windows before the epoch still align to `offset`.
    return remainder < 0 ? timestamp - (remainder + size) : timestamp - remainder;
  }
}

/** The one window of `GlobalWindows`: never ends by time. */
export class GlobalWindow {
  static readonly INSTANCE = new GlobalWindow();
  private constructor() {}

  /** The global window (Flink's `GlobalWindow.get()`). */
  static get(): GlobalWindow {
    return GlobalWindow.INSTANCE;
  }

  maxTimestamp(): number {
    return Number.MAX_SAFE_INTEGER;
  }

  equals(other: unknown): boolean {
    return other instanceof GlobalWindow;
  }

  toString(): string {
    return 'GlobalWindow';
  }
}

/** Any window. */
export type Window = TimeWindow | GlobalWindow;

/**
 * A window that can also be called, returning itself: what a process window function's
 * `ctx.window` is, so both Fluss's property form (`ctx.window.end`) and Flink's method form
 * (`context.window().getEnd()`) work in ported code.
 */
export type WindowAccessor<W extends Window> = W & (() => W);

/** Wraps `window` into a {@link WindowAccessor}: a function with the window's fields and prototype. */
export function windowAccessor<W extends Window>(window: W): WindowAccessor<W> {
  const accessor = (() => window) as unknown as WindowAccessor<W>;
  Object.setPrototypeOf(accessor, Object.getPrototypeOf(window) as object);
  for (const key of Object.keys(window)) Object.defineProperty(accessor, key, { value: (window as unknown as Record<string, unknown>)[key], enumerable: true });
  return accessor;
}

/** Most windows with a distinct start whose ids are remembered; past it the memory starts over. */
const ID_CACHE_LIMIT = 4096;
/** Ids of recently seen time windows by start (then checked against end): no string per element. */
let idCache = new Map<number, { end: number; id: string }>();

/**
 * A stable string id of a window (state namespace, timer namespace). Ids of recent windows are
 * remembered, so an element's windows (a new TimeWindow object each time) get the very same
 * string without building one: the hot path allocates nothing and compares ids by reference.
 */
export function windowId(w: Window): string {
  if (!(w instanceof TimeWindow)) return 'global';
  const hit = idCache.get(w.start);
  if (hit !== undefined && hit.end === w.end) return hit.id;
  const id = `${w.start}:${w.end}`;
  if (hit !== undefined) {
    // Windows of several sizes starting together (merged sessions): keep the latest.
    hit.end = w.end;
    hit.id = id;
    return id;
  }
  if (idCache.size >= ID_CACHE_LIMIT) idCache = new Map();
  idCache.set(w.start, { end: w.end, id });
  return id;
}

/** Parses {@link windowId} back into a window. */
export function windowFromId(id: string): Window {
  if (id === 'global') return GlobalWindow.INSTANCE;
  const i = id.indexOf(':');
  return new TimeWindow(Number(id.slice(0, i)), Number(id.slice(i + 1)));
}

/**
 * Merges overlapping time windows (Flink's `TimeWindow.mergeWindows`): calls `onMerge(result,
 * mergedWindows)` for every group of two or more windows that collapse into one.
 */
export function mergeTimeWindows(windows: readonly TimeWindow[], onMerge: (result: TimeWindow, merged: TimeWindow[]) => void): void {
  const sorted = [...windows].sort((a, b) => a.start - b.start);
  let current: { cover: TimeWindow; members: TimeWindow[] } | undefined;
  const flush = () => {
    if (current && current.members.length > 1) onMerge(current.cover, current.members);
  };
  for (const w of sorted) {
    if (current && current.cover.intersects(w)) {
      current.cover = current.cover.cover(w);
      current.members.push(w);
    } else {
      flush();
      current = { cover: w, members: [w] };
    }
  }
  flush();
}
