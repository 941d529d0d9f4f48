import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { afterAll, describe, expect, it } from 'vitest';
import { JobManager } from '../../src/cluster/jobmanager/job-manager.js';
import { TaskManager } from '../../src/cluster/taskmanager/task-manager.js';
import { loadConfig, type RawConfig } from '../../src/core/config.js';
import { silentLogger } from '../../src/core/logger.js';

const dir = mkdtempSync(join(tmpdir(), 'fluss-tm-reg-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.on('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const addr = srv.address();
      srv.close(() => resolve(typeof addr === 'object' && addr ? addr.port : 0));
    });
  });
}

function config(overrides: RawConfig) {
  return loadConfig({
    properties: '',
    overrides: {
      'io.tmp.dirs': join(dir, 'tmp'),
      'taskmanager.registration.initial-backoff': '50 ms',
      'taskmanager.registration.max-backoff': '200 ms',
      'heartbeat.interval': '100 ms',
      'heartbeat.timeout': '1 s',
      'rest.port': 0,
      ...overrides,
    },
  });
}

/** A logger whose JSON lines the test can read. */
function capturingLogger() {
  const lines: Record<string, unknown>[] = [];
  const logger = pino({ level: 'debug' }, { write: (s: string) => void lines.push(JSON.parse(s) as Record<string, unknown>) });
  return { logger, lines };
}

async function until(what: string, check: () => boolean, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

describe('TaskManager registration', () => {
  it('keeps retrying with backoff while no JobManager runs, registers once one appears, and again after a JobManager restart', async () => {
    const port = await freePort();
    const { logger, lines } = capturingLogger();
    const tm = new TaskManager(config({ 'taskmanager.numberOfTaskSlots': 3 }), logger, { jobManagerAddress: `127.0.0.1:${port}` });
    await tm.start();
    expect(tm.address).toMatch(/^127\.0\.0\.1:\d+$/);
    let jm: JobManager | undefined;
    try {
      const failures = () => lines.filter((l) => String(l['msg']).startsWith('Registration at the JobManager'));
      await until('three failed registration attempts', () => failures().length >= 3);
      expect(tm.isRegistered).toBe(false);
      const delays = failures().map((l) => l['nextAttemptInMs']);
      expect(delays.slice(0, 3)).toEqual([50, 100, 200]);
      expect(failures()[0]!['level']).toBe(40); // warn
      expect(String(failures()[0]!['msg'])).toContain(`127.0.0.1:${port}`);

      jm = new JobManager(config({ 'jobmanager.rpc.port': port, 'jobmanager.bind-host': '127.0.0.1' }), silentLogger());
      await jm.start();
      await tm.whenRegistered();
      const registration = jm.resourceManager.taskManager(tm.taskManagerId);
      expect(registration).toBeDefined();
      expect(jm.resourceManager.numberOfTaskManagers).toBe(1);

      // Restart the JobManager: the new one does not know the TaskManager, which registers again.
      await jm.stop();
      jm = new JobManager(config({ 'jobmanager.rpc.port': port, 'jobmanager.bind-host': '127.0.0.1' }), silentLogger());
      await jm.start();
      const restarted = jm;
      await until('re-registration at the restarted JobManager', () => restarted.resourceManager.taskManager(tm.taskManagerId) !== undefined);
      // The JobManager records the TaskManager before its answer reaches it: wait for that answer.
      await tm.whenRegistered();
      expect(tm.isRegistered).toBe(true);
    } finally {
      await tm.stop();
      await jm?.stop();
    }
  });
});
