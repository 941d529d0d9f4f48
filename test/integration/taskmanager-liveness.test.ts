/**
 * Immediate detection of a lost TaskManager: the ResourceManager notices a TaskManager process
 * that died (its connection drops, its port refuses connections) long before the heartbeat
 * timeout, and never declares a frozen but living one lost (SIGSTOP: the strongest form of a
 * busy event loop, during which the kernel still accepts connections).
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { afterEach, describe, expect, it } from 'vitest';
import { ResourceManager } from '../../src/cluster/jobmanager/resource-manager.js';
import { validateConfig } from '../../src/core/config.js';
import { silentLogger } from '../../src/core/logger.js';
import { probeTcp } from '../../src/cluster/jobmanager/task-manager-liveness.js';

const SERVER = `
const grpc = require('@grpc/grpc-js');
const server = new grpc.Server();
server.bindAsync('127.0.0.1:0', grpc.ServerCredentials.createInsecure(), (err, port) => {
  if (err) throw err;
  console.log(String(port));
});
`;

const children: ChildProcess[] = [];
const managers: ResourceManager[] = [];
afterEach(() => {
  for (const c of children.splice(0)) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
  for (const rm of managers.splice(0)) rm.stop();
});

/** A process with a gRPC server (what a TaskManager looks like on the wire); resolves with its address. */
function startServerProcess(): Promise<{ child: ChildProcess; address: string }> {
  const child = spawn(process.execPath, ['-e', SERVER], { stdio: ['ignore', 'pipe', 'inherit'], cwd: process.cwd() });
  children.push(child);
  return new Promise((resolve, reject) => {
    child.stdout!.once('data', (d: Buffer) => resolve({ child, address: `127.0.0.1:${d.toString().trim()}` }));
    child.once('exit', (code) => reject(new Error(`server process exited with ${code}`)));
  });
}

function resourceManager(): { rm: ResourceManager; lost: { id: string; at: number; cause: string }[] } {
  const config = validateConfig({ 'heartbeat.interval': '1 s', 'heartbeat.timeout': '60 s' });
  const rm = new ResourceManager(config, silentLogger());
  managers.push(rm);
  const lost: { id: string; at: number; cause: string }[] = [];
  rm.addListener({ taskManagerLost: (id, _address, cause) => lost.push({ id, at: Date.now(), cause }), taskManagerReRegistered: () => {} });
  rm.start();
  return { rm, lost };
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function until(check: () => boolean, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error('timed out');
    await sleep(10);
  }
}

describe('TaskManager liveness', () => {
  it('loses a killed TaskManager within a second, far below heartbeat.timeout (60 s)', async () => {
    const { child, address } = await startServerProcess();
    const { rm, lost } = resourceManager();
    rm.registerTaskManager({ taskManagerId: 'tm-1', rpcAddress: address, numberOfSlots: 1, runningTasks: [] });
    await sleep(300); // connected
    const killedAt = Date.now();
    child.kill('SIGKILL');
    await until(() => lost.length > 0, 3_000);
    expect(lost[0]!.id).toBe('tm-1');
    expect(lost[0]!.at - killedAt).toBeLessThan(1_000);
    expect(lost[0]!.cause).toContain('refuses connections');
    expect(rm.taskManager('tm-1')).toBeUndefined();
    expect(rm.slotPool.totalSlots).toBe(0);
  });

  it('never loses a frozen TaskManager (SIGSTOP), and loses it at once when it dies', async () => {
    const { child, address } = await startServerProcess();
    const { rm, lost } = resourceManager();
    rm.registerTaskManager({ taskManagerId: 'tm-2', rpcAddress: address, numberOfSlots: 1, runningTasks: [] });
    await sleep(300);
    child.kill('SIGSTOP');
    // A frozen process still has its listening socket: the kernel accepts, nothing is lost.
    expect(await probeTcp(address, 500)).toBe('open');
    await sleep(1_500);
    expect(lost).toEqual([]);
    child.kill('SIGCONT');
    await sleep(200);
    expect(lost).toEqual([]);
    child.kill('SIGKILL');
    await until(() => lost.length > 0, 3_000);
    expect(lost.map((l) => l.id)).toEqual(['tm-2']);
  });

  it('probes: refused for a closed port', async () => {
    const { child, address } = await startServerProcess();
    child.kill('SIGKILL');
    await new Promise((r) => child.once('exit', r));
    expect(await probeTcp(address, 500)).toBe('refused');
  });
});
