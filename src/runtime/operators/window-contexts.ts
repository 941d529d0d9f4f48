/**
 * The contexts a window operator hands to user code, each one object per operator re-pointed
 * at the current window (no allocation per record): the trigger's context (timers and state
 * in the window's namespace, merging of state) and the window function's context.
 */
import type { OutputTag } from '../../common/output-tag.js';
import type { StateDescriptor } from '../../common/state-descriptors.js';
import type { KeyedStateStore, ProcessWindowContext } from '../../common/window-functions.js';
import type { OnMergeContext } from '../../common/windowing/triggers.js';
import { type Window, type WindowAccessor, windowAccessor, windowId } from '../../common/windowing/windows.js';
import { VOID_NAMESPACE, type KeyedStateBackend } from '../../state/keyed-state-backend.js';
import type { InternalTimerService } from '../internal-timer-service.js';
import { NamespacedStateStore } from './window-state-store.js';

/** Prefix of trigger state names in the backend. */
export const TRIGGER_STATE_PREFIX = 'window-trigger:';

/** The trigger's view of the current key and window. */
export class WindowTriggerContext implements OnMergeContext {
  private readonly state: NamespacedStateStore;
  /** Namespace of the window the trigger is asked about. */
  private namespace = '';
  /** Namespaces of the windows being merged into the current one (during onMerge). */
  mergedNamespaces: readonly string[] = [];

  constructor(
    backend: KeyedStateBackend,
    private readonly timers: InternalTimerService,
    private readonly watermark: () => number,
    operatorName: string,
  ) {
    this.state = new NamespacedStateStore(backend, TRIGGER_STATE_PREFIX, operatorName, '');
  }

  /**
   * The event-time timer the trigger registered last for the current window and key (NaN:
   * none, or deleted since): the operator's cleanup timer is usually that very timer.
   */
  lastEventTimer = Number.NaN;

  /** Points the context at `window` (`id`: its {@link windowId} when the caller has it). */
  setWindow(window: Window, id: string = windowId(window)): void {
    this.namespace = id;
    this.state.namespace = id;
    this.lastEventTimer = Number.NaN;
  }

  getCurrentProcessingTime(): number {
    return this.timers.currentProcessingTime();
  }

  getCurrentWatermark(): number {
    return this.watermark();
  }

  registerProcessingTimeTimer(time: number): void {
    this.timers.registerProcessingTimeTimer(time, this.namespace);
  }

  registerEventTimeTimer(time: number): void {
    this.timers.registerEventTimeTimer(time, this.namespace);
    this.lastEventTimer = time;
  }

  deleteProcessingTimeTimer(time: number): void {
    this.timers.deleteProcessingTimeTimer(time, this.namespace);
  }

  deleteEventTimeTimer(time: number): void {
    this.timers.deleteEventTimeTimer(time, this.namespace);
    if (time === this.lastEventTimer) this.lastEventTimer = Number.NaN;
  }

  getPartitionedState<S>(descriptor: StateDescriptor<unknown>): S {
    this.state.namespace = this.namespace;
    return this.state.getPartitionedState<S>(descriptor);
  }

  mergePartitionedState(descriptor: StateDescriptor<unknown>): void {
    if (this.mergedNamespaces.length > 0) this.state.mergeNamespaces(descriptor, this.namespace, this.mergedNamespaces);
  }
}

/** The window function's view of the window being emitted. */
export class WindowProcessContext implements ProcessWindowContext<Window> {
  window!: WindowAccessor<Window>;
  private readonly perWindow: NamespacedStateStore;
  private readonly global: NamespacedStateStore;

  constructor(
    backend: KeyedStateBackend,
    private readonly timers: InternalTimerService,
    private readonly watermark: () => number,
    private readonly emitSide: (tagId: string, value: unknown) => void,
    operatorName: string,
  ) {
    this.perWindow = new NamespacedStateStore(backend, '', operatorName, '');
    this.global = new NamespacedStateStore(backend, '', operatorName, VOID_NAMESPACE);
  }

  /** Points the context at `window`. */
  setWindow(window: Window): void {
    // Callable as well, for Flink's `context.window()`: one small function per window emitted, not per record.
    this.window = windowAccessor(window);
    this.perWindow.namespace = windowId(window);
  }

  currentWatermark(): number {
    return this.watermark();
  }

  currentProcessingTime(): number {
    return this.timers.currentProcessingTime();
  }

  windowState(): KeyedStateStore {
    return this.perWindow;
  }

  globalState(): KeyedStateStore {
    return this.global;
  }

  output<X>(tag: OutputTag<X>, value: X): void {
    this.emitSide(tag.id, value);
  }
}
