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
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { describeError, FlussError, UnavailableError } from '../../../core/errors.js';
import type { Logger } from '../../../core/logger.js';
import { closeHttp, listenHttp } from '../../http-listen.js';
import { bearerMatches, isLoopbackHost } from '../../rpc/rpc-auth.js';
import { createRestRouter, type RestContext } from './rest-handlers.js';
import { errorBody, httpStatusOf, RestError } from './rest-errors.js';
import type { RestResponse, RestRouter } from './rest-router.js';
import { StaticFiles } from './static-files.js';

/** Largest request body accepted. */
const MAX_BODY_BYTES = 1024 * 1024;

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
      const message = err instanceof RestError || err instanceof FlussError ? err.message : describeError(err);
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

/** Reads the request body as UTF-8; 413 beyond {@link MAX_BODY_BYTES}. */
function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > MAX_BODY_BYTES) {
        reject(new RestError(413, `request body larger than ${MAX_BODY_BYTES} bytes`));
        req.destroy();
        return;
      }
      chunks.push(chunk);
    });
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}
