/**
 * The native keyed state file of a LevelDB checkpoint (`<operatorId>-<subtask>-keyed`, handle
 * format `leveldb-native`): raw LevelDB records straight from a snapshot iterator, no entry
 * decoded or re-encoded.
 *
 * ```
 * "FLUSSKN1"                      8 bytes magic
 * u32 BE n, n bytes of JSON       header { format: 'fluss-keyed-state-native', version: 1,
 *                                   backend: 'leveldb', keyGroupRange, states: [[id, name]…] }
 * per record: varint key length, varint value length, key bytes, value bytes
 * ```
 *
 * Keys follow the LevelDB key layout (`[keyGroup u16 BE][state id u16 BE][key][namespace]`), so
 * a reader filters by key group from the first two bytes; `states` maps the database-local state
 * ids to names for re-mapping. The file is written in large chunks, its sha256 computed on the
 * way; readers verify size and checksum before any record is used.
 *
 * Restore into the LevelDB backend loads the raw records (filtered by key group, state ids
 * re-mapped); restore into the memory backend — possible only when the job's backend changed
 * between checkpoint and restore — decodes them into canonical entries, so such a restore works
 * too (slower) instead of being refused.
 */
import { createHash } from 'node:crypto';
import { open, type FileHandle } from 'node:fs/promises';
import { join } from 'node:path';
import type { KeyGroupRange } from '../graph/key-groups.js';
import type { KeyedStateBackend } from '../state/keyed-state-backend.js';
import { LevelDbKeyedStateBackend } from '../state/leveldb-keyed-state-backend.js';
import { decodeNativeRecords, type LevelDbNativeSnapshot, type RawRecord } from '../state/leveldb-native-snapshot.js';
import type { StateFileHandle } from './checkpoint-types.js';
import { DamagedCheckpointError } from './state-files.js';

/** Header `format` of native keyed state files. */
export const NATIVE_KEYED_STATE_FORMAT = 'fluss-keyed-state-native';
const MAGIC = Buffer.from('FLUSSKN1', 'latin1');
/** Bytes collected before one write is issued. */
const WRITE_CHUNK = 1024 * 1024;
/**
 * Records fetched from the LevelDB iterator per call (one hop to LevelDB's thread each, and one
 * turn of the task's event loop; encoding them pauses the task for a few milliseconds).
 */
const ITERATOR_BATCH = 16_384;
/** Bytes read per read call on restore. */
const READ_CHUNK = 4 * 1024 * 1024;

/** The header of a native keyed state file. */
export interface NativeKeyedStateHeader {
  format: typeof NATIVE_KEYED_STATE_FORMAT;
  version: 1;
  backend: 'leveldb';
  keyGroupRange: KeyGroupRange;
  /** Database-local state id → state name. */
  states: [number, string][];
}

/** A verified native file to restore from. */
export interface NativeKeyedStateFileRef {
  checkpointDir: string;
  handle: StateFileHandle;
  header: NativeKeyedStateHeader;
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
 * Writes the records of `snapshot` to `dir/name`: waits for its iterator, then alternates one
 * iterator batch (read by LevelDB's thread while the previous one is encoded) with chunked
 * writes, so the task's event loop is only ever busy for one batch. Closes the iterator.
 */
export async function writeNativeKeyedStateFile(dir: string, name: string, snapshot: LevelDbNativeSnapshot): Promise<StateFileHandle> {
  const it = await snapshot.iterator;
  const hash = createHash('sha256');
  let file: FileHandle | undefined;
  let size = 0;
  let pending: Promise<RawRecord[]> | undefined;
  try {
    file = await open(join(dir, name), 'w');
    const out = file;
    const header: NativeKeyedStateHeader = {
      format: NATIVE_KEYED_STATE_FORMAT,
      version: 1,
      backend: 'leveldb',
      keyGroupRange: snapshot.keyGroupRange,
      states: snapshot.states,
    };
    const json = Buffer.from(JSON.stringify(header), 'utf8');
    let buf = Buffer.allocUnsafe(Math.max(WRITE_CHUNK, json.length + 12));
    MAGIC.copy(buf, 0);
    buf.writeUInt32BE(json.length, 8);
    json.copy(buf, 12);
    let pos = 12 + json.length;
    const writeOut = async (): Promise<void> => {
      if (pos === 0) return;
      const data = buf.subarray(0, pos);
      hash.update(data);
      size += pos;
      await out.write(data, 0, pos);
      pos = 0;
    };
    const next = (): Promise<RawRecord[]> => {
      const p = it.nextv(ITERATOR_BATCH);
      // Observed at once: it may fail (database closed) while a chunk is being written.
      p.catch(() => undefined);
      return p;
    };
    pending = next();
    for (;;) {
      const records = await pending;
      pending = undefined;
      if (records.length === 0) break;
      pending = next();
      for (let i = 0; i < records.length; i++) {
        const [k, v] = records[i]!;
        const need = k.length + v.length + 10;
        if (pos + need > buf.length) {
          await writeOut();
          if (need > buf.length) buf = Buffer.allocUnsafe(need);
        }
        pos = writeVarint(buf, pos, k.length);
        pos = writeVarint(buf, pos, v.length);
        pos += k.copy(buf, pos);
        pos += v.copy(buf, pos);
      }
    }
    await writeOut();
    await out.sync();
  } finally {
    await pending?.catch(() => undefined);
    await it.close();
    await file?.close();
  }
  return { path: name, size, checksum: hash.digest('hex') };
}

/** True when the file of `handle` starts with the native magic (for handles without `format`). */
export async function isNativeKeyedStateFile(checkpointDir: string, handle: StateFileHandle): Promise<boolean> {
  const file = await open(join(checkpointDir, handle.path), 'r').catch(() => undefined);
  if (!file) return false;
  try {
    const head = Buffer.alloc(MAGIC.length);
    const { bytesRead } = await file.read(head, 0, head.length, 0);
    return bytesRead === MAGIC.length && head.equals(MAGIC);
  } finally {
    await file.close();
  }
}

function damaged(checkpointDir: string, handle: StateFileHandle, what: string, cause?: unknown): DamagedCheckpointError {
  return new DamagedCheckpointError(`damaged checkpoint ${checkpointDir}: state file ${handle.path} ${what}`, cause === undefined ? undefined : { cause });
}

/** Parses the header at the start of `buf`; undefined while `buf` is too short to hold it. */
function parseHeader(buf: Buffer, checkpointDir: string, handle: StateFileHandle): { header: NativeKeyedStateHeader; end: number } | undefined {
  if (buf.length < 12) return undefined;
  if (!buf.subarray(0, 8).equals(MAGIC)) throw damaged(checkpointDir, handle, `is not a ${NATIVE_KEYED_STATE_FORMAT} file`);
  const n = buf.readUInt32BE(8);
  if (buf.length < 12 + n) return undefined;
  let header: NativeKeyedStateHeader;
  try {
    header = JSON.parse(buf.toString('utf8', 12, 12 + n)) as NativeKeyedStateHeader;
  } catch (cause) {
    throw damaged(checkpointDir, handle, 'has an unreadable header', cause);
  }
  if (header?.format !== NATIVE_KEYED_STATE_FORMAT || header.version !== 1 || !Array.isArray(header.states)) {
    throw damaged(checkpointDir, handle, `is not a ${NATIVE_KEYED_STATE_FORMAT} file (version 1)`);
  }
  return { header, end: 12 + n };
}

/** Streams the file's bytes in large chunks, checking size and checksum at the end. */
async function* chunksOf(checkpointDir: string, handle: StateFileHandle): AsyncIterable<Buffer> {
  let file: FileHandle;
  try {
    file = await open(join(checkpointDir, handle.path), 'r');
  } catch (cause) {
    throw damaged(checkpointDir, handle, `cannot be read: ${(cause as Error).message}`, cause);
  }
  const hash = createHash('sha256');
  let size = 0;
  try {
    for (;;) {
      const buf = Buffer.allocUnsafe(READ_CHUNK);
      const { bytesRead } = await file.read(buf, 0, READ_CHUNK, null);
      if (bytesRead === 0) break;
      const chunk = buf.subarray(0, bytesRead);
      hash.update(chunk);
      size += bytesRead;
      yield chunk;
    }
  } finally {
    await file.close();
  }
  const checksum = hash.digest('hex');
  if (size !== handle.size || checksum !== handle.checksum) {
    throw damaged(
      checkpointDir,
      handle,
      `does not match its checksum (${size} bytes, sha256 ${checksum.slice(0, 12)}…; expected ${handle.size} bytes, ${handle.checksum.slice(0, 12)}…)`,
    );
  }
}

/**
 * Checks size and checksum of a native file (one streaming pass) and returns its header, so a
 * damaged checkpoint is refused before any of it is loaded.
 */
export async function verifyNativeKeyedStateFile(checkpointDir: string, handle: StateFileHandle): Promise<NativeKeyedStateFileRef> {
  let head = Buffer.alloc(0);
  let parsed: { header: NativeKeyedStateHeader } | undefined;
  for await (const chunk of chunksOf(checkpointDir, handle)) {
    if (parsed) continue;
    head = Buffer.concat([head, chunk]);
    parsed = parseHeader(head, checkpointDir, handle);
  }
  if (!parsed) throw damaged(checkpointDir, handle, 'ends inside its header');
  return { checkpointDir, handle, header: parsed.header };
}

/**
 * The records of a native file in batches (views into the read buffers, which the consumer may
 * change in place); the size and checksum are checked once the last chunk is read, and a
 * record cut off by the end of the file refuses it as damaged.
 */
export async function* readNativeKeyedStateRecords(ref: NativeKeyedStateFileRef): AsyncIterable<RawRecord[]> {
  const { checkpointDir, handle } = ref;
  let rest: Buffer | undefined;
  let headerDone = false;
  for await (const chunk of chunksOf(checkpointDir, handle)) {
    const buf = rest && rest.length > 0 ? Buffer.concat([rest, chunk]) : chunk;
    let pos = 0;
    if (!headerDone) {
      const parsed = parseHeader(buf, checkpointDir, handle);
      if (!parsed) {
        rest = buf;
        continue;
      }
      headerDone = true;
      pos = parsed.end;
    }
    const records: RawRecord[] = [];
    const n = buf.length;
    for (;;) {
      // varint key length, varint value length (each at most 5 bytes), then the bytes.
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
      let vlen = 0;
      shift = 0;
      b = 0x80;
      while (p < n && b & 0x80) {
        b = buf[p++]!;
        vlen += (b & 0x7f) * 2 ** shift;
        shift += 7;
      }
      if (b & 0x80 || p + klen + vlen > n) break;
      records.push([buf.subarray(p, p + klen), buf.subarray(p + klen, p + klen + vlen)]);
      pos = p + klen + vlen;
    }
    rest = pos < n ? buf.subarray(pos) : undefined;
    if (records.length > 0) yield records;
  }
  if (!headerDone) throw damaged(checkpointDir, handle, 'ends inside its header');
  if (rest && rest.length > 0) throw damaged(checkpointDir, handle, 'ends inside a record');
}

/**
 * Loads verified native files into `backend` (before processing starts): raw records into a
 * LevelDB backend, decoded entries into any other backend. Records outside the backend's key
 * groups are skipped.
 */
export async function restoreNativeKeyedState(backend: KeyedStateBackend, refs: readonly NativeKeyedStateFileRef[]): Promise<void> {
  for (const ref of refs) {
    const records = readNativeKeyedStateRecords(ref);
    if (backend instanceof LevelDbKeyedStateBackend) await backend.restoreNative(records, ref.header.states);
    else await backend.restore(decodeNativeRecords(records, ref.header.states, backend.keyGroupRange));
  }
}
