/**
 * Flink's MergingWindowSet: for one key, the session windows in flight and, for each, the
 * window whose namespace holds its state. When a new window merges existing ones, the state
 * stays in one of the merged windows' namespaces (no copy of the surviving state), and the
 * others are folded into it by the merge callback. Kept in keyed state as a list of
 * `[windowId, stateWindowId]` pairs so any backend can store it.
 */
import { mergeTimeWindows, TimeWindow, windowFromId, windowId } from '../../common/windowing/windows.js';
import { VOID_NAMESPACE, type KeyedStateBackend } from '../../state/keyed-state-backend.js';
import { InternalError } from '../../core/errors.js';

/** Backend state holding each key's merging window set. */
export const MERGING_WINDOW_SET_STATE = 'window-merging-set';

/** Called when windows merge: fold state and triggers of `merged` into `result`. */
export type MergeCallback = (result: TimeWindow, merged: TimeWindow[], stateWindowResult: string, mergedStateWindows: string[]) => void;

/** The session windows of the current key. */
export class MergingWindowSet {
  private readonly mapping: Map<string, string>;
  private dirty = false;

  private constructor(
    private readonly backend: KeyedStateBackend,
    pairs: readonly (readonly [string, string])[] | undefined,
  ) {
    this.mapping = new Map(pairs ?? []);
  }

  /** Registers the backing state (once per operator). */
  static register(backend: KeyedStateBackend): void {
    backend.registerState(MERGING_WINDOW_SET_STATE, 'value');
  }

  /** The set of the backend's current key. */
  static load(backend: KeyedStateBackend): MergingWindowSet {
    return new MergingWindowSet(backend, backend.get(MERGING_WINDOW_SET_STATE, VOID_NAMESPACE) as [string, string][] | undefined);
  }

  /** Writes the set back when it changed. */
  persist(): void {
    if (!this.dirty) return;
    this.dirty = false;
    if (this.mapping.size === 0) this.backend.remove(MERGING_WINDOW_SET_STATE, VOID_NAMESPACE);
    else this.backend.put(MERGING_WINDOW_SET_STATE, VOID_NAMESPACE, [...this.mapping]);
  }

  /** The id of the namespace holding `window`'s state, or undefined when it is not in flight. */
  getStateWindow(window: TimeWindow): string | undefined {
    return this.mapping.get(windowId(window));
  }

  /** Forgets `window` (fired and cleaned up, or late). */
  retireWindow(window: TimeWindow): void {
    if (!this.mapping.delete(windowId(window))) throw new InternalError(`window ${window.toString()} is not in the merging window set`);
    this.dirty = true;
  }

  /**
   * Adds `newWindow`, merging it with overlapping windows in flight. Returns the window the
   * new element belongs to: `newWindow` itself, or the result of a merge.
   */
  addWindow(newWindow: TimeWindow, onMerge: MergeCallback): TimeWindow {
    const newId = windowId(newWindow);
    const windows = [...this.mapping.keys()].map((id) => windowFromId(id) as TimeWindow);
    windows.push(newWindow);
    const merges: { result: TimeWindow; merged: TimeWindow[] }[] = [];
    mergeTimeWindows(windows, (result, merged) => merges.push({ result, merged: [...merged] }));

    let resultWindow = newWindow;
    let mergedNewWindow = false;
    for (const { result, merged } of merges) {
      // The new window has no state yet; only windows in flight take part in folding.
      const idx = merged.findIndex((w) => windowId(w) === newId);
      if (idx >= 0) {
        merged.splice(idx, 1);
        mergedNewWindow = true;
        resultWindow = result;
      }
      const resultId = windowId(result);
      const mergedIds = merged.map(windowId);
      const stateWindow = this.mapping.get(mergedIds[0]!)!;
      const mergedStateWindows: string[] = [];
      for (const id of mergedIds) {
        const s = this.mapping.get(id)!;
        this.mapping.delete(id);
        if (s !== stateWindow) mergedStateWindows.push(s);
      }
      this.mapping.set(resultId, stateWindow);
      this.dirty = true;
      // Merging a window into itself alone (an equal new window) needs no folding.
      if (!(mergedIds.length === 1 && mergedIds[0] === resultId)) onMerge(result, merged, stateWindow, mergedStateWindows);
    }
    if (merges.length === 0 || (windowId(resultWindow) === newId && !mergedNewWindow)) {
      this.mapping.set(newId, newId);
      this.dirty = true;
    }
    return resultWindow;
  }
}
