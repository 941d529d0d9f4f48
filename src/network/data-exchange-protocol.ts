/**
 * The `fluss.v1.DataExchange` service (proto/fluss.proto) with hand-written protobuf codecs for
 * its two messages. The wire format is exactly the proto's; skipping protobufjs keeps the hot
 * path to one copy of the frame per message and no reflection.
 */
import type * as grpc from '@grpc/grpc-js';
import { InternalError, InvalidArgumentError } from '../core/errors.js';
import { loadFlussProto } from '../core/proto.js';

/** `SubscribePartition`: the first message of a consumer's stream. */
export interface SubscribeRequest {
  partitionId: string;
  subpartition: number;
  initialCredit: number;
}

/** `ConsumerMessage`: exactly one of `subscribe` or `credit` is set. */
export interface ConsumerMessage {
  subscribe?: SubscribeRequest;
  credit?: number;
}

/** `ProducerMessage`: exactly one of `frame` or `error` is set. */
export interface ProducerMessage {
  frame?: Uint8Array;
  error?: string;
}

function varintSize(v: number): number {
  if (v < 0) return 10;
  let n = 1;
  while (v >= 0x80) {
    v = Math.floor(v / 128);
    n++;
  }
  return n;
}

function writeVarint(buf: Buffer, pos: number, v: number): number {
  if (v < 0) {
    // Negative int32: ten bytes of the 64-bit two's complement, as protobuf does.
    let big = BigInt.asUintN(64, BigInt(v));
    for (let i = 0; i < 9; i++) {
      buf[pos++] = Number(big & 0x7fn) | 0x80;
      big >>= 7n;
    }
    buf[pos++] = Number(big);
    return pos;
  }
  while (v >= 0x80) {
    buf[pos++] = (v & 0x7f) | 0x80;
    v = Math.floor(v / 128);
  }
  buf[pos++] = v;
  return pos;
}

/** A minimal protobuf reader over one buffer. */
class Reader {
  pos = 0;
  constructor(readonly buf: Uint8Array) {}

  varint(): number {
    let result = 0;
    let mul = 1;
    for (let i = 0; i < 10; i++) {
      if (this.pos >= this.buf.length) throw new InvalidArgumentError('truncated protobuf varint');
      const b = this.buf[this.pos++]!;
      if (i < 7) result += (b & 0x7f) * mul;
      mul *= 128;
      if (b < 0x80) return result;
    }
    throw new InvalidArgumentError('malformed protobuf varint');
  }

  /** An int32 field: negative values arrive as 64-bit two's complement. */
  int32(): number {
    return this.varint() | 0;
  }

  bytes(): Uint8Array {
    const len = this.varint();
    const end = this.pos + len;
    if (end > this.buf.length) throw new InvalidArgumentError('truncated protobuf field');
    const out = this.buf.subarray(this.pos, end);
    this.pos = end;
    return out;
  }

  skip(wireType: number): void {
    if (wireType === 0) this.varint();
    else if (wireType === 1) this.pos += 8;
    else if (wireType === 2) this.bytes();
    else if (wireType === 5) this.pos += 4;
    else throw new InvalidArgumentError(`unsupported protobuf wire type ${wireType}`);
  }
}

function asBuffer(bytes: Uint8Array): Buffer {
  return Buffer.isBuffer(bytes) ? bytes : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

/** Serialises a `ProducerMessage`. */
export function encodeProducerMessage(msg: ProducerMessage): Buffer {
  const payload = msg.frame !== undefined ? asBuffer(msg.frame) : Buffer.from(msg.error ?? '', 'utf8');
  const tag = msg.frame !== undefined ? 0x0a : 0x12;
  const out = Buffer.allocUnsafe(1 + varintSize(payload.length) + payload.length);
  out[0] = tag;
  const pos = writeVarint(out, 1, payload.length);
  payload.copy(out, pos);
  return out;
}

/** Parses a `ProducerMessage`; `frame` is a view into `buf`, not a copy. */
export function decodeProducerMessage(buf: Buffer): ProducerMessage {
  const r = new Reader(buf);
  const msg: ProducerMessage = {};
  while (r.pos < buf.length) {
    const key = r.varint();
    const field = Math.floor(key / 8);
    if (field === 1 && (key & 7) === 2) msg.frame = r.bytes();
    else if (field === 2 && (key & 7) === 2) msg.error = asBuffer(r.bytes()).toString('utf8');
    else r.skip(key & 7);
  }
  return msg;
}

/** Serialises a `ConsumerMessage`. */
export function encodeConsumerMessage(msg: ConsumerMessage): Buffer {
  if (msg.subscribe) {
    const s = msg.subscribe;
    const id = Buffer.from(s.partitionId, 'utf8');
    const innerLen = 1 + varintSize(id.length) + id.length + 1 + varintSize(s.subpartition) + 1 + varintSize(s.initialCredit);
    const out = Buffer.allocUnsafe(1 + varintSize(innerLen) + innerLen);
    out[0] = 0x0a;
    let pos = writeVarint(out, 1, innerLen);
    out[pos++] = 0x0a;
    pos = writeVarint(out, pos, id.length);
    pos += id.copy(out, pos);
    out[pos++] = 0x10;
    pos = writeVarint(out, pos, s.subpartition);
    out[pos++] = 0x18;
    writeVarint(out, pos, s.initialCredit);
    return out;
  }
  const credit = msg.credit ?? 0;
  const out = Buffer.allocUnsafe(1 + varintSize(credit));
  out[0] = 0x10;
  writeVarint(out, 1, credit);
  return out;
}

function decodeSubscribe(bytes: Uint8Array): SubscribeRequest {
  const r = new Reader(bytes);
  const s: SubscribeRequest = { partitionId: '', subpartition: 0, initialCredit: 0 };
  while (r.pos < bytes.length) {
    const key = r.varint();
    const field = Math.floor(key / 8);
    if (field === 1 && (key & 7) === 2) s.partitionId = asBuffer(r.bytes()).toString('utf8');
    else if (field === 2 && (key & 7) === 0) s.subpartition = r.int32();
    else if (field === 3 && (key & 7) === 0) s.initialCredit = r.int32();
    else r.skip(key & 7);
  }
  return s;
}

/** Parses a `ConsumerMessage`. */
export function decodeConsumerMessage(buf: Buffer): ConsumerMessage {
  const r = new Reader(buf);
  const msg: ConsumerMessage = {};
  while (r.pos < buf.length) {
    const key = r.varint();
    const field = Math.floor(key / 8);
    if (field === 1 && (key & 7) === 2) {
      msg.subscribe = decodeSubscribe(r.bytes());
      delete msg.credit;
    } else if (field === 2 && (key & 7) === 0) {
      msg.credit = r.int32();
      delete msg.subscribe;
    } else r.skip(key & 7);
  }
  return msg;
}

let definition: grpc.ServiceDefinition | undefined;

/**
 * The DataExchange service definition for `grpc.Server#addService` and generic clients, with
 * the method path taken from proto/fluss.proto and the codecs above.
 */
export function dataExchangeServiceDefinition(): grpc.ServiceDefinition {
  if (definition) return definition;
  const subscribe = loadFlussProto().DataExchange.service['Subscribe'];
  if (!subscribe) throw new InternalError('fluss.proto defines no DataExchange.Subscribe');
  definition = {
    Subscribe: {
      path: subscribe.path,
      requestStream: true,
      responseStream: true,
      originalName: 'subscribe',
      requestSerialize: encodeConsumerMessage,
      requestDeserialize: decodeConsumerMessage,
      responseSerialize: encodeProducerMessage,
      responseDeserialize: decodeProducerMessage,
    } as grpc.MethodDefinition<ConsumerMessage, ProducerMessage>,
  };
  return definition;
}
