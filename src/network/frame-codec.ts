/**
 * Encoding of channel items for remote channels: msgpack with msgpackr's record extension.
 * Each frame is self-describing (record structures are defined inside the frame that uses
 * them, no structures are shared across frames), so frames decode independently of one
 * another and of the encoder's history: one codec instance can serve every stream. Batches of
 * repeated object shapes still pay for a shape's keys only once per frame.
 */
import { Packr, Unpackr } from 'msgpackr';
import type { ChannelItem } from '../common/stream-element.js';
import { InvalidArgumentError } from '../core/errors.js';
import { MAX_NESTING_DEPTH, nestedTooDeeply } from '../core/nesting-depth.js';
import { UnregisteredTypeError, type TypeRegistry } from '../core/type-registry.js';
import { decodeWithTypes, STRICT_TYPES } from '../core/typed-value-extension.js';
import { UnserializableRecordError, unserializableItem } from './record-serialization.js';

const KINDS = new Set(['records', 'watermark', 'watermarkStatus', 'barrier', 'cancelCheckpoint', 'endOfPartition']);

/** Encodes and decodes {@link ChannelItem}s to and from frames. */
export class FrameCodec {
  // BigInts of any size arrive as BigInts (past 64 bits through msgpackr's BigInt extension);
  // a function refuses to encode instead of silently arriving as undefined; Sets, RegExps and
  // typed arrays keep their type (moreTypes), as they do in state.
  private readonly packr = new Packr({ useRecords: true, useBigIntExtension: true, moreTypes: true, writeFunction: refuseFunction });
  private readonly unpackr = new Unpackr({ useRecords: true, moreTypes: true });

  constructor() {
    // Instances of registered classes travel by name; others are refused (core/typed-value-extension.ts).
    (this.packr as unknown as Record<symbol, string>)[STRICT_TYPES] = 'records';
  }

  /**
   * Encodes one item; the returned buffer is owned by the caller. Throws an
   * {@link UnserializableRecordError} naming the problem (circular, function, symbol, nested
   * {@link MAX_NESTING_DEPTH} levels or deeper).
   */
  encode(item: ChannelItem): Buffer {
    let frame: Buffer;
    try {
      frame = this.packr.pack(item);
    } catch (err) {
      throw unserializableItem(item, err);
    }
    // msgpackr recursing into a deep record overflows the stack or not depending on how large
    // the JIT made its frames; the depth bound makes the refusal depend on the record alone.
    // Each level takes at least one byte, so a frame shorter than the bound needs no check.
    if (item.kind === 'records' && frame.length > MAX_NESTING_DEPTH) {
      const values = item.values;
      for (let i = 0; i < values.length; i++) {
        if (nestedTooDeeply(values[i])) throw unserializableItem(item, new UnserializableRecordError(`a record nests ${MAX_NESTING_DEPTH} levels deep or more`));
      }
    }
    return frame;
  }

  /**
   * Decodes one frame produced by {@link encode} (on any FrameCodec); instances of named
   * classes resolve in `types` (the job's registered classes), and a name it lacks fails.
   */
  decode(frame: Uint8Array, types?: TypeRegistry): ChannelItem {
    let item: unknown;
    try {
      item = decodeWithTypes(types, true, () => this.unpackr.unpack(frame));
    } catch (err) {
      if (err instanceof UnregisteredTypeError) throw err;
      throw new InvalidArgumentError(`undecodable data frame of ${frame.length} bytes`, { cause: err });
    }
    const kind = (item as { kind?: unknown } | null)?.kind;
    if (typeof kind !== 'string' || !KINDS.has(kind)) {
      throw new InvalidArgumentError(`data frame holds no channel item (kind ${String(kind)})`);
    }
    return item as ChannelItem;
  }
}

function refuseFunction(): never {
  throw new UnserializableRecordError('a function cannot be serialised');
}
