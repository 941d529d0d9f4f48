/**
 * A tiny HTTP server answering `GET /metrics` with the Prometheus text of a collector. A
 * TaskManager starts one on `metrics.port` (0 = disabled); the JobManager serves `/metrics` on
 * its REST port instead.
 */
import { createServer, type Server } from 'node:http';
import { closeHttp, listenHttp } from '../http-listen.js';
import type { MetricCollector } from './metric-family.js';
import { formatPrometheus, PROMETHEUS_CONTENT_TYPE } from './prometheus-exposition.js';

/** Serves `/metrics` for one collector. */
export class MetricsHttpServer {
  private server: Server | undefined;
  private boundPort = 0;

  constructor(private readonly collect: MetricCollector) {}

  /** The port actually bound (after {@link start}). */
  get port(): number {
    return this.boundPort;
  }

  /** Listens on `host:port` (0 = any free port). */
  async start(host: string, port: number): Promise<void> {
    if (this.server) return;
    const server = createServer((req, res) => {
      const path = (req.url ?? '/').split('?', 1)[0];
      if (req.method !== 'GET' && req.method !== 'HEAD') {
        res.writeHead(405, { 'content-type': 'text/plain', allow: 'GET, HEAD' }).end('method not allowed\n');
      } else if (path !== '/metrics') {
        res.writeHead(404, { 'content-type': 'text/plain' }).end('not found: try /metrics\n');
      } else {
        let body: string;
        try {
          body = formatPrometheus(this.collect());
        } catch (err) {
          res.writeHead(500, { 'content-type': 'text/plain' }).end(`metrics collection failed: ${(err as Error).message}\n`);
          return;
        }
        res.writeHead(200, { 'content-type': PROMETHEUS_CONTENT_TYPE }).end(req.method === 'HEAD' ? undefined : body);
      }
    });
    this.boundPort = (await listenHttp(server, host, port, 'metrics server')).port;
    this.server = server;
  }

  /** Stops listening and closes open connections. */
  async stop(): Promise<void> {
    const server = this.server;
    if (!server) return;
    this.server = undefined;
    await closeHttp(server);
  }
}
