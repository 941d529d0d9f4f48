/**
 * Connections of the JetStream source and sink: the options both builders take, and the one
 * place a NATS client connects. A server that cannot be reached when the reader or writer
 * starts fails the task with one line naming the address (the job then restarts under its
 * restart strategy); wrong credentials fail with one line that never prints them. Once
 * connected, the client reconnects forever after a server restart (every 250 ms): the source
 * and sink resume from their own positions, so a restart loses nothing.
 */
import { connect } from '@nats-io/transport-node';
import type { NatsConnection } from '@nats-io/nats-core';
import { InvalidArgumentError, NotFoundError, UnavailableError, FailedPreconditionError, type FlussError } from '../../core/errors.js';

/** How to reach the NATS servers (Kafka's `bootstrap.servers` and SASL properties). */
export interface JetStreamConnectionOptions {
  /** Server URLs (`nats://host:4222`), one or several of a cluster. */
  servers: string[];
  /** User and password, when the server asks for them. */
  user?: string;
  pass?: string;
  /** Token, when the server asks for one. */
  token?: string;
  /** Connection name shown by the server (monitoring). */
  name?: string;
  /** Milliseconds to wait for the first connection. Default 5 000. */
  connectTimeoutMs?: number;
}

/** Checks the server list of a builder (one line on a mistake). */
export function checkServers(who: string, servers: readonly string[]): string[] {
  if (servers.length === 0) throw new InvalidArgumentError(`${who}: setServers(...) is required (e.g. 'nats://127.0.0.1:4222')`);
  for (const s of servers) {
    if (typeof s !== 'string' || s.trim() === '') throw new InvalidArgumentError(`${who}: a server URL must be a non-empty string, got ${JSON.stringify(s)}`);
  }
  return [...servers];
}

/** Connects to `options.servers`; `who` names the source or sink in the error line. */
export async function connectJetStream(who: string, options: JetStreamConnectionOptions): Promise<NatsConnection> {
  try {
    return await connect({
      servers: options.servers,
      user: options.user,
      pass: options.pass,
      token: options.token,
      name: options.name ?? who,
      timeout: options.connectTimeoutMs ?? 5_000,
      reconnect: true,
      maxReconnectAttempts: -1,
      reconnectTimeWait: 250,
      pingInterval: 10_000,
    });
  } catch (cause) {
    throw connectionError(who, options.servers, cause);
  }
}

/**
 * The server list as error lines print it: credentials written into a URL
 * (`nats://user:pass@host:4222`, `nats://token@host:4222`) are cut out, so no line shows them.
 */
export function serversForMessage(servers: readonly string[]): string {
  return servers.map(withoutCredentials).join(',');
}

function withoutCredentials(url: string): string {
  return url.replace(/^([a-z][a-z0-9+.-]*:\/\/)?[^/@]*@/i, (_m, scheme: string | undefined) => scheme ?? '');
}

/** The one-line error of a failed first connection (credentials are never printed). */
export function connectionError(who: string, servers: readonly string[], cause: unknown): FlussError {
  const address = serversForMessage(servers);
  let message = cause instanceof Error ? cause.message : String(cause);
  // The client's own text may quote a URL as given.
  for (const s of servers) message = message.split(s).join(withoutCredentials(s));
  const name = cause instanceof Error ? cause.name : '';
  if (/authori[sz]ation|authentication|auth/i.test(`${name} ${message}`)) {
    return new FailedPreconditionError(`${who}: NATS at ${address} refused the credentials (authorization violation)`);
  }
  return new UnavailableError(`${who}: cannot connect to NATS at ${address}: ${message}`, { cause });
}

/** The one-line error of a stream that does not exist. */
export function streamNotFound(who: string, stream: string, servers: readonly string[], cause?: unknown): NotFoundError {
  return new NotFoundError(`${who}: JetStream stream "${stream}" does not exist on NATS at ${serversForMessage(servers)}`, { cause });
}

/** True when `err` is the JetStream API's "stream not found" (code 10059). */
export function isStreamNotFound(err: unknown): boolean {
  const e = err as { name?: string; code?: unknown; api_error?: { err_code?: number } } | undefined;
  return e?.name === 'StreamNotFoundError' || e?.code === 10059 || e?.api_error?.err_code === 10059;
}
