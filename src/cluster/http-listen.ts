/**
 * Start and stop of the daemons' plain HTTP servers (the JobManager's REST endpoint and a
 * TaskManager's `/metrics`): bind with a typed error, and close without waiting on idle
 * keep-alive connections.
 */
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { UnavailableError } from '../core/errors.js';

/**
 * Binds `server` to `host:port` (0 = any free port) and returns the address actually bound.
 * `what` names the server in the {@link UnavailableError} thrown when the bind fails.
 */
export async function listenHttp(server: Server, host: string, port: number, what: string): Promise<AddressInfo> {
  await new Promise<void>((resolve, reject) => {
    server.once('error', (err) => reject(new UnavailableError(`cannot bind the ${what} to ${host}:${port}: ${err.message}`, { cause: err })));
    server.listen(port, host, () => resolve());
  });
  return server.address() as AddressInfo;
}

/** Stops listening, drops open connections and resolves once the server is closed. */
export async function closeHttp(server: Server): Promise<void> {
  server.closeAllConnections();
  await new Promise<void>((resolve) => server.close(() => resolve()));
}
