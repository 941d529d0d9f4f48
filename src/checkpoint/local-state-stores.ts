/**
 * The task-local state stores of one TaskManager (Flink's TaskExecutorLocalStateStoresManager):
 * one {@link TaskLocalStateStore} per subtask of a job that ran here, under
 * `<root>/<jobId>/<vertexId>-<subtask>`. Stores outlive task attempts, so a subtask restarted on
 * this TaskManager finds the copy its previous attempt kept. The root belongs to this
 * TaskManager process: it is emptied when the stores are created and removed when they close,
 * so copies of an earlier process are never used.
 */
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { TaskLocalStateStore } from './task-local-state-store.js';

/** Which subtasks a checkpoint notification addresses (undefined: every subtask of the job). */
export interface SubtaskFilter {
  vertexId: string;
  subtaskIndex: number;
}

/** Local state stores of one TaskManager. */
export class TaskLocalStateStores {
  private readonly stores = new Map<string, Map<string, TaskLocalStateStore>>();
  private cleared: Promise<void>;

  constructor(
    /** This TaskManager's local state root. */
    readonly root: string,
    private readonly onError: (what: string, err: unknown) => void = () => {},
  ) {
    // Whatever a previous process left here is not ours to trust.
    this.cleared = rm(root, { recursive: true, force: true }).catch((err: unknown) => onError(`clearing ${root}`, err));
  }

  /** The store of one subtask (created on first use). */
  async forSubtask(jobId: string, vertexId: string, subtaskIndex: number): Promise<TaskLocalStateStore> {
    await this.cleared;
    let job = this.stores.get(jobId);
    if (!job) this.stores.set(jobId, (job = new Map()));
    const key = `${vertexId}-${subtaskIndex}`;
    let store = job.get(key);
    if (!store) job.set(key, (store = new TaskLocalStateStore(join(this.root, jobId, key), this.onError)));
    return store;
  }

  /** Checkpoint `checkpointId` of `jobId` completed: the addressed stores confirm it. */
  confirm(jobId: string, checkpointId: number, target?: SubtaskFilter): void {
    for (const s of this.addressed(jobId, target)) s.confirm(checkpointId);
  }

  /** Checkpoint `checkpointId` of `jobId` was aborted. */
  abort(jobId: string, checkpointId: number, target?: SubtaskFilter): void {
    for (const s of this.addressed(jobId, target)) s.abort(checkpointId);
  }

  /** A subtask finished: nothing will restore it, its copies go. */
  async releaseSubtask(jobId: string, vertexId: string, subtaskIndex: number): Promise<void> {
    const job = this.stores.get(jobId);
    const key = `${vertexId}-${subtaskIndex}`;
    const store = job?.get(key);
    if (!store) return;
    job!.delete(key);
    await store.discard();
  }

  /** The job ended: every copy of it goes. */
  async releaseJob(jobId: string): Promise<void> {
    const job = this.stores.get(jobId);
    this.stores.delete(jobId);
    if (job) await Promise.all([...job.values()].map((s) => s.discard()));
    await rm(join(this.root, jobId), { recursive: true, force: true }).catch((err: unknown) => this.onError(`removing local state of job ${jobId}`, err));
  }

  /** Jobs with local state here. */
  jobIds(): string[] {
    return [...this.stores.keys()];
  }

  /** Removes every copy and the root. */
  async close(): Promise<void> {
    const jobs = [...this.stores.keys()];
    await Promise.all(jobs.map((j) => this.releaseJob(j)));
    await this.cleared;
    await rm(this.root, { recursive: true, force: true }).catch((err: unknown) => this.onError(`removing ${this.root}`, err));
  }

  private addressed(jobId: string, target: SubtaskFilter | undefined): TaskLocalStateStore[] {
    const job = this.stores.get(jobId);
    if (!job) return [];
    if (!target) return [...job.values()];
    const store = job.get(`${target.vertexId}-${target.subtaskIndex}`);
    return store ? [store] : [];
  }
}
