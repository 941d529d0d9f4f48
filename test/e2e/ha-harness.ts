/**
 * A highly available process cluster for the end-to-end tests: an etcd server, three
 * JobManagers contending for the leadership, TaskManagers following the leader, and the
 * sequence-checking exactly-once job of exactly-once-harness.ts.
 */
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startEtcd, type EtcdServer } from '../helpers/etcd-server.js';
import { assertBuilt, type Daemon, freePort, runCli, startDaemon, waitFor } from '../helpers/process-cluster.js';
import { SEQUENCE_JOB, type SequenceJobParams } from './exactly-once-harness.js';

/** One JobManager process and its ports. */
export interface HaJobManager {
  daemon: Daemon;
  rpcAddress: string;
  restPort: number;
  dead: boolean;
}

/** etcd + 3 JobManagers + TaskManagers as processes. */
export class HaCluster {
  readonly workDir = mkdtempSync(join(tmpdir(), 'fluss-ha-'));
  readonly checkpointsDir = join(this.workDir, 'checkpoints');
  readonly outputDir = join(this.workDir, 'out');
  etcd!: EtcdServer;
  readonly jobManagers: HaJobManager[] = [];
  readonly taskManagers: Daemon[] = [];
  private args: string[] = [];

  constructor(private readonly options: { jobManagers: number; taskManagers: number; slots: number; leaseTtl?: string }) {}

  /** The configuration flags every process (and the CLI) of this cluster uses. */
  get haArgs(): string[] {
    return this.args;
  }

  async start(): Promise<void> {
    assertBuilt();
    mkdirSync(this.outputDir, { recursive: true });
    this.etcd = await startEtcd();
    this.args = [
      '-D', 'high-availability.type=etcd',
      '-D', `high-availability.etcd.endpoints=${this.etcd.endpoint}`,
      '-D', `high-availability.cluster-id=/it-${process.pid}-${Date.now()}`,
      '-D', `high-availability.etcd.lease-ttl=${this.options.leaseTtl ?? '4 s'}`,
      '-D', `high-availability.storageDir=${join(this.workDir, 'ha')}`,
      '-D', 'jobmanager.rpc.address=127.0.0.1',
      '-D', `io.tmp.dirs=${join(this.workDir, 'tmp')}`,
      '-D', `state.checkpoints.dir=${this.checkpointsDir}`,
      '-D', 'heartbeat.interval=300 ms',
      '-D', 'heartbeat.timeout=2 s',
      '-D', 'taskmanager.registration.max-backoff=500 ms',
    ];
    for (let i = 0; i < this.options.jobManagers; i++) await this.startJobManager();
    for (let i = 0; i < this.options.taskManagers; i++) {
      this.taskManagers.push(startDaemon(['taskmanager', ...this.args, '-D', `taskmanager.numberOfTaskSlots=${this.options.slots}`]));
    }
    // Generous: on a loaded machine five Node processes take long to start.
    await this.waitForLeader(undefined, 180_000);
    await waitFor('the TaskManagers to register at the leader', () => (this.leader()?.daemon.stderr().match(/TaskManager registered/g) ?? []).length >= this.options.taskManagers, 180_000);
  }

  /** Starts one more JobManager (a standby while another leads). */
  async startJobManager(): Promise<HaJobManager> {
    const rpcPort = await freePort();
    const restPort = await freePort();
    const daemon = startDaemon(['jobmanager', ...this.args, '-D', `jobmanager.rpc.port=${rpcPort}`, '-D', `rest.port=${restPort}`]);
    const jm = { daemon, rpcAddress: `127.0.0.1:${rpcPort}`, restPort, dead: false };
    this.jobManagers.push(jm);
    return jm;
  }

  /** The JobManager that currently leads (published its address and did not lose the term since). */
  leader(): HaJobManager | undefined {
    let best: { jm: HaJobManager; token: number } | undefined;
    for (const jm of this.jobManagers) {
      if (jm.dead) continue;
      const log = jm.daemon.stderr();
      if (log.lastIndexOf('Published the leader address') < log.lastIndexOf('Lost the leadership')) continue;
      // A paused leader has not noticed yet: the newest term (largest token) leads.
      const tokens = [...log.matchAll(/"fencingToken":"(\d+)"[^\n]*Published the leader address/g)].map((m) => Number(m[1]));
      const token = tokens.at(-1);
      if (token !== undefined && (!best || token > best.token)) best = { jm, token };
    }
    return best?.jm;
  }

  /** Waits until a JobManager other than `not` leads; resolves with it. */
  async waitForLeader(not?: HaJobManager, timeoutMs = 120_000): Promise<HaJobManager> {
    return waitFor<HaJobManager | undefined>('a leading JobManager', () => {
      const l = this.leader();
      return l && l !== not ? l : undefined;
    }, timeoutMs, 50).then((l) => l!).catch((e: Error) => {
      throw new Error(`${e.message}\n${this.logs()}`);
    });
  }

  /** SIGKILLs a JobManager. */
  async kill(jm: HaJobManager): Promise<void> {
    jm.dead = true;
    await jm.daemon.kill('SIGKILL');
  }

  /** Submits the sequence job detached through the CLI pointed at `address` (which may be dead); resolves with the job id. */
  async submit(params: SequenceJobParams, address: string): Promise<string> {
    const jobFile = join(this.workDir, 'sequence-job.ts');
    writeFileSync(jobFile, SEQUENCE_JOB);
    const r = await runCli([
      'run', '-d', '-m', address, ...this.args, jobFile, this.outputDir,
      String(params.records), String(params.keys), String(params.ratePerSecond),
      String(params.checkpointIntervalMs), String(params.parallelism), String(params.sinkDelayMs ?? 0),
      String(params.restartDelayMs ?? 100),
    ]);
    if (r.code !== 0) throw new Error(`submission failed (${r.code}): ${r.stderr}`);
    return /JobID ([0-9a-f]{32})/.exec(r.stdout)![1]!;
  }

  /** The job's state through the REST API of any live JobManager (a standby redirects to the leader). */
  async jobState(jobId: string): Promise<string | undefined> {
    for (const jm of this.jobManagers) {
      if (jm.dead) continue;
      try {
        const res = await fetch(`http://127.0.0.1:${jm.restPort}/jobs/${jobId}`);
        if (res.ok) return ((await res.json()) as { state: string }).state;
      } catch {
        // next one
      }
    }
    return undefined;
  }

  /** Waits for the job to reach `state`; fails early on another terminal state. */
  async waitForJobState(jobId: string, state: string, timeoutMs = 120_000): Promise<void> {
    await waitFor(`job ${jobId} to be ${state}`, async () => {
      const s = await this.jobState(jobId);
      if (s && s !== state && ['FAILED', 'CANCELED', 'FINISHED'].includes(s)) throw new Error(`job ended ${s}, expected ${state}`);
      return s === state;
    }, timeoutMs, 100).catch((e: Error) => {
      throw new Error(`${e.message}\n${this.logs()}`);
    });
  }

  /** The tails of every JobManager log. */
  logs(chars = 3000): string {
    return `work dir ${this.workDir}\n` + this.jobManagers.map((jm, i) => `JobManager ${i} (${jm.rpcAddress}${jm.dead ? ', killed' : ''}):\n${jm.daemon.stderr().slice(-chars)}`).join('\n');
  }

  /** Kills every process and writes their logs beside the output. */
  async stop(): Promise<void> {
    const all = [...this.jobManagers.map((j) => j.daemon), ...this.taskManagers];
    await Promise.all(all.map((d) => {
      try {
        d.proc.kill('SIGCONT');
      } catch {
        // gone
      }
      return d.kill('SIGKILL');
    }));
    all.forEach((d, i) => writeFileSync(join(this.workDir, `daemon-${i}.log`), d.stderr()));
    await this.etcd?.stop();
  }
}
