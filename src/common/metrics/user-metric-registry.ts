/**
 * Where the TaskManager finds the user metric groups of its subtasks: each runtime context
 * registers its operator's group under the subtask's identity when a function first asks for
 * it, and the task's metric group reads them when metrics are collected. Process-wide, as the
 * runtime below the TaskManager has no handle on the TaskManager's metrics; entries are removed
 * when the task's metrics are released.
 */
import type { UserMetricGroup } from './metric-group.js';

/** Identity of one subtask attempt. */
export interface SubtaskMetricIdentity {
  jobId: string;
  /** The task's (job vertex's) name. */
  taskName: string;
  subtaskIndex: number;
  attempt: number;
}

const groups = new Map<string, Map<string, UserMetricGroup>>();

function keyOf(id: SubtaskMetricIdentity): string {
  return `${id.jobId}\u0000${id.taskName}\u0000${id.subtaskIndex}\u0000${id.attempt}`;
}

/** Registers the user group of operator `operatorName` of a subtask (replacing an earlier one). */
export function registerUserMetricGroup(id: SubtaskMetricIdentity, operatorName: string, group: UserMetricGroup): void {
  const key = keyOf(id);
  let byOperator = groups.get(key);
  if (!byOperator) groups.set(key, (byOperator = new Map()));
  byOperator.set(operatorName, group);
}

/** The user groups of a subtask by operator name (empty when its functions registered none). */
export function userMetricGroupsOf(id: SubtaskMetricIdentity): ReadonlyMap<string, UserMetricGroup> {
  return groups.get(keyOf(id)) ?? new Map();
}

/** Forgets the user groups of a subtask (its task ended and was reported). */
export function releaseUserMetricGroups(id: SubtaskMetricIdentity): void {
  groups.delete(keyOf(id));
}
