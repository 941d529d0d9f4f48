/**
 * Flink's `Configuration`: string keys to values with typed getters. User functions see one in
 * `open(parameters: Configuration)` (Flink's pre-1.19 signature), where Flink hands an empty
 * configuration; Fluss hands the subtask's OpenContext, which is also such an empty
 * Configuration, so both `open(openContext)` and `open(parameters)` port as written.
 */
import type { OpenContext } from './runtime-context.js';
import { ConfigurationError } from '../core/errors.js';

/** Key/value configuration with Flink's typed getters and setters. */
export class Configuration {
  private readonly entries = new Map<string, unknown>();

  constructor(initial?: Record<string, unknown> | Iterable<readonly [string, unknown]>) {
    if (initial === undefined) return;
    const pairs = Symbol.iterator in Object(initial) ? (initial as Iterable<readonly [string, unknown]>) : Object.entries(initial);
    for (const [k, v] of pairs) this.entries.set(k, v);
  }

  /** The value of `key`, or `defaultValue` when it is not set. */
  get<T>(key: string, defaultValue?: T): T | undefined {
    return this.entries.has(key) ? (this.entries.get(key) as T) : defaultValue;
  }

  /** Sets `key` to `value`. */
  set(key: string, value: unknown): this {
    this.entries.set(key, value);
    return this;
  }

  getString(key: string, defaultValue: string): string;
  getString(key: string, defaultValue?: string): string | undefined;
  /** The value of `key` as a string. */
  getString(key: string, defaultValue?: string): string | undefined {
    const v = this.entries.get(key);
    return v === undefined ? defaultValue : String(v);
  }

  /** The value of `key` as an integer (Flink's getInteger). */
  getInteger(key: string, defaultValue: number): number {
    return this.number(key, defaultValue, true);
  }

  /** The value of `key` as an integer (Flink's getLong). */
  getLong(key: string, defaultValue: number): number {
    return this.number(key, defaultValue, true);
  }

  /** The value of `key` as a number (Flink's getDouble). */
  getDouble(key: string, defaultValue: number): number {
    return this.number(key, defaultValue, false);
  }

  /** The value of `key` as a number (Flink's getFloat). */
  getFloat(key: string, defaultValue: number): number {
    return this.number(key, defaultValue, false);
  }

  /** The value of `key` as a boolean (`true`/`false`, any case). */
  getBoolean(key: string, defaultValue: boolean): boolean {
    const v = this.entries.get(key);
    if (v === undefined) return defaultValue;
    if (typeof v === 'boolean') return v;
    const s = String(v).toLowerCase();
    if (s === 'true' || s === 'false') return s === 'true';
    throw new ConfigurationError(`configuration key "${key}" is not a boolean: ${String(v)}`);
  }

  setString(key: string, value: string): this {
    return this.set(key, value);
  }

  setInteger(key: string, value: number): this {
    return this.set(key, value);
  }

  setLong(key: string, value: number): this {
    return this.set(key, value);
  }

  setDouble(key: string, value: number): this {
    return this.set(key, value);
  }

  setFloat(key: string, value: number): this {
    return this.set(key, value);
  }

  setBoolean(key: string, value: boolean): this {
    return this.set(key, value);
  }

  /** True when `key` is set. */
  containsKey(key: string): boolean {
    return this.entries.has(key);
  }

  /** The keys that are set. */
  keySet(): Set<string> {
    return new Set(this.entries.keys());
  }

  /** The entries as a plain object of strings (Flink's toMap). */
  toMap(): Record<string, string> {
    const out: Record<string, string> = {};
    for (const [k, v] of this.entries) out[k] = String(v);
    return out;
  }

  private number(key: string, defaultValue: number, integer: boolean): number {
    const v = this.entries.get(key);
    if (v === undefined) return defaultValue;
    const n = typeof v === 'number' ? v : Number(String(v).trim());
    if (!Number.isFinite(n) || (integer && !Number.isInteger(n))) throw new ConfigurationError(`configuration key "${key}" is not ${integer ? 'an integer' : 'a number'}: ${String(v)}`);
    return n;
  }
}

/**
 * What a function's `open` receives: the subtask's {@link OpenContext}, which is also an
 * (empty) {@link Configuration} — so `open(openContext: OpenContext)` (Flink ≥ 1.19) and
 * `open(parameters: Configuration)` (earlier Flink) both type-check and work.
 */
export type OpenParameters = OpenContext & Configuration;

/** The object handed to `open`: `ctx`'s fields on an empty Configuration. */
export function openParameters(ctx: OpenContext): OpenParameters {
  if (ctx instanceof Configuration) return ctx as OpenParameters;
  return Object.assign(new Configuration(), ctx) as OpenParameters;
}
