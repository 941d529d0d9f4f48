/**
 * An unbounded source reading delimited text from a TCP socket (`socketTextStream`), as
 * Flink's SocketTextStreamFunction. Parallelism 1. Lines are queued in a bounded buffer; when
 * it is full the socket is paused, so TCP flow control pushes back on the sender. The source
 * ends when the peer closes the connection.
 */
import { Socket, connect } from 'node:net';
import { UnavailableError } from '../core/errors.js';
import type { InputStatus, ReaderOutput, Source, SourceReader, SourceReaderContext } from './source.js';

/** Lines buffered before the socket is paused. */
const MAX_BUFFERED_LINES = 8192;

/** Reads lines from `host:port`. */
export class SocketTextSource implements Source<string> {
  readonly boundedness = 'CONTINUOUS_UNBOUNDED' as const;
  readonly defaultName = 'Socket Stream';
  readonly maxParallelism = 1;

  constructor(readonly host: string, readonly port: number, readonly delimiter: string = '\n') {
    if (!delimiter) throw new RangeError('socketTextStream delimiter must not be empty');
  }

  createReader(ctx: SourceReaderContext): SourceReader<string> {
    return new SocketTextReader(this.host, this.port, this.delimiter, ctx.sourceName);
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

  pollNext(output: ReaderOutput<string>, maxRecords: number): InputStatus {
    if (this.error) throw this.error;
    const end = Math.min(this.lines.length, this.head + maxRecords);
    while (this.head < end) output.collect(this.lines[this.head++]!);
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
    this.socket?.destroy();
    this.socket = undefined;
    this.signal();
  }
}

/** With a `\n` delimiter, Windows line ends leave a `\r`, which Flink also strips. */
function stripCarriageReturn(line: string, delimiter: string): string {
  return delimiter === '\n' && line.endsWith('\r') ? line.slice(0, -1) : line;
}
