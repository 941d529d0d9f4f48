/**
 * Lease-based leader election on etcd, the shape of Flink's LeaderElectionService: contenders
 * race to create the cluster's leader key bound to their own lease (a transaction "create if
 * absent"); the winner's term is fenced by the key's creation revision, which etcd makes larger
 * for every later term. The leader renews its lease every quarter of
 * `high-availability.etcd.lease-ttl`; when a renewal has not succeeded for a whole TTL (counted
 * on the local monotonic clock from the moment the last successful renewal was sent, so never
 * later than etcd itself expires the lease) the term is over: the leader steps down.
 * Standbys poll the key (a cheap range read) rather than keep a watch, which survives etcd
 * restarts without any re-subscription logic.
 */
import { performance } from 'node:perf_hooks';
import type { Etcd3, Lease } from 'etcd3';
import type { Logger } from 'pino';
import { describeError } from '../../core/errors.js';
import type { ClusterKeys } from './etcd-connection.js';
import { FencedError, type LeaderFence, type VersionRecord } from './fencing.js';

/** One term of leadership: the fence of everything the leader writes. */
export class EtcdLeadership implements LeaderFence {
  readonly token: string;
  private validUntil: number;
  private lost = false;
  private timer: NodeJS.Timeout | undefined;
  private lossTimer: NodeJS.Timeout | undefined;
  private readonly lostListeners: ((reason: string) => void)[] = [];
  private seq = 0;

  constructor(
    private readonly client: Etcd3,
    private readonly keys: ClusterKeys,
    private readonly lease: Lease,
    readonly leaseId: string,
    revision: string,
    private readonly ttlMs: number,
    grantSentAt: number,
    private readonly log: Logger,
  ) {
    this.token = revision;
    this.validUntil = grantSentAt + ttlMs;
    this.armLossTimer();
    this.scheduleRenewal();
  }

  /** Registers `fn`, called once when the term ends (lease not renewed in time, or revoked). */
  onLost(fn: (reason: string) => void): void {
    if (this.lost) fn('the leadership was already lost');
    else this.lostListeners.push(fn);
  }

  isValid(): boolean {
    return !this.lost && performance.now() < this.validUntil;
  }

  async check(what: string, record?: VersionRecord): Promise<void> {
    this.assertValid(what);
    const ops = [];
    if (record?.put) ops.push(this.client.put(this.keys.jobs + record.put).value(JSON.stringify({ token: this.token, seq: ++this.seq })));
    if (record?.deletePrefix) ops.push(this.client.delete().prefix(this.keys.jobs + record.deletePrefix));
    let succeeded: boolean;
    try {
      succeeded = (await this.client.if(this.keys.leader, 'Create', '==', this.token).then(...ops).commit()).succeeded;
    } catch (err) {
      throw new FencedError(`${what} refused: cannot confirm the leadership (term ${this.token}) on etcd: ${describeError(err)}`, { cause: err });
    }
    if (!succeeded) {
      this.markLost(`the leader key no longer belongs to term ${this.token}`);
      throw new FencedError(`${what} refused: term ${this.token} is over (another JobManager leads)`);
    }
    // The transaction may have waited: the lease must still hold now.
    this.assertValid(what);
  }

  /** Publishes the leader's addresses under the leader key (only while this term holds). */
  async publish(value: string): Promise<void> {
    this.assertValid('publishing the leader address');
    const res = await this.client.if(this.keys.leader, 'Create', '==', this.token).then(this.client.put(this.keys.leader).value(value).lease(this.leaseId)).commit();
    if (!res.succeeded) {
      this.markLost('the leader key was taken before the address was published');
      throw new FencedError(`cannot publish the leader address: term ${this.token} is over`);
    }
    // Published after the lease ran out (the process stalled): nobody may follow this address.
    this.assertValid('publishing the leader address');
  }

  /** Ends the term on purpose (shutdown): the lease is revoked, so a standby takes over at once. */
  async resign(): Promise<void> {
    this.markLost('resigned');
    try {
      await this.lease.revoke({ deadline: Date.now() + 2_000 });
    } catch (err) {
      this.log.warn({ err: describeError(err) }, 'could not revoke the leader lease; it expires on its own');
    }
  }

  private assertValid(what: string): void {
    if (this.isValid()) return;
    if (!this.lost && performance.now() >= this.validUntil) this.markLost('the lease was not renewed within high-availability.etcd.lease-ttl');
    throw new FencedError(`${what} refused: the leadership of term ${this.token} is lost`);
  }

  private scheduleRenewal(): void {
    if (this.lost) return;
    // Four renewals per TTL: a stall of the event loop up to three quarters of it is survived.
    this.timer = setTimeout(() => void this.renew(), Math.max(100, Math.floor(this.ttlMs / 4)));
  }

  private async renew(): Promise<void> {
    if (this.lost) return;
    const sentAt = performance.now();
    // A renewal sent after the lease ran out cannot save the term, even if etcd still answers.
    if (sentAt >= this.validUntil) {
      this.markLost('the lease was not renewed within high-availability.etcd.lease-ttl');
      return;
    }
    try {
      await this.lease.keepaliveOnce({ deadline: Date.now() + Math.max(200, this.ttlMs / 4) });
      if (this.lost) return;
      this.validUntil = Math.max(this.validUntil, sentAt + this.ttlMs);
      this.armLossTimer();
    } catch (err) {
      if (this.lease.revoked()) {
        this.markLost('etcd reports the lease expired');
        return;
      }
      this.log.warn({ err: describeError(err), validForMs: Math.round(this.validUntil - performance.now()) }, 'could not renew the leader lease');
    }
    this.scheduleRenewal();
  }

  private armLossTimer(): void {
    if (this.lossTimer) clearTimeout(this.lossTimer);
    this.lossTimer = setTimeout(() => {
      if (!this.lost && performance.now() >= this.validUntil) this.markLost('the lease was not renewed within high-availability.etcd.lease-ttl');
    }, Math.max(0, this.validUntil - performance.now()) + 1);
  }

  private markLost(reason: string): void {
    if (this.lost) return;
    this.lost = true;
    if (this.timer) clearTimeout(this.timer);
    if (this.lossTimer) clearTimeout(this.lossTimer);
    for (const fn of this.lostListeners.splice(0)) fn(reason);
  }
}

/** The contender's side: waits for and wins the leader key. */
export class EtcdLeaderElection {
  private stopped = false;

  constructor(
    private readonly client: Etcd3,
    private readonly keys: ClusterKeys,
    private readonly ttlMs: number,
    private readonly log: Logger,
    private readonly pollMs = Math.max(50, Math.min(100, Math.floor(ttlMs / 10))),
  ) {}

  /** Stops a running {@link campaign} (it resolves undefined). */
  stop(): void {
    this.stopped = true;
  }

  /**
   * Resolves with the leadership once this contender holds the leader key (its value `value`),
   * or undefined when stopped. etcd being away is logged and retried.
   */
  async campaign(value: string): Promise<EtcdLeadership | undefined> {
    let lastError = '';
    while (!this.stopped) {
      try {
        const current = await this.client.get(this.keys.leader).exec();
        if (current.kvs.length === 0) {
          const won = await this.tryAcquire(value);
          if (won) return won;
        }
        lastError = '';
      } catch (err) {
        const msg = describeError(err);
        if (msg !== lastError) this.log.warn({ err: msg }, 'etcd is not reachable; still contending for the leadership');
        lastError = msg;
      }
      await sleep(this.pollMs);
    }
    return undefined;
  }

  private async tryAcquire(value: string): Promise<EtcdLeadership | undefined> {
    const ttlSeconds = Math.max(1, Math.ceil(this.ttlMs / 1000));
    const sentAt = performance.now();
    const lease = this.client.lease(ttlSeconds, { autoKeepAlive: false });
    lease.on('lost', () => undefined);
    const release = (): Promise<void> => lease.revoke().catch(() => undefined);
    let leaseId: string;
    try {
      leaseId = await lease.grant();
    } catch (err) {
      lease.release();
      throw err;
    }
    const res = await this.client
      .if(this.keys.leader, 'Create', '==', 0)
      .then(this.client.put(this.keys.leader).value(value).lease(leaseId))
      .commit()
      .catch(async (err: unknown) => {
        await release();
        throw err;
      });
    if (!res.succeeded || this.stopped) {
      await release();
      return undefined;
    }
    // The put's revision is the leader key's creation revision: the term's fencing token.
    return new EtcdLeadership(this.client, this.keys, lease, leaseId, String(res.header.revision), this.ttlMs, sentAt, this.log);
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
