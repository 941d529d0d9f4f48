/**
 * Immediate detection of a dead TaskManager process, besides the heartbeat timeout. The
 * JobManager keeps one gRPC connection per TaskManager open (a bare channel, no calls). When it
 * drops, a fresh TCP connection to the TaskManager's address is attempted: only a refused
 * connection (ECONNREFUSED: nothing listens on that port any more, which the kernel answers
 * whatever the event loops are doing) declares the TaskManager lost. Anything else — the
 * connection opens, or the attempt times out (a hung process, a partition, a busy loop on
 * either side) — is left to `heartbeat.timeout`, so a busy TaskManager is never lost this way.
 * From the drop until the connection is back (or the probe finds the port open), the
 * TaskManager is in doubt: `onDoubt(true)`, then `onDoubt(false)`, so no new work is scheduled
 * onto a process that may be gone.
 */
import * as grpc from '@grpc/grpc-js';
import { GRPC_OPTIONS } from '../../core/proto.js';
import { channelCredentials, type RpcSecurity } from '../../core/rpc/credentials.js';
import { probeTcp } from '../rpc/tcp-probe.js';

/** The TCP probe deciding loss, also offered here next to the watcher that uses it. */
export { probeTcp, type ProbeOutcome } from '../rpc/tcp-probe.js';

/** Watches the connection to one TaskManager; calls `onLost` once when its process is gone. */
export class TaskManagerLiveness {
  private readonly channel: grpc.Channel;
  private closed = false;
  private wasReady = false;
  private probing = false;
  private inDoubt = false;

  constructor(
    private readonly address: string,
    security: RpcSecurity,
    private readonly onLost: (cause: string) => void,
    private readonly probeTimeoutMs = 1_000,
    private readonly onDoubt: (inDoubt: boolean) => void = () => {},
  ) {
    this.channel = new grpc.Channel(address, channelCredentials(security), GRPC_OPTIONS);
  }

  /** Connects and starts watching. */
  start(): void {
    this.watch();
  }

  /** Stops watching and closes the connection. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.channel.close();
  }

  private watch(): void {
    if (this.closed) return;
    // `true`: (re)connect when idle, so a dropped connection is noticed and retried at once.
    const state = this.channel.getConnectivityState(true);
    if (state === grpc.connectivityState.READY) {
      this.wasReady = true;
      this.setDoubt(false);
    } else if (this.wasReady && (state === grpc.connectivityState.IDLE || state === grpc.connectivityState.TRANSIENT_FAILURE)) void this.probe();
    if (state === grpc.connectivityState.SHUTDOWN) return;
    this.channel.watchConnectivityState(state, Infinity, () => this.watch());
  }

  private async probe(): Promise<void> {
    if (this.probing || this.closed) return;
    this.probing = true;
    this.setDoubt(true);
    try {
      const outcome = await probeTcp(this.address, this.probeTimeoutMs);
      if (outcome === 'refused' && !this.closed) {
        this.close();
        this.onLost(`TaskManager at ${this.address} is lost: its connection dropped and the address refuses connections`);
      } else if (outcome === 'open') {
        // Something accepts connections there; the channel reconnects, heartbeats decide the rest.
        this.setDoubt(false);
      }
    } finally {
      this.probing = false;
    }
  }

  private setDoubt(inDoubt: boolean): void {
    if (this.closed || inDoubt === this.inDoubt) return;
    this.inDoubt = inDoubt;
    this.onDoubt(inDoubt);
  }
}
