/**
 * `fluss taskmanager` runs with the V8 heap limit of its memory budget (re-executed with the
 * flag), logs the budget in one line, registers it (REST `/taskmanagers`), and a SIGKILL of the
 * process it was started as ends the TaskManager too.
 */
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { assertBuilt, freePort, startDaemon, waitFor, type Daemon } from '../helpers/process-cluster.js';

const MB = 1024 * 1024;
let jm: Daemon;
let restPort: number;
let common: string[];
const started: Daemon[] = [];

beforeAll(async () => {
  assertBuilt();
  const port = await freePort();
  restPort = await freePort();
  common = ['-D', `jobmanager.rpc.port=${port}`, '-D', 'jobmanager.rpc.address=127.0.0.1', '-D', `rest.port=${restPort}`, '-D', 'heartbeat.interval=300 ms', '-D', 'heartbeat.timeout=2 s'];
  jm = startDaemon(['jobmanager', ...common]);
  await waitFor('the JobManager', () => /JobManager started|REST/.test(jm.stderr()), 30_000);
});
afterAll(async () => {
  await Promise.all([...started.map((d) => d.kill('SIGKILL')), jm?.kill()]);
});

function childrenOf(pid: number): number[] {
  try {
    return readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8').trim().split(/\s+/).filter(Boolean).map(Number);
  } catch {
    return [];
  }
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

describe('fluss taskmanager memory budget', () => {
  it('sizes the V8 heap, prints the budget, registers it, and dies with its launcher', async () => {
    const tm = startDaemon(['taskmanager', ...common, '-D', 'taskmanager.memory.process.size=1g', '-D', 'taskmanager.numberOfTaskSlots=2']);
    started.push(tm);
    const line = (await waitFor('the budget line', () => /"msg":"(TaskManager memory: [^"]*)"/.exec(tm.stderr())?.[1], 30_000))!;
    expect(line).toMatch(/^TaskManager memory: process 1024 MB, heap 499 MB, managed 333 MB \(166 MB per slot, 2 slots\), overhead 192 MB, V8 heap limit \d+ MB$/);
    // The limit in force: the derived 749 MB of old space (plus V8's young generation).
    const limitMb = Number(/V8 heap limit (\d+) MB/.exec(line)![1]);
    expect(limitMb).toBeGreaterThanOrEqual(749);
    expect(limitMb).toBeLessThan(749 + 128);

    const tms = (await waitFor('the TaskManager in REST', async () => {
      const body = (await (await fetch(`http://127.0.0.1:${restPort}/taskmanagers`)).json()) as { taskmanagers: { memoryConfiguration: Record<string, number | null> }[] };
      return body.taskmanagers.length === 1 ? body.taskmanagers : undefined;
    }))!;
    const mem = tms[0]!.memoryConfiguration;
    expect(mem.totalProcessMemory).toBe(1024 * MB);
    expect(mem.managedMemory).toBe(Math.round(832 * MB * 0.4));
    expect(mem.jvmOverhead).toBe(192 * MB);
    expect(mem.heapLimit).toBe(limitMb * MB);

    // The daemon runs in a child of the launched process; a SIGKILL of the launcher ends it too.
    const [child] = childrenOf(tm.proc.pid!);
    expect(child).toBeGreaterThan(0);
    expect(readFileSync(`/proc/${child}/cmdline`, 'utf8')).toContain('--max-old-space-size=611\0--max-semi-space-size=46');
    await tm.kill('SIGKILL');
    await waitFor('the TaskManager child to exit', () => !alive(child!), 15_000);
  });

  it('stops cleanly on SIGTERM through the launcher', async () => {
    const tm = startDaemon(['taskmanager', ...common, '-D', 'taskmanager.memory.process.size=600m']);
    started.push(tm);
    await waitFor('the budget line', () => /TaskManager memory: process 600 MB/.test(tm.stderr()), 30_000);
    const exited = new Promise<number | null>((r) => tm.proc.once('exit', (code) => r(code)));
    tm.proc.kill('SIGTERM');
    expect(await exited).toBe(0);
    expect(tm.stderr()).toContain('TaskManager stopped');
  });

  it('refuses a process size too small for a heap with one line and a non-zero exit', async () => {
    const tm = startDaemon(['taskmanager', ...common, '-D', 'taskmanager.memory.process.size=200m']);
    const code = await new Promise<number | null>((r) => tm.proc.once('exit', (c) => r(c)));
    expect(code).not.toBe(0);
    expect(tm.stderr()).toMatch(/taskmanager.memory.process.size \(200 MB\) leaves/);
  });
});
