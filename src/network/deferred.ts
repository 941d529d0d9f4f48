/**
 * The promise plumbing of the data plane's availability signals: one shared settled promise for
 * "ready now", and a promise whose resolve/reject are kept for whoever settles it later.
 */

/** An already resolved promise, returned when something is available at once. */
export const RESOLVED: Promise<void> = Promise.resolve();

/** A promise together with the functions that settle it. */
export interface Deferred {
  promise: Promise<void>;
  resolve: () => void;
  reject: (err: Error) => void;
}

/** A new pending {@link Deferred}. */
export function deferred(): Deferred {
  let resolve!: () => void;
  let reject!: (err: Error) => void;
  const promise = new Promise<void>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}
