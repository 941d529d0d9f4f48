import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { TwoPhaseCommitSink } from '../../src/api/two-phase-commit-sink.js';
import { FileSink } from '../../src/connectors/file-sink.js';
import type { SinkWriter } from '../../src/common/sink.js';
import { stateInitializationContext, type CheckpointedFunction, type CheckpointListener } from '../../src/common/checkpoint-hooks.js';
import { OperatorStateStore, type OperatorStateSnapshot } from '../../src/state/operator-state-store.js';

const JOB = 'ef'.repeat(16);
const ctx = { timestamp: () => undefined, currentProcessingTime: () => 0, currentWatermark: () => 0 };
type Hooked<T> = SinkWriter<T> & CheckpointedFunction & CheckpointListener;
let dirs: string[] = [];
afterEach(async () => {
  for (const d of dirs) await rm(d, { recursive: true, force: true });
  dirs = [];
});

async function open<T>(sink: { createWriter: (c: never) => unknown }, attempt: number, restored?: OperatorStateSnapshot, subtask = 0) {
  const store = new OperatorStateStore('sink');
  if (restored) store.restore(restored);
  const writer = sink.createWriter({ subtaskIndex: subtask, parallelism: 1, attemptNumber: attempt, jobId: JOB, operatorName: 'sink' } as never) as Hooked<T>;
  await writer.initializeState(stateInitializationContext(store, restored ? 1 : undefined));
  return { writer, store };
}

const snap = (id: number) => ({ checkpointId: id, timestamp: 0, savepoint: false });

async function visible(dir: string): Promise<string[]> {
  const out: string[] = [];
  for (const f of (await readdir(dir)).sort()) if (!f.startsWith('.')) out.push(...(await readFile(join(dir, f), 'utf8')).split('\n').filter(Boolean));
  return out.sort();
}

describe('FileSink two-phase commit', () => {
  it('files become visible only when their checkpoint completes', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'fluss-2pc-'));
    dirs.push(dir);
    const { writer } = await open<string>(FileSink.forRowFormat<string>(dir), 0);
    writer.write('a', ctx);
    writer.write('b', ctx);
    await writer.snapshotState(snap(1));
    expect(await visible(dir)).toEqual([]);
    expect((await readdir(dir)).filter((f) => f.endsWith('.inprogress'))).toHaveLength(1);
    writer.write('c', ctx);
    await writer.snapshotState(snap(2));
    await writer.notifyCheckpointComplete(1);
    expect(await visible(dir)).toEqual(['a', 'b']);
    await writer.notifyCheckpointComplete(2);
    expect(await visible(dir)).toEqual(['a', 'b', 'c']);
    const names = (await readdir(dir)).filter((f) => !f.startsWith('.'));
    expect(names).toHaveLength(2);
    for (const n of names) expect(n).toMatch(/^part-efefefef-0000-[0-9a-f-]+-0-\d$/);
    await writer.close();
  });

  it('a restore behind committed files (fallback to an older checkpoint) rolls them back', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'fluss-2pc-'));
    dirs.push(dir);
    const first = await open<string>(FileSink.forRowFormat<string>(dir), 0);
    first.writer.write('a', ctx);
    await first.writer.snapshotState(snap(1));
    const atOne = first.store.snapshot();
    await first.writer.notifyCheckpointComplete(1);
    first.writer.write('b', ctx);
    await first.writer.snapshotState(snap(2));
    const atTwo = first.store.snapshot();
    await first.writer.notifyCheckpointComplete(2);
    await first.writer.close();
    // Attempt 1 restored checkpoint 2 and committed more before failing.
    const second = await open<string>(FileSink.forRowFormat<string>(dir), 1, atTwo);
    second.writer.write('c', ctx);
    await second.writer.snapshotState(snap(3));
    await second.writer.notifyCheckpointComplete(3);
    await second.writer.close();
    expect(await visible(dir)).toEqual(['a', 'b', 'c']);
    // Checkpoints 2 and 3 turned out damaged: attempt 2 restores checkpoint 1; only 'a' remains.
    const third = await open<string>(FileSink.forRowFormat<string>(dir), 2, atOne);
    expect(await visible(dir)).toEqual(['a']);
    await third.writer.close();
  });

  it('a restore commits the pending files of the checkpoint (idempotently) and deletes in-progress files of the failed attempt', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'fluss-2pc-'));
    dirs.push(dir);
    const sink = FileSink.forRowFormat<string>(dir);
    const first = await open<string>(sink, 0);
    first.writer.write('x1', ctx);
    await first.writer.snapshotState(snap(1));
    const state = first.store.snapshot();
    // After the barrier: written, never checkpointed; then the attempt fails (no notify, no close).
    first.writer.write('after-1', ctx);
    await first.writer.flush(false);
    expect((await readdir(dir)).filter((f) => f.endsWith('.inprogress'))).toHaveLength(2);

    // Another writer of an unrelated job shares the directory: its files are left alone.
    await writeFile(join(dir, '.part-12345678-0000-aaaa-bbbb-cccccccccccc-0-0.inprogress'), 'other\n');
    const second = await open<string>(sink, 1, state);
    expect(await visible(dir)).toEqual(['x1']);
    expect((await readdir(dir)).filter((f) => f.startsWith('.'))).toEqual(['.part-12345678-0000-aaaa-bbbb-cccccccccccc-0-0.inprogress']);
    // The same restore once more (a second failure right after it): nothing changes, nothing fails.
    await open<string>(sink, 2, state);
    expect(await visible(dir)).toEqual(['x1']);

    second.writer.write('y', ctx);
    await second.writer.flush(true);
    expect(await visible(dir)).toEqual(['x1', 'y']);
    const parts = (await readdir(dir)).filter((f) => !f.startsWith('.'));
    expect(new Set(parts.map((p) => p.split('-').slice(1, 6).join('-'))).size).toBe(2);
    await second.writer.close();
  });
});

class RecordingSink extends TwoPhaseCommitSink<number, { id: number; values: number[] }> {
  static log: string[] = [];
  static committed = new Map<number, number[]>();
  private next = 0;
  protected beginTransaction() {
    return { id: this.next++ + Math.floor(Math.random() * 1e6) * 100, values: [] as number[] };
  }
  protected invoke(txn: { values: number[] }, value: number) {
    txn.values.push(value);
  }
  protected preCommit(txn: { id: number }) {
    RecordingSink.log.push(`preCommit ${txn.id}`);
  }
  protected commit(txn: { id: number; values: number[] }) {
    RecordingSink.committed.set(txn.id, txn.values);
  }
  protected abort(txn: { id: number }) {
    RecordingSink.log.push(`abort ${txn.id}`);
  }
}

describe('TwoPhaseCommitSink', () => {
  it('pre-commits at the barrier, commits on completion, commits restored transactions and aborts the open one on close', async () => {
    const sink = new RecordingSink();
    const { writer, store } = await open<number>(sink, 0);
    writer.write(1, ctx);
    writer.write(2, ctx);
    await writer.snapshotState(snap(1));
    writer.write(3, ctx);
    expect([...RecordingSink.committed.values()]).toEqual([]);
    const state = store.snapshot();
    await writer.notifyCheckpointComplete(1);
    expect([...RecordingSink.committed.values()]).toEqual([[1, 2]]);
    await writer.close();
    expect(RecordingSink.log.filter((l) => l.startsWith('abort'))).toHaveLength(1);

    RecordingSink.committed.clear();
    const restored = await open<number>(new RecordingSink(), 1, state);
    // The restored pending transaction is committed again (commits are idempotent).
    expect([...RecordingSink.committed.values()]).toEqual([[1, 2]]);
    restored.writer.write(4, ctx);
    await restored.writer.flush(true);
    expect([...RecordingSink.committed.values()]).toEqual([[1, 2], [4]]);
  });
});
