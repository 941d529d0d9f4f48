/**
 * Flink SQL's DATE_FORMAT patterns the queries use, in UTC. Formatting is cached per day and
 * per minute: consecutive bids share both.
 */
const MINUTE = 60_000;
const DAY = 86_400_000;
let dayKey = Number.NaN;
let dayText = '';
let minuteKey = Number.NaN;
let minuteText = '';

const two = (n: number): string => (n < 10 ? `0${n}` : `${n}`);

/** `DATE_FORMAT(t, 'yyyy-MM-dd')`. */
export function dayOf(t: number): string {
  const k = Math.floor(t / DAY);
  if (k !== dayKey) {
    const d = new Date(k * DAY);
    dayText = `${d.getUTCFullYear()}-${two(d.getUTCMonth() + 1)}-${two(d.getUTCDate())}`;
    dayKey = k;
  }
  return dayText;
}

/** `DATE_FORMAT(t, 'HH:mm')`. */
export function hourMinuteOf(t: number): string {
  const k = Math.floor(t / MINUTE);
  if (k !== minuteKey) {
    const d = new Date(k * MINUTE);
    minuteText = `${two(d.getUTCHours())}:${two(d.getUTCMinutes())}`;
    minuteKey = k;
  }
  return minuteText;
}

/** `HOUR(t)`. */
export function hourOf(t: number): number {
  return Math.floor((((t % DAY) + DAY) % DAY) / 3_600_000);
}
