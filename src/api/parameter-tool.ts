/**
 * Flink's `ParameterTool`: reads a job's parameters from its command-line arguments (or a map, or
 * a properties file) and hands them out typed. Set it with
 * `env.getConfig().setGlobalJobParameters(params)` and every function reads it back through
 * `getRuntimeContext().getExecutionConfig().getGlobalJobParameters()`.
 */
import { readFileSync } from 'node:fs';
import { GlobalJobParameters } from '../common/global-job-parameters.js';
import { InvalidArgumentError } from '../core/errors.js';

/** The value Flink stores for a flag given without a value (`--verbose`). */
export const NO_VALUE_KEY = '__NO_VALUE_KEY';

/** Flink's `NumberUtils.isNumber`, enough to tell `-5` (a value) from `-k` (a key). */
const NUMBER = /^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?[dDfFlL]?$/;
const INTEGER = /^[+-]?\d+$/;

/** Typed access to string parameters, as Flink's `ParameterTool`. */
export class ParameterTool extends GlobalJobParameters {
  private readonly data: Map<string, string>;
  /** Keys asked for with a default, as Flink records them for `getUnrequestedParameters`. */
  private readonly requested = new Set<string>();

  private constructor(data: Map<string, string>) {
    super();
    this.data = data;
  }

  /**
   * Parses `--key value` / `-key value` pairs; a key followed by another key or by nothing is a
   * flag (`has(key)` is true). A negative number is a value, not a key. As Flink: every argument
   * that is not a value must start with `-` or `--`.
   */
  static fromArgs(args: readonly string[]): ParameterTool {
    const map = new Map<string, string>();
    let i = 0;
    while (i < args.length) {
      const key = keyOf(args, i);
      i += 1;
      const next = args[i];
      if (next === undefined) map.set(key, NO_VALUE_KEY);
      else if (NUMBER.test(next)) {
        map.set(key, next);
        i += 1;
      } else if (next.startsWith('-')) map.set(key, NO_VALUE_KEY);
      else {
        map.set(key, next);
        i += 1;
      }
    }
    return new ParameterTool(map);
  }

  /** Parameters from a map or a plain object of strings. */
  static fromMap(map: ReadonlyMap<string, string> | Readonly<Record<string, string>>): ParameterTool {
    const entries = map instanceof Map ? [...map.entries()] : Object.entries(map);
    return new ParameterTool(new Map(entries.map(([k, v]) => [k, String(v)])));
  }

  /** Parameters from a Java `.properties` file (`key=value` or `key: value`, `#`/`!` comments). */
  static fromPropertiesFile(path: string): ParameterTool {
    let text: string;
    try {
      text = readFileSync(path, 'utf8');
    } catch (err) {
      throw new InvalidArgumentError(`properties file ${path} cannot be read: ${(err as Error).message}`, { cause: err });
    }
    const map = new Map<string, string>();
    for (const raw of text.replace(/\\\r?\n\s*/g, '').split(/\r?\n/)) {
      const line = raw.trim();
      if (line === '' || line.startsWith('#') || line.startsWith('!')) continue;
      const m = /^((?:\\.|[^=:\s])+)\s*[=:\s]\s*(.*)$/.exec(line);
      if (m) map.set(m[1]!.replace(/\\(.)/g, '$1'), m[2]!);
      else map.set(line, '');
    }
    return new ParameterTool(map);
  }

  /**
   * Parameters from the process environment. Flink's `fromSystemProperties()` reads JVM system
   * properties (`-Dkey=value`); Node has none, so the environment variables stand in for them.
   */
  static fromSystemProperties(): ParameterTool {
    const map = new Map<string, string>();
    for (const [k, v] of Object.entries(process.env)) if (v !== undefined) map.set(k, v);
    return new ParameterTool(map);
  }

  /** The number of parameters. */
  getNumberOfParameters(): number {
    return this.data.size;
  }

  /** The value of `key` (a flag's value is {@link NO_VALUE_KEY}), `defaultValue` or undefined. */
  get(key: string): string | undefined;
  get(key: string, defaultValue: string): string;
  get(key: string, defaultValue?: string): string | undefined {
    this.requested.add(key);
    return this.data.get(key) ?? defaultValue;
  }

  /** The value of `key`; throws when it was not given. */
  getRequired(key: string): string {
    const v = this.get(key);
    if (v === undefined) throw new InvalidArgumentError(`No data for required key '${key}'`);
    return v;
  }

  /** True when `key` was given (with or without a value). */
  has(key: string): boolean {
    this.requested.add(key);
    return this.data.has(key);
  }

  /** `key` as an integer (Java `int` range); required unless `defaultValue` is given. */
  getInt(key: string, defaultValue?: number): number {
    return this.number(key, defaultValue, 'int', (s) => (INTEGER.test(s) && inRange(Number(s), 2 ** 31) ? Number(s) : undefined));
  }

  /** `key` as an integer (a safe JavaScript integer stands for Java's `long`). */
  getLong(key: string, defaultValue?: number): number {
    return this.number(key, defaultValue, 'long', (s) => (INTEGER.test(s.replace(/[lL]$/, '')) && Number.isSafeInteger(Number(s.replace(/[lL]$/, ''))) ? Number(s.replace(/[lL]$/, '')) : undefined));
  }

  /** `key` as a short integer. */
  getShort(key: string, defaultValue?: number): number {
    return this.number(key, defaultValue, 'short', (s) => (INTEGER.test(s) && inRange(Number(s), 2 ** 15) ? Number(s) : undefined));
  }

  /** `key` as a floating-point number. */
  getDouble(key: string, defaultValue?: number): number {
    return this.number(key, defaultValue, 'double', (s) => (NUMBER.test(s) ? Number(s.replace(/[dDfF]$/, '')) : undefined));
  }

  /** `key` as a float (a JavaScript number). */
  getFloat(key: string, defaultValue?: number): number {
    return this.getDouble(key, defaultValue);
  }

  /**
   * `key` as Java's `Boolean.valueOf` reads it: true only for "true" in any case (a flag given
   * without a value reads false, as in Flink; test flags with {@link has}).
   */
  getBoolean(key: string, defaultValue?: boolean): boolean {
    const v = this.get(key);
    if (v === undefined) {
      if (defaultValue === undefined) throw new InvalidArgumentError(`No data for required key '${key}'`);
      return defaultValue;
    }
    return v.toLowerCase() === 'true';
  }

  /** The parameters as a new map. */
  override toMap(): Map<string, string> {
    return new Map(this.data);
  }

  /** The parameters as a plain object (Flink's `getProperties()`). */
  getProperties(): Record<string, string> {
    return Object.fromEntries(this.data);
  }

  /** A new tool with the parameters of both; `other`'s win where both have a key. */
  mergeWith(other: ParameterTool): ParameterTool {
    const merged = new ParameterTool(new Map([...this.data, ...other.data]));
    for (const k of this.requested) merged.requested.add(k);
    for (const k of other.requested) merged.requested.add(k);
    return merged;
  }

  /** The keys given but never asked for (Flink's check for misspelt parameters). */
  getUnrequestedParameters(): Set<string> {
    return new Set([...this.data.keys()].filter((k) => !this.requested.has(k)));
  }

  private number(key: string, defaultValue: number | undefined, type: string, parse: (s: string) => number | undefined): number {
    const v = this.get(key);
    if (v === undefined) {
      if (defaultValue === undefined) throw new InvalidArgumentError(`No data for required key '${key}'`);
      return defaultValue;
    }
    const n = parse(v.trim());
    if (n === undefined || Number.isNaN(n)) throw new InvalidArgumentError(`parameter '${key}' is not a valid ${type}: "${v}"`);
    return n;
  }
}

function inRange(n: number, bound: number): boolean {
  return n >= -bound && n < bound;
}

function keyOf(args: readonly string[], index: number): string {
  const arg = args[index]!;
  let key: string;
  if (arg.startsWith('--')) key = arg.slice(2);
  else if (arg.startsWith('-')) key = arg.slice(1);
  else throw new InvalidArgumentError(`Error parsing arguments '${JSON.stringify(args)}' on '${arg}'. Please prefix keys with -- or -.`);
  if (key === '') throw new InvalidArgumentError(`The input ${JSON.stringify(args)} contains an empty argument`);
  return key;
}
