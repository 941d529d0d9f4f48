/**
 * Slot assignment with slot sharing: a job needs as many slots as its highest vertex
 * parallelism, and slot i hosts subtask i of every vertex. Pure.
 */

/** Free slots of one TaskManager, in registration order. */
export interface TaskManagerFreeSlots {
  taskManagerId: string;
  address: string;
  /** Indices of its free slots, ascending. */
  freeSlotIndices: number[];
}

/** One slot given to a job. */
export interface AllocatedSlot {
  taskManagerId: string;
  /** `host:port` of the TaskManager (control and data). */
  address: string;
  slotIndex: number;
}

/** Number of slots a job needs: its highest vertex parallelism. */
export function requiredSlots(vertices: readonly { parallelism: number }[]): number {
  let max = 0;
  for (const v of vertices) max = Math.max(max, v.parallelism);
  return max;
}

/**
 * Picks `n` slots, taking one slot per TaskManager in turn (TaskManagers with the most free
 * slots first, ties in registration order). Spreading matters because a Node process has one
 * thread: subtasks on different TaskManagers run on different cores. Returns undefined when
 * fewer than `n` slots are free; element i becomes the job's slot i.
 */
export function assignSlots(free: readonly TaskManagerFreeSlots[], n: number): AllocatedSlot[] | undefined {
  let total = 0;
  for (const tm of free) total += tm.freeSlotIndices.length;
  if (n <= 0 || total < n) return n <= 0 ? [] : undefined;
  const order = free
    .map((tm, position) => ({ tm, position, next: 0 }))
    .filter((e) => e.tm.freeSlotIndices.length > 0)
    .sort((a, b) => b.tm.freeSlotIndices.length - a.tm.freeSlotIndices.length || a.position - b.position);
  const result: AllocatedSlot[] = [];
  while (result.length < n) {
    for (const entry of order) {
      if (result.length === n) break;
      const slotIndex = entry.tm.freeSlotIndices[entry.next];
      if (slotIndex === undefined) continue;
      entry.next++;
      result.push({ taskManagerId: entry.tm.taskManagerId, address: entry.tm.address, slotIndex });
    }
  }
  return result;
}
