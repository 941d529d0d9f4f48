/**
 * Canonical, self-delimiting serialisation of keys and namespaces for the LevelDB key layout.
 * Equal keys give equal bytes: numbers have one form (safe integers as zigzag varints, other
 * numbers as float64, -0 as 0), object properties are written in sorted order, and every value
 * carries its own length, so `[key][namespace]` can be split again when reading back.
 * Supported: undefined, null, booleans, numbers, strings, bigints, Dates, byte arrays, arrays
 * (tuples) and plain objects, nested freely.
 */
import { StateSerializationError } from './state-errors.js';

const T_UNDEFINED = 0x00;
const T_NULL = 0x01;
const T_FALSE = 0x02;
const T_TRUE = 0x03;
const T_INT = 0x04;
const T_FLOAT = 0x05;
const T_STRING = 0x06;
const T_BIGINT = 0x07;
const T_ARRAY = 0x08;
const T_OBJECT = 0x09;
const T_DATE = 0x0a;
const T_BYTES = 0x0b;

/** A growable byte buffer that keys are written into; reused across writes (no per-key allocation). */
export class KeyWriter {
  buf: Buffer;
  pos = 0;

  constructor(initialSize = 256) {
    this.buf = Buffer.allocUnsafe(initialSize);
  }

  /** Starts a new key. */
  reset(): this {
    this.pos = 0;
    return this;
  }

  /** The bytes written so far, copied (safe to keep). */
  toBuffer(): Buffer {
    return Buffer.from(this.buf.subarray(0, this.pos));
  }

  /** The bytes written so far, as a view that the next write overwrites. */
  view(): Buffer {
    return this.buf.subarray(0, this.pos);
  }

  ensure(extra: number): void {
    if (this.pos + extra <= this.buf.length) return;
    const next = Buffer.allocUnsafe(Math.max(this.buf.length * 2, this.pos + extra));
    this.buf.copy(next, 0, 0, this.pos);
    this.buf = next;
  }

  u8(v: number): void {
    this.ensure(1);
    this.buf[this.pos++] = v;
  }

  u16(v: number): void {
    this.ensure(2);
    this.buf.writeUInt16BE(v, this.pos);
    this.pos += 2;
  }

  varint(v: number): void {
    this.ensure(10);
    while (v >= 0x80) {
      this.buf[this.pos++] = (v % 0x80) | 0x80;
      v = Math.floor(v / 0x80);
    }
    this.buf[this.pos++] = v;
  }

  /** A timestamp as 8 bytes whose byte order is the numeric order (sign bit flipped float64). */
  orderedDouble(v: number): void {
    this.ensure(8);
    const b = this.buf;
    b.writeDoubleBE(v === 0 ? 0 : v, this.pos);
    if (b[this.pos]! & 0x80) for (let i = 0; i < 8; i++) b[this.pos + i] = ~b[this.pos + i]! & 0xff;
    else b[this.pos] = b[this.pos]! | 0x80;
    this.pos += 8;
  }

  /** Writes a UTF-8 string with its byte length in front. */
  string(s: string): void {
    this.ensure(s.length * 3 + 6);
    const start = this.pos;
    const len = s.length;
    // Short ASCII strings (the common key) are copied byte by byte: cheaper than a native
    // UTF-8 encode call per key. The bytes are the same UTF-8 bytes.
    if (len < 0x40) {
      const b = this.buf;
      let i = 0;
      for (; i < len; i++) {
        const c = s.charCodeAt(i);
        if (c >= 0x80) break;
        b[start + 1 + i] = c;
      }
      if (i === len) {
        b[start] = len;
        this.pos = start + 1 + len;
        return;
      }
    }
    // Short strings (the common case) are written once, right after a one-byte length.
    const n = this.buf.write(s, start + 1, 'utf8');
    if (n < 0x80) {
      this.buf[start] = n;
      this.pos = start + 1 + n;
      return;
    }
    const bytes = Buffer.from(this.buf.subarray(start + 1, start + 1 + n));
    this.varint(n);
    this.buf.set(bytes, this.pos);
    this.pos += n;
  }

  /** Writes any supported key value, canonically. */
  key(v: unknown): void {
    switch (typeof v) {
      case 'string':
        this.u8(T_STRING);
        this.string(v);
        return;
      case 'number':
        if (Number.isSafeInteger(v)) {
          this.u8(T_INT);
          // zigzag keeps small negative numbers short
          this.varint(v >= 0 ? v * 2 : -v * 2 - 1);
        } else {
          this.u8(T_FLOAT);
          this.ensure(8);
          this.buf.writeDoubleBE(v === 0 ? 0 : v, this.pos);
          this.pos += 8;
        }
        return;
      case 'boolean':
        this.u8(v ? T_TRUE : T_FALSE);
        return;
      case 'undefined':
        this.u8(T_UNDEFINED);
        return;
      case 'bigint':
        this.u8(T_BIGINT);
        this.string(v.toString());
        return;
      case 'object': {
        if (v === null) return this.u8(T_NULL);
        if (Array.isArray(v)) {
          this.u8(T_ARRAY);
          this.varint(v.length);
          for (let i = 0; i < v.length; i++) this.key(v[i]);
          return;
        }
        if (v instanceof Date) {
          this.u8(T_DATE);
          this.ensure(8);
          this.buf.writeDoubleBE(v.getTime(), this.pos);
          this.pos += 8;
          return;
        }
        if (v instanceof Uint8Array) {
          this.u8(T_BYTES);
          this.varint(v.length);
          this.ensure(v.length);
          this.buf.set(v, this.pos);
          this.pos += v.length;
          return;
        }
        const proto = Object.getPrototypeOf(v) as unknown;
        if (proto !== Object.prototype && proto !== null) break;
        const names = Object.keys(v).sort();
        this.u8(T_OBJECT);
        this.varint(names.length);
        for (const name of names) {
          this.string(name);
          this.key((v as Record<string, unknown>)[name]);
        }
        return;
      }
    }
    throw new StateSerializationError(`cannot use ${describe(v)} as a state key or namespace`);
  }
}

/** Reads keys back from bytes written by {@link KeyWriter}. */
export class KeyReader {
  pos: number;

  constructor(readonly buf: Buffer, start = 0) {
    this.pos = start;
  }

  varint(): number {
    let v = 0;
    let mul = 1;
    for (;;) {
      const b = this.buf[this.pos++]!;
      v += (b & 0x7f) * mul;
      if (b < 0x80) return v;
      mul *= 0x80;
    }
  }

  orderedDouble(): number {
    const bytes = Buffer.from(this.buf.subarray(this.pos, this.pos + 8));
    this.pos += 8;
    if (bytes[0]! & 0x80) bytes[0] = bytes[0]! & 0x7f;
    else for (let i = 0; i < 8; i++) bytes[i] = ~bytes[i]! & 0xff;
    return bytes.readDoubleBE(0);
  }

  string(): string {
    const n = this.varint();
    const s = this.buf.toString('utf8', this.pos, this.pos + n);
    this.pos += n;
    return s;
  }

  key(): unknown {
    const tag = this.buf[this.pos++];
    switch (tag) {
      case T_UNDEFINED:
        return undefined;
      case T_NULL:
        return null;
      case T_FALSE:
        return false;
      case T_TRUE:
        return true;
      case T_INT: {
        const z = this.varint();
        return z % 2 === 0 ? z / 2 : -(z + 1) / 2;
      }
      case T_FLOAT: {
        const v = this.buf.readDoubleBE(this.pos);
        this.pos += 8;
        return v;
      }
      case T_STRING:
        return this.string();
      case T_BIGINT:
        return BigInt(this.string());
      case T_ARRAY: {
        const n = this.varint();
        const out = new Array<unknown>(n);
        for (let i = 0; i < n; i++) out[i] = this.key();
        return out;
      }
      case T_OBJECT: {
        const n = this.varint();
        const out: Record<string, unknown> = {};
        for (let i = 0; i < n; i++) {
          const name = this.string();
          out[name] = this.key();
        }
        return out;
      }
      case T_DATE: {
        const t = this.buf.readDoubleBE(this.pos);
        this.pos += 8;
        return new Date(t);
      }
      case T_BYTES: {
        const n = this.varint();
        const out = Buffer.from(this.buf.subarray(this.pos, this.pos + n));
        this.pos += n;
        return out;
      }
      default:
        throw new StateSerializationError(`corrupt state key: unknown type tag ${String(tag)} at byte ${this.pos - 1}`);
    }
  }
}

const shared = new KeyWriter();

/** The canonical bytes of `key` as a latin1 string (a Map key for structurally equal keys). */
export function canonicalKeyString(key: unknown): string {
  shared.reset().key(key);
  return shared.buf.toString('latin1', 0, shared.pos);
}

function describe(v: unknown): string {
  if (typeof v === 'object' && v !== null) return `an instance of ${(v as object).constructor?.name ?? 'an unknown class'}`;
  return `a ${typeof v}`;
}
