/**
 * Triggers of one job's checkpoints and savepoints, one at a time (as Flink's
 * CheckpointCoordinator, which triggers one request at a time). A trigger draws its checkpoint
 * id, waits for discarded directories to go, creates its own and asks the sources for the
 * barrier; only then may the next trigger draw its id. So ids reach every source in increasing
 * order even when a directory is slow to create (a loaded disk), as tasks expect: a barrier
 * with a higher id follows the lower ones (sinks map ids to the records before their barriers;
 * a source at the end of its input waits for a checkpoint taken after that end). A checkpoint
 * still being triggered counts as in flight for the periodic timer, so the timer cannot start
 * more than the max concurrent checkpoints meanwhile.
 */

/** The trigger queue of one CheckpointCoordinator. */
export class CheckpointTriggerSequence {
  /** Settles once the last trigger queued so far has asked its sources (or failed). */
  private last: Promise<void> = Promise.resolve();
  private checkpoints = 0;

  /** Checkpoints (not savepoints) being triggered or queued to be. */
  get triggering(): number {
    return this.checkpoints;
  }

  /**
   * Runs `trigger` once every trigger queued before it has settled; resolves or rejects as it
   * does. `trigger` must resolve as soon as the sources were asked, not when the checkpoint
   * completes (wrap that promise in the result), or it would hold up the next one.
   */
  run<T>(savepoint: boolean, trigger: () => Promise<T>): Promise<T> {
    if (!savepoint) this.checkpoints++;
    const result = this.last.then(trigger).finally(() => {
      if (!savepoint) this.checkpoints--;
    });
    this.last = result.then(noop, noop);
    return result;
  }
}

function noop(): void {}
