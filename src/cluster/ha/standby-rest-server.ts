/**
 * The REST endpoint of a standby JobManager: it answers every request with a redirect
 * (307, method and body kept) to the same path on the leader's REST address, as found on etcd,
 * so a dashboard or script pointed at any JobManager of the cluster reaches the leader; 503
 * with a JSON error while no leader is known.
 */
import { createServer, type Server } from 'node:http';
import { closeHttp, listenHttp } from '../http-listen.js';
import type { LeaderInfo } from './leader-retrieval.js';

/** The standby's redirecting REST server. */
export class StandbyRestServer {
  private server: Server | undefined;
  private boundPort = 0;

  constructor(private readonly leader: () => LeaderInfo | undefined) {}

  /** The port bound by {@link start}. */
  get port(): number {
    return this.boundPort;
  }

  /** Binds `host:port` (0 = any free port). */
  async start(host: string, port: number): Promise<void> {
    const server = createServer((req, res) => {
      const leader = this.leader();
      if (!leader) {
        res.writeHead(503, { 'content-type': 'application/json', 'retry-after': '1' });
        res.end(JSON.stringify({ errors: ['This JobManager is a standby and no leader is elected yet; retry shortly'] }));
        return;
      }
      res.writeHead(307, { location: `http://${leader.restAddress}${req.url ?? '/'}`, 'content-type': 'application/json' });
      res.end(JSON.stringify({ leader: leader.restAddress }));
    });
    const address = await listenHttp(server, host, port, 'REST API of the standby JobManager');
    this.server = server;
    this.boundPort = address.port;
  }

  /** Stops serving (before the leader's own REST server binds the port). */
  async stop(): Promise<void> {
    const server = this.server;
    this.server = undefined;
    if (server) await closeHttp(server);
  }
}
