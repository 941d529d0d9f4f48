/**
 * The sizing of the write-back cache's admission window (see leveldb-write-back-cache.ts): how
 * many new keys wait in it for a second use, and below which fill of the cache the keys leaving
 * it are kept anyway. Pure numbers, so the policy reads in one place.
 */
import { ENTRY_OVERHEAD } from './leveldb-cache-entry.js';

/** Share of the memory bound the window may take, and its bounds in entries. */
const WINDOW_SHARE = 0.01;
const WINDOW_MIN = 64;
const WINDOW_MAX = 16_384;

/** Share of the bound under which entries leaving the window are kept (below the eviction target). */
export const ADMIT_BELOW = 0.85;

/** Entries the window of a cache bounded by `maxBytes` holds. */
export function admissionWindowEntries(maxBytes: number): number {
  return Math.min(WINDOW_MAX, Math.max(WINDOW_MIN, Math.floor((maxBytes * WINDOW_SHARE) / ENTRY_OVERHEAD)));
}
