/**
 * A bare TCP connection attempt to a `host:port` address, telling an open port from one that
 * refuses connections and from an attempt that neither opened nor was refused.
 */
import { connect } from 'node:net';

/** How a TCP connection attempt ended. */
export type ProbeOutcome = 'open' | 'refused' | 'inconclusive';

/** Opens (and at once closes) a TCP connection to `host:port`. */
export function probeTcp(address: string, timeoutMs: number): Promise<ProbeOutcome> {
  const idx = address.lastIndexOf(':');
  const host = address.slice(0, idx).replace(/^\[|\]$/g, '');
  const port = Number(address.slice(idx + 1));
  if (!host || !Number.isInteger(port) || port <= 0) return Promise.resolve('inconclusive');
  return new Promise((resolve) => {
    const socket = connect({ host, port });
    const done = (outcome: ProbeOutcome): void => {
      socket.destroy();
      resolve(outcome);
    };
    socket.setTimeout(timeoutMs, () => done('inconclusive'));
    socket.once('connect', () => done('open'));
    socket.once('error', (err: NodeJS.ErrnoException) => done(err.code === 'ECONNREFUSED' ? 'refused' : 'inconclusive'));
  });
}
