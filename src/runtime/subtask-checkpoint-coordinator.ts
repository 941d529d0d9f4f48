/**
 * Takes one subtask's part of a checkpoint (Flink's SubtaskCheckpointCoordinator). The
 * synchronous part runs in the mailbox, with no record processed meanwhile: operators put their
 * state into their stores, operator state is copied, keyed state is fixed (canonical: caches
 * flushed, snapshot iterators opened; native LevelDB checkpoints: the cache's unwritten entries
 * captured, to be serialised on first access or by the asynchronous part, and the iterator opens
 * once the batches handed over so far are written); then barrier n goes out on every output and
 * processing resumes.
 * The asynchronous part writes the state files into the barrier's target directory, waits for
 * I/O operators started for the checkpoint (sinks closing transactions), and acknowledges with
 * the file handles, sizes and timings. Any failure declines the checkpoint; a failed
 * synchronous part sends a cancellation marker downstream instead of the barrier, so no
 * consumer waits for a barrier that never comes.
 *
 * An unaligned barrier goes out ahead of the records queued in the output subpartitions; those
 * it overtook, and the input records of its {@link PendingChannelState}, are written as the
 * subtask's channel state (held by the head operator) once the last input barrier arrived. A
 * timeoutable aligned barrier goes out in order and overtakes the output queues only if its
 * timeout passes first (timeoutable-output-barrier.ts).
 */
import { access } from 'node:fs/promises';
import { performance } from 'node:perf_hooks';
import type { OperatorSubtaskState, TaskCheckpointAck } from '../checkpoint/checkpoint-types.js';
import {
  keyedStateFileName,
  operatorStateFileName,
  writeKeyedStateFile,
  writeOperatorStateFile,
} from '../checkpoint/state-files.js';
import { writeNativeKeyedStateFile } from '../checkpoint/native-keyed-state-file.js';
import { writeKeyedStep } from '../checkpoint/incremental-keyed-state.js';
import { sharedStateDir } from '../checkpoint/checkpoint-metadata-validation.js';
import { channelStateFileName, writeChannelStateFile } from '../checkpoint/channel-state-file.js';
import { PendingChannelState } from './pending-channel-state.js';
import { isTimeoutable, sendTimeoutableBarrier, type SentTimeoutableBarrier } from './timeoutable-output-barrier.js';
import type { TaskLocalStateStore } from '../checkpoint/task-local-state-store.js';
import { releaseKeyedStateSnapshot } from '../state/keyed-state-snapshot.js';
import { describeError, InternalError } from '../core/errors.js';
import type { Logger } from '../core/logger.js';
import type { OperatorStateSnapshot } from '../state/operator-state-store.js';
import type { OperatorChain, OperatorSnapshot } from './operator-chain.js';
import type { CheckpointBarrierEvent } from '../common/stream-element.js';

/** Where a task reports the outcome of its part of a checkpoint. */
export interface CheckpointResponder {
  /** The subtask's state of the checkpoint is durable. */
  acknowledge(ack: TaskCheckpointAck): void;
  /** The subtask could not take the checkpoint. */
  decline(checkpointId: number, reason: string): void;
}

/** Identity of the subtask, as acks name it. */
export interface SubtaskIdentity {
  vertexId: string;
  subtaskIndex: number;
  attempt: number;
}

/** The asynchronous part of one checkpoint. */
interface InFlightCheckpoint {
  aborted: boolean;
  done: Promise<void>;
  /** Its barrier, while it may still time out in an output queue. */
  timeoutable?: SentTimeoutableBarrier | undefined;
}

/** True when some state of the snapshot holds items. */
function hasItems(s: OperatorStateSnapshot): boolean {
  for (const k in s) if (s[k]!.items.length > 0) return true;
  return false;
}

/** Takes the checkpoints of one subtask. */
export class SubtaskCheckpointCoordinator {
  /** Asynchronous parts still running, by checkpoint id. */
  private readonly inFlight = new Map<number, InFlightCheckpoint>();

  constructor(
    private readonly id: SubtaskIdentity,
    private readonly chain: OperatorChain,
    private readonly responder: CheckpointResponder | undefined,
    private readonly logger: Logger,
    /** With task-local recovery: where a copy of each checkpoint's files is kept before the ack. */
    private readonly localState?: TaskLocalStateStore,
  ) {}

  /**
   * Synchronous part of the checkpoint of `barrier`, then forwards it; resolves when processing
   * may go on. The asynchronous part continues in the background.
   */
  async checkpoint(barrier: CheckpointBarrierEvent, alignmentMs: number, endOfInput = false, inputChannelState?: PendingChannelState): Promise<void> {
    const { checkpointId } = barrier;
    const t0 = performance.now();
    let snapshots: OperatorSnapshot[];
    try {
      if (!barrier.targetDir) throw new InternalError(`barrier of checkpoint ${checkpointId} names no target directory`);
      snapshots = await this.chain.snapshotState({ checkpointId, timestamp: barrier.timestamp, savepoint: barrier.savepoint }, sharedStateDir(barrier.targetDir));
    } catch (err) {
      inputChannelState?.abort('the synchronous part of the snapshot failed');
      this.decline(checkpointId, `the synchronous part of the snapshot failed: ${describeError(err)}`);
      this.chain.broadcastEvent({ kind: 'cancelCheckpoint', checkpointId });
      return;
    }
    let channelState: PendingChannelState | undefined;
    let timeoutable: SentTimeoutableBarrier | undefined;
    if (barrier.unaligned === true) {
      channelState = inputChannelState ?? new PendingChannelState(checkpointId);
      channelState.addOutputs(this.chain.broadcastPriorityEvent(barrier));
      // A source has no input channels: its channel state is what the barrier overtook.
      if (!inputChannelState) channelState.complete();
    } else if (isTimeoutable(barrier)) {
      // Aligned, but it may still overtake the output queues when its timeout passes.
      timeoutable = sendTimeoutableBarrier(this.chain, barrier);
      channelState = timeoutable.channelState;
    } else {
      this.chain.broadcastEvent(barrier);
    }
    const syncMs = performance.now() - t0;
    const entry: InFlightCheckpoint = { aborted: false, done: Promise.resolve(), timeoutable };
    entry.done = this.asyncPart(barrier, barrier.targetDir, snapshots, alignmentMs, syncMs, entry, endOfInput, channelState).finally(() => {
      if (this.inFlight.get(checkpointId) === entry) this.inFlight.delete(checkpointId);
    });
    this.inFlight.set(checkpointId, entry);
  }

  /** Writes the files and acknowledges; declines on failure. Never rejects. */
  private async asyncPart(
    barrier: CheckpointBarrierEvent,
    targetDir: string,
    snapshots: OperatorSnapshot[],
    alignmentMs: number,
    syncMs: number,
    entry: InFlightCheckpoint,
    endOfInput: boolean,
    channelState: PendingChannelState | undefined,
  ): Promise<void> {
    const { checkpointId } = barrier;
    const t0 = performance.now();
    const { subtaskIndex } = this.id;
    // Snapshots from this index on still hold their LevelDB snapshot, unless a writer took it.
    let unreleased = 0;
    try {
      // The JobManager created the directory before triggering. It is never created here: a
      // late task (a stale attempt, a TaskManager resumed after SIGSTOP) must not bring back the
      // directory of a checkpoint the JobManager aborted and deleted — its writes fail instead.
      await access(targetDir);
      // Channel state is written beside the operators' files, once its last barrier arrived.
      const headId = snapshots[0]?.operatorId ?? this.id.vertexId;
      const channelFile = channelState?.done.then((c) =>
        entry.aborted || (c.inputs.length === 0 && c.outputs.length === 0) ? undefined : writeChannelStateFile(targetDir, channelStateFileName(headId, subtaskIndex), c),
      );
      channelFile?.catch(() => undefined);
      const operators: OperatorSubtaskState[] = [];
      let stateSize = 0;
      let checkpointedSize = 0;
      for (const s of snapshots) {
        if (s.durable) await s.durable;
        const state: OperatorSubtaskState = { operatorId: s.operatorId, subtaskIndex };
        unreleased++;
        if (s.keyed?.format === 'leveldb-native' && s.keyed.step) {
          const k = s.keyed;
          const written = await writeKeyedStep(targetDir, checkpointId, s.operatorId, subtaskIndex, k.keyGroupRange, k.native, s.keyed.step);
          state.keyed = written.keyed;
          stateSize += written.stateSize;
          checkpointedSize += written.checkpointedSize;
        } else if (s.keyed) {
          const name = keyedStateFileName(s.operatorId, subtaskIndex);
          const k = s.keyed;
          const file =
            k.format === 'leveldb-native'
              ? await writeNativeKeyedStateFile(targetDir, name, k.native)
              : await writeKeyedStateFile(targetDir, name, k.keyGroupRange, k.entries);
          state.keyed = { file, keyGroupRange: k.keyGroupRange, format: k.format };
          stateSize += file.size;
          checkpointedSize += file.size;
        }
        if (hasItems(s.operatorState)) {
          state.operatorState = await writeOperatorStateFile(targetDir, operatorStateFileName(s.operatorId, subtaskIndex), s.operatorState);
          stateSize += state.operatorState.size;
          checkpointedSize += state.operatorState.size;
        }
        operators.push(state);
        if (entry.aborted) return;
      }
      if (entry.aborted) return;
      const channelHandle = await channelFile;
      const channelStateBytes = channelHandle?.size ?? 0;
      if (channelHandle) operators[0]!.channelState = channelHandle;
      stateSize += channelStateBytes;
      checkpointedSize += channelStateBytes;
      if (entry.aborted) return;
      if (this.localState && !barrier.savepoint) await this.keepLocalCopy(checkpointId, targetDir, operators);
      if (entry.aborted) return;
      const asyncMs = Math.round(performance.now() - t0);
      this.logger.debug({ checkpointId, alignmentMs, syncMs: Math.round(syncMs), asyncMs, stateSize, checkpointedSize, channelStateBytes }, 'Checkpoint acknowledged');
      this.responder?.acknowledge({
        checkpointId,
        vertexId: this.id.vertexId,
        subtaskIndex,
        attempt: this.id.attempt,
        operators,
        stats: { alignmentMs, syncMs: Math.round(syncMs), asyncMs, stateSize, checkpointedSize, channelStateBytes, alignmentDurationMs: alignmentMs },
        ...(endOfInput ? { endOfInput } : {}),
      });
    } catch (err) {
      if (!entry.aborted) this.decline(checkpointId, `writing the state files failed: ${describeError(err)}`);
    } finally {
      for (const s of snapshots.slice(unreleased)) if (s.keyed) releaseKeyedStateSnapshot(s.keyed);
      // A canonical snapshot whose writer failed before reading it would otherwise keep running.
      for (const s of snapshots.slice(0, unreleased)) if (s.keyed?.format === 'canonical') releaseKeyedStateSnapshot(s.keyed);
    }
  }

  /**
   * Keeps the task-local copy of the files just written (links, or copies across filesystems).
   * A failure only costs the local copy: the checkpoint itself is acknowledged.
   */
  private async keepLocalCopy(checkpointId: number, targetDir: string, operators: readonly OperatorSubtaskState[]): Promise<void> {
    try {
      await this.localState!.store(checkpointId, targetDir, operators);
    } catch (err) {
      this.logger.warn({ checkpointId, err: describeError(err) }, 'Keeping the local copy of a checkpoint failed; a restore here reads the checkpoint directory');
    }
  }

  /** The coordinator aborted `checkpointId` (or it was superseded): no ack is sent for it. */
  abort(checkpointId: number): void {
    const entry = this.inFlight.get(checkpointId);
    if (entry) {
      entry.aborted = true;
      entry.timeoutable?.cancel(`checkpoint ${checkpointId} was aborted`);
    }
  }

  /** Resolves once every asynchronous part ended (acked, declined or aborted). */
  async whenIdle(): Promise<void> {
    while (this.inFlight.size > 0) await Promise.all([...this.inFlight.values()].map((e) => e.done));
  }

  /** Reports that this subtask cannot take `checkpointId`. */
  decline(checkpointId: number, reason: string): void {
    this.logger.warn({ checkpointId, reason }, 'Declining checkpoint');
    try {
      this.responder?.decline(checkpointId, reason);
    } catch (err) {
      this.logger.warn({ err: describeError(err) }, 'Declining a checkpoint failed');
    }
  }
}
