/**
 * The runtime operator interface. Every `OperatorKind` has one implementation; operators of a
 * chain call each other synchronously through {@link Output}. Timestamps are numbers, with
 * `NO_TIMESTAMP` for records that have none.
 */
import type { RuntimeContext } from '../common/runtime-context.js';
import type { KeyedStateBackend } from '../state/keyed-state-backend.js';
import type { OperatorStateStore } from '../state/operator-state-store.js';
import type { StateInitializationContext, StateSnapshotContext } from '../common/checkpoint-hooks.js';
import type { InternalTimerService, ProcessingTimeService } from './internal-timer-service.js';

/** Where an operator emits. */
export interface Output {
  /** Main output. */
  collect(value: unknown, timestamp: number): void;
  /** Side output named by an OutputTag id; dropped when nothing consumes the tag. */
  collectSide(tagId: string, value: unknown, timestamp: number): void;
  emitWatermark(timestamp: number): void;
  /** Marks this output idle (no watermarks for now) or active again. */
  emitWatermarkStatus?(idle: boolean): void;
}

/**
 * The task's mailbox as an operator sees it (Flink's MailboxExecutor): work that completes
 * outside the task (a promise, a timer) comes back through it and runs between two slices.
 */
export interface MailboxExecutor {
  /** Runs `mail` in the task's mailbox; what it throws fails the task. */
  execute(mail: () => void): void;
  /** Runs mail until `done()` holds (an operator waiting for its own work, e.g. at finish); throws when the task is canceled. */
  yieldUntil(done: () => boolean): Promise<void>;
}

/** What an operator gets when opened. */
export interface OperatorContext {
  readonly operatorName: string;
  readonly subtaskIndex: number;
  readonly parallelism: number;
  readonly maxParallelism: number;
  readonly attemptNumber: number;
  readonly jobId: string;
  readonly output: Output;
  /** Runtime context handed to user functions (state, subtask info). */
  readonly runtimeContext: RuntimeContext;
  /** Keyed backend of keyed operators; undefined otherwise. */
  readonly keyedStateBackend: KeyedStateBackend | undefined;
  /** Timers of keyed operators; undefined otherwise. */
  readonly timerService: InternalTimerService | undefined;
  readonly operatorStateStore: OperatorStateStore;
  /** Current processing time. */
  currentProcessingTime(): number;
  /** Wakes the task's mailbox at a processing time, which then calls `fireProcessingTimers`. */
  readonly processingTimeService?: ProcessingTimeService;
  /** Interval of periodic watermark emission (`pipeline.auto-watermark-interval`); 0 = none. */
  readonly autoWatermarkIntervalMs?: number;
  /** Id of the checkpoint this operator's state was restored from; undefined for a fresh start. */
  readonly restoredCheckpointId?: number;
  /** The task's mailbox, for work completing outside it (absent outside a task: operators fall back to their own). */
  readonly mailboxExecutor?: MailboxExecutor;
}

/** Whether an operator takes more input now (an async operator at capacity does not). */
export interface InputAvailability {
  isAvailable(): boolean;
  /** Resolves once it takes input again (also when woken by mail: callers check again). */
  whenAvailable(): Promise<void>;
}

/** A runtime operator. */
export interface StreamOperator {
  readonly name: string;
  /** Present when the operator may refuse input for a while: the task stops reading input then (backpressure). */
  readonly inputAvailability?: InputAvailability;
  open(ctx: OperatorContext): void | Promise<void>;
  /** One record of logical input `input`. */
  processElement(value: unknown, timestamp: number, input: number): void;
  /** The watermark of logical input `input` advanced to `timestamp`. */
  processWatermark(timestamp: number, input: number): void;
  /** No more records will arrive on `input`. */
  endInput(input: number): void;
  /** After every input ended: emit what is left, flush sinks. */
  finish(): void | Promise<void>;
  /** Frees resources; called on success, cancel and failure (then errors are ignored). */
  close(): void | Promise<void>;
  /** Input `input` became idle (no watermarks for now) or active again. */
  processWatermarkStatus?(idle: boolean, input: number): void;
  /** Fires processing-time timers due at `now` (keyed operators). */
  fireProcessingTimers?(now: number): void;
  /**
   * Called from `open`, before the user function opens: restored operator state (and keyed
   * state) is visible. `ctx.isRestored` is false for a fresh start.
   */
  initializeState?(ctx: StateInitializationContext): void | Promise<void>;
  /**
   * Synchronous part of checkpoint `ctx.checkpointId`: put what must be checkpointed into the
   * operator state store now. A returned promise is awaited before the checkpoint is
   * acknowledged (not by the mailbox).
   */
  snapshotState?(ctx: StateSnapshotContext): void | Promise<void>;
  /** Checkpoint `checkpointId` is complete (its `_metadata` exists). */
  notifyCheckpointComplete?(checkpointId: number): void | Promise<void>;
  /** Checkpoint `checkpointId` was given up. */
  notifyCheckpointAborted?(checkpointId: number): void | Promise<void>;
}
