/**
 * The JobManager's HTTP server: the JSON REST API (see rest-handlers.ts), Prometheus metrics at
 * `/metrics`, and the web dashboard at `/`. Node's http module, no framework. Every answer is
 * JSON except `/metrics` and the dashboard files; errors are `{"errors": ["…"]}` with a 4xx/5xx
 * status, and no request can crash the daemon.
 *
 * Plain HTTP, bound to loopback unless `rest.bind-address` says otherwise. With
 * `security.auth.token` set, every write (any method but GET/HEAD) needs
 * `Authorization: Bearer <token>` and, since the token would otherwise cross the network in
 * clear, must come from a loopback peer (put a TLS-terminating proxy on the same host in front
 * of it); refused writes get 401 with one line. Reads stay open.
 *
 * Bodies are bounded: a request whose `Content-Length` is over the limit gets `413` at once,
 * before its body is read (a client that sent `Expect: 100-continue` never sends it), and a
 * chunked body gets it as soon as it crosses the limit. What the client still sends is read
 * and dropped, within bounds, so the answer reaches it instead of a connection reset.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { describeError, FlussError, UnavailableError } from '../../../core/errors.js';
import type { Logger } from '../../../core/logger.js';
import { closeHttp, listenHttp } from '../../http-listen.js';
import { bearerMatches, isLoopbackHost } from '../../../core/rpc/rpc-auth.js';
import { createRestRouter, type RestContext } from './rest-handlers.js';
import { errorBody, httpStatusOf, RestApiError } from './rest-errors.js';
import type { RestResponse, RestRouter } from './rest-router.js';
import { StaticFiles } from './static-files.js';

/** Largest request body accepted. */
export const MAX_BODY_BYTES = 1024 * 1024;
/** After a 413, the rest of a body is dropped up to this much, then the connection is cut. */
const MAX_DISCARDED_BYTES = 64 * MAX_BODY_BYTES;
/** …or until this long has passed. */
const DISCARD_TIMEOUT_MS = 30_000;

const bodyTooLarge = (): RestApiError => new RestApiError(413, `request body larger than ${MAX_BODY_BYTES} bytes`);

/** Security options of a {@link RestServer}. */
export interface RestSecurityOptions {
  /** When set, writes need `Authorization: Bearer <token>` from a loopback peer. */
  token?: string;
}

/** The REST endpoint of one JobManager. */
export class RestServer {
  private readonly router: RestRouter;
  private readonly files: StaticFiles;
  private server: Server | undefined;
  private bound: AddressInfo | undefined;
  private readonly log: Logger;

  constructor(
    ctx: RestContext,
    logger: Logger,
    webDir?: string,
    private readonly security: RestSecurityOptions = {},
  ) {
    this.router = createRestRouter(ctx);
    this.files = new StaticFiles(webDir);
    this.log = logger.child({ component: 'RestServer' });
  }

  /** `host:port` actually bound (after {@link start}). */
  get address(): string {
    if (!this.bound) throw new UnavailableError('the REST server is not started');
    const host = this.bound.family === 'IPv6' ? `[${this.bound.address}]` : this.bound.address;
    return `${host}:${this.bound.port}`;
  }

  /** The port actually bound (after {@link start}). */
  get port(): number {
    return this.bound?.port ?? 0;
  }

  /** Listens on `host:port` (0 = any free port). */
  async start(host: string, port: number): Promise<void> {
    if (this.server) return;
    const server = createServer((req, res) => void this.handle(req, res));
    // Expect: 100-continue (curl sends it for large bodies): refuse before the body is sent.
    server.on('checkContinue', (req: IncomingMessage, res: ServerResponse) => {
      if (declaredBodyBytes(req) <= MAX_BODY_BYTES) res.writeContinue();
      void this.handle(req, res);
    });
    server.keepAliveTimeout = 5_000;
    this.bound = await listenHttp(server, host, port, 'REST server');
    this.server = server;
  }

  /** Stops listening and closes open connections. */
  async stop(): Promise<void> {
    const server = this.server;
    if (!server) return;
    this.server = undefined;
    await closeHttp(server);
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const method = (req.method ?? 'GET').toUpperCase();
    let url: URL;
    try {
      url = new URL(req.url ?? '/', 'http://localhost');
    } catch {
      return this.send(res, method, { status: 400, body: errorBody('malformed request URL') });
    }
    const path = url.pathname.length > 1 ? url.pathname.replace(/\/+$/, '') : url.pathname;
    if (declaredBodyBytes(req) > MAX_BODY_BYTES) {
      discardBody(req);
      return this.send(res, method, { status: 413, body: errorBody(bodyTooLarge().message) });
    }
    const match = this.router.match(method, path);
    if (match.kind === 'not-found') {
      const file = method === 'GET' || method === 'HEAD' ? this.files.get(path) : undefined;
      if (file) {
        res.writeHead(200, { 'content-type': file.contentType, 'cache-control': 'no-cache', 'content-length': file.body.length });
        res.end(method === 'HEAD' ? undefined : file.body);
        return;
      }
      return this.send(res, method, { status: 404, body: errorBody(`Not found: ${path}`) });
    }
    if (match.kind === 'method-not-allowed') {
      res.setHeader('allow', match.allowed.join(', '));
      return this.send(res, method, { status: 405, body: errorBody(`${method} is not allowed on ${path}; use ${match.allowed.join(' or ')}`) });
    }
    const refused = this.refuseWrite(method, req);
    if (refused !== undefined) {
      this.log.warn({ method, path, peer: req.socket.remoteAddress, reason: refused }, 'refused an unauthenticated REST write');
      res.setHeader('www-authenticate', 'Bearer realm="fluss"');
      return this.send(res, method, { status: 401, body: errorBody(refused) });
    }
    let response: RestResponse;
    try {
      const body = await readBody(req);
      response = await match.handler({ method, path, params: match.params, query: url.searchParams, body, raw: req });
    } catch (err) {
      const status = httpStatusOf(err);
      if (status >= 500) this.log.warn({ method, path, err: describeError(err) }, 'REST request failed');
      // Our own errors carry a message written for the client; anything else gets its type named.
      const message = err instanceof FlussError ? err.message : describeError(err);
      response = { status, body: errorBody(message) };
    }
    this.send(res, method, response);
  }

  /** Why a write is refused under the token, or undefined when it may proceed. */
  private refuseWrite(method: string, req: IncomingMessage): string | undefined {
    const token = this.security.token;
    if (!token || method === 'GET' || method === 'HEAD') return undefined;
    const peer = req.socket.remoteAddress ?? '';
    if (!isLoopbackHost(peer)) return `writes with a token are accepted only from loopback over plain HTTP (${peer || 'unknown peer'} is not)`;
    const header = req.headers.authorization;
    if (header === undefined) return 'missing auth token: send "Authorization: Bearer <security.auth.token>"';
    if (!bearerMatches(header, token)) return 'invalid auth token';
    return undefined;
  }

  private send(res: ServerResponse, method: string, r: RestResponse): void {
    if (res.headersSent) return;
    const payload = r.text !== undefined ? r.text : JSON.stringify(r.body ?? {});
    res.writeHead(r.status, {
      'content-type': r.text !== undefined ? (r.contentType ?? 'text/plain; charset=utf-8') : 'application/json; charset=utf-8',
      'content-length': Buffer.byteLength(payload),
      'cache-control': 'no-store',
    });
    res.end(method === 'HEAD' ? undefined : payload);
  }
}

/** The `Content-Length` of a request (0 without one, Infinity when it is not a number). */
function declaredBodyBytes(req: IncomingMessage): number {
  const header = req.headers['content-length'];
  if (header === undefined) return 0;
  return /^\d+$/.test(header) ? Number(header) : Number.POSITIVE_INFINITY;
}

/**
 * Reads and drops the rest of a refused body, so the client gets the answer instead of a reset
 * (closing a socket with unread data resets it); cuts the connection past the bounds.
 */
function discardBody(req: IncomingMessage): void {
  let dropped = 0;
  const cut = (): void => {
    req.socket.destroy();
  };
  const timer = setTimeout(cut, DISCARD_TIMEOUT_MS);
  timer.unref();
  req.removeAllListeners('data');
  req.on('data', (chunk: Buffer) => {
    dropped += chunk.length;
    if (dropped > MAX_DISCARDED_BYTES) cut();
  });
  req.on('close', () => clearTimeout(timer));
  req.on('error', () => undefined);
  req.resume();
}

/** Reads the request body as UTF-8; 413 once it grows beyond {@link MAX_BODY_BYTES}. */
function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const onData = (chunk: Buffer): void => {
      size += chunk.length;
      if (size > MAX_BODY_BYTES) {
        req.off('data', onData);
        discardBody(req);
        reject(bodyTooLarge());
        return;
      }
      chunks.push(chunk);
    };
    req.on('data', onData);
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}
