/**
 * Time-to-live of keyed state (processing time). With TTL, stored values are wrapped with the
 * time they were last written (or read, with `OnReadAndWrite`); an expired value is never
 * returned and is removed when met.
 */
import type { StateTtlConfig } from '../common/state-descriptors.js';
import { InvalidArgumentError } from '../core/errors.js';

/** Clock used for TTL; replaceable in tests. */
export type TtlTimeProvider = () => number;

/** A value with its last-access time. */
export interface TtlValue<T> {
  v: T;
  t: number;
}

/** TTL settings plus the clock, bound to one state. */
export class TtlPolicy {
  private readonly ttlMs: number;
  readonly refreshOnRead: boolean;

  constructor(config: StateTtlConfig, readonly now: TtlTimeProvider) {
    if (!(config.ttlMs > 0)) throw new InvalidArgumentError(`state TTL must be > 0 ms, got ${config.ttlMs}`);
    this.ttlMs = config.ttlMs;
    this.refreshOnRead = config.updateType === 'OnReadAndWrite';
  }

  wrap<T>(v: T): TtlValue<T> {
    return { v, t: this.now() };
  }

  isExpired(stored: TtlValue<unknown>, now = this.now()): boolean {
    return now - stored.t >= this.ttlMs;
  }
}
