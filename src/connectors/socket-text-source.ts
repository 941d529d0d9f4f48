/**
 * An unbounded source reading delimited text from a TCP socket (`socketTextStream`), as
 * Flink's SocketTextStreamFunction. Parallelism 1. Lines are queued in a bounded buffer; when
 * it is full the socket is paused, so TCP flow control pushes back on the sender. The source
 * ends when the peer closes the connection.
 *
 * Lines can be decoded on the way in (`new SocketTextSource(host, port, '\n', { decode })`); a
 * line whose decoder throws is a poison record, handled by the source's policy (see
 * poison-records.ts): fail naming the source and the line, or skip and count it.
 */
import { Socket, connect } from 'node:net';
import { InvalidArgumentError, UnavailableError } from '../core/errors.js';
import { checkPoisonPolicy, PoisonRecordHandler, previewRecord, type PoisonRecordPolicy } from './poison-records.js';
import type { InputStatus, ReaderOutput, Source, SourceReader, SourceReaderContext } from '../common/source.js';

/** Decoding of the lines of a {@link SocketTextSource}. */
export interface SocketLineFormat<T> {
  /** Decodes one line; a throw makes the line a poison record. */
  decode?: (line: string) => T;
  /** What to do with lines `decode` rejects; default `pipeline.poison-records.policy`. */
  poisonPolicy?: PoisonRecordPolicy;
}

/** Lines buffered before the socket is paused. */
const MAX_BUFFERED_LINES = 8192;

/** Reads lines from `host:port` (decoded by `format.decode` when given). */
export class SocketTextSource<T = string> implements Source<T> {
  readonly boundedness = 'CONTINUOUS_UNBOUNDED' as const;
  readonly defaultName = 'Socket Stream';
  readonly maxParallelism = 1;
  /** Undefined: the cluster's `pipeline.poison-records.policy`. */
  readonly poisonPolicy: PoisonRecordPolicy | undefined;
  private readonly decode: ((line: string) => T) | undefined;

  constructor(
    readonly host: string,
    readonly port: number,
    readonly delimiter: string = '\n',
    format: SocketLineFormat<T> = {},
  ) {
    if (!delimiter) throw new InvalidArgumentError('socketTextStream delimiter must not be empty');
    if (format.decode !== undefined && typeof format.decode !== 'function') throw new InvalidArgumentError('SocketTextSource: format.decode must be a function');
    this.decode = format.decode;
    this.poisonPolicy = format.poisonPolicy === undefined ? undefined : checkPoisonPolicy(format.poisonPolicy);
  }

  /** The same source with poison-record policy `policy` (`'fail'` or `'skip'`). */
  withPoisonPolicy(policy: PoisonRecordPolicy): SocketTextSource<T> {
    return new SocketTextSource<T>(this.host, this.port, this.delimiter, { decode: this.decode, poisonPolicy: checkPoisonPolicy(policy) });
  }

  createReader(ctx: SourceReaderContext): SourceReader<T> {
    const poison = new PoisonRecordHandler(ctx.sourceName, this.poisonPolicy);
    return new SocketTextReader(this.host, this.port, this.delimiter, ctx.sourceName, this.decode, poison) as unknown as SourceReader<T>;
  }
}

/** Reads one socket connection. */
class SocketTextReader implements SourceReader<string> {
  private socket: Socket | undefined;
  private readonly lines: string[] = [];
  private head = 0;
  private partial = '';
  private ended = false;
  private error: Error | undefined;
  private paused = false;
  private wakeUp: (() => void) | undefined;

  constructor(
    private readonly host: string,
    private readonly port: number,
    private readonly delimiter: string,
    private readonly sourceName: string,
    private readonly decode: ((line: string) => unknown) | undefined,
    private readonly poison: PoisonRecordHandler,
  ) {}

  start(): Promise<void> {
    return new Promise((resolve, reject) => {
      const socket = connect({ host: this.host, port: this.port });
      socket.setEncoding('utf8');
      const onConnectError = (err: Error) =>
        reject(new UnavailableError(`${this.sourceName}: cannot connect to ${this.host}:${this.port}: ${err.message}`, { cause: err }));
      socket.once('error', onConnectError);
      socket.once('connect', () => {
        socket.off('error', onConnectError);
        socket.on('error', (err) => {
          this.error = new UnavailableError(`${this.sourceName}: socket ${this.host}:${this.port} failed: ${err.message}`, { cause: err });
          this.signal();
        });
        resolve();
      });
      socket.on('data', (chunk: string) => this.onData(chunk));
      socket.on('end', () => {
        if (this.partial) this.lines.push(this.partial);
        this.partial = '';
        this.ended = true;
        this.signal();
      });
      socket.on('close', () => {
        this.ended = true;
        this.signal();
      });
      this.socket = socket;
    });
  }

  private onData(chunk: string): void {
    const parts = (this.partial + chunk).split(this.delimiter);
    this.partial = parts.pop() ?? '';
    for (const line of parts) this.lines.push(stripCarriageReturn(line, this.delimiter));
    if (this.lines.length - this.head >= MAX_BUFFERED_LINES && !this.paused) {
      this.paused = true;
      this.socket?.pause();
    }
    this.signal();
  }

  private signal(): void {
    const wake = this.wakeUp;
    this.wakeUp = undefined;
    wake?.();
  }

  pollNext(output: ReaderOutput<unknown>, maxRecords: number): InputStatus {
    if (this.error) throw this.error;
    const end = Math.min(this.lines.length, this.head + maxRecords);
    const decode = this.decode;
    if (decode === undefined) {
      while (this.head < end) output.collect(this.lines[this.head++]!);
    } else {
      while (this.head < end) {
        const line = this.lines[this.head++]!;
        let value: unknown;
        try {
          value = decode(line);
        } catch (err) {
          this.poison.onPoison(err, `line ${previewRecord(line)} from ${this.host}:${this.port}`);
          continue;
        }
        output.collect(value);
      }
    }
    if (this.head === this.lines.length) {
      this.lines.length = 0;
      this.head = 0;
      if (this.paused) {
        this.paused = false;
        this.socket?.resume();
      }
      return this.ended ? 'END_OF_INPUT' : 'NOTHING_AVAILABLE';
    }
    return 'MORE_AVAILABLE';
  }

  isAvailable(): Promise<void> {
    if (this.head < this.lines.length || this.ended || this.error) return Promise.resolve();
    return new Promise((resolve) => {
      this.wakeUp = resolve;
    });
  }

  /** A socket cannot be replayed; nothing to save. */
  snapshotState(): unknown {
    return null;
  }

  restoreState(): void {}

  close(): void {
    this.poison.flush();
    this.socket?.destroy();
    this.socket = undefined;
    this.signal();
  }
}

/** With a `\n` delimiter, Windows line ends leave a `\r`, which Flink also strips. */
function stripCarriageReturn(line: string, delimiter: string): string {
  return delimiter === '\n' && line.endsWith('\r') ? line.slice(0, -1) : line;
}
