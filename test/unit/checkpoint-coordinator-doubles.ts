/**
 * Doubles for CheckpointCoordinator unit tests: a manual clock, storage in a Map (with the
 * `chk-*` sweep of the real one), and a gateway recording what the tasks were told.
 */
import { CheckpointCoordinator } from '../../src/checkpoint/checkpoint-coordinator.js';
import type { CheckpointScheduler, CheckpointStorageAccess, CheckpointTaskGateway } from '../../src/checkpoint/checkpoint-coordinator-types.js';
import type { CheckpointMetadata, CheckpointRequest, TaskCheckpointAck } from '../../src/checkpoint/checkpoint-types.js';
import type { CompletedCheckpoint } from '../../src/checkpoint/completed-checkpoint-store.js';
import type { CheckpointTask } from '../../src/checkpoint/pending-checkpoint.js';
import { CheckpointStatsTracker } from '../../src/cluster/jobmanager/checkpoint-stats-tracker.js';
import type { CheckpointSettings } from '../../src/common/job-graph.js';
import { twoVertexJobGraph } from '../integration/jobmanager-harness.js';

/** A clock whose timers fire only when the test advances it. */
export class ManualScheduler implements CheckpointScheduler {
  time = 1_000;
  private timers: { at: number; fn: () => void; id: number }[] = [];
  private nextId = 0;
  now(): number {
    return this.time;
  }
  schedule(fn: () => void, ms: number): () => void {
    const id = this.nextId++;
    this.timers.push({ at: this.time + ms, fn, id });
    return () => (this.timers = this.timers.filter((t) => t.id !== id));
  }
  async advance(ms: number): Promise<void> {
    const end = this.time + ms;
    for (;;) {
      this.timers.sort((a, b) => a.at - b.at);
      const next = this.timers[0];
      if (!next || next.at > end) break;
      this.timers.shift();
      this.time = next.at;
      next.fn();
      await flush();
    }
    this.time = end;
    await flush();
  }
}

/** Lets every promise chain that can move on do so (all microtasks run before an immediate). */
export const flush = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

/** Storage double: directories and `_metadata` in a Map (the real one is tested in integration). */
export class MemoryStorage implements CheckpointStorageAccess {
  readonly dirs = new Map<string, CheckpointMetadata | null>();
  failMetadata = false;
  /** While set, `_metadata` writes wait for it. */
  metadataGate: Promise<void> | undefined;
  /** Creating the directory of checkpoint n waits for `dirGates.get(n)` (a slow disk); a rejected gate fails it. */
  readonly dirGates = new Map<number, Promise<void>>();
  async initCheckpointDir(id: number): Promise<string> {
    const gate = this.dirGates.get(id);
    if (gate) await gate;
    const dir = `/cp/job/chk-${id}`;
    this.dirs.set(dir, null);
    return dir;
  }
  async initSavepointDir(target: string | undefined): Promise<string> {
    const dir = `${target ?? '/sp'}/savepoint-abcdef-${this.dirs.size}`;
    this.dirs.set(dir, null);
    return dir;
  }
  async writeMetadata(dir: string, md: CheckpointMetadata): Promise<void> {
    if (this.metadataGate) await this.metadataGate;
    if (this.failMetadata) throw new Error('disk full');
    this.dirs.set(dir, md);
  }
  async discard(dir: string): Promise<void> {
    this.dirs.delete(dir);
  }
  async sweep(keep: ReadonlySet<number>, upTo: number): Promise<number[]> {
    const removed: number[] = [];
    for (const dir of [...this.dirs.keys()]) {
      const id = Number(/\/chk-(\d+)$/.exec(dir)?.[1] ?? NaN);
      if (Number.isNaN(id) || id > upTo || keep.has(id)) continue;
      this.dirs.delete(dir);
      removed.push(id);
    }
    return removed;
  }
  /** The ids of the `chk-*` directories, ascending. */
  checkpointIds(): number[] {
    return [...this.dirs.keys()]
      .map((d) => Number(/\/chk-(\d+)$/.exec(d)?.[1] ?? NaN))
      .filter((n) => !Number.isNaN(n))
      .sort((a, b) => a - b);
  }
}

export const graph = twoVertexJobGraph(2, 1);
export const ALL: CheckpointTask[] = [
  { vertexId: 'src', subtaskIndex: 0, attempt: 0 },
  { vertexId: 'src', subtaskIndex: 1, attempt: 0 },
  { vertexId: 'map', subtaskIndex: 0, attempt: 0 },
];

export class RecordingGateway implements CheckpointTaskGateway {
  running = true;
  triggers: { task: CheckpointTask; request: CheckpointRequest }[] = [];
  notified: { task: CheckpointTask; id: number }[] = [];
  aborted: { task: CheckpointTask; id: number }[] = [];
  failTrigger = false;
  runningTasks() {
    return this.running ? { all: ALL, sources: ALL.filter((t) => t.vertexId === 'src') } : undefined;
  }
  async triggerCheckpoint(task: CheckpointTask, request: CheckpointRequest): Promise<void> {
    if (this.failTrigger) throw new Error('TaskManager unreachable');
    this.triggers.push({ task, request });
  }
  /** The next this many notifications fail (TaskManager unreachable). */
  failNotifies = 0;
  notifyAttempts = 0;
  async notifyCheckpointComplete(task: CheckpointTask, id: number): Promise<void> {
    this.notifyAttempts++;
    if (this.failNotifies > 0) {
      this.failNotifies--;
      throw new Error('TaskManager unreachable');
    }
    this.notified.push({ task, id });
  }
  async abortCheckpoint(task: CheckpointTask, id: number): Promise<void> {
    this.aborted.push({ task, id });
  }
}

export function settings(over: Partial<CheckpointSettings> = {}): CheckpointSettings {
  return { intervalMs: 1_000, mode: 'EXACTLY_ONCE', timeoutMs: 10_000, minPauseMs: 0, maxConcurrent: 1, tolerableFailures: 0, retention: 'DELETE_ON_CANCELLATION', ...over };
}

export function setup(
  over: Partial<CheckpointSettings> = {},
  numRetained = 1,
  onCheckpointCompleted?: () => Promise<void>,
  recovered?: { checkpoints: CompletedCheckpoint[]; firstCheckpointId: number },
) {
  const scheduler = new ManualScheduler();
  const storage = new MemoryStorage();
  const gateway = new RecordingGateway();
  const stats = new CheckpointStatsTracker(ALL.length);
  const failovers: string[] = [];
  const coordinator = new CheckpointCoordinator({
    jobId: 'a'.repeat(32),
    jobGraph: graph,
    settings: settings(over),
    numRetained,
    gateway,
    storage,
    scheduler,
    stats,
    ...(recovered ? { recoveredCheckpoints: recovered.checkpoints, firstCheckpointId: recovered.firstCheckpointId } : {}),
    listener: { onTolerableFailuresExceeded: (c) => failovers.push(c), ...(onCheckpointCompleted ? { onCheckpointCompleted } : {}) },
  });
  return { scheduler, storage, gateway, stats, failovers, coordinator };
}

export function ack(id: number, t: CheckpointTask, withState = true): TaskCheckpointAck {
  return {
    checkpointId: id,
    vertexId: t.vertexId,
    subtaskIndex: t.subtaskIndex,
    attempt: t.attempt,
    operators: withState ? [{ operatorId: t.vertexId, subtaskIndex: t.subtaskIndex, operatorState: { path: `${t.vertexId}-${t.subtaskIndex}`, size: 10, checksum: 'c'.repeat(64) } }] : [],
    stats: { alignmentMs: t.subtaskIndex + 1, syncMs: 1, asyncMs: 2, stateSize: 10 },
  };
}

export async function ackAll(c: CheckpointCoordinator, id: number): Promise<void> {
  for (const t of ALL) await c.receiveAcknowledge(ack(id, t));
}

