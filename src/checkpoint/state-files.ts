/**
 * The files a task writes into a checkpoint directory, in the canonical, backend-independent
 * format (savepoints and checkpoints alike):
 *
 * - `<operatorId>-<subtask>-keyed`: a msgpack stream: the header
 *   `{ format: 'fluss-keyed-state', version: 1, keyGroupRange }`, then one array
 *   `[keyGroup, stateName, key, namespace, value]` per entry (timers are entries of the
 *   `_timers_*` states, their value the timestamp).
 * - `<operatorId>-<subtask>-op`: a msgpack stream: the header
 *   `{ format: 'fluss-operator-state', version: 1 }`, then one `{ name, mode, items }` per
 *   operator state (`mode` `split`, `union` or `broadcast`; broadcast items are `[key, value]`);
 *   a state of many items takes several records of the same name, whose items concatenate.
 *
 * Values are encoded as the LevelDB backend stores them (msgpackr, MapState maps kept as maps).
 * Each file's sha256 goes into its {@link StateFileHandle}; reading verifies it first, and a
 * mismatch refuses the checkpoint ("damaged checkpoint") instead of using part of it.
 */
import { createHash } from 'node:crypto';
import { open, readFile, type FileHandle } from 'node:fs/promises';
import { join } from 'node:path';
import { brandErrorClass, FailedPreconditionError } from '../core/errors.js';
import type { KeyGroupRange } from '../state/key-groups.js';
import { EventLoopSlices, ITEMS_PER_CLOCK_LOOK } from '../state/event-loop-slices.js';
import type { KeyedStateEntry } from '../state/keyed-state-backend.js';
import { entryBatches } from '../state/entry-batches.js';
import type { OperatorStateSnapshot } from '../state/operator-state-store.js';
import { stateValuePackr as packr, storedValue } from '../state/value-codec.js';
import type { StateFileHandle } from './checkpoint-types.js';

/** Header `format` of keyed state files. */
export const KEYED_STATE_FORMAT = 'fluss-keyed-state';
/** Header `format` of operator state files. */
export const OPERATOR_STATE_FORMAT = 'fluss-operator-state';

/** Bytes collected before one write is issued. */
const WRITE_CHUNK = 256 * 1024;
/** Items of an operator state per record of its file. */
const OPERATOR_STATE_ITEMS_PER_RECORD = 1024;
/** Decoded values between two looks at the clock on restore. */
const VALUES_PER_CLOCK_LOOK = 16;
/** Bytes hashed between two looks at the clock on restore. */
const HASH_SLICE = 1024 * 1024;

/** A damaged or unreadable checkpoint file: the checkpoint is refused. */
export class DamagedCheckpointError extends FailedPreconditionError {
  static {
    brandErrorClass(this, 'DamagedCheckpointError');
  }
}

/** "damaged checkpoint <dir>: state file <path> <what>". */
export function damagedStateFile(checkpointDir: string, handle: StateFileHandle, what: string, cause?: unknown): DamagedCheckpointError {
  return new DamagedCheckpointError(`damaged checkpoint ${checkpointDir}: state file ${handle.path} ${what}`, cause === undefined ? undefined : { cause });
}

/** The refusal of a state file whose size or sha256 differs from its handle's. */
export function checksumMismatch(checkpointDir: string, handle: StateFileHandle, size: number, checksum: string): DamagedCheckpointError {
  return damagedStateFile(
    checkpointDir,
    handle,
    `does not match its checksum (${size} bytes, sha256 ${checksum.slice(0, 12)}…; expected ${handle.size} bytes, ${handle.checksum.slice(0, 12)}…)`,
  );
}

/**
 * A state file being written into a checkpoint directory: chunks are hashed and counted on the
 * way, so {@link finish} returns the handle without reading the file again.
 */
export class StateFileWriter {
  private readonly hash = createHash('sha256');
  private size = 0;

  private constructor(
    private readonly name: string,
    private readonly file: FileHandle,
  ) {}

  /** Creates (or truncates) `dir/name`. */
  static async open(dir: string, name: string): Promise<StateFileWriter> {
    return new StateFileWriter(name, await open(join(dir, name), 'w'));
  }

  /** Appends `chunks` in order. */
  async write(chunks: readonly Buffer[]): Promise<void> {
    if (chunks.length === 0) return;
    for (const c of chunks) {
      this.hash.update(c);
      this.size += c.length;
    }
    await this.file.writev(chunks as Buffer[]);
  }

  /** Makes the file durable and returns its handle (path, size, sha256). */
  async finish(): Promise<StateFileHandle> {
    await this.file.sync();
    return { path: this.name, size: this.size, checksum: this.hash.digest('hex') };
  }

  /** Closes the file (after {@link finish}, or to abandon it). */
  close(): Promise<void> {
    return this.file.close();
  }
}

/** File name of an operator's keyed state in one subtask. */
export function keyedStateFileName(operatorId: string, subtaskIndex: number): string {
  return `${operatorId}-${subtaskIndex}-keyed`;
}

/** File name of an operator's operator state in one subtask. */
export function operatorStateFileName(operatorId: string, subtaskIndex: number): string {
  return `${operatorId}-${subtaskIndex}-op`;
}

/** Streams msgpack values into `dir/name`, hashing as it goes; resolves with the handle (also for channel state files). */
export async function writeStream(dir: string, name: string, values: AsyncIterable<unknown> | Iterable<unknown>): Promise<StateFileHandle> {
  async function* single(): AsyncIterable<unknown[]> {
    for await (const v of values) yield [v];
  }
  return writeValueBatches(dir, name, single());
}

/** As {@link writeStream}, values handed over in batches (one await per batch, not per value). */
async function writeValueBatches(dir: string, name: string, batches: AsyncIterable<readonly unknown[]>): Promise<StateFileHandle> {
  const out = await StateFileWriter.open(dir, name);
  try {
    let chunks: Buffer[] = [];
    let pending = 0;
    // Values are small: one write of their concatenation per chunk, not one buffer each.
    const flush = async (): Promise<void> => {
      if (pending === 0) return;
      await out.write([chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks, pending)]);
      chunks = [];
      pending = 0;
    };
    for await (const batch of batches) {
      for (let i = 0; i < batch.length; i++) {
        const bytes = packr.pack(batch[i]);
        chunks.push(bytes);
        pending += bytes.length;
      }
      if (pending >= WRITE_CHUNK) await flush();
    }
    await flush();
    return await out.finish();
  } finally {
    await out.close();
  }
}

/** Encodes one keyed entry (top-level Maps stay maps, like the LevelDB codec). */
function entryRecord(e: KeyedStateEntry): unknown[] {
  return [e.keyGroup, e.stateName, e.key, e.namespace, storedValue(e.value)];
}

/** Writes a keyed state file of `entries` (consumed asynchronously). */
export async function writeKeyedStateFile(
  dir: string,
  name: string,
  keyGroupRange: KeyGroupRange,
  entries: AsyncIterable<KeyedStateEntry>,
): Promise<StateFileHandle> {
  async function* records(): AsyncIterable<unknown[]> {
    yield [{ format: KEYED_STATE_FORMAT, version: 1, keyGroupRange }];
    for await (const batch of entryBatches(entries)) yield batch.map(entryRecord);
  }
  return writeValueBatches(dir, name, records());
}

/** Writes an operator state file. */
export async function writeOperatorStateFile(dir: string, name: string, snapshot: OperatorStateSnapshot): Promise<StateFileHandle> {
  const records: unknown[] = [{ format: OPERATOR_STATE_FORMAT, version: 1 }];
  // A large state goes in several records of the same name (their items concatenate on read),
  // so a restore decodes it in time slices rather than as one value.
  for (const [stateName, s] of Object.entries(snapshot)) {
    if (s.items.length <= OPERATOR_STATE_ITEMS_PER_RECORD) records.push({ name: stateName, mode: s.mode, items: s.items });
    else for (let i = 0; i < s.items.length; i += OPERATOR_STATE_ITEMS_PER_RECORD) records.push({ name: stateName, mode: s.mode, items: s.items.slice(i, i + OPERATOR_STATE_ITEMS_PER_RECORD) });
  }
  return writeStream(dir, name, records);
}

/** Reads `handle` below `checkpointDir`, verifying size and checksum; returns its values (header first). */
export async function readVerified(checkpointDir: string, handle: StateFileHandle, format: string): Promise<unknown[]> {
  let bytes: Buffer;
  try {
    bytes = await readFile(join(checkpointDir, handle.path));
  } catch (cause) {
    throw new DamagedCheckpointError(`damaged checkpoint ${checkpointDir}: cannot read state file ${handle.path}: ${(cause as Error).message}`, { cause });
  }
  // Hashed and decoded in time slices: a large file does not hold the event loop (heartbeats).
  const slices = new EventLoopSlices();
  const hash = createHash('sha256');
  for (let p = 0; p < bytes.length; p += HASH_SLICE) {
    hash.update(bytes.subarray(p, p + HASH_SLICE));
    await slices.maybeNext();
  }
  const checksum = hash.digest('hex');
  if (bytes.length !== handle.size || checksum !== handle.checksum) throw checksumMismatch(checkpointDir, handle, bytes.length, checksum);
  const values: unknown[] = [];
  try {
    let pos = 0;
    while (pos < bytes.length) {
      const from = pos;
      let stopped = -1;
      let n = 0;
      // Values decode on their own (no records), so decoding resumes at any value's start.
      packr.unpackMultiple(bytes.subarray(from), (value: unknown, _start?: number, end?: number) => {
        values.push(value);
        // Often: an operator state record holds many items.
        if (++n % VALUES_PER_CLOCK_LOOK !== 0 || !slices.due) return true;
        stopped = from + end!;
        return false;
      });
      if (stopped < 0) break;
      pos = stopped;
      await slices.next();
    }
  } catch (cause) {
    throw damagedStateFile(checkpointDir, handle, 'cannot be decoded', cause);
  }
  const header = values[0] as { format?: unknown; version?: unknown } | undefined;
  if (!header || header.format !== format || header.version !== 1) {
    throw damagedStateFile(checkpointDir, handle, `is not a ${format} file (version 1)`);
  }
  return values;
}

/** The entries of a keyed state file whose key group lies in `range`. */
export async function readKeyedStateFile(checkpointDir: string, handle: StateFileHandle, range: KeyGroupRange): Promise<KeyedStateEntry[]> {
  const values = await readVerified(checkpointDir, handle, KEYED_STATE_FORMAT);
  const out: KeyedStateEntry[] = [];
  const slices = new EventLoopSlices();
  for (let i = 1; i < values.length; i++) {
    if (i % ITEMS_PER_CLOCK_LOOK === 0) await slices.maybeNext();
    const [keyGroup, stateName, key, namespace, value] = values[i] as [number, string, unknown, string | number, unknown];
    if (keyGroup < range.start || keyGroup > range.end) continue;
    out.push({ keyGroup, stateName, key, namespace, value });
  }
  return out;
}

/** The states of an operator state file. */
export async function readOperatorStateFile(checkpointDir: string, handle: StateFileHandle): Promise<OperatorStateSnapshot> {
  const values = await readVerified(checkpointDir, handle, OPERATOR_STATE_FORMAT);
  const out: OperatorStateSnapshot = {};
  for (let i = 1; i < values.length; i++) {
    const s = values[i] as { name: string; mode: 'split' | 'union' | 'broadcast'; items: unknown[] };
    const known = out[s.name];
    if (!known) out[s.name] = { mode: s.mode, items: s.items };
    else for (const item of s.items) known.items.push(item);
  }
  return out;
}
