/**
 * The channel state of one subtask in an unaligned checkpoint (Flink's ChannelStateWriter
 * output): the records its input channels received before their barriers but had not processed
 * at the snapshot, and the records its output subpartitions still held when the barrier
 * overtook them. `<operatorId>-<subtask>-channel`, a msgpack stream like the other state files:
 * the header `{ format: 'fluss-channel-state', version: 1 }`, then one
 * `{ in: channel, values, timestamps }` per input batch (channel: the index over all channels of
 * all gates of the subtask, in input order) and one `{ out: [output, subpartition], values,
 * timestamps }` per output batch, each in the order it was received or queued. Values are
 * encoded like state values (msgpackr).
 */
import type { RecordBatch } from '../common/stream-element.js';
import type { StateFileHandle } from './checkpoint-types.js';
import { damagedStateFile, readVerified, writeStream } from './state-files.js';

/** Header `format` of channel state files. */
export const CHANNEL_STATE_FORMAT = 'fluss-channel-state';

/** Batches of one input channel. */
export interface InputChannelState {
  /** Index over all channels of all input gates of the subtask. */
  channel: number;
  batches: RecordBatch[];
}

/** Batches of one output subpartition. */
export interface ResultSubpartitionState {
  /** Index of the output (the vertex's outputs, in order). */
  output: number;
  subpartition: number;
  batches: RecordBatch[];
}

/** The in-flight records of one subtask's unaligned checkpoint. */
export interface ChannelStateContent {
  inputs: InputChannelState[];
  outputs: ResultSubpartitionState[];
}

/** File name of a subtask's channel state (named after its head operator). */
export function channelStateFileName(operatorId: string, subtaskIndex: number): string {
  return `${operatorId}-${subtaskIndex}-channel`;
}

/** Number of records in `content`. */
export function channelStateRecords(content: ChannelStateContent): number {
  let n = 0;
  for (const s of content.inputs) for (const b of s.batches) n += b.values.length;
  for (const s of content.outputs) for (const b of s.batches) n += b.values.length;
  return n;
}

/** Writes `content` into `dir/name`. */
export function writeChannelStateFile(dir: string, name: string, content: ChannelStateContent): Promise<StateFileHandle> {
  function* records(): Iterable<unknown> {
    yield { format: CHANNEL_STATE_FORMAT, version: 1 };
    for (const s of content.inputs) for (const b of s.batches) yield { in: s.channel, values: b.values, timestamps: b.timestamps };
    for (const s of content.outputs) for (const b of s.batches) yield { out: [s.output, s.subpartition], values: b.values, timestamps: b.timestamps };
  }
  return writeStream(dir, name, records());
}

/** Reads a channel state file, verifying its checksum; batches of a channel keep their order. */
export async function readChannelStateFile(checkpointDir: string, handle: StateFileHandle): Promise<ChannelStateContent> {
  const values = await readVerified(checkpointDir, handle, CHANNEL_STATE_FORMAT);
  const inputs = new Map<number, InputChannelState>();
  const outputs = new Map<string, ResultSubpartitionState>();
  for (let i = 1; i < values.length; i++) {
    const r = values[i] as { in?: number; out?: [number, number]; values?: unknown[]; timestamps?: number[] | null };
    if (!Array.isArray(r.values)) throw damagedStateFile(checkpointDir, handle, `holds a malformed batch (record ${i})`);
    const batch: RecordBatch = { kind: 'records', values: r.values, timestamps: r.timestamps ?? null };
    if (typeof r.in === 'number') {
      let s = inputs.get(r.in);
      if (!s) inputs.set(r.in, (s = { channel: r.in, batches: [] }));
      s.batches.push(batch);
    } else if (Array.isArray(r.out)) {
      const key = `${r.out[0]}:${r.out[1]}`;
      let s = outputs.get(key);
      if (!s) outputs.set(key, (s = { output: r.out[0], subpartition: r.out[1], batches: [] }));
      s.batches.push(batch);
    } else {
      throw damagedStateFile(checkpointDir, handle, `holds a batch of no channel (record ${i})`);
    }
  }
  return { inputs: [...inputs.values()], outputs: [...outputs.values()] };
}
