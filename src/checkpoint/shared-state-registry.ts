/**
 * Reference counts of the shared files of incremental checkpoints (Flink's
 * SharedStateRegistry), kept by the JobManager's checkpoint layer: each retained checkpoint
 * counts once for every chain file its `_metadata` references. Pure bookkeeping; the
 * discarder (checkpoint-discarder.ts) brings it in line with the retained checkpoints and
 * deletes what it allows.
 *
 * A file may be deleted when no retained checkpoint references it AND it was written by a
 * checkpoint older than the oldest retained one. The second condition protects files of
 * checkpoints in flight (or aborted ones a later checkpoint of the same chain will still
 * reference): a task's chain only ever references files written since its last
 * materialization, and every checkpoint completed since then references them too; so a file
 * older than the oldest retained checkpoint and referenced by none of them is referenced by no
 * checkpoint in flight either. After a JobManager restart the registry is rebuilt from the
 * retained checkpoints' `_metadata`, so retention never deletes a file one of them uses.
 */
import type { CheckpointMetadata } from './checkpoint-types.js';
import { creatorCheckpointOf } from './incremental-keyed-state.js';

/** The shared file paths (relative to the shared directory) a checkpoint references. */
export function sharedFilesOf(metadata: CheckpointMetadata): string[] {
  const out = new Set<string>();
  for (const op of metadata.operators) for (const s of op.subtasks) for (const f of s.keyed?.chain ?? []) out.add(f.path);
  return [...out];
}

/** Reference counts of shared files over the registered checkpoints. */
export class SharedStateRegistry {
  private readonly counts = new Map<string, number>();
  private readonly byCheckpoint = new Map<number, readonly string[]>();

  /** Registers checkpoint `checkpointId` as referencing `paths` (again: no change). */
  register(checkpointId: number, paths: readonly string[]): void {
    if (this.byCheckpoint.has(checkpointId)) return;
    const unique = [...new Set(paths)];
    this.byCheckpoint.set(checkpointId, unique);
    for (const p of unique) this.counts.set(p, (this.counts.get(p) ?? 0) + 1);
  }

  /** Drops checkpoint `checkpointId`'s references; returns the paths no checkpoint references any more. */
  unregister(checkpointId: number): string[] {
    const paths = this.byCheckpoint.get(checkpointId);
    if (!paths) return [];
    this.byCheckpoint.delete(checkpointId);
    const freed: string[] = [];
    for (const p of paths) {
      const n = (this.counts.get(p) ?? 0) - 1;
      if (n > 0) this.counts.set(p, n);
      else {
        this.counts.delete(p);
        freed.push(p);
      }
    }
    return freed;
  }

  /** True when checkpoint `checkpointId` is registered. */
  has(checkpointId: number): boolean {
    return this.byCheckpoint.has(checkpointId);
  }

  /** Registered checkpoint ids, ascending. */
  checkpointIds(): number[] {
    return [...this.byCheckpoint.keys()].sort((a, b) => a - b);
  }

  /** How many registered checkpoints reference `path`. */
  references(path: string): number {
    return this.counts.get(path) ?? 0;
  }

  /**
   * Whether shared file `name` may be deleted, given the oldest retained checkpoint id
   * (undefined: none is retained, the job's checkpoints are all gone). Names no task writes
   * are never deleted here.
   */
  isCollectable(name: string, oldestRetained: number | undefined): boolean {
    const creator = creatorCheckpointOf(name);
    if (creator === undefined || this.references(name) > 0) return false;
    return oldestRetained === undefined || creator < oldestRetained;
  }
}
