/**
 * The record encoding of native LevelDB snapshots: one record is
 * `varint key length, varint value code, key bytes, value bytes`, where the value code is 0 for
 * a deletion and n + 1 for a value of n bytes. Records are applied in order, so a later record of
 * a key replaces (or deletes) an earlier one: that is how a snapshot carries the database as last
 * written followed by the cache's changes not written to it yet. (Files of version 1 wrote the
 * value length itself as the code and had no deletions.)
 */
import { writeScalar } from './value-codec.js';


/** One raw LevelDB record: key bytes, value bytes; an undefined value deletes the key. */
export type RawRecord = [key: Buffer, value: Buffer | undefined];

const EMPTY = Buffer.alloc(0);

/** Bytes of one chunk the encoder fills before it starts the next. */
const DEFAULT_CHUNK_BYTES = 1024 * 1024;

/** Encodes records into large chunks (one copy of each key and value, no per-record buffer). */
export class NativeRecordEncoder {
  private chunks: Buffer[] = [];
  private buf: Buffer;
  private pos = 0;

  /** @param chunkBytes size of each chunk (allocated when the first record needs it) */
  constructor(private readonly chunkBytes = DEFAULT_CHUNK_BYTES) {
    this.buf = EMPTY;
  }

  /** Appends a put of `key[0, keyLength)` → `value`. */
  put(key: Buffer, keyLength: number, value: Buffer): void {
    this.record(key, keyLength, value);
  }

  /**
   * Appends a put of `key[0, keyLength)` → scalar `value` in msgpack, written in place
   * (`valueLength` is its `scalarLength`, see value-codec.ts; not -1).
   */
  putScalar(key: Buffer, keyLength: number, value: unknown, valueLength: number): void {
    const need = keyLength + valueLength + 10;
    if (this.pos + need > this.buf.length) this.startChunk(need);
    const b = this.buf;
    let p = writeVarint(b, this.pos, keyLength);
    p = writeVarint(b, p, valueLength + 1);
    p = copyKey(key, keyLength, b, p);
    this.pos = writeScalar(b, p, value, valueLength);
  }

  /** Appends a deletion of `key[0, keyLength)`. */
  delete(key: Buffer, keyLength: number): void {
    this.record(key, keyLength, undefined);
  }

  private record(key: Buffer, keyLength: number, value: Buffer | undefined): void {
    const valueLength = value === undefined ? 0 : value.length;
    const need = keyLength + valueLength + 10;
    if (this.pos + need > this.buf.length) this.startChunk(need);
    const b = this.buf;
    let p = writeVarint(b, this.pos, keyLength);
    p = writeVarint(b, p, value === undefined ? 0 : valueLength + 1);
    p = copyKey(key, keyLength, b, p);
    if (value !== undefined) p += value.copy(b, p);
    this.pos = p;
  }

  private startChunk(need: number): void {
    if (this.pos > 0) this.chunks.push(this.buf.subarray(0, this.pos));
    this.buf = Buffer.allocUnsafe(Math.max(this.chunkBytes, need));
    this.pos = 0;
  }

  /** The full chunks so far; the encoder forgets them (the partial last chunk stays). */
  takeChunks(): Buffer[] {
    const out = this.chunks;
    this.chunks = [];
    return out;
  }

  /** Every chunk, the partial last one included; the encoder is empty afterwards. */
  finish(): Buffer[] {
    if (this.pos > 0) this.chunks.push(this.buf.subarray(0, this.pos));
    this.buf = EMPTY;
    this.pos = 0;
    return this.takeChunks();
  }
}

/** Copies `key[0, length)` to `to` at `p`: short keys byte by byte (cheaper than a native copy). */
function copyKey(key: Buffer, length: number, to: Buffer, p: number): number {
  if (length > 48) return p + key.copy(to, p, 0, length);
  for (let i = 0; i < length; i++) to[p++] = key[i]!;
  return p;
}

function writeVarint(buf: Buffer, pos: number, v: number): number {
  while (v >= 0x80) {
    buf[pos++] = (v & 0x7f) | 0x80;
    v >>>= 7;
  }
  buf[pos++] = v;
  return pos;
}

/**
 * Decodes the whole records in `buf` from `pos` on: views into `buf` (the consumer may change
 * them in place) and the offset after the last whole record. `withDeletions` false reads the
 * version 1 encoding (the code is the value length). With `keyGroups`, records whose key group
 * (the key's first two bytes) lies outside it are stepped over without a view being made: a
 * restore at a higher parallelism skips most of each file it reads.
 */
export function decodeNativeRecordBytes(
  buf: Buffer,
  pos: number,
  withDeletions: boolean,
  keyGroups?: { start: number; end: number },
): { records: RawRecord[]; end: number } {
  const first = keyGroups ? keyGroups.start : 0;
  const last = keyGroups ? keyGroups.end : 0xffff;
  const records: RawRecord[] = [];
  const n = buf.length;
  for (;;) {
    // Each varint is at most 5 bytes; a record cut by the end of `buf` waits for the next chunk.
    let p = pos;
    let klen = 0;
    let shift = 0;
    let b = 0x80;
    while (p < n && b & 0x80) {
      b = buf[p++]!;
      klen += (b & 0x7f) * 2 ** shift;
      shift += 7;
    }
    if (b & 0x80) break;
    let code = 0;
    shift = 0;
    b = 0x80;
    while (p < n && b & 0x80) {
      b = buf[p++]!;
      code += (b & 0x7f) * 2 ** shift;
      shift += 7;
    }
    if (b & 0x80) break;
    const vlen = withDeletions ? Math.max(0, code - 1) : code;
    if (p + klen + vlen > n) break;
    if (klen >= 2) {
      const keyGroup = (buf[p]! << 8) | buf[p + 1]!;
      if (keyGroup < first || keyGroup > last) {
        pos = p + klen + vlen;
        continue;
      }
    }
    const key = buf.subarray(p, p + klen);
    records.push([key, withDeletions && code === 0 ? undefined : buf.subarray(p + klen, p + klen + vlen)]);
    pos = p + klen + vlen;
  }
  return { records, end: pos };
}
