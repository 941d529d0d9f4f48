/**
 * A TaskManager process started before any JobManager: it keeps retrying (and logs each
 * attempt) instead of exiting, and registers once a JobManager appears. Needs `npm run build`.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { assertBuilt, type Daemon, freePort, startDaemon, waitFor } from '../helpers/process-cluster.js';

const workDir = mkdtempSync(join(tmpdir(), 'fluss-tm-proc-'));
const daemons: Daemon[] = [];
afterAll(async () => {
  await Promise.all(daemons.map((d) => d.kill()));
  rmSync(workDir, { recursive: true, force: true });
});

describe('fluss taskmanager', () => {
  it('retries while no JobManager runs, then registers; SIGTERM stops it cleanly', async () => {
    assertBuilt();
    const port = await freePort();
    const common = [
      '-D', `jobmanager.rpc.port=${port}`,
      '-D', 'jobmanager.rpc.address=127.0.0.1',
      '-D', `io.tmp.dirs=${join(workDir, 'tmp')}`,
      '-D', 'taskmanager.registration.initial-backoff=100 ms',
      '-D', 'taskmanager.registration.max-backoff=500 ms',
    ];
    const tm = startDaemon(['taskmanager', ...common]);
    daemons.push(tm);
    await waitFor('two failed registration attempts', () => (tm.stderr().match(/Registration at the JobManager/g) ?? []).length >= 2, 20_000);
    expect(tm.proc.exitCode).toBeNull();
    const attempt = JSON.parse(tm.stderr().split('\n').find((l) => l.includes('Registration at the JobManager'))!) as Record<string, unknown>;
    expect(attempt['level']).toBe(40);
    expect(attempt['nextAttemptInMs']).toBe(100);

    const jm = startDaemon(['jobmanager', ...common]);
    daemons.push(jm);
    await waitFor('the TaskManager to register', () => tm.stderr().includes('Registered at the JobManager'), 20_000);
    await waitFor('the JobManager to see it', () => jm.stderr().includes('TaskManager registered'), 10_000);

    await tm.kill('SIGTERM');
    expect(tm.proc.exitCode).toBe(0);
    expect(tm.stderr()).toContain('TaskManager stopped');
  });

  it('a bad configuration key stops the daemon with one line', async () => {
    assertBuilt();
    const d = startDaemon(['taskmanager', '-D', 'taskmanager.numberOfSlots=2']);
    daemons.push(d);
    const code = await new Promise<number | null>((resolve) => d.proc.once('exit', (c) => resolve(c)));
    expect(code).not.toBe(0);
    expect(d.stderr()).toBe('Error: unknown configuration key: taskmanager.numberOfSlots\n');
  });
});
