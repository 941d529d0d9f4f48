/**
 * Durations. Fluss measures time in milliseconds everywhere; `Time` turns readable units
 * into numbers of milliseconds (`Time.seconds(5) === 5000`).
 */
export const Time = {
  /** `n` milliseconds. */
  milliseconds(n: number): number {
    return n;
  },
  /** `n` seconds in milliseconds. */
  seconds(n: number): number {
    return n * 1000;
  },
  /** `n` minutes in milliseconds. */
  minutes(n: number): number {
    return n * 60_000;
  },
  /** `n` hours in milliseconds. */
  hours(n: number): number {
    return n * 3_600_000;
  },
  /** `n` days in milliseconds. */
  days(n: number): number {
    return n * 86_400_000;
  },
} as const;
