import { describe, expect, it } from 'vitest';
import { loadFlussProto } from '../../src/core/proto.js';
import { FrameCodec } from '../../src/network/frame-codec.js';
import {
  decodeConsumerMessage,
  decodeProducerMessage,
  encodeConsumerMessage,
  encodeProducerMessage,
} from '../../src/network/data-exchange-protocol.js';
import { parseErrorFrame, formatErrorFrame, PartitionNotFoundError, ProducerFailedError } from '../../src/network/network-errors.js';
import { END_OF_PARTITION, MAX_WATERMARK, NO_TIMESTAMP, type ChannelItem } from '../../src/common/stream-element.js';

describe('FrameCodec', () => {
  it('round-trips batches and every event kind, across codec instances', () => {
    const a = new FrameCodec();
    const b = new FrameCodec();
    const items: ChannelItem[] = [
      { kind: 'records', values: [['hello', 1], { user: 'x', n: 2.5, nested: { deep: [1, 2] } }, null, 'plain'], timestamps: null },
      { kind: 'records', values: [{ user: 'x', n: 1 }, { user: 'y', n: 2 }], timestamps: [NO_TIMESTAMP, 1_700_000_000_123] },
      { kind: 'watermark', timestamp: MAX_WATERMARK },
      { kind: 'watermarkStatus', idle: true },
      { kind: 'barrier', checkpointId: 7, timestamp: 12345, savepoint: true, aligned: false },
      { kind: 'cancelCheckpoint', checkpointId: 7 },
      END_OF_PARTITION,
    ];
    const frames = items.map((i) => a.encode(i));
    // Decoding out of order proves that frames do not depend on each other.
    for (let i = frames.length - 1; i >= 0; i--) expect(b.decode(frames[i]!)).toEqual(items[i]);
  });

  it('encodes batches with many distinct object shapes', () => {
    const a = new FrameCodec();
    const b = new FrameCodec();
    const values = Array.from({ length: 300 }, (_, i) => ({ [`k${i}`]: i, common: 'x', [`z${i % 50}`]: { a: i } }));
    for (let round = 0; round < 3; round++) {
      expect(b.decode(a.encode({ kind: 'records', values, timestamps: null }))).toEqual({ kind: 'records', values, timestamps: null });
    }
  });

  it('keeps -Infinity timestamps and large integers exact', () => {
    const codec = new FrameCodec();
    const out = codec.decode(codec.encode({ kind: 'records', values: [Number.MAX_SAFE_INTEGER], timestamps: [NO_TIMESTAMP] }));
    expect(out).toEqual({ kind: 'records', values: [Number.MAX_SAFE_INTEGER], timestamps: [Number.NEGATIVE_INFINITY] });
  });

  it('keeps Sets, Maps, Dates, RegExps and typed arrays as their types', () => {
    const codec = new FrameCodec();
    const value = { s: new Set([1, 2]), m: new Map([['a', 1]]), d: new Date(5), r: /x+/g, u: new Uint8Array([1, 2]), f: new Float64Array([1.5]) };
    const out = codec.decode(codec.encode({ kind: 'records', values: [value], timestamps: null }));
    const back = (out as unknown as { values: [typeof value] }).values[0];
    expect(back.s).toBeInstanceOf(Set);
    expect([...back.s]).toEqual([1, 2]);
    expect(back.m).toBeInstanceOf(Map);
    expect(back.d).toBeInstanceOf(Date);
    expect(back.r).toBeInstanceOf(RegExp);
    expect(String(back.r)).toBe('/x+/g');
    expect(back.u).toBeInstanceOf(Uint8Array);
    expect(back.f).toBeInstanceOf(Float64Array);
    expect([...back.f]).toEqual([1.5]);
  });

  it('rejects frames that are not channel items', () => {
    const codec = new FrameCodec();
    expect(() => codec.decode(codec.encode({ hello: 1 } as unknown as ChannelItem))).toThrow(/no channel item/);
    const whole = codec.encode({ kind: 'records', values: ['a long enough string value'], timestamps: null });
    expect(() => codec.decode(whole.subarray(0, whole.length - 5))).toThrow(/undecodable/);
  });
});

describe('DataExchange wire codec', () => {
  const method = loadFlussProto().DataExchange.service['Subscribe']!;

  it('writes ConsumerMessages that protobufjs reads, and reads the ones it writes', () => {
    const subscribe = { subscribe: { partitionId: 'job/edge/3/0', subpartition: 2, initialCredit: 4 } };
    const decoded = method.requestDeserialize(encodeConsumerMessage(subscribe)) as Record<string, unknown>;
    expect(decoded['subscribe']).toEqual(subscribe.subscribe);
    expect(decoded['message']).toBe('subscribe');
    const credit = method.requestDeserialize(encodeConsumerMessage({ credit: 300 })) as Record<string, unknown>;
    expect(credit['credit']).toBe(300);
    expect(credit['message']).toBe('credit');

    expect(decodeConsumerMessage(method.requestSerialize(subscribe))).toEqual(subscribe);
    expect(decodeConsumerMessage(method.requestSerialize({ credit: 123456 }))).toEqual({ credit: 123456 });
    expect(decodeConsumerMessage(method.requestSerialize({ credit: -5 }))).toEqual({ credit: -5 });
    expect(decodeConsumerMessage(encodeConsumerMessage({ credit: -5 }))).toEqual({ credit: -5 });
  });

  it('writes ProducerMessages that protobufjs reads, and reads the ones it writes', () => {
    const frame = Buffer.alloc(40_000, 7);
    const viaProto = method.responseDeserialize(encodeProducerMessage({ frame })) as Record<string, unknown>;
    expect(Buffer.compare(viaProto['frame'] as Buffer, frame)).toBe(0);
    const err = method.responseDeserialize(encodeProducerMessage({ error: 'NOT_FOUND: gone ✓' })) as Record<string, unknown>;
    expect(err['error']).toBe('NOT_FOUND: gone ✓');

    const back = decodeProducerMessage(method.responseSerialize({ frame }));
    expect(Buffer.compare(Buffer.from(back.frame!), frame)).toBe(0);
    expect(decodeProducerMessage(method.responseSerialize({ error: 'boom' }))).toEqual({ error: 'boom' });
  });

  it('maps error frames back to typed errors naming the producer', () => {
    const nf = parseErrorFrame(formatErrorFrame(new PartitionNotFoundError('partition p not registered')), 'channel 0 of tm-a');
    expect(nf).toBeInstanceOf(PartitionNotFoundError);
    expect(nf.message).toBe('channel 0 of tm-a: partition p not registered');
    const failed = parseErrorFrame(formatErrorFrame(new Error('user function exploded')), 'channel 1 of tm-b');
    expect(failed).toBeInstanceOf(ProducerFailedError);
    expect(failed.message).toBe('channel 1 of tm-b failed: user function exploded');
  });
});
