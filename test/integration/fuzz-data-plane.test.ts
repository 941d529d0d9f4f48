/**
 * Property-based robustness of the data plane, as fuzz-rpc.test.ts is for the RPC layer:
 * arbitrary JavaScript values (BigInts, Maps, dates, deep nesting, huge strings, and poisoned
 * ones: circular, functions, symbols, nesting too deep to encode, class instances, sets) go as
 * records through a remote exchange between two TaskManagers of a mini-cluster. Each job either
 * FINISHES with every record delivered intact to both consumers (one local, one remote), or
 * FAILS with one line naming the operator and the edge; the TaskManagers keep running, free
 * their slots, and run the next job.
 */
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildJob, type JobBuilder } from '../../src/api/build-job.js';
import { RestartStrategies } from '../../src/api/restart-strategies.js';
import { WatermarkStrategy } from '../../src/common/watermark-strategy.js';
import { registerInProcessJob, unregisterInProcessJob } from '../../src/cluster/in-process-jobs.js';
import { MiniCluster } from '../../src/cluster/mini-cluster.js';
import { JobManagerClient } from '../../src/cluster/rpc/job-manager-client.js';
import type { JobInfo } from '../../src/cluster/rpc/messages.js';
import { DataGeneratorSource } from '../../src/connectors/data-generator-source.js';
import { newId } from '../../src/core/ids.js';

let cluster: MiniCluster;
let client: JobManagerClient;
const hashes: string[] = [];

beforeAll(async () => {
  cluster = new MiniCluster({ numTaskManagers: 2, slotsPerTaskManager: 1 });
  await cluster.start();
  client = new JobManagerClient(cluster.jobManagerAddress);
}, 30_000);

afterAll(async () => {
  client?.close();
  await cluster?.stop();
  for (const h of hashes) unregisterInProcessJob(h);
});

/** Records the sinks received, per job run. */
let received: unknown[] = [];

/**
 * One source subtask broadcasts `values` to two sink subtasks, one per TaskManager: one of the
 * two channels is local, the other crosses the network.
 */
function broadcastJob(values: readonly unknown[]): JobBuilder {
  return (env) => {
    env.setParallelism(2);
    env.setRestartStrategy(RestartStrategies.noRestart());
    env
      .fromSource(new DataGeneratorSource((i: number) => values[i], values.length), WatermarkStrategy.noWatermarks(), 'Values')
      .setParallelism(1)
      .map((v: unknown) => v)
      .name('Pass')
      .setParallelism(1)
      .broadcast()
      .addSink((v: unknown) => void received.push(v))
      .name('Collect');
  };
}

async function run(values: readonly unknown[]): Promise<JobInfo> {
  received = [];
  const builder = broadcastJob(values);
  const build = () => buildJob(builder, []);
  const built = await build();
  const jobId = newId();
  const hash = registerInProcessJob(build, jobId);
  hashes.push(hash);
  await client.submitJob({ bundle: Buffer.from(hash), jobGraph: built.jobGraph, programArgs: [], jobId });
  return client.watchJob(jobId);
}

async function expectClusterHealthy(): Promise<void> {
  for (const tm of cluster.getTaskManagers()) expect(tm.address).toBeTruthy();
  const ok = await run([1, 'two', { three: 3n }]);
  expect(ok.status).toBe('FINISHED');
  expect(received).toHaveLength(6);
}

// ---- arbitraries ----

/** Values that msgpack carries as they are (no -0: it arrives as 0). */
const faithful = fc.letrec((tie) => ({
  value: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    fc.oneof(
      fc.string({ maxLength: 30 }),
      fc.integer(),
      fc.double().map((d) => (d === 0 ? 0 : d)),
      fc.boolean(),
      fc.constant(null),
      fc.bigInt({ min: -(10n ** 40n), max: 10n ** 40n }),
      fc.date({ noInvalidDate: true }),
      fc.nat({ max: 2 }).map((n) => 's'.repeat(200_000 * (n + 1))),
    ),
    fc.array(tie('value'), { maxLength: 5 }),
    fc.dictionary(fc.string({ maxLength: 8 }), tie('value'), { maxKeys: 5 }),
    fc.array(fc.tuple(fc.string({ maxLength: 6 }), tie('value')), { maxLength: 3 }).map((e) => new Map(e)),
  ),
})).value;

class Unregistered {
  constructor(readonly n: number) {}
}

/** Values that cannot be serialised, wrapped in an otherwise plain record. */
const poison = fc.oneof(
  fc.nat().map((id) => {
    const o: Record<string, unknown> = { id };
    o['again'] = [o];
    return o;
  }),
  fc.nat().map((id) => ({ id, callback: () => id })),
  fc.nat().map((id) => ({ id, tag: Symbol(`s${id}`) })),
  fc.constant(null).map(() => {
    let deep: unknown = 'bottom';
    for (let i = 0; i < 10_000; i++) deep = { down: deep };
    return { deep };
  }),
);

/** Values whose fate depends on the codec's type support: anything but a crash is fine. */
const odd = fc.oneof(
  fc.anything({ withBigInt: true, withMap: true, withSet: true, withTypedArray: true, withDate: true, withNullPrototype: true, withSparseArray: true, maxDepth: 3 }),
  fc.nat().map((n) => new Unregistered(n)),
);

const ONE_LINE = /^Pass failed: a record cannot be sent over the network on edge Pass -> BROADCAST -> Sink: Collect: [^\n]+$/;

describe('data plane fuzz: records through a remote exchange', () => {
  it('faithful values arrive intact at the local and the remote consumer', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(faithful, { minLength: 1, maxLength: 6 }), async (values) => {
        const info = await run(values);
        expect(info.failureCause ?? '').toBe('');
        expect(info.status).toBe('FINISHED');
        expect(received).toHaveLength(values.length * 2);
        // Every value arrived twice and equal to what was sent.
        for (const v of values) {
          const twins = received.filter((r) => {
            try {
              expect(r).toEqual(v);
              return true;
            } catch {
              return false;
            }
          });
          expect(twins.length).toBeGreaterThanOrEqual(2);
        }
      }),
      { numRuns: 12 },
    );
  }, 240_000);

  it('poisoned values fail the job with one line naming the operator and the edge; the cluster keeps running', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(faithful, { maxLength: 3 }), poison, fc.array(faithful, { maxLength: 3 }), async (before, bad, after) => {
        const info = await run([...before, bad, ...after]);
        expect(info.status).toBe('FAILED');
        expect(info.failureCause).toMatch(ONE_LINE);
        expect(info.failureCause).toMatch(/(circular reference|a function|a symbol|nested too deeply) at |nested too deeply/);
      }),
      { numRuns: 10 },
    );
    await expectClusterHealthy();
  }, 240_000);

  it('anything else either arrives or fails with one line, never taking a TaskManager down', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(odd, { minLength: 1, maxLength: 4 }), async (values) => {
        const info = await run(values);
        expect(['FINISHED', 'FAILED']).toContain(info.status);
        if (info.status === 'FINISHED') expect(received).toHaveLength(values.length * 2);
        else expect(info.failureCause).not.toContain('\n');
      }),
      { numRuns: 12 },
    );
    await expectClusterHealthy();
  }, 240_000);
});
