/**
 * A TaskManager under `high-availability.type: etcd`: it finds the leading JobManager on etcd
 * and follows every new one (re-registering at once), and it fences the JobManager's RPCs: a
 * call whose token is older than the newest leader's is refused, so a deposed leader can
 * neither deploy nor trigger nor commit anything.
 *
 * Tasks are not adopted by a new leader: the TaskManager reports them when it registers, the
 * new leader cancels them and restarts the job from its latest completed checkpoint, as Flink
 * does when a JobMaster fails over. Adoption would need the deposed leader's in-flight
 * checkpoints, pending sink commits and attempt bookkeeping, none of which survives it.
 */
import type * as grpc from '@grpc/grpc-js';
import type { Etcd3 } from 'etcd3';
import type { Logger } from 'pino';
import type { FlussConfig } from '../../core/config.js';
import { checkEtcdReachable, clusterKeys, createEtcdClient } from './etcd-connection.js';
import { fencedHandlers, FencingTokenGate } from './fencing.js';
import { LeaderRetrievalService } from './leader-retrieval.js';

/** What a TaskManager needs to follow the leader. */
export class TaskManagerLeaderFollower {
  readonly gate = new FencingTokenGate();

  private constructor(
    private readonly client: Etcd3,
    private readonly retrieval: LeaderRetrievalService,
    private readonly log: Logger,
  ) {
    retrieval.onLeader((leader) => this.gate.observe(leader.token));
  }

  /** Connects to etcd (one line and a failed start when unreachable) and starts following. */
  static async start(config: FlussConfig, log: Logger): Promise<TaskManagerLeaderFollower> {
    const client = await createEtcdClient(config);
    try {
      await checkEtcdReachable(client, config);
    } catch (err) {
      client.close();
      throw err;
    }
    const retrieval = new LeaderRetrievalService(client, clusterKeys(config['high-availability.cluster-id']), log);
    const follower = new TaskManagerLeaderFollower(client, retrieval, log);
    retrieval.start();
    return follower;
  }

  /** Calls `switchTo` with the address of every new leader. */
  follow(switchTo: (address: string) => void): void {
    this.retrieval.onLeader((leader) => switchTo(leader.rpcAddress));
  }

  /** The TaskManagerService handlers behind the fencing-token check. */
  fence(handlers: grpc.UntypedServiceImplementation): grpc.UntypedServiceImplementation {
    return fencedHandlers(handlers, this.gate, (method, message) => this.log.warn({ method }, message));
  }

  /** Stops following. */
  stop(): void {
    this.retrieval.stop();
    this.client.close();
  }
}
