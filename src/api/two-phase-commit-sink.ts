/**
 * Base class of exactly-once sinks with transactions (Flink's TwoPhaseCommitSinkFunction):
 * records go into the current transaction; at checkpoint n's barrier it is pre-committed
 * (flushed, made ready to commit) and kept, with its checkpoint id, in operator state; a new
 * transaction begins. Once checkpoint n completes, every transaction of n or earlier is
 * committed. On restore the restored transactions are committed (commit must be idempotent:
 * a transaction may have been committed before the failure); transactions begun after the
 * restored checkpoint were never in a checkpoint and are the subclass's to discard
 * (`abort` is called for the open transaction when the writer closes without finishing). At end
 * of input the open transaction is pre-committed and everything is committed.
 *
 * Transactions must be plain data (they are stored in checkpoints). Every subtask's writer
 * keeps its own transactions; pending transactions are split round-robin on rescale.
 *
 * @example
 * class MyTxnSink extends TwoPhaseCommitSink<string, { file: string }> { … }
 * stream.sinkTo(new MyTxnSink());
 */
import type { SinkContext } from '../common/functions.js';
import type { ListState } from '../common/runtime-context.js';
import type { Sink, SinkWriter, SinkWriterContext } from '../common/sink.js';
import type { StateInitializationContext, StateSnapshotContext } from '../common/checkpoint-hooks.js';

/** Operator list state holding the pending transactions. */
const TRANSACTIONS_STATE = '_two_phase_commit_transactions';

/** A pre-committed transaction waiting for its checkpoint to complete. */
interface PendingTransaction<TXN> {
  checkpointId: number;
  txn: TXN;
}

/** What a subclass learns about its subtask. */
export type TwoPhaseCommitContext = SinkWriterContext;

/** An exactly-once sink over transactions of type `TXN`. */
export abstract class TwoPhaseCommitSink<T, TXN> implements Sink<T> {
  /** Starts a transaction (synchronously: it is called at the barrier). */
  protected abstract beginTransaction(ctx: TwoPhaseCommitContext): TXN;
  /** Writes one record into `txn`. */
  protected abstract invoke(txn: TXN, value: T, ctx: SinkContext): void;
  /** Makes `txn` ready to commit (flush); the checkpoint is acknowledged once this settles. */
  protected abstract preCommit(txn: TXN): void | Promise<void>;
  /** Commits a pre-committed `txn`; must be idempotent (it may run again after a restore). */
  protected abstract commit(txn: TXN): void | Promise<void>;
  /** Discards `txn`. */
  protected abstract abort(txn: TXN): void | Promise<void>;

  createWriter(ctx: SinkWriterContext): SinkWriter<T> {
    return new TwoPhaseCommitWriter<T, TXN>(this, ctx);
  }

  /** @internal the writer calls the protected steps through this. */
  static steps<T, TXN>(sink: TwoPhaseCommitSink<T, TXN>) {
    return {
      begin: (ctx: TwoPhaseCommitContext) => sink.beginTransaction(ctx),
      invoke: (txn: TXN, value: T, ctx: SinkContext) => sink.invoke(txn, value, ctx),
      preCommit: (txn: TXN) => sink.preCommit(txn),
      commit: (txn: TXN) => sink.commit(txn),
      abort: (txn: TXN) => sink.abort(txn),
    };
  }
}

/** The writer of one subtask: the current transaction and the pending ones. */
class TwoPhaseCommitWriter<T, TXN> {
  private readonly steps: ReturnType<typeof TwoPhaseCommitSink.steps<T, TXN>>;
  private current: TXN | undefined;
  private pending: PendingTransaction<TXN>[] = [];
  private state: ListState<PendingTransaction<TXN>> | undefined;
  /** Serialises pre-commits and commits, in checkpoint order. */
  private chain: Promise<void> = Promise.resolve();

  constructor(
    sink: TwoPhaseCommitSink<T, TXN>,
    private readonly ctx: SinkWriterContext,
  ) {
    this.steps = TwoPhaseCommitSink.steps(sink);
  }

  async initializeState(ctx: StateInitializationContext): Promise<void> {
    this.state = ctx.getListState<PendingTransaction<TXN>>(TRANSACTIONS_STATE);
    if (ctx.isRestored) {
      // Pre-committed before the failure and part of the restored checkpoint: commit them now.
      for (const p of this.state.get()) await this.steps.commit(p.txn);
      this.state.clear();
    } else if (this.ctx.attemptNumber > 0) {
      // Commits of earlier attempts cannot be rolled back: say loudly that this one starts over.
      process.emitWarning(
        `TwoPhaseCommitSink ${this.ctx.operatorName} of job ${this.ctx.jobId} (subtask ${this.ctx.subtaskIndex}) restarted WITHOUT STATE (attempt ${this.ctx.attemptNumber}): no checkpoint was restored, so transactions earlier attempts committed, if any, stay and their records may be written again`,
        { type: 'FlussWarning', code: 'FLUSS_SINK_RESTARTED_WITHOUT_STATE' },
      );
    }
    this.current = this.steps.begin(this.ctx);
  }

  write(value: T, ctx: SinkContext): void {
    this.current ??= this.steps.begin(this.ctx);
    this.steps.invoke(this.current, value, ctx);
  }

  snapshotState(ctx: StateSnapshotContext): Promise<void> {
    const txn = this.current ?? this.steps.begin(this.ctx);
    this.pending.push({ checkpointId: ctx.checkpointId, txn });
    this.state?.update(this.pending.map((p) => ({ ...p })));
    this.current = this.steps.begin(this.ctx);
    return this.enqueue(() => this.steps.preCommit(txn));
  }

  notifyCheckpointComplete(checkpointId: number): Promise<void> {
    const due = this.pending.filter((p) => p.checkpointId <= checkpointId);
    this.pending = this.pending.filter((p) => p.checkpointId > checkpointId);
    for (const p of due) void this.enqueue(() => this.steps.commit(p.txn));
    return this.chain;
  }

  async flush(endOfInput: boolean): Promise<void> {
    if (endOfInput) {
      const last = this.current;
      this.current = undefined;
      const all = this.pending;
      this.pending = [];
      if (last !== undefined) {
        void this.enqueue(() => this.steps.preCommit(last));
        all.push({ checkpointId: Number.MAX_SAFE_INTEGER, txn: last });
      }
      for (const p of all) void this.enqueue(() => this.steps.commit(p.txn));
    }
    await this.chain;
  }

  async close(): Promise<void> {
    const open = this.current;
    this.current = undefined;
    await this.chain.catch(() => undefined);
    if (open !== undefined) await this.steps.abort(open);
  }

  private enqueue(step: () => void | Promise<void>): Promise<void> {
    this.chain = this.chain.then(step);
    return this.chain;
  }
}
