/**
 * Slots of a TaskManager whose liveness is in doubt are not handed out: a restart after a
 * TaskManager died or froze (SIGKILL before the probe answered, SIGSTOP before the heartbeat
 * timeout) must go to TaskManagers known to be alive, instead of deploying to the dead one and
 * failing over once more when that deployment times out. And a JobManager whose own event loop
 * was busy does not lose TaskManagers whose heartbeats arrived meanwhile.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { ResourceManager } from '../../src/cluster/jobmanager/resource-manager.js';
import { SlotPool } from '../../src/cluster/jobmanager/slot-pool.js';
import { validateConfig } from '../../src/core/config.js';
import { silentLogger } from '../../src/core/logger.js';

const managers: ResourceManager[] = [];
afterEach(() => {
  for (const rm of managers.splice(0)) rm.stop();
});

function resourceManager(): ResourceManager {
  // Port 9 (discard) on loopback: nothing listens, the liveness watcher never gets READY.
  const rm = new ResourceManager(validateConfig({ 'heartbeat.interval': '100 ms', 'heartbeat.timeout': '1 s' }), silentLogger());
  managers.push(rm);
  return rm;
}

describe('slot pool: TaskManagers in doubt', () => {
  it('holds back their free slots and serves waiting requests once they are confirmed', async () => {
    const pool = new SlotPool();
    pool.addTaskManager('a', 'a:1', 2);
    pool.addTaskManager('b', 'b:1', 2);
    pool.setInDoubt('a', true);
    const first = await pool.requestSlots('job-1', 2, 5_000);
    expect(first.map((s) => s.taskManagerId)).toEqual(['b', 'b']);
    let served: string[] | undefined;
    const second = pool.requestSlots('job-2', 1, 5_000).then((slots) => (served = slots.map((s) => s.taskManagerId)));
    await Promise.resolve();
    expect(served).toBeUndefined();
    pool.setInDoubt('a', false);
    await second;
    expect(served).toEqual(['a']);
  });

  it('forgets the doubt with the TaskManager', () => {
    const pool = new SlotPool();
    pool.addTaskManager('a', 'a:1', 1);
    pool.setInDoubt('a', true);
    pool.removeTaskManager('a');
    expect(pool.isInDoubt('a')).toBe(false);
    pool.setInDoubt('gone', true);
    expect(pool.isInDoubt('gone')).toBe(false);
  });
});

describe('resource manager: overdue heartbeats', () => {
  it('holds back the slots of a TaskManager silent for half the timeout and frees them on its next heartbeat', () => {
    const rm = resourceManager();
    const { registrationId } = rm.registerTaskManager({ taskManagerId: 'tm', rpcAddress: '127.0.0.1:9', numberOfSlots: 2, runningTasks: [] });
    const registeredAt = rm.taskManager('tm')!.lastHeartbeat;
    rm.checkHeartbeats(registeredAt + 400);
    expect(rm.slotPool.isInDoubt('tm')).toBe(false);
    rm.checkHeartbeats(registeredAt + 600);
    expect(rm.slotPool.isInDoubt('tm')).toBe(true);
    expect(rm.taskManager('tm')).toBeDefined();
    rm.heartbeat('tm', registrationId);
    expect(rm.slotPool.isInDoubt('tm')).toBe(false);
  });

  it('decides a heartbeat timeout only after pending I/O: a heartbeat handled meanwhile keeps the TaskManager', async () => {
    const rm = resourceManager();
    const lost: string[] = [];
    rm.addListener({ taskManagerLost: (id) => lost.push(id), taskManagerReRegistered: () => {} });
    const { registrationId } = rm.registerTaskManager({ taskManagerId: 'tm', rpcAddress: '127.0.0.1:9', numberOfSlots: 1, runningTasks: [] });
    const late = rm.taskManager('tm')!.lastHeartbeat + 1_500;
    let recheck: (() => void) | undefined;
    rm.checkHeartbeats(late, () => (recheck = () => rm.checkHeartbeats(Date.now())));
    expect(lost).toEqual([]);
    // The heartbeat that sat unread while the JobManager was busy is processed first.
    rm.heartbeat('tm', registrationId);
    recheck!();
    expect(lost).toEqual([]);
    expect(rm.taskManager('tm')).toBeDefined();
    // Without a heartbeat, the recheck loses it.
    rm.checkHeartbeats(late + 2_000);
    expect(lost).toEqual(['tm']);
  });

  it('holds back a TaskManager that comes back after a heartbeat timeout until its first heartbeat', () => {
    const rm = resourceManager();
    const request = { taskManagerId: 'tm', rpcAddress: '127.0.0.1:9', numberOfSlots: 1, runningTasks: [] };
    rm.registerTaskManager(request);
    rm.checkHeartbeats(rm.taskManager('tm')!.lastHeartbeat + 1_500);
    expect(rm.taskManager('tm')).toBeUndefined();
    // SIGCONT: it registers again, still busy with the tasks it ran before.
    const { registrationId } = rm.registerTaskManager({ ...request, runningTasks: [{ jobId: 'j', vertexId: 'v', subtaskIndex: 0, attempt: 0 }] });
    expect(rm.slotPool.isInDoubt('tm')).toBe(true);
    rm.checkHeartbeats();
    expect(rm.slotPool.isInDoubt('tm')).toBe(true);
    rm.heartbeat('tm', registrationId);
    expect(rm.slotPool.isInDoubt('tm')).toBe(false);
    // A TaskManager registering for the first time is not on probation.
    rm.registerTaskManager({ ...request, taskManagerId: 'fresh' });
    expect(rm.slotPool.isInDoubt('fresh')).toBe(false);
  });
});
