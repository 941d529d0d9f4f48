/**
 * How operators, user functions and sink writers take part in checkpoints (Flink's
 * CheckpointedFunction and CheckpointListener). All hooks are optional and run in the task's
 * mailbox, between two slices of input:
 *
 * - `initializeState(ctx)` before the function is opened (restored state is visible then);
 * - `snapshotState(ctx)` when checkpoint n is taken: update operator state synchronously, before
 *   returning; a returned promise (pending I/O that must be durable, e.g. closing a part file)
 *   is awaited before the checkpoint is acknowledged, never by the mailbox;
 * - `notifyCheckpointComplete(n)` once checkpoint n exists (two-phase-commit sinks commit);
 * - `notifyCheckpointAborted(n)` when checkpoint n was given up.
 */
import type { ListState } from './runtime-context.js';

/**
 * The operator list states of one operator in one subtask, as the checkpoint hooks see them
 * (Flink's OperatorStateStore): `split` states are redistributed round-robin on rescale, `union`
 * states are given whole to every subtask. The state backend's operator state store implements it.
 */
export interface OperatorListStates {
  getListState<T>(name: string, mode: 'split' | 'union'): ListState<T>;
}

/** What `initializeState` gets. */
export interface StateInitializationContext {
  /** True when this operator's state was restored from a checkpoint or savepoint. */
  readonly isRestored: boolean;
  /** Id of the restored checkpoint, when restored. */
  readonly restoredCheckpointId: number | undefined;
  /** Operator list state, redistributed round-robin on rescale (by name or descriptor). */
  getListState<T>(nameOrDescriptor: string | NamedState): ListState<T>;
  /** Operator list state every subtask gets whole on restore. */
  getUnionListState<T>(nameOrDescriptor: string | NamedState): ListState<T>;
  /** Flink's spelling: `ctx.getOperatorStateStore().getListState(new ListStateDescriptor('offset'))`. */
  getOperatorStateStore(): OperatorStateStoreAccess;
}

/** Anything with a state name (a `ListStateDescriptor`). */
export interface NamedState {
  readonly name: string;
}

/** The operator state of a function (Flink's OperatorStateStore): list and union list state. */
export interface OperatorStateStoreAccess {
  getListState<T>(nameOrDescriptor: string | NamedState): ListState<T>;
  getUnionListState<T>(nameOrDescriptor: string | NamedState): ListState<T>;
}

/** What `snapshotState` gets. */
export interface StateSnapshotContext {
  readonly checkpointId: number;
  /** ms since epoch when the checkpoint was triggered. */
  readonly timestamp: number;
  /** A savepoint (taken by hand). */
  readonly savepoint: boolean;
}

/** A function or writer with operator state of its own. */
export interface CheckpointedFunction {
  initializeState(ctx: StateInitializationContext): void | Promise<void>;
  snapshotState(ctx: StateSnapshotContext): void | Promise<void>;
}

/** A function or writer that wants to hear about completed (and aborted) checkpoints. */
export interface CheckpointListener {
  notifyCheckpointComplete(checkpointId: number): void | Promise<void>;
  notifyCheckpointAborted?(checkpointId: number): void | Promise<void>;
}

/** The initialization context over an operator's state store. */
export function stateInitializationContext(store: OperatorListStates, restoredCheckpointId: number | undefined): StateInitializationContext {
  const stateName = (x: string | NamedState): string => (typeof x === 'string' ? x : x.name);
  const access: OperatorStateStoreAccess = {
    getListState: <T>(x: string | NamedState) => store.getListState<T>(stateName(x), 'split'),
    getUnionListState: <T>(x: string | NamedState) => store.getListState<T>(stateName(x), 'union'),
  };
  return {
    isRestored: restoredCheckpointId !== undefined,
    restoredCheckpointId,
    getListState: access.getListState,
    getUnionListState: access.getUnionListState,
    getOperatorStateStore: () => access,
  };
}

/** `fn.initializeState(ctx)` when `fn` has it. */
export function initializeStateOf(fn: unknown, ctx: StateInitializationContext): void | Promise<void> {
  const f = fn as Partial<CheckpointedFunction> | null | undefined;
  if (f && typeof f.initializeState === 'function') return f.initializeState(ctx);
}

/** `fn.snapshotState(ctx)` when `fn` has it. */
export function snapshotStateOf(fn: unknown, ctx: StateSnapshotContext): void | Promise<void> {
  const f = fn as Partial<CheckpointedFunction> | null | undefined;
  if (f && typeof f.snapshotState === 'function') return f.snapshotState(ctx);
}

/** `fn.notifyCheckpointComplete(id)` when `fn` has it. */
export function notifyCompleteOf(fn: unknown, checkpointId: number): void | Promise<void> {
  const f = fn as Partial<CheckpointListener> | null | undefined;
  if (f && typeof f.notifyCheckpointComplete === 'function') return f.notifyCheckpointComplete(checkpointId);
}

/** `fn.notifyCheckpointAborted(id)` when `fn` has it. */
export function notifyAbortedOf(fn: unknown, checkpointId: number): void | Promise<void> {
  const f = fn as Partial<CheckpointListener> | null | undefined;
  if (f && typeof f.notifyCheckpointAborted === 'function') return f.notifyCheckpointAborted(checkpointId);
}
