/**
 * Decoding of the logical replication stream: the CopyData frames of the streaming
 * replication protocol (`w` XLogData, `k` primary keepalive) and the `pgoutput` messages they
 * carry (protocol version 1: Begin, Commit, Relation, Insert, Update, Delete, Truncate; Origin
 * and Type are read and skipped), as PostgreSQL's "Logical Replication Message Formats"
 * documents them. Column values arrive in text form and are parsed with `pg`'s type parsers,
 * as the snapshot's query results are, so snapshot and stream rows look alike.
 */
import { pgTextParser } from './postgres-connection.js';
import { InternalError } from '../../core/errors.js';

/** An LSN as a 64-bit number. */
export type Lsn = bigint;

/** `X/Y` spelling of an LSN. */
export function formatLsn(lsn: Lsn): string {
  return `${(lsn >> 32n).toString(16).toUpperCase()}/${(lsn & 0xffffffffn).toString(16).toUpperCase()}`;
}

/** Parses `X/Y`. */
export function parseLsn(text: string): Lsn {
  const m = /^([0-9A-Fa-f]{1,8})\/([0-9A-Fa-f]{1,8})$/.exec(text);
  if (!m) throw new InternalError(`not an LSN: ${JSON.stringify(text)}`);
  return (BigInt(`0x${m[1]}`) << 32n) | BigInt(`0x${m[2]}`);
}

/** A table as a Relation message describes it. */
export interface RelationInfo {
  id: number;
  schema: string;
  name: string;
  columns: { name: string; typeOid: number; key: boolean }[];
  parsers: ((text: string) => unknown)[];
}

/** One decoded replication message. */
export type ReplicationMessage =
  | { kind: 'begin'; finalLsn: Lsn; xid: number }
  | { kind: 'commit'; commitLsn: Lsn; endLsn: Lsn }
  | { kind: 'relation'; relation: RelationInfo }
  | { kind: 'insert'; relationId: number; row: Record<string, unknown> }
  | { kind: 'update'; relationId: number; old: Record<string, unknown> | undefined; row: Record<string, unknown> }
  | { kind: 'delete'; relationId: number; old: Record<string, unknown> }
  | { kind: 'truncate'; relationIds: number[] }
  | { kind: 'other' };

/** One CopyData frame of the replication stream. */
export type ReplicationFrame = { kind: 'xlog'; walStart: Lsn; walEnd: Lsn; body: Buffer } | { kind: 'keepalive'; walEnd: Lsn; replyRequested: boolean };

/** Splits a CopyData payload into its frame. */
export function decodeFrame(chunk: Buffer): ReplicationFrame | undefined {
  if (chunk[0] === 0x77 /* w */) {
    return { kind: 'xlog', walStart: chunk.readBigUInt64BE(1), walEnd: chunk.readBigUInt64BE(9), body: chunk.subarray(25) };
  }
  if (chunk[0] === 0x6b /* k */) return { kind: 'keepalive', walEnd: chunk.readBigUInt64BE(1), replyRequested: chunk[17] === 1 };
  return undefined;
}

/** The Standby Status Update telling the server what was received and what is durable downstream. */
export function standbyStatus(received: Lsn, flushed: Lsn, replyRequested = false): Buffer {
  const b = Buffer.alloc(34);
  b[0] = 0x72; // r
  b.writeBigUInt64BE(received, 1);
  b.writeBigUInt64BE(flushed, 9);
  b.writeBigUInt64BE(flushed, 17);
  // Microseconds since 2000-01-01.
  b.writeBigInt64BE(BigInt(Date.now() - 946_684_800_000) * 1000n, 25);
  b[33] = replyRequested ? 1 : 0;
  return b;
}

/** Decodes pgoutput messages, remembering the relations it was told about. */
export class PgOutputDecoder {
  private readonly relations = new Map<number, RelationInfo>();
  private buf: Buffer = Buffer.alloc(0);
  private pos = 0;

  relation(id: number): RelationInfo | undefined {
    return this.relations.get(id);
  }

  decode(body: Buffer): ReplicationMessage {
    this.buf = body;
    this.pos = 1;
    switch (body[0]) {
      case 0x42 /* B */: {
        const finalLsn = this.u64();
        this.pos += 8;
        return { kind: 'begin', finalLsn, xid: this.u32() };
      }
      case 0x43 /* C */: {
        this.pos += 1;
        const commitLsn = this.u64();
        return { kind: 'commit', commitLsn, endLsn: this.u64() };
      }
      case 0x52 /* R */: {
        const id = this.u32();
        const schema = this.str();
        const name = this.str();
        this.pos += 1; // replica identity setting
        const n = this.u16();
        const columns: RelationInfo['columns'] = [];
        for (let i = 0; i < n; i++) {
          const key = (this.buf[this.pos++]! & 1) === 1;
          const colName = this.str();
          const typeOid = this.u32();
          this.pos += 4;
          columns.push({ name: colName, typeOid, key });
        }
        const parsers = columns.map((c) => pgTextParser(c.typeOid));
        const relation = { id, schema, name, columns, parsers };
        this.relations.set(id, relation);
        return { kind: 'relation', relation };
      }
      case 0x49 /* I */: {
        const relationId = this.u32();
        this.pos += 1; // N
        return { kind: 'insert', relationId, row: this.tuple(relationId) };
      }
      case 0x55 /* U */: {
        const relationId = this.u32();
        let old: Record<string, unknown> | undefined;
        let tag = this.buf[this.pos++];
        if (tag === 0x4b /* K */ || tag === 0x4f /* O */) {
          old = this.tuple(relationId);
          tag = this.buf[this.pos++];
        }
        const row = this.tuple(relationId);
        // Unchanged TOASTed values are not sent: take them from the old row when it has them.
        for (const [k, v] of Object.entries(row)) {
          if (v !== UNCHANGED) continue;
          if (old && k in old && old[k] !== UNCHANGED) row[k] = old[k];
          else delete row[k];
        }
        return { kind: 'update', relationId, old, row };
      }
      case 0x44 /* D */: {
        const relationId = this.u32();
        this.pos += 1; // K or O
        return { kind: 'delete', relationId, old: this.tuple(relationId) };
      }
      case 0x54 /* T */: {
        const n = this.u32();
        this.pos += 1;
        const relationIds: number[] = [];
        for (let i = 0; i < n; i++) relationIds.push(this.u32());
        return { kind: 'truncate', relationIds };
      }
      default:
        return { kind: 'other' };
    }
  }

  private tuple(relationId: number): Record<string, unknown> {
    const rel = this.relations.get(relationId);
    if (!rel) throw new InternalError(`pgoutput: a row of relation ${relationId} arrived before its Relation message`);
    const n = this.u16();
    const row: Record<string, unknown> = {};
    for (let i = 0; i < n; i++) {
      const col = rel.columns[i]!;
      const kind = this.buf[this.pos++];
      if (kind === 0x6e /* n */) row[col.name] = null;
      else if (kind === 0x75 /* u */) row[col.name] = UNCHANGED;
      else {
        const len = this.u32();
        const text = this.buf.toString('utf8', this.pos, this.pos + len);
        this.pos += len;
        row[col.name] = rel.parsers[i]!(text);
      }
    }
    return row;
  }

  private u16(): number {
    const v = this.buf.readUInt16BE(this.pos);
    this.pos += 2;
    return v;
  }

  private u32(): number {
    const v = this.buf.readUInt32BE(this.pos);
    this.pos += 4;
    return v;
  }

  private u64(): bigint {
    const v = this.buf.readBigUInt64BE(this.pos);
    this.pos += 8;
    return v;
  }

  private str(): string {
    const end = this.buf.indexOf(0, this.pos);
    const s = this.buf.toString('utf8', this.pos, end);
    this.pos = end + 1;
    return s;
  }
}

/** A TOASTed value the server did not resend (the update left it unchanged). */
export const UNCHANGED: unique symbol = Symbol('unchanged toast value');
