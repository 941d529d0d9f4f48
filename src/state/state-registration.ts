/**
 * The checks every keyed state backend makes when an operator registers a state, so both
 * backends refuse the same things with the same messages.
 */
import { FailedPreconditionError, InvalidArgumentError } from '../core/errors.js';
import { isReservedStateName, type KeyedStateKind } from './keyed-state-backend.js';

/**
 * Throws when `name` is reserved, or already registered (`existing`) as another kind.
 * `existing` is undefined for a new state, and for a state known only from a restored snapshot.
 */
export function checkStateRegistration(operatorName: string, name: string, kind: KeyedStateKind, existing: KeyedStateKind | undefined): void {
  if (isReservedStateName(name)) {
    throw new InvalidArgumentError(`${operatorName}: state name "${name}" is reserved (names starting with "_timers_" hold timers)`);
  }
  if (existing !== undefined && existing !== kind) {
    throw new FailedPreconditionError(
      `${operatorName}: state "${name}" is already registered as ${existing} state, cannot register it as ${kind} state`,
    );
  }
}
