/**
 * Bucket assignment for the FileSink (Flink's `BucketAssigner`): which sub-directory of the
 * sink's base directory a record's part file lives in. A bucket id is a relative path: `''`
 * is the base directory itself, `'2026-12-03--10'` or `'dt=2026-12-03/hm=10%3A15'` are
 * (nested) sub-directories. Ids that would leave the base directory are refused.
 */
import type { SinkContext } from '../common/functions.js';
import { InvalidArgumentError } from '../core/errors.js';

/**
 * What a bucket assigner may look at besides the record (Flink's `BucketAssigner.Context`):
 * `currentProcessingTime()`, `currentWatermark()` and the record's `timestamp()` (undefined
 * when it has none).
 */
export type BucketAssignerContext = SinkContext;

/** Chooses the bucket (sub-directory) of each record (Flink's `BucketAssigner`). */
export interface BucketAssigner<T> {
  /**
   * The bucket of `element`: a relative path with '/' between its segments, `''` for the base
   * directory. No empty, `.` or `..` segment, no leading '/', no backslash.
   */
  getBucketId(element: T, context: BucketAssignerContext): string;
}

/** Every record goes into the base directory itself (Flink's `BasePathBucketAssigner`). */
export class BasePathBucketAssigner<T> implements BucketAssigner<T> {
  /** Always `''`: the base directory. */
  getBucketId(_element: T, _context: BucketAssignerContext): string {
    return '';
  }
}

/** Flink's `DateTimeBucketAssigner.DEFAULT_FORMAT_STRING`: hourly buckets. */
export const DEFAULT_DATE_TIME_FORMAT = 'yyyy-MM-dd--HH';

/** One piece of a compiled date-time pattern: literal text or a field with its width. */
type PatternPart = { text: string } | { field: 'y' | 'M' | 'd' | 'H' | 'm' | 's' | 'S'; width: number };

/** The calendar fields of an instant in some time zone. */
interface Fields {
  y: number;
  M: number;
  d: number;
  H: number;
  m: number;
  s: number;
  S: number;
}

const FIELD_LETTERS = new Set(['y', 'M', 'd', 'H', 'm', 's', 'S']);

/** Compiles a `DateTimeFormatter` pattern restricted to y M d H m s S and quoted literals. */
function compilePattern(format: string): PatternPart[] {
  const parts: PatternPart[] = [];
  let i = 0;
  while (i < format.length) {
    const c = format[i]!;
    if (c === "'") {
      // 'text' is literal, '' is one quote.
      let j = i + 1;
      let text = '';
      for (;;) {
        if (j >= format.length) throw new InvalidArgumentError(`DateTimeBucketAssigner format "${format}": unterminated quote`);
        if (format[j] === "'") {
          if (format[j + 1] === "'") {
            text += "'";
            j += 2;
            continue;
          }
          break;
        }
        text += format[j++];
      }
      parts.push({ text: j === i + 1 ? "'" : text });
      i = j + 1;
    } else if (/[A-Za-z]/.test(c)) {
      let j = i;
      while (format[j] === c) j++;
      const width = j - i;
      if (!FIELD_LETTERS.has(c) || (c === 'y' && width !== 2 && width !== 4) || (c !== 'y' && c !== 'S' && width > 2) || (c === 'S' && width > 3)) {
        throw new InvalidArgumentError(`DateTimeBucketAssigner format "${format}": unsupported pattern "${c.repeat(width)}" (supported: yyyy yy MM dd HH mm ss SSS, 'quoted text')`);
      }
      parts.push({ field: c as 'y', width });
      i = j;
    } else {
      parts.push({ text: c });
      i++;
    }
  }
  return parts;
}

/** Reads the calendar fields of an instant in one time zone. */
function fieldReader(zoneId: string): (t: number) => Fields {
  if (zoneId === 'UTC' || zoneId === 'Z') {
    return (t) => {
      const d = new Date(t);
      return { y: d.getUTCFullYear(), M: d.getUTCMonth() + 1, d: d.getUTCDate(), H: d.getUTCHours(), m: d.getUTCMinutes(), s: d.getUTCSeconds(), S: d.getUTCMilliseconds() };
    };
  }
  if (zoneId === 'local') {
    return (t) => {
      const d = new Date(t);
      return { y: d.getFullYear(), M: d.getMonth() + 1, d: d.getDate(), H: d.getHours(), m: d.getMinutes(), s: d.getSeconds(), S: d.getMilliseconds() };
    };
  }
  let format: Intl.DateTimeFormat;
  try {
    format = new Intl.DateTimeFormat('en-US', {
      timeZone: zoneId,
      hourCycle: 'h23',
      year: 'numeric',
      month: 'numeric',
      day: 'numeric',
      hour: 'numeric',
      minute: 'numeric',
      second: 'numeric',
    });
  } catch (err) {
    throw new InvalidArgumentError(`DateTimeBucketAssigner: unknown time zone "${zoneId}" (use 'UTC', 'local' or an IANA zone such as 'Europe/Berlin')`, { cause: err });
  }
  return (t) => {
    const f: Fields = { y: 0, M: 0, d: 0, H: 0, m: 0, s: 0, S: ((t % 1000) + 1000) % 1000 };
    for (const p of format.formatToParts(t)) {
      const v = Number(p.value);
      if (p.type === 'year') f.y = v;
      else if (p.type === 'month') f.M = v;
      else if (p.type === 'day') f.d = v;
      else if (p.type === 'hour') f.H = v;
      else if (p.type === 'minute') f.m = v;
      else if (p.type === 'second') f.s = v;
    }
    return f;
  };
}

function pad(n: number, width: number): string {
  const s = String(n);
  return s.length >= width ? s : '0'.repeat(width - s.length) + s;
}

/**
 * Buckets by the processing time a record reaches the sink, formatted with a date-time pattern
 * (Flink's `DateTimeBucketAssigner`): by default `yyyy-MM-dd--HH` in the local time zone, one
 * bucket per hour. Patterns use `yyyy yy MM dd HH mm ss SSS` and `'quoted text'`; other
 * characters are literal (a '/' nests directories).
 */
export class DateTimeBucketAssigner<T> implements BucketAssigner<T> {
  private readonly parts: PatternPart[];
  private readonly fields: (t: number) => Fields;
  /** Instants are formatted once per unit of the pattern's finest field (consecutive records share it). */
  private readonly unitMs: number;
  private cachedUnit = Number.NaN;
  private cachedId = '';

  /**
   * @param formatString the pattern (default {@link DEFAULT_DATE_TIME_FORMAT})
   * @param zoneId `'local'` (default: the system's zone, as Flink's `ZoneId.systemDefault()`),
   *   `'UTC'`, or an IANA zone id such as `'Asia/Shanghai'`
   */
  constructor(
    readonly formatString: string = DEFAULT_DATE_TIME_FORMAT,
    readonly zoneId: string = 'local',
  ) {
    this.parts = compilePattern(formatString);
    this.fields = fieldReader(zoneId);
    // Zone offsets are whole minutes, so a minute never spans two buckets of a coarser pattern.
    const fine = new Set(this.parts.flatMap((p) => ('field' in p ? [p.field] : [])));
    this.unitMs = fine.has('S') ? 1 : fine.has('s') ? 1000 : 60_000;
  }

  /** The formatted processing time the record reaches the sink at. */
  getBucketId(_element: T, context: BucketAssignerContext): string {
    return this.format(context.currentProcessingTime());
  }

  /** The bucket id of instant `t` (epoch milliseconds). */
  format(t: number): string {
    const unit = Math.floor(t / this.unitMs);
    if (unit === this.cachedUnit) return this.cachedId;
    const f = this.fields(t);
    let id = '';
    for (const p of this.parts) {
      if ('text' in p) id += p.text;
      else if (p.field === 'y' && p.width === 2) id += pad(f.y % 100, 2);
      else if (p.field === 'S') id += pad(f.S, 3).slice(0, p.width);
      else id += pad(f[p.field], p.width);
    }
    this.cachedUnit = unit;
    this.cachedId = id;
    return id;
  }
}

/**
 * `id` as a bucket id, or a one-line error naming it: a relative path below the base
 * directory ('' is the base directory).
 */
export function checkBucketId(id: unknown): string {
  if (typeof id === 'number' || typeof id === 'bigint') id = String(id);
  if (typeof id !== 'string') throw new InvalidArgumentError(`FileSink bucket id must be a string, got ${typeof id} ${String(id)}`);
  if (id === '') return id;
  const why = id.startsWith('/')
    ? 'is an absolute path'
    : id.includes('\\')
      ? 'contains a backslash'
      : id.includes('\0')
        ? 'contains a NUL character'
        : id.split('/').some((s) => s === '')
          ? 'has an empty path segment'
          : id.split('/').some((s) => s === '.' || s === '..')
            ? "has a '.' or '..' segment"
            : undefined;
  if (why) throw new InvalidArgumentError(`FileSink bucket id ${JSON.stringify(id)} ${why}: a bucket id must be a relative path below the sink directory`);
  return id;
}
