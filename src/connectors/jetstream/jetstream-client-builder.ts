/**
 * What the JetStream source and sink builders share: the servers to connect to and the
 * credentials (never printed), checked and combined into the connection options at `build()`.
 */
import { checkServers, type JetStreamConnectionOptions } from './jetstream-connection.js';

/** Base of the JetStream builders: server list and connection options. */
export abstract class JetStreamClientBuilder {
  private servers: string[] = [];
  private auth: Omit<JetStreamConnectionOptions, 'servers'> = {};

  /** NATS server URLs (`nats://host:port`), as one comma-separated string or a list. */
  setServers(servers: string | readonly string[]): this {
    this.servers = typeof servers === 'string' ? servers.split(',').map((s) => s.trim()) : [...servers];
    return this;
  }

  /** Credentials (user/password or token) and a connection name; never printed. */
  setConnectionOptions(options: Omit<JetStreamConnectionOptions, 'servers'>): this {
    this.auth = { ...options };
    return this;
  }

  /** The connection options, with the server list checked (one line naming `who` on a mistake). */
  protected connectionOptions(who: string): JetStreamConnectionOptions {
    return { ...this.auth, servers: checkServers(who, this.servers) };
  }
}
