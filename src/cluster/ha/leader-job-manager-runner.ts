/**
 * A JobManager process under `high-availability.type: etcd`, the role of Flink's
 * DispatcherRunner: it contends for the leadership; as a standby it serves only a REST endpoint
 * redirecting to the leader; once elected it starts a full {@link JobManager} fenced by its
 * term, which recovers the jobs from `high-availability.storageDir`, and publishes its
 * addresses on etcd. When the lease cannot be renewed in time (etcd away, process paused) the
 * term is over: every write and RPC is refused from that instant, the JobManager stops, and the
 * process contends again as a standby — without a restart.
 */
import { randomUUID } from 'node:crypto';
import type { Etcd3 } from 'etcd3';
import type { FlussConfig } from '../../core/config.js';
import { describeError } from '../../core/errors.js';
import type { Logger } from '../../core/logger.js';
import { JobManager } from '../jobmanager/job-manager.js';
import { checkEtcdReachable, claimClusterId, clusterKeys, createEtcdClient, type ClusterKeys } from './etcd-connection.js';
import { EtcdLeaderElection, type EtcdLeadership } from './leader-election.js';
import { LeaderRetrievalService, type LeaderRecord } from './leader-retrieval.js';
import { StandbyRestServer } from './standby-rest-server.js';

/** Contends for the leadership and runs the JobManager while it leads. */
export class LeaderJobManagerRunner {
  private readonly log: Logger;
  private readonly contender = randomUUID();
  private client: Etcd3 | undefined;
  private keys!: ClusterKeys;
  private election: EtcdLeaderElection | undefined;
  private retrieval: LeaderRetrievalService | undefined;
  private standby: StandbyRestServer | undefined;
  private leadership: EtcdLeadership | undefined;
  private jobManager: JobManager | undefined;
  private restPort: number;
  private stopped = false;
  private loop: Promise<void> = Promise.resolve();

  constructor(
    private readonly config: FlussConfig,
    private readonly logger: Logger,
  ) {
    this.log = logger.child({ component: 'LeaderElection' });
    this.restPort = config['rest.port'];
  }

  /** The running JobManager while this process leads (tests, embedding). */
  get leader(): JobManager | undefined {
    return this.jobManager;
  }

  /** Connects to etcd (failing fast when unreachable or the cluster-id is taken) and starts contending. */
  async start(): Promise<void> {
    const client = await createEtcdClient(this.config);
    this.client = client;
    try {
      await checkEtcdReachable(client, this.config);
      await claimClusterId(client, this.config);
    } catch (err) {
      client.close();
      throw err;
    }
    this.keys = clusterKeys(this.config['high-availability.cluster-id']);
    this.retrieval = new LeaderRetrievalService(client, this.keys, this.log);
    this.retrieval.start();
    await this.startStandby();
    this.log.info({ clusterId: this.config['high-availability.cluster-id'], contender: this.contender, restPort: this.restPort }, 'JobManager started as a standby; contending for the leadership');
    this.loop = this.contend();
  }

  /** Stops contending; a leader stops its JobManager and revokes its lease (a standby takes over at once). */
  async stop(): Promise<void> {
    this.stopped = true;
    this.election?.stop();
    await this.loop;
    const jm = this.jobManager;
    this.jobManager = undefined;
    if (jm) await jm.stop();
    await this.leadership?.resign();
    await this.standby?.stop();
    this.retrieval?.stop();
    this.client?.close();
  }

  private async startStandby(): Promise<void> {
    const standby = new StandbyRestServer(() => this.retrieval?.leader);
    await standby.start(this.config['rest.bind-address'], this.restPort);
    // The leader's REST API later takes the same port (a port of 0 is fixed by the first bind).
    this.restPort = standby.port;
    this.standby = standby;
  }

  private async contend(): Promise<void> {
    const ttl = this.config['high-availability.etcd.lease-ttl'];
    this.election = new EtcdLeaderElection(this.client!, this.keys, ttl, this.log);
    const leadership = await this.election.campaign(JSON.stringify({ contender: this.contender } satisfies LeaderRecord));
    if (!leadership || this.stopped) {
      await leadership?.resign();
      return;
    }
    this.leadership = leadership;
    leadership.onLost((reason) => {
      if (this.stopped) return;
      this.log.error({ fencingToken: leadership.token, reason }, `Lost the leadership (${reason}); stepping down: this JobManager touches no job any more`);
      this.loop = this.loop.then(() => this.stepDown());
    });
    const grantedAt = Date.now();
    this.log.info({ fencingToken: leadership.token, contender: this.contender }, 'Granted the leadership; starting the JobManager');
    try {
      await this.standby?.stop();
      this.standby = undefined;
      const jm = new JobManager({ ...this.config, 'rest.port': this.restPort }, this.logger, { fence: leadership });
      this.jobManager = jm;
      await jm.start();
      await leadership.publish(JSON.stringify({ contender: this.contender, rpcAddress: jm.address, restAddress: jm.restAddress } satisfies LeaderRecord));
      this.log.info({ fencingToken: leadership.token, address: jm.address, rest: jm.restAddress, tookMs: Date.now() - grantedAt }, 'Published the leader address on etcd');
    } catch (err) {
      // Stepping down follows the loss (if any); otherwise give the term up so another can lead.
      this.log.error({ err: describeError(err) }, 'Could not take up the leadership; resigning');
      await leadership.resign();
    }
  }

  private async stepDown(): Promise<void> {
    const jm = this.jobManager;
    this.jobManager = undefined;
    this.leadership = undefined;
    if (jm) {
      await jm.stop().catch((err: unknown) => this.log.warn({ err: describeError(err) }, 'stopping the JobManager after the leadership loss failed'));
    }
    if (this.stopped) return;
    try {
      await this.startStandby();
    } catch (err) {
      this.log.warn({ err: describeError(err) }, 'could not serve the standby REST endpoint');
    }
    this.log.info('Contending for the leadership again as a standby');
    this.loop = this.loop.then(() => this.contend());
  }
}
