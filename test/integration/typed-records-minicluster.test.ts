import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  KeyedProcessFunction,
  ValueStateDescriptor,
  type Collector,
  type KeyedProcessContext,
  type StreamExecutionEnvironment,
  type ValueState,
} from '../../src/api/index.js';
import { buildJob } from '../../src/api/build-job.js';
import { newId } from '../../src/core/ids.js';
import { registerInProcessJob, unregisterInProcessJob } from '../../src/cluster/in-process-jobs.js';
import { MiniCluster } from '../../src/cluster/mini-cluster.js';
import { JobManagerClient } from '../../src/cluster/rpc/job-manager-client.js';

/** Two TaskManagers with one slot each: parallelism-2 jobs exchange records over gRPC. */
let cluster: MiniCluster;
let client: JobManagerClient;

beforeAll(async () => {
  // A one-byte cache: every state read goes to LevelDB and decodes the stored bytes.
  cluster = new MiniCluster({
    numTaskManagers: 2,
    slotsPerTaskManager: 1,
    config: { 'state.backend.type': 'leveldb', 'state.backend.leveldb.cache.size': '1b' },
  });
  await cluster.start();
  client = new JobManagerClient(cluster.jobManagerAddress);
}, 30_000);

afterAll(async () => {
  client?.close();
  await cluster?.stop();
});

async function run(builder: (env: StreamExecutionEnvironment) => void): Promise<{ status: string; failureCause: string }> {
  const build = () => buildJob(builder, []);
  const first = await build();
  const jobId = newId();
  const hash = registerInProcessJob(build, jobId);
  try {
    await client.submitJob({ bundle: Buffer.from(hash), jobGraph: first.jobGraph, programArgs: [], jobId });
    const info = await client.watchJob(jobId);
    return { status: info.status, failureCause: info.failureCause };
  } finally {
    unregisterInProcessJob(hash);
  }
}

/** A taxi ride, as in Flink's training exercises. */
class Ride {
  constructor(
    public rideId: number,
    public isStart: boolean,
    public eventTime: number,
  ) {}
  describe(): string {
    return `${this.rideId}:${this.isStart ? 'START' : 'END'}@${this.eventTime}`;
  }
}

/** Never registered. */
class Fare {
  constructor(public rideId: number) {}
}

/** Matches START and END of a ride; the START waits in typed keyed state. */
class MatchRides extends KeyedProcessFunction<number, Ride, string> {
  private saved!: ValueState<Ride>;
  override open(): void {
    this.saved = this.getRuntimeContext().getState(new ValueStateDescriptor('saved ride', Ride));
  }
  processElement(ride: Ride, _ctx: KeyedProcessContext<number>, out: Collector<string>): void {
    // Records arrive as instances (some over the network, some through a local channel).
    if (!(ride instanceof Ride)) throw new Error(`record arrived as ${Object.getPrototypeOf(ride)?.constructor?.name}`);
    const saved = this.saved.value();
    if (saved == null) {
      this.saved.update(ride);
      return;
    }
    // START and END may arrive in either order (two parallel sources).
    out.collect([saved.describe(), ride.describe()].sort().join('>'));
    this.saved.clear();
  }
}

const N = 300;

describe('class instances through network exchanges (MiniCluster, parallelism 2, two TaskManagers)', () => {
  it('a registered class arrives through keyBy as instances and is kept in typed state through a one-byte cache', async () => {
    const results: string[] = [];
    const r = await run((env) => {
      env.setParallelism(2);
      env.registerType(Ride);
      env
        .fromSequence(0, 2 * N - 1)
        .map((i: number) => new Ride(i % N, i < N, i))
        .rebalance()
        .map((r: Ride) => r)
        .keyBy((r: Ride) => r.rideId)
        .process(new MatchRides())
        .addSink((v: string) => void results.push(v));
    });
    expect(r).toEqual({ status: 'FINISHED', failureCause: '' });
    expect(results.sort()).toEqual(Array.from({ length: N }, (_, i) => [`${i}:START@${i}`, `${i}:END@${i + N}`].sort().join('>')).sort());
  }, 60_000);

  it('ExecutionConfig.registerPojoType registers the class the same way', async () => {
    const results: string[] = [];
    const r = await run((env) => {
      env.setParallelism(2);
      env.getConfig().registerPojoType(Ride);
      env
        .fromSequence(0, 2 * N - 1)
        .map((i: number) => new Ride(i % N, i < N, i))
        .keyBy((r: Ride) => r.rideId)
        .process(new MatchRides())
        .addSink((v: string) => void results.push(v));
    });
    expect(r).toEqual({ status: 'FINISHED', failureCause: '' });
    expect(results).toHaveLength(N);
  }, 60_000);

  it('an unregistered class fails the job at the first record with one line saying how to register it', async () => {
    const r = await run((env) => {
      env.setParallelism(2);
      env
        .fromSequence(0, 99)
        .map((i: number) => new Fare(i))
        .keyBy((f: Fare) => f.rideId)
        .map((f: Fare) => f.rideId)
        .addSink(() => undefined);
    });
    expect(r.status).toBe('FAILED');
    expect(r.failureCause).toContain(
      "emits records of class Fare, which cannot cross a network exchange (keyBy, rebalance…) as themselves: register it in the job's builder: env.registerType(Fare) (or env.getConfig().registerPojoType(Fare))",
    );
    expect(r.failureCause).not.toContain('\n');
  }, 60_000);

  it('two different classes under one name are refused when the job is built', async () => {
    const Other = class Ride {};
    await expect(
      buildJob((env) => {
        env.registerType(Ride);
        env.registerType(Other);
        env.fromElements(1).addSink(() => undefined);
      }, []),
    ).rejects.toThrow('two different classes are registered under the name "Ride"');
  });
});
