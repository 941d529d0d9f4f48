/**
 * What a job restores from once a restore failed on a damaged checkpoint. Pure: the caller
 * passes what is retained and applies the decision.
 *
 * Once a job completed a checkpoint it never silently starts over: a damaged checkpoint is
 * dropped and the job falls back to the previous retained one; when none is left the job fails
 * with one line naming the checkpoint and the damage, unless it opted in to starting from empty
 * state (`execution.checkpointing.restore-from-empty-on-damage`, `fluss run
 * --restoreFromEmptyOnDamage`). Flink has no such opt-in; it keeps failing the restore.
 */

/** The config key of the opt-in. */
export const RESTORE_FROM_EMPTY_KEY = 'execution.checkpointing.restore-from-empty-on-damage';

/** A restore point the policy chooses among. */
export interface RestoreCandidate {
  checkpointId: number;
  /** Absolute directory holding `_metadata`. */
  dir: string;
}

/** A damaged checkpoint named in a failure cause. */
export interface CheckpointDamage {
  dir: string;
  /** The cause from the words naming the damage on (one line). */
  damage: string;
}

/** The phrases with which restores refuse a checkpoint because of its files. */
function damagePhrases(dir: string): string[] {
  return [
    `damaged checkpoint ${dir}:`, // a state file (TaskManager)
    `The _metadata of ${dir} is damaged`, // `_metadata` does not parse
    `${dir} is not a complete checkpoint or savepoint`, // `_metadata` missing
    `Checkpoint/savepoint ${dir} is damaged`, // JobManager validation
    `Checkpoint/savepoint ${dir} is incomplete`,
  ];
}

/**
 * The checkpoint among `dirs` that `cause` says is damaged or incomplete, or undefined when
 * the failure has another cause. Whole directory names are matched (`chk-1` is not `chk-10`).
 */
export function damagedCheckpointIn(cause: string, dirs: readonly string[]): CheckpointDamage | undefined {
  for (const dir of dirs) {
    for (const phrase of damagePhrases(dir)) {
      const at = cause.indexOf(phrase);
      if (at >= 0) return { dir, damage: cause.slice(at).split('\n')[0]! };
    }
  }
  return undefined;
}

/** What the job does after a restore refused a damaged checkpoint. */
export type RestoreDecision =
  /** Restart from `next`, an older retained checkpoint (or the restore point the job started from). */
  | { kind: 'fallback'; damaged: RestoreCandidate; next: RestoreCandidate; message: string }
  /** Opt-in: restart from empty state. */
  | { kind: 'empty'; damaged: RestoreCandidate; message: string }
  /** Nothing restorable is left: the job fails with `message`, without restarts. */
  | { kind: 'fail'; damaged: RestoreCandidate; message: string };

/**
 * Decides after `damaged` was refused. `remaining`: the candidates left once it is dropped,
 * newest last.
 */
export function decideAfterDamage(
  jobId: string,
  damaged: RestoreCandidate,
  damage: string,
  remaining: readonly RestoreCandidate[],
  restoreFromEmpty: boolean,
): RestoreDecision {
  const next = remaining.at(-1);
  const what = `Checkpoint ${damaged.checkpointId} of job ${jobId} cannot be restored: ${damage}`;
  if (next) return { kind: 'fallback', damaged, next, message: `${what}; falling back to checkpoint ${next.checkpointId} (${next.dir})` };
  if (restoreFromEmpty) {
    return { kind: 'empty', damaged, message: `${what}; no earlier checkpoint is retained: starting from EMPTY STATE as ${RESTORE_FROM_EMPTY_KEY} allows` };
  }
  return {
    kind: 'fail',
    damaged,
    message: `${what}; no earlier checkpoint is retained, so the job fails instead of starting over from empty state (set ${RESTORE_FROM_EMPTY_KEY}: true or run with --restoreFromEmptyOnDamage to allow that)`,
  };
}
