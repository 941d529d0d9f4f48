import { describe, expect, it } from 'vitest';
import { StreamExecutionEnvironment } from '../../src/api/stream-execution-environment.js';
import { buildJob, type JobBuilder } from '../../src/api/build-job.js';
import { executeLocally } from '../../src/cluster/local-executor.js';

/** Builds `builder` through the same path the CLI uses. */
function builds(builder: JobBuilder): () => ReturnType<typeof buildJob> {
  return () => buildJob(builder, []);
}

describe('MiniCluster + TaskManager', () => {
  it('runs a job to completion and every subtask gets its own function instances', async () => {
    const seen: number[] = [];
    const instances = new Set<object>();
    await executeLocally(
      builds((env) => {
        env.setParallelism(2);
        const sink = {
          invoke(value: number) {
            instances.add(sink);
            seen.push(value);
          },
        };
        env.fromSequence(1, 100).map((x: number) => x * 2).rebalance().addSink(sink);
      }),
      { jobName: 'double' },
    );
    expect(seen.sort((a, b) => a - b)).toEqual(Array.from({ length: 100 }, (_, i) => (i + 1) * 2));
    expect(instances.size).toBe(2);
  });

  it('executeAndCollect returns the output of the job', async () => {
    const env = new StreamExecutionEnvironment();
    const out = await env.fromElements(1, 2, 3).map((x: number) => x + 1).executeAndCollect();
    expect(out.sort()).toEqual([2, 3, 4]);
  });

  it('fails the job naming the operator when a user function throws', async () => {
    const run = executeLocally(
      builds((env) => {
        env.fromElements(1, 2, 3)
          .map((x: number) => {
            if (x === 2) throw new RangeError('two is not allowed');
            return x;
          })
          .name('Picky')
          .addSink(() => {});
      }),
    );
    await expect(run).rejects.toThrow(/Picky.*RangeError: two is not allowed/);
  });

  it('fails the job when the builder is not deterministic', async () => {
    let calls = 0;
    const run = executeLocally(
      builds((env) => {
        calls++;
        const s = env.fromElements(1, 2, 3);
        (calls === 1 ? s.map((x: number) => x) : s.filter(() => true)).addSink(() => {});
      }),
    );
    await expect(run).rejects.toThrow(
      /The job builder is not deterministic: the graph built on the TaskManager differs from the submitted one \(fingerprint [0-9a-f]+ ≠ [0-9a-f]+\)/,
    );
  });
});
