/**
 * Connections to PostgreSQL for the sink and the CDC source: options, and failures turned into
 * one line that names the server and never the password (unreachable server, wrong
 * credentials, missing database or table).
 */
import type pg from 'pg';
import { FailedPreconditionError, FlussError, InternalError, InvalidArgumentError, IOError, NotFoundError, UnavailableError } from '../../core/errors.js';

/** The `pg` module, loaded by the first connection (jobs without PostgreSQL never load it). */
let pgModule: typeof pg | undefined;

/** `pg`'s text parser of type `oid` (only after a connection was made, which loads `pg`). */
export function pgTextParser(oid: number): (text: string) => unknown {
  if (!pgModule) throw new InternalError('pg type parsers used before any PostgreSQL connection');
  return pgModule.types.getTypeParser(oid, 'text') as (text: string) => unknown;
}

/** Where and as whom to connect. */
export interface PostgresConnectionOptions {
  /** `postgres://user:password@host:port/database` (alternative to the fields below). */
  url?: string;
  host?: string;
  port?: number;
  user?: string;
  password?: string;
  database?: string;
  /** Milliseconds to wait for the connection (default 10 000). */
  connectTimeoutMs?: number;
}

/** `pg`'s client configuration for `options`, plus `extra` (e.g. `replication`). */
export function clientConfig(options: PostgresConnectionOptions, extra: Record<string, unknown> = {}): pg.ClientConfig {
  const base: pg.ClientConfig = options.url !== undefined ? { connectionString: options.url } : {};
  const set = <K extends keyof pg.ClientConfig>(k: K, v: pg.ClientConfig[K] | undefined) => {
    if (v !== undefined) base[k] = v;
  };
  set('host', options.host);
  set('port', options.port);
  set('user', options.user);
  set('password', options.password);
  set('database', options.database);
  base.connectionTimeoutMillis = options.connectTimeoutMs ?? 10_000;
  return { ...base, ...extra } as pg.ClientConfig;
}

/** `host:port/database` of `options`, for messages (never the password). */
export function describeServer(options: PostgresConnectionOptions): string {
  let host = options.host;
  let port = options.port;
  let database = options.database;
  if (options.url !== undefined) {
    try {
      const u = new URL(options.url);
      host ??= u.hostname;
      port ??= u.port ? Number(u.port) : undefined;
      database ??= u.pathname.replace(/^\//, '') || undefined;
    } catch {
      throw new InvalidArgumentError('the PostgreSQL connection URL is not a valid URL');
    }
  }
  return `${host ?? 'localhost'}:${port ?? 5432}/${database ?? '(default database)'}`;
}

/** Checks the options a builder was given. */
export function checkConnectionOptions(options: PostgresConnectionOptions | undefined, what: string): PostgresConnectionOptions {
  if (!options || (options.url === undefined && options.host === undefined)) {
    throw new InvalidArgumentError(`${what}: no PostgreSQL connection (call setConnection({ url }) or setConnection({ host, port, user, password, database }))`);
  }
  describeServer(options);
  return options;
}

/** The SQLSTATE of a server error, if `err` is one. */
export function sqlState(err: unknown): string | undefined {
  const code = (err as { code?: unknown } | null)?.code;
  return typeof code === 'string' && /^[0-9A-Z]{5}$/.test(code) ? code : undefined;
}

/** A failure of `what` against `server` as a one-line FlussError (secrets stay out). */
export function postgresError(err: unknown, what: string, server: string): FlussError {
  if (err instanceof FlussError) return err;
  const state = sqlState(err);
  const message = err instanceof Error ? err.message : String(err);
  const line = `${what} (PostgreSQL at ${server}): ${message}`;
  switch (state?.slice(0, 2)) {
    case '28':
      return new FailedPreconditionError(`${what}: PostgreSQL at ${server} refused the credentials: ${message}`, { cause: err });
    case '3D':
      return new NotFoundError(`${what}: PostgreSQL at ${server}: ${message}`, { cause: err });
    case '08':
    case '57':
      return new UnavailableError(line, { cause: err });
    case undefined:
      break;
    default:
      if (state === '42P01' || state === '42703' || state === '42704') return new NotFoundError(line, { cause: err });
      return new IOError(line, { cause: err });
  }
  // No SQLSTATE: a socket-level failure (refused, reset, timeout).
  return new UnavailableError(`${what}: cannot reach PostgreSQL at ${server}: ${message || (err as { code?: string })?.code || 'connection failed'}`, { cause: err });
}

/** Opens a client; failures become {@link postgresError}s. Errors after connect go to `onError`. */
export async function connectPostgres(
  options: PostgresConnectionOptions,
  what: string,
  onError: (err: FlussError) => void,
  extra: Record<string, unknown> = {},
): Promise<pg.Client> {
  const server = describeServer(options);
  pgModule ??= (await import('pg')).default;
  const client = new pgModule.Client(clientConfig(options, extra));
  // A connection lost later must fail the task, not crash the process.
  client.on('error', (err) => onError(postgresError(err, what, server)));
  try {
    await client.connect();
  } catch (err) {
    await client.end().catch(() => undefined);
    throw postgresError(err, what, server);
  }
  return client;
}
