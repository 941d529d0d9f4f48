import { performance } from 'node:perf_hooks';
import { afterEach, describe, expect, it } from 'vitest';
import { validateConfig } from '../../src/core/config.js';
import { silentLogger } from '../../src/core/logger.js';
import { NetworkEnvironment } from '../../src/network/network-environment.js';
import { resultPartitionId, type ResultPartition } from '../../src/network/shuffle-types.js';
import { MAX_WATERMARK } from '../../src/common/stream-element.js';
import { Task } from '../../src/runtime/task.js';
import type { ExecutionState } from '../../src/runtime/task-deployment.js';
import { MemoryKeyedStateBackend } from '../../src/state/memory-keyed-state-backend.js';
import { builtJob, linear, op, vertex } from './runtime-test-jobs.js';

const config = validateConfig({});
const jobId = 'cd'.repeat(16);
let network: NetworkEnvironment | undefined;
afterEach(async () => {
  await network?.close();
  network = undefined;
});

/** What the keyed function is told to do with one record. */
type Input = { kind: 'timer'; key: number; at: number } | { kind: 'after'; key: number };
/** What reaches the sink: a fired timer, or a record processed after the watermark. */
type Output = { kind: 'fired'; key: number; at: number; wm: number } | { kind: 'after'; key: number; wm: number };

/**
 * Runs one task `keyedProcess -> sink` reading a partition the test writes itself: `feed`
 * emits records and events into it before it finishes. Returns what the sink saw, in order.
 */
async function runKeyedTask(
  feed: (p: ResultPartition) => void,
  onTimerCost: () => void = () => undefined,
): Promise<{ out: Output[]; states: ExecutionState[]; error?: Error; finalWatermark: number }> {
  network = new NetworkEnvironment({ taskManagerId: 'tm', logger: silentLogger() });
  const out: Output[] = [];
  let sinkCtx: { currentWatermark(): number } | undefined;
  const fn = {
    processElement(v: Input, ctx: { timerService(): { registerEventTimeTimer(t: number): void } }, collect: { collect(x: unknown): void }) {
      if (v.kind === 'timer') ctx.timerService().registerEventTimeTimer(v.at);
      else collect.collect({ kind: 'after', key: v.key });
    },
    onTimer(ts: number, ctx: { getCurrentKey(): unknown }, collect: { collect(x: unknown): void }) {
      onTimerCost();
      collect.collect({ kind: 'fired', key: ctx.getCurrentKey(), at: ts });
    },
  };
  const sink = {
    invoke(v: Omit<Output, 'wm'>, ctx: { currentWatermark(): number }) {
      sinkCtx = ctx;
      out.push({ ...v, wm: ctx.currentWatermark() } as Output);
    },
  };
  const ops = linear([op('keyedProcess', 'Timers', fn, { key: (v: Input) => v.key }), op('sink', 'Sink', sink)]);
  const b = vertex('B', ops, 1);
  const edge = { id: 'e1', streamEdgeId: 's1', sourceVertexId: 'A', targetVertexId: 'B', partitioner: 'hash' as const, sourceOperatorIndex: 0, targetOperatorIndex: 0, targetInput: 0 };
  b.inputs.push(edge);
  const job = builtJob([b], ops);
  const partitionId = resultPartitionId(jobId, 'e1', 0, 0);
  const partition = network.createResultPartition(partitionId, 1, { bufferTimeoutMs: 0, maxRecordsPerBatch: 1024 });
  const states: ExecutionState[] = [];
  let error: Error | undefined;
  const task = new Task(
    {
      jobId,
      jobName: 'timers',
      attempt: 0,
      bundleHash: 'h',
      programArgs: [],
      vertexId: 'B',
      subtaskIndex: 0,
      inputGates: [[{ partitionId, subpartition: 0, producerTaskManagerId: 'tm', producerAddress: 'local' }]],
      outputPartitions: [],
    },
    job,
    {
      shuffle: network,
      logger: silentLogger(),
      config,
      keyedStateBackendFactory: (p) => new MemoryKeyedStateBackend(p),
      onStateChange: (s, err) => {
        states.push(s);
        if (err) error = err;
      },
    },
  );
  const done = task.run();
  feed(partition);
  await Promise.all([done, partition.finish()]);
  return { out, states, error, finalWatermark: sinkCtx?.currentWatermark() ?? Number.NaN };
}

/** Counts event-loop turns (setImmediate) and the longest gap between two, while `active()`. */
function loopProbe(active: () => boolean): { turns: number; turnsWhileActive: number; maxGapMs: number; stop(): void } {
  const probe = { turns: 0, turnsWhileActive: 0, maxGapMs: 0, stop: () => void (stopped = true) };
  let stopped = false;
  let last = performance.now();
  const tick = () => {
    if (stopped) return;
    const now = performance.now();
    probe.turns++;
    if (active()) {
      probe.turnsWhileActive++;
      probe.maxGapMs = Math.max(probe.maxGapMs, now - last);
    }
    last = now;
    setImmediate(tick);
  };
  setImmediate(tick);
  return probe;
}

describe('timers fire in bounded slices', () => {
  it('fires 200 000 keyed event-time timers on MAX_WATERMARK over several slices, each once, in timestamp order, before the watermark', async () => {
    const n = 200_000;
    let fired = 0;
    const probe = loopProbe(() => fired > 0 && fired < n);
    const { out, states, error, finalWatermark } = await runKeyedTask(
      (p) => {
        // Timestamps in an order unrelated to registration: i * 7919 mod n is a permutation.
        for (let i = 0; i < n; i++) p.emitRecord(0, { kind: 'timer', key: i, at: 1000 + ((i * 7919) % n) } satisfies Input, 0);
      },
      () => void fired++,
    );
    probe.stop();
    expect(error).toBeUndefined();
    expect(states).toEqual(['INITIALIZING', 'RUNNING', 'FINISHED']);
    expect(out).toHaveLength(n);
    const keys = new Set<number>();
    const problems: string[] = [];
    let prev = Number.NEGATIVE_INFINITY;
    for (const o of out) {
      if (o.kind !== 'fired') problems.push(`unexpected ${JSON.stringify(o)}`);
      else if (o.at < prev) problems.push(`timer ${o.at} fired after ${prev}`);
      else if (o.at !== 1000 + ((o.key * 7919) % n)) problems.push(`key ${o.key} fired at ${o.at}`);
      // The maximal watermark is not forwarded while its timers fire.
      else if (o.wm === MAX_WATERMARK) problems.push(`timer ${o.at} fired after the watermark went on`);
      if (o.kind === 'fired') prev = o.at;
      keys.add(o.key);
    }
    expect(problems.slice(0, 5)).toEqual([]);
    expect(keys.size).toBe(n);
    // ... and it is forwarded once the last one fired.
    expect(finalWatermark).toBe(MAX_WATERMARK);
    // The event loop ran between slices while the timers fired: other work was not starved.
    expect(probe.turnsWhileActive).toBeGreaterThan(2);
    expect(probe.maxGapMs).toBeLessThan(500);
  });

  it('processes records that arrive after a watermark only once all of its timers fired', async () => {
    const timers = 4000;
    const watermark = 10_000;
    let fired = 0;
    const probe = loopProbe(() => fired > 0 && fired < timers);
    const { out, error, finalWatermark } = await runKeyedTask(
      (p) => {
        for (let i = 0; i < timers; i++) p.emitRecord(0, { kind: 'timer', key: i, at: 1 + (i % 97) * 100 } satisfies Input, 0);
        // A timer beyond the watermark: it fires at end of input, after the later records.
        p.emitRecord(0, { kind: 'timer', key: -1, at: watermark + 1 } satisfies Input, 0);
        p.broadcastEvent({ kind: 'watermark', timestamp: watermark });
        for (let i = 0; i < 100; i++) p.emitRecord(0, { kind: 'after', key: i } satisfies Input, 0);
      },
      () => {
        fired++;
        // Slow timers (~25 µs each, 100 ms in all): firing them must take several slices.
        const until = performance.now() + 0.025;
        while (performance.now() < until);
      },
    );
    probe.stop();
    expect(error).toBeUndefined();
    expect(out).toHaveLength(timers + 100 + 1);
    const firstAfter = out.findIndex((o) => o.kind === 'after');
    expect(firstAfter).toBe(timers);
    for (const o of out.slice(0, timers)) {
      expect(o.kind).toBe('fired');
      expect(o.wm).toBeLessThan(watermark);
    }
    // The records after it see the watermark: it went on only after the timers.
    for (const o of out.slice(timers, timers + 100)) expect(o).toMatchObject({ kind: 'after', wm: watermark });
    expect(out.at(-1)).toMatchObject({ kind: 'fired', key: -1, at: watermark + 1 });
    expect(finalWatermark).toBe(MAX_WATERMARK);
    expect(probe.turnsWhileActive).toBeGreaterThan(2);
  });
});
