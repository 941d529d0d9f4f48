/**
 * The native keyed state file of a LevelDB checkpoint (`<operatorId>-<subtask>-keyed`, handle
 * format `leveldb-native`): raw LevelDB records straight from a snapshot iterator, followed by
 * the write-back cache's changes that were not in the database yet, no entry decoded or
 * re-encoded.
 *
 * ```
 * "FLUSSKN2"                      8 bytes magic
 * u32 BE n, n bytes of JSON       header { format: 'fluss-keyed-state-native', version: 2,
 *                                   backend: 'leveldb', keyGroupRange, states: [[id, name]…] }
 * per record: varint key length, varint value code (0: deletion, n + 1: n value bytes),
 *             key bytes, value bytes                      (native-record-codec.ts)
 * ```
 *
 * Records apply in order: a later record of a key replaces or deletes an earlier one. Version 1
 * files ("FLUSSKN1", the value length as the code, no deletions) are still read.
 *
 * Keys follow the LevelDB key layout (`[keyGroup u16 BE][state id u16 BE][key][namespace]`), so
 * a reader filters by key group from the first two bytes; `states` maps the database-local state
 * ids to names for re-mapping. The file is written in large chunks, its sha256 computed on the
 * way. The JobManager checks every file's size and checksum before a restore is deployed; the
 * task checks the size when it opens the file and the checksum in the one pass that loads it (a
 * file changed in between fails the task, which then restarts from a checked checkpoint).
 *
 * Restore into the LevelDB backend loads the raw records (filtered by key group, state ids
 * re-mapped); restore into the memory backend — possible only when the job's backend changed
 * between checkpoint and restore — decodes them into canonical entries, so such a restore works
 * too (slower) instead of being refused.
 */
import { createHash } from 'node:crypto';
import { open, type FileHandle } from 'node:fs/promises';
import { join } from 'node:path';
import type { KeyGroupRange } from '../state/key-groups.js';
import type { KeyedStateBackend } from '../state/keyed-state-backend.js';
import { LevelDbKeyedStateBackend } from '../state/leveldb-keyed-state-backend.js';
import { decodeNativeRecords, type LevelDbNativeSnapshot, type RecordIterator } from '../state/leveldb-native-snapshot.js';
import { EventLoopSlices } from '../state/event-loop-slices.js';
import { decodeNativeRecordBytes, NativeRecordEncoder, type RawRecord } from '../state/native-record-codec.js';
import type { StateFileHandle } from './checkpoint-types.js';
import { checksumMismatch, damagedStateFile, StateFileWriter } from './state-files.js';

/** Header `format` of native keyed state files. */
export const NATIVE_KEYED_STATE_FORMAT = 'fluss-keyed-state-native';
const MAGIC = Buffer.from('FLUSSKN2', 'latin1');
/** Magic of version 1 files (no deletions), still read. */
const MAGIC_V1 = Buffer.from('FLUSSKN1', 'latin1');
/** Bytes collected before one write is issued. */
const WRITE_CHUNK = 1024 * 1024;
/**
 * Records fetched from the LevelDB iterator per call (one hop to LevelDB's thread each, and one
 * turn of the task's event loop; encoding them pauses the task for a few milliseconds).
 */
const ITERATOR_BATCH = 16_384;
/** Captured cache entries serialised per turn of the event loop (a few milliseconds). */
const UNWRITTEN_SLICE = 8192;
/** Bytes read per read call on restore. */
const READ_CHUNK = 4 * 1024 * 1024;
/** Bytes of records decoded (and handed to the backend) at a time on restore. */
const DECODE_WINDOW = 32 * 1024;

/** The header of a native keyed state file. */
export interface NativeKeyedStateHeader {
  format: typeof NATIVE_KEYED_STATE_FORMAT;
  version: 1 | 2;
  backend: 'leveldb';
  keyGroupRange: KeyGroupRange;
  /** Database-local state id → state name. */
  states: [number, string][];
}

/** A verified native file to restore from. */
export interface NativeKeyedStateFileRef {
  /** The checkpoint restored (errors name it). */
  checkpointDir: string;
  /** Directory the handle's path is relative to (incremental chains: the shared one); default `checkpointDir`. */
  fileDir?: string;
  handle: StateFileHandle;
  header: NativeKeyedStateHeader;
  /**
   * The file's checksum was checked already (a task-local copy, checked before the restore chose
   * it): loading it checks the size only, so the restore hashes the file once.
   */
  checksumVerified?: true;
}

/**
 * Writes the records of `snapshot` to `dir/name`: waits for its iterator, then alternates one
 * iterator batch (read by LevelDB's thread while the previous one is encoded) with chunked
 * writes, so the task's event loop is only ever busy for one batch; the cache's unwritten
 * changes, encoded at the snapshot point, follow. Closes the iterator.
 */
export async function writeNativeKeyedStateFile(dir: string, name: string, snapshot: LevelDbNativeSnapshot): Promise<StateFileHandle> {
  let it: RecordIterator | undefined;
  let out: StateFileWriter | undefined;
  let pending: Promise<RawRecord[]> | undefined;
  try {
    const records = (it = await snapshot.iterator);
    const file = (out = await StateFileWriter.open(dir, name));
    const header: NativeKeyedStateHeader = {
      format: NATIVE_KEYED_STATE_FORMAT,
      version: 2,
      backend: 'leveldb',
      keyGroupRange: snapshot.keyGroupRange,
      states: snapshot.states,
    };
    const json = Buffer.from(JSON.stringify(header), 'utf8');
    const head = Buffer.allocUnsafe(12 + json.length);
    MAGIC.copy(head, 0);
    head.writeUInt32BE(json.length, 8);
    json.copy(head, 12);
    await file.write([head]);
    const next = (): Promise<RawRecord[]> => {
      const p = records.nextv(ITERATOR_BATCH);
      // Observed at once: it may fail (database closed) while a chunk is being written.
      p.catch(() => undefined);
      return p;
    };
    const encoder = new NativeRecordEncoder(WRITE_CHUNK);
    pending = next();
    for (;;) {
      const batch = await pending;
      pending = undefined;
      if (batch.length === 0) break;
      pending = next();
      for (let i = 0; i < batch.length; i++) {
        const [k, v] = batch[i]!;
        if (v === undefined) encoder.delete(k, k.length);
        else encoder.put(k, k.length, v);
      }
      await file.write(encoder.takeChunks());
    }
    await file.write(encoder.finish());
    // Captured entries the task did not touch since the barrier are serialised here, a slice
    // per turn of the event loop.
    const unwritten = snapshot.unwritten;
    while (!unwritten.drained) {
      await file.write(unwritten.drain(UNWRITTEN_SLICE));
      await new Promise<void>((resolve) => setImmediate(resolve));
    }
    await file.write(unwritten.finish());
    return await file.finish();
  } finally {
    // Complete or failed: nothing captured stays owed to this snapshot.
    snapshot.unwritten.discard();
    await pending?.catch(() => undefined);
    await it?.close();
    await out?.close();
  }
}

/** True when the file of `handle` starts with the native magic (for handles without `format`). */
export async function isNativeKeyedStateFile(checkpointDir: string, handle: StateFileHandle): Promise<boolean> {
  const file = await open(join(checkpointDir, handle.path), 'r').catch(() => undefined);
  if (!file) return false;
  try {
    const head = Buffer.alloc(MAGIC.length);
    const { bytesRead } = await file.read(head, 0, head.length, 0);
    return bytesRead === MAGIC.length && (head.equals(MAGIC) || head.equals(MAGIC_V1));
  } finally {
    await file.close();
  }
}

/** Parses the header at the start of `buf`; undefined while `buf` is too short to hold it. */
function parseHeader(buf: Buffer, checkpointDir: string, handle: StateFileHandle): { header: NativeKeyedStateHeader; end: number } | undefined {
  if (buf.length < 12) return undefined;
  const magic = buf.subarray(0, 8);
  const version = magic.equals(MAGIC) ? 2 : magic.equals(MAGIC_V1) ? 1 : 0;
  if (version === 0) throw damagedStateFile(checkpointDir, handle, `is not a ${NATIVE_KEYED_STATE_FORMAT} file`);
  const n = buf.readUInt32BE(8);
  if (buf.length < 12 + n) return undefined;
  let header: NativeKeyedStateHeader;
  try {
    header = JSON.parse(buf.toString('utf8', 12, 12 + n)) as NativeKeyedStateHeader;
  } catch (cause) {
    throw damagedStateFile(checkpointDir, handle, 'has an unreadable header', cause);
  }
  if (header?.format !== NATIVE_KEYED_STATE_FORMAT || header.version !== version || !Array.isArray(header.states)) {
    throw damagedStateFile(checkpointDir, handle, `is not a ${NATIVE_KEYED_STATE_FORMAT} file (version ${version})`);
  }
  return { header, end: 12 + n };
}

/** Streams the file's bytes in large chunks, checking size and (unless `verified`) checksum at the end. */
async function* chunksOf(checkpointDir: string, handle: StateFileHandle, fileDir = checkpointDir, verified = false): AsyncIterable<Buffer> {
  let file: FileHandle;
  try {
    file = await open(join(fileDir, handle.path), 'r');
  } catch (cause) {
    throw damagedStateFile(checkpointDir, handle, `cannot be read: ${(cause as Error).message}`, cause);
  }
  const hash = createHash('sha256');
  let size = 0;
  try {
    for (;;) {
      const buf = Buffer.allocUnsafe(READ_CHUNK);
      const { bytesRead } = await file.read(buf, 0, READ_CHUNK, null);
      if (bytesRead === 0) break;
      const chunk = buf.subarray(0, bytesRead);
      if (!verified) hash.update(chunk);
      size += bytesRead;
      yield chunk;
    }
  } finally {
    await file.close();
  }
  const checksum = verified ? handle.checksum : hash.digest('hex');
  if (size !== handle.size || checksum !== handle.checksum) throw checksumMismatch(checkpointDir, handle, size, checksum);
}

/**
 * Opens a native file for restore: checks its size and reads its header. The checksum is checked
 * by the pass that reads the records ({@link readNativeKeyedStateRecords}), so a restore reads
 * the file once; the JobManager checked every file's checksum before it deployed the restore.
 * With `checksumVerified` (a task-local copy checked before the restore chose it) that pass
 * checks the size only.
 */
export async function openNativeKeyedStateFile(
  checkpointDir: string,
  handle: StateFileHandle,
  fileDir = checkpointDir,
  checksumVerified = false,
): Promise<NativeKeyedStateFileRef> {
  let file: FileHandle;
  try {
    file = await open(join(fileDir, handle.path), 'r');
  } catch (cause) {
    throw damagedStateFile(checkpointDir, handle, `cannot be read: ${(cause as Error).message}`, cause);
  }
  try {
    const { size } = await file.stat();
    if (size !== handle.size) throw damagedStateFile(checkpointDir, handle, `has ${size} bytes, expected ${handle.size}`);
    let head = Buffer.alloc(0);
    for (;;) {
      const parsed = parseHeader(head, checkpointDir, handle);
      if (parsed) {
        return { checkpointDir, ...(fileDir !== checkpointDir ? { fileDir } : {}), handle, header: parsed.header, ...(checksumVerified ? { checksumVerified } : {}) };
      }
      const buf = Buffer.allocUnsafe(64 * 1024);
      const { bytesRead } = await file.read(buf, 0, buf.length, head.length);
      if (bytesRead === 0) throw damagedStateFile(checkpointDir, handle, 'ends inside its header');
      head = Buffer.concat([head, buf.subarray(0, bytesRead)]);
    }
  } finally {
    await file.close();
  }
}

/**
 * The records of a native file in batches (views into the read buffers, which the consumer may
 * change in place); with `keyGroups`, only those of its key groups (the others are stepped over
 * undecoded). The size and checksum are checked once the last chunk is read, and a record cut
 * off by the end of the file refuses it as damaged.
 */
export async function* readNativeKeyedStateRecords(ref: NativeKeyedStateFileRef, keyGroups?: KeyGroupRange): AsyncIterable<RawRecord[]> {
  const { checkpointDir, handle } = ref;
  let rest: Buffer | undefined;
  let headerDone = false;
  const slices = new EventLoopSlices();
  for await (const chunk of chunksOf(checkpointDir, handle, ref.fileDir, ref.checksumVerified === true)) {
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
    // A window at a time: one turn of the event loop never decodes (and the consumer never
    // loads) a whole chunk's records, and a used-up time slice lets timers and I/O run.
    const n = buf.length;
    while (pos < n) {
      const windowEnd = Math.min(n, pos + DECODE_WINDOW);
      let decoded = decodeNativeRecordBytes(windowEnd < n ? buf.subarray(0, windowEnd) : buf, pos, ref.header.version >= 2, keyGroups);
      // A record larger than the window: decoded from the whole chunk.
      if (decoded.end === pos && windowEnd < n) decoded = decodeNativeRecordBytes(buf, pos, ref.header.version >= 2, keyGroups);
      if (decoded.end === pos) break;
      pos = decoded.end;
      if (decoded.records.length > 0) yield decoded.records;
      await slices.maybeNext();
    }
    rest = pos < n ? buf.subarray(pos) : undefined;
  }
  if (!headerDone) throw damagedStateFile(checkpointDir, handle, 'ends inside its header');
  if (rest && rest.length > 0) throw damagedStateFile(checkpointDir, handle, 'ends inside a record');
}

/**
 * Loads verified native files into `backend` (before processing starts): raw records into a
 * LevelDB backend, decoded entries into any other backend. Records outside the backend's key
 * groups are skipped.
 */
export async function restoreNativeKeyedState(backend: KeyedStateBackend, refs: readonly NativeKeyedStateFileRef[]): Promise<void> {
  for (const ref of refs) {
    const records = readNativeKeyedStateRecords(ref, backend.keyGroupRange);
    if (backend instanceof LevelDbKeyedStateBackend) await backend.restoreNative(records, ref.header.states);
    else await backend.restore(decodeNativeRecords(records, ref.header.states, backend.keyGroupRange));
  }
}
