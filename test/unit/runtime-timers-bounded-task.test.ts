import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { MAX_WATERMARK } from '../../src/common/stream-element.js';
import { validateConfig } from '../../src/core/config.js';
import { silentLogger } from '../../src/core/logger.js';
import { NetworkEnvironment } from '../../src/network/network-environment.js';
import { resultPartitionId } from '../../src/network/shuffle-types.js';
import { Mailbox, type MailboxController } from '../../src/runtime/mailbox.js';
import { Task } from '../../src/runtime/task.js';
import { NetworkInputAction, TaskOutputs } from '../../src/runtime/task-input-actions.js';
import type { TaskCheckpointing } from '../../src/runtime/task-checkpointing.js';
import type { TaskInputProcessor } from '../../src/runtime/task-input-processor.js';
import { TimerSlicing, type ChainTimers } from '../../src/runtime/timer-slicing.js';
import { LevelDbKeyedStateBackend } from '../../src/state/leveldb-keyed-state-backend.js';
import { builtJob, linear, op, vertex } from './runtime-test-jobs.js';

const jobId = 'ef'.repeat(16);
let network: NetworkEnvironment | undefined;
let dirs: string[] = [];
afterEach(async () => {
  await network?.close();
  network = undefined;
  for (const d of dirs) await rm(d, { recursive: true, force: true });
  dirs = [];
});

/** A chain whose timers wait for a load until `release()`. */
function loadingChain(): { chain: ChainTimers; load: Promise<void>; release(): void; resumes(): number } {
  let pending = true;
  let resumes = 0;
  let release!: () => void;
  const load = new Promise<void>((r) => (release = r));
  const chain: ChainTimers = {
    hasPendingTimers: () => pending,
    resumeTimers: () => {
      resumes++;
      return !pending;
    },
    fireProcessingTimers: () => undefined,
    nextProcessingTimer: () => undefined,
    pendingTimerLoad: () => (pending ? load : undefined),
  };
  return {
    chain,
    load,
    release: () => {
      pending = false;
      release();
    },
    resumes: () => resumes,
  };
}

describe('a task waits for timers loaded from LevelDB without spinning', () => {
  it('suspends its input action on the load, and end of input waits for it', async () => {
    const mailbox = new Mailbox();
    const slicing = new TimerSlicing(mailbox);
    const l = loadingChain();
    slicing.bind(l.chain);
    const suspended: Promise<unknown>[] = [];
    const controller: MailboxController = { allActionsCompleted: () => undefined, suspendDefaultAction: (p) => void suspended.push(p) };
    const action = new NetworkInputAction({} as TaskInputProcessor, slicing, new TaskOutputs([]), {} as TaskCheckpointing);
    await action.runDefaultAction(controller);
    // No input is taken, and the loop sleeps until the load is in.
    expect(suspended).toEqual([l.load]);

    const drained = slicing.drain(() => undefined);
    setTimeout(() => l.release(), 200);
    await drained;
    // One look before the wait, one after: not a turn of the event loop each.
    expect(l.resumes()).toBeLessThanOrEqual(4);
  });

  it('fires 4000 timers of a watermark with a head of 64 (many loads) before taking later records', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'fluss-timer-task-'));
    dirs.push(dir);
    network = new NetworkEnvironment({ taskManagerId: 'tm', logger: silentLogger() });
    type Input = { kind: 'timer'; key: number; at: number } | { kind: 'after'; key: number };
    const out: { kind: string; key: number; at?: number; wm: number }[] = [];
    let sinkCtx: { currentWatermark(): number } | undefined;
    const fn = {
      processElement(v: Input, ctx: { timerService(): { registerEventTimeTimer(t: number): void } }, collect: { collect(x: unknown): void }) {
        if (v.kind === 'timer') ctx.timerService().registerEventTimeTimer(v.at);
        else collect.collect({ kind: 'after', key: v.key });
      },
      onTimer(ts: number, ctx: { getCurrentKey(): unknown }, collect: { collect(x: unknown): void }) {
        collect.collect({ kind: 'fired', key: ctx.getCurrentKey(), at: ts });
      },
    };
    const sink = {
      invoke(v: { kind: string; key: number; at?: number }, ctx: { currentWatermark(): number }) {
        sinkCtx = ctx;
        out.push({ ...v, wm: ctx.currentWatermark() });
      },
    };
    const ops = linear([op('keyedProcess', 'Timers', fn, { key: (v: Input) => v.key }), op('sink', 'Sink', sink)]);
    const b = vertex('B', ops, 1);
    b.inputs.push({ id: 'e1', streamEdgeId: 's1', sourceVertexId: 'A', targetVertexId: 'B', partitioner: 'hash' as const, sourceOperatorIndex: 0, targetOperatorIndex: 0, targetInput: 0 });
    const partitionId = resultPartitionId(jobId, 'e1', 0, 0);
    const partition = network.createResultPartition(partitionId, 1, { bufferTimeoutMs: 0, maxRecordsPerBatch: 1024 });
    let scans = 0;
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
      builtJob([b], ops),
      {
        shuffle: network,
        logger: silentLogger(),
        config: validateConfig({ 'state.backend.leveldb.timer-service.cache-size': 64 }),
        keyedStateBackendFactory: async (p) => {
          const backend = await LevelDbKeyedStateBackend.open({ ...p, path: join(dir, p.operatorId), cacheBytes: 1 << 20 });
          const scan = backend.scanTimers.bind(backend);
          backend.scanTimers = (...args) => {
            scans++;
            return scan(...args);
          };
          return backend;
        },
        onStateChange: (_s, err) => {
          if (err) error = err;
        },
      },
    );
    const timers = 4000;
    const watermark = 10_000;
    const done = task.run();
    for (let i = 0; i < timers; i++) partition.emitRecord(0, { kind: 'timer', key: i, at: 1 + (i % 97) * 100 } satisfies Input, 0);
    partition.emitRecord(0, { kind: 'timer', key: -1, at: watermark + 1 } satisfies Input, 0);
    partition.broadcastEvent({ kind: 'watermark', timestamp: watermark });
    for (let i = 0; i < 100; i++) partition.emitRecord(0, { kind: 'after', key: i } satisfies Input, 0);
    await Promise.all([done, partition.finish()]);
    expect(error).toBeUndefined();
    expect(out).toHaveLength(timers + 101);
    let prev = Number.NEGATIVE_INFINITY;
    const keys = new Set<number>();
    for (const o of out.slice(0, timers)) {
      expect(o.kind).toBe('fired');
      expect(o.at).toBe(1 + (o.key % 97) * 100);
      expect(o.at!).toBeGreaterThanOrEqual(prev);
      expect(o.wm).toBeLessThan(watermark);
      prev = o.at!;
      keys.add(o.key);
    }
    expect(keys.size).toBe(timers);
    for (const o of out.slice(timers, timers + 100)) expect(o).toMatchObject({ kind: 'after', wm: watermark });
    expect(out.at(-1)).toMatchObject({ kind: 'fired', key: -1, at: watermark + 1 });
    expect(sinkCtx?.currentWatermark()).toBe(MAX_WATERMARK);
    // The timers came from LevelDB a chunk at a time.
    expect(scans).toBeGreaterThan(timers / 64);
  }, 60_000);
});
