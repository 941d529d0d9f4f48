/**
 * Finding the leader, the shape of Flink's LeaderRetrievalService: the leader key of the
 * cluster on etcd holds the leader's gRPC and REST addresses; its creation revision is the
 * leader's fencing token. TaskManagers follow it for as long as they run (a poll every 100 ms:
 * a single range read, cheap for etcd, and it survives etcd restarts without re-subscribing);
 * clients look it up once per command.
 */
import type { Etcd3 } from 'etcd3';
import type { Logger } from 'pino';
import { describeError, TimeoutError } from '../../core/errors.js';
import type { ClusterKeys } from './etcd-connection.js';

/** The leader as published on etcd. */
export interface LeaderInfo {
  /** `host:port` of its JobManagerService. */
  rpcAddress: string;
  /** `host:port` of its REST API. */
  restAddress: string;
  /** The leader's fencing token (creation revision of the leader key). */
  token: string;
}

/** The value of the leader key (set by the leader once its servers are bound). */
export interface LeaderRecord {
  rpcAddress?: string;
  restAddress?: string;
  /** Which contender (for logs). */
  contender: string;
}

/** Reads the leader key once; undefined while no leader has published its addresses. */
export async function readLeader(client: Etcd3, keys: ClusterKeys, deadlineMs = 5_000): Promise<LeaderInfo | undefined> {
  const res = await client.get(keys.leader).options({ deadline: Date.now() + deadlineMs }).exec();
  const kv = res.kvs[0];
  if (!kv) return undefined;
  let record: LeaderRecord;
  try {
    record = JSON.parse(kv.value.toString()) as LeaderRecord;
  } catch {
    return undefined;
  }
  if (!record.rpcAddress || !record.restAddress) return undefined;
  return { rpcAddress: record.rpcAddress, restAddress: record.restAddress, token: String(kv.create_revision) };
}

/** Waits until a leader is published (polling); rejects with TimeoutError after `timeoutMs`. */
export async function waitForLeader(client: Etcd3, keys: ClusterKeys, timeoutMs: number, pollMs = 200): Promise<LeaderInfo> {
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  for (;;) {
    try {
      const leader = await readLeader(client, keys, Math.max(500, Math.min(5_000, deadline - Date.now())));
      if (leader) return leader;
    } catch (err) {
      lastError = err;
    }
    if (Date.now() >= deadline) {
      const why = lastError ? `etcd is not reachable: ${describeError(lastError)}` : 'no JobManager holds the leadership';
      throw new TimeoutError(`no leading JobManager found on etcd within ${timeoutMs} ms (${why})`, { cause: lastError });
    }
    await new Promise((resolve) => setTimeout(resolve, pollMs));
  }
}

/** Follows the leader key and tells listeners about every new leader. */
export class LeaderRetrievalService {
  private current: LeaderInfo | undefined;
  private timer: NodeJS.Timeout | undefined;
  private stopped = false;
  private polling = false;
  private lastError = '';
  private readonly listeners: ((leader: LeaderInfo) => void)[] = [];

  constructor(
    private readonly client: Etcd3,
    private readonly keys: ClusterKeys,
    private readonly log: Logger,
    private readonly pollMs = 100,
  ) {}

  /** The last leader seen. */
  get leader(): LeaderInfo | undefined {
    return this.current;
  }

  /** Calls `fn` for every newly seen leader (and at once for the current one). */
  onLeader(fn: (leader: LeaderInfo) => void): void {
    this.listeners.push(fn);
    if (this.current) fn(this.current);
  }

  /** Starts following. */
  start(): void {
    void this.poll();
  }

  /** Stops following. */
  stop(): void {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
  }

  private async poll(): Promise<void> {
    if (this.stopped || this.polling) return;
    this.polling = true;
    try {
      const leader = await readLeader(this.client, this.keys, 2_000);
      this.lastError = '';
      if (leader && (leader.token !== this.current?.token || leader.rpcAddress !== this.current.rpcAddress)) {
        this.current = leader;
        this.log.info({ leader: leader.rpcAddress, rest: leader.restAddress, fencingToken: leader.token }, 'Found the leading JobManager on etcd');
        for (const fn of this.listeners) fn(leader);
      }
    } catch (err) {
      const msg = describeError(err);
      if (msg !== this.lastError) this.log.warn({ err: msg }, 'cannot read the leader from etcd; retrying');
      this.lastError = msg;
    } finally {
      this.polling = false;
    }
    if (!this.stopped) {
      this.timer = setTimeout(() => void this.poll(), this.pollMs);
      this.timer.unref();
    }
  }
}
