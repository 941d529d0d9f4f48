/**
 * A task-local restore reads each local file's bytes through sha256 once: a canonical state file
 * is checksummed as it is read (which still rejects a damaged local copy before the task keeps
 * anything, so the restore falls back to the checkpoint directory), not a second time up front.
 */
import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';

const hashed = vi.hoisted(() => ({ bytes: 0 }));
vi.mock('node:crypto', async (importOriginal) => {
  const crypto = await importOriginal<typeof import('node:crypto')>();
  const createHash = (algorithm: string, ...rest: unknown[]) => {
    const hash = (crypto.createHash as (a: string, ...r: unknown[]) => import('node:crypto').Hash)(algorithm, ...rest);
    const update = hash.update.bind(hash) as (data: Buffer | string) => import('node:crypto').Hash;
    hash.update = ((data: Buffer | string) => {
      hashed.bytes += typeof data === 'string' ? Buffer.byteLength(data) : data.length;
      return update(data);
    }) as typeof hash.update;
    return hash;
  };
  return { ...crypto, default: { ...crypto, createHash }, createHash };
});

// The setup file loaded the state modules with the real hash already: load them again, mocked.
vi.resetModules();
const { loadTaskStateAssignmentPreferLocal } = await import('../../src/checkpoint/local-state-restore.js');
const { writeOperatorStateFile } = await import('../../src/checkpoint/state-files.js');
const { TaskLocalStateStore } = await import('../../src/checkpoint/task-local-state-store.js');
type CheckpointMetadata = import('../../src/checkpoint/checkpoint-types.js').CheckpointMetadata;
type JobGraph = import('../../src/common/job-graph.js').JobGraph;
type JobVertex = import('../../src/common/job-graph.js').JobVertex;

const dirs: string[] = [];
afterEach(async () => {
  for (const d of dirs.splice(0)) await rm(d, { recursive: true, force: true });
});

describe('task-local restore of canonical state files', () => {
  it('hashes each local file once, and still falls back when a local file is damaged', async () => {
    const root = await mkdtemp(join(tmpdir(), 'fluss-lr-hash-'));
    dirs.push(root);
    const chk = join(root, 'job', 'chk-1');
    await mkdir(chk, { recursive: true });
    const items = Array.from({ length: 5_000 }, (_, i) => ({ offset: i, split: `split-${i}` }));
    const handle = await writeOperatorStateFile(chk, 'op1-0-op', { offsets: { mode: 'split', items } });
    const operators = [{ operatorId: 'op1', subtaskIndex: 0, operatorState: handle }];
    const metadata: CheckpointMetadata = {
      version: 1,
      jobId: 'job',
      checkpointId: 1,
      timestamp: Date.now(),
      savepoint: false,
      operators: [{ operatorId: 'op1', name: 'Offsets', parallelism: 1, maxParallelism: 128, subtasks: operators }],
    };
    await writeFile(join(chk, '_metadata'), JSON.stringify(metadata));
    const vertex = { id: 'v', name: 'Offsets', operators: [{ operatorId: 'op1', name: 'Offsets' }], parallelism: 1, maxParallelism: 128, inputs: [], outputs: [] } as unknown as JobVertex;
    const jobGraph = { vertices: [vertex] } as unknown as JobGraph;
    const store = new TaskLocalStateStore(join(root, 'local', 'v-0'));
    await store.store(1, chk, operators);
    store.confirm(1);
    const restore = { checkpointDir: chk, checkpointId: 1, allowNonRestoredState: false };

    hashed.bytes = 0;
    const outcome = await loadTaskStateAssignmentPreferLocal(restore, jobGraph, vertex, 0, store);
    expect(outcome.local).toBe(true);
    expect(outcome.assignment.get('op1')!.operatorState['offsets']!.items).toEqual(items);
    expect(hashed.bytes).toBe(handle.size);

    // The same bytes with one changed: the local copy is refused and the checkpoint's file is read.
    const local = await store.retrieve(1);
    const victim = join(local.dir, handle.path);
    const bytes = await readFile(victim);
    bytes[bytes.length - 1] ^= 0xff;
    await rm(victim);
    await writeFile(victim, bytes);
    const fallback = await loadTaskStateAssignmentPreferLocal(restore, jobGraph, vertex, 0, store);
    expect(fallback.local).toBe(false);
    expect(fallback.fallbackReason).toMatch(/checksum/);
    expect(fallback.assignment.get('op1')!.operatorState['offsets']!.items).toEqual(items);
  });
});
