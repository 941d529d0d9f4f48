/**
 * Job builders that hang, throw values that are not Errors, or call `process.exit()`: the CLI
 * prints one line and exits 1 (never silently, never 13), and a TaskManager that runs such a
 * builder fails the task with one line and stays up for the next job.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { assertBuilt, type ProcessCluster, runCli, startProcessCluster } from '../helpers/process-cluster.js';

const dir = mkdtempSync(join(tmpdir(), 'fluss-builders-'));

/** Writes a job file whose builder runs `body` (after defining a small pipeline) and returns its path. */
function job(name: string, body: string, top = ''): string {
  const file = join(dir, `${name}.ts`);
  writeFileSync(
    file,
    `import { defineJob, RestartStrategies } from 'fluss';
${top}
/** True in a TaskManager process, which runs the builder again for its subtasks. */
const onTaskManager = process.argv.includes('taskmanager');
export default defineJob(async (env) => {
  env.setRestartStrategy(RestartStrategies.noRestart());
  env.fromElements(1, 2, 3).map((x: number) => x * 2).addSink(() => {});
  ${body}
});
`,
  );
  return file;
}

/** The CLI's stderr as lines, without the JSON log lines of the embedded cluster. */
function errorLines(stderr: string): string[] {
  return stderr.split('\n').filter((l) => l.trim() !== '' && !l.startsWith('{'));
}

describe('job builders on the client', () => {
  beforeAll(() => assertBuilt());
  // An address nothing listens on: the builder runs before anything is submitted.
  const run = (file: string, extra: string[] = []) => runCli(['run', '-m', '127.0.0.1:1', ...extra, file], {}, 60_000);

  it('a builder whose Promise never settles: one line at once, exit 1 (not a silent 13)', async () => {
    const r = await run(job('never-resolves', 'await new Promise(() => {});'));
    expect(r.code).toBe(1);
    expect(errorLines(r.stderr)).toEqual([
      'Error: the job builder never finished: its Promise can never settle (nothing it could wait for is pending); a builder must define the pipeline and return',
    ]);
  });

  it('a builder waiting on something that never comes: one line after client.job-builder.timeout', async () => {
    const r = await run(job('waits-forever', 'await new Promise(() => { setInterval(() => {}, 1000); });'), ['-D', 'client.job-builder.timeout=1 s']);
    expect(r.code).toBe(1);
    expect(errorLines(r.stderr)).toEqual([
      'Error: the job builder never finished: its Promise was still pending after 1 s (client.job-builder.timeout); a builder must define the pipeline and return',
    ]);
  });

  it("throw 'x' and throw {a: 1} (even without a prototype): one line naming the value", async () => {
    const s = await run(job('throws-string', "throw 'x';"));
    expect(s.code).toBe(1);
    expect(errorLines(s.stderr)).toEqual(["Error: the job builder threw a non-Error value: 'x' (throw an Error to give a message and a stack trace)"]);
    const o = await run(job('throws-object', 'throw { a: 1 };'));
    expect(errorLines(o.stderr)).toEqual(['Error: the job builder threw a non-Error value: { a: 1 } (throw an Error to give a message and a stack trace)']);
    const n = await run(job('throws-bare', 'throw Object.assign(Object.create(null), { a: 1 });'));
    expect(n.code).toBe(1);
    expect(errorLines(n.stderr)).toEqual([
      'Error: the job builder threw a non-Error value: [Object: null prototype] { a: 1 } (throw an Error to give a message and a stack trace)',
    ]);
  });

  it('process.exit() in the builder or at the top of the module: one line, exit 1', async () => {
    const b = await run(job('exits', 'process.exit(3);'));
    expect(b.code).toBe(1);
    expect(errorLines(b.stderr)).toEqual([
      'Error: the job builder called process.exit(3): job code must not end the process (define the pipeline and return, or throw an Error to fail)',
    ]);
    // Even when the builder catches what process.exit() threw.
    const caught = await run(job('exits-caught', 'await Promise.resolve(); try { process.exit(0); } catch {}'));
    expect(caught.code).toBe(1);
    expect(errorLines(caught.stderr)[0]).toMatch(/^Error: the job builder called process\.exit\(0\)/);
    const top = await run(job('exits-at-load', '', 'if (!process.argv.includes("taskmanager")) process.exit(0);'));
    expect(top.code).toBe(1);
    expect(errorLines(top.stderr)).toEqual([
      'Error: the job module called process.exit(0): job code must not end the process (define the pipeline and return, or throw an Error to fail)',
    ]);
  });
});

describe('job builders on a TaskManager', () => {
  let cluster: ProcessCluster;
  beforeAll(async () => {
    cluster = await startProcessCluster({ taskManagers: 1, slots: 2, extra: ['-D', 'client.job-builder.timeout=2 s'] });
  }, 60_000);
  afterAll(async () => {
    await cluster?.stop();
  });

  const run = (file: string) => runCli(['run', '-m', cluster.address, file], {}, 90_000);
  const alive = (): boolean => cluster.taskManagers[0]!.proc.exitCode === null && cluster.taskManagers[0]!.proc.signalCode === null;

  it('fail the task with one line and leave the TaskManager up: hang, non-Error, process.exit()', async () => {
    const hang = await run(job('tm-hangs', 'if (onTaskManager) await new Promise(() => { setInterval(() => {}, 1000); });'));
    expect(hang.code).toBe(1);
    expect(errorLines(hang.stderr).join('\n')).toMatch(
      /^Job [0-9a-f]{32} failed: .*the job builder never finished: its Promise was still pending after 2 s \(client\.job-builder\.timeout\)/m,
    );
    expect(alive()).toBe(true);

    const thrown = await run(job('tm-throws', 'if (onTaskManager) throw { reason: "no config on this host" };'));
    expect(thrown.code).toBe(1);
    expect(errorLines(thrown.stderr).join('\n')).toMatch(/^Job [0-9a-f]{32} failed: .*the job builder threw a non-Error value: \{ reason: 'no config on this host' \}/m);
    expect(alive()).toBe(true);

    const exits = await run(job('tm-exits', 'if (onTaskManager) process.exit(7);'));
    expect(exits.code).toBe(1);
    expect(errorLines(exits.stderr).join('\n')).toMatch(/^Job [0-9a-f]{32} failed: .*the job builder called process\.exit\(7\)/m);
    expect(alive()).toBe(true);

    // The TaskManager still runs jobs.
    const ok = await run(job('tm-fine', ''));
    expect(ok.code, ok.stderr).toBe(0);
    expect(ok.stdout).toContain('Job has been finished.');
  }, 240_000);
});
