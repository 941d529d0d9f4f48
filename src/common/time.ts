/**
 * Durations. Fluss measures time in milliseconds everywhere; `Time` turns readable units
 * into numbers of milliseconds (`Time.seconds(5) === 5000`).
 */
import { InvalidArgumentError } from '../core/errors.js';

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
  /** Flink's `Time.of(n, TimeUnit.SECONDS)`: `Time.of(5, 'SECONDS')`. */
  of(n: number, unit: TimeUnit): number {
    const factor = TIME_UNIT_MS[unit];
    if (factor === undefined) throw new InvalidArgumentError(`Time.of() expects a TimeUnit (MILLISECONDS … DAYS), got ${String(unit)}`);
    return n * factor;
  },
} as const;

/** Java's TimeUnit names accepted by {@link Time.of}. */
export type TimeUnit = 'MILLISECONDS' | 'SECONDS' | 'MINUTES' | 'HOURS' | 'DAYS';

/** `TimeUnit.SECONDS`, as Flink users write it. */
export const TimeUnit = {
  MILLISECONDS: 'MILLISECONDS',
  SECONDS: 'SECONDS',
  MINUTES: 'MINUTES',
  HOURS: 'HOURS',
  DAYS: 'DAYS',
} as const satisfies Record<TimeUnit, TimeUnit>;

const TIME_UNIT_MS: Record<string, number> = { MILLISECONDS: 1, SECONDS: 1000, MINUTES: 60_000, HOURS: 3_600_000, DAYS: 86_400_000 };

/**
 * Java's `Duration` factories, as Flink's newer APIs take them
 * (`WatermarkStrategy.forBoundedOutOfOrderness(Duration.ofSeconds(5))`): numbers of milliseconds.
 */
export const Duration = {
  ofMillis: Time.milliseconds,
  ofSeconds: Time.seconds,
  ofMinutes: Time.minutes,
  ofHours: Time.hours,
  ofDays: Time.days,
} as const;
