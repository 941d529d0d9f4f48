/**
 * How broadcast operators hand out broadcast state: only the states declared by
 * `broadcast(...descriptors)` exist; the broadcast side gets the writable state, the other
 * side a read-only view (an object without write methods, so a cast cannot write either).
 */
import type { BroadcastState, ReadOnlyBroadcastState } from '../../common/co-functions.js';
import type { MapStateDescriptor } from '../../common/state-descriptors.js';
import { FailedPreconditionError } from '../../core/errors.js';
import type { OperatorStateStore } from '../../state/operator-state-store.js';

/** Settings of broadcast process nodes, as read from the operator descriptor. */
export function declaredBroadcastStates(settings: Record<string, unknown>): string[] {
  const names = settings['broadcastStates'];
  return Array.isArray(names) ? names.map(String) : [];
}

/** Broadcast state of one broadcast operator in one subtask. */
export class BroadcastStateAccess {
  private readonly views = new Map<string, ReadOnlyBroadcastState<unknown, unknown>>();

  constructor(
    private readonly operatorName: string,
    private readonly declared: readonly string[],
    private readonly store: () => OperatorStateStore,
  ) {}

  /** The writable broadcast state of `descriptor`. */
  writable<K, V>(descriptor: MapStateDescriptor<K, V>): BroadcastState<K, V> {
    const name = descriptor?.name;
    if (!this.declared.includes(name)) {
      const known = this.declared.length ? this.declared.map((n) => `"${n}"`).join(', ') : 'none';
      throw new FailedPreconditionError(
        `${this.operatorName}: broadcast state "${String(name)}" was not declared by broadcast(...descriptors) (declared: ${known})`,
      );
    }
    return this.store().getBroadcastState<K, V>(name);
  }

  /** A read-only view of the broadcast state of `descriptor`. */
  readOnly<K, V>(descriptor: MapStateDescriptor<K, V>): ReadOnlyBroadcastState<K, V> {
    let view = this.views.get(descriptor?.name);
    if (!view) {
      const s = this.writable(descriptor) as BroadcastState<unknown, unknown>;
      view = {
        get: (k) => s.get(k),
        contains: (k) => s.contains(k),
        entries: () => s.entries(),
        keys: () => s.keys(),
        values: () => s.values(),
        isEmpty: () => s.isEmpty(),
      };
      this.views.set(descriptor.name, view);
    }
    return view as ReadOnlyBroadcastState<K, V>;
  }
}
