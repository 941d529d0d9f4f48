/**
 * A job that fails on every attempt and restarts under its strategy is visible in an attached
 * `fluss run`: the first failure is printed with its cause while the job keeps restarting
 * (piped, with --local and against a cluster), and on a terminal the status line is cleared
 * before each such line. Identical causes are collapsed into one line with a count.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli as runCliInProcess } from '../../src/cli/program.js';
import { assertBuilt, FLUSS_BIN, type ProcessCluster, ROOT, startProcessCluster, waitFor } from '../helpers/process-cluster.js';

const dir = mkdtempSync(join(tmpdir(), 'fluss-restart-loop-'));
const JOB = join(dir, 'always-fails.ts');
writeFileSync(
  JOB,
  `import { defineJob, RestartStrategies } from 'fluss';
export default defineJob((env, [mode]) => {
  // With checkpointing and no strategy of its own, the job restarts under exponential delay forever.
  if (mode === 'fixed') env.setRestartStrategy(RestartStrategies.fixedDelay(3, 100));
  else if (mode === 'exponential') env.setRestartStrategy(RestartStrategies.exponentialDelay());
  else env.enableCheckpointing(1000);
  env.fromSequence(1, 1_000_000).addSink(() => { throw new Error('the sink is broken'); });
});
`,
);
const CAUSE = 'Sink: Unnamed failed: the sink is broken';
const FIRST_LINE = new RegExp(`^Job [0-9a-f]{32} failed and is restarting \\(restart 1\\): ${CAUSE}$`, 'm');

afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** Starts `fluss <args>` with piped output; the caller kills it. */
function spawnCli(args: string[]): { proc: ChildProcess; output: () => string } {
  const proc = spawn(process.execPath, [FLUSS_BIN, ...args], { cwd: ROOT, env: { ...process.env, FLUSS_LOG_LEVEL: 'warn' }, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  proc.stdout!.on('data', (d: Buffer) => (out += d.toString()));
  proc.stderr!.on('data', (d: Buffer) => (out += d.toString()));
  return { proc, output: () => out };
}

async function stop(proc: ChildProcess): Promise<void> {
  if (proc.exitCode !== null || proc.signalCode !== null) return;
  const exited = new Promise((r) => proc.once('exit', r));
  proc.kill('SIGKILL');
  await exited;
}

/** Runs the always-failing job attached and returns the output once the first restart line appeared. */
async function firstRestartLine(args: string[], jobArgs: string[] = []): Promise<string> {
  const cli = spawnCli(['run', ...args, JOB, ...jobArgs]);
  try {
    await waitFor('the restart line', () => FIRST_LINE.test(cli.output()), 60_000).catch((err: Error) => {
      throw new Error(`${err.message}; output: ${cli.output()}`);
    });
    // Printed while the job is still restarting, not at its end.
    expect(cli.proc.exitCode).toBeNull();
    return cli.output();
  } finally {
    await stop(cli.proc);
  }
}

describe('an attached fluss run shows a restart loop', () => {
  beforeAll(() => assertBuilt());

  it('--local, piped: the cause of the first failure while the job restarts', async () => {
    const out = await firstRestartLine(['--local']);
    expect(out).toMatch(/^Job has been submitted with JobID [0-9a-f]{32}$/m);
  }, 90_000);

  describe('against a cluster', () => {
    let cluster: ProcessCluster;
    beforeAll(async () => {
      cluster = await startProcessCluster({ taskManagers: 1, slots: 1 });
    }, 60_000);
    afterAll(async () => {
      await cluster?.stop();
    });

    it('piped: the cause of the first failure while the job restarts', async () => {
      await firstRestartLine(['-m', cluster.address], ['exponential']);
    }, 90_000);

    it('on a terminal: the status line is cleared before each line, identical causes are counted', async () => {
      const events: string[] = [];
      const io = {
        out: (l: string) => events.push(`out ${l}`),
        err: (l: string) => events.push(`err ${l}`),
        status: (l: string | undefined) => events.push(l === undefined ? 'clear' : 'status'),
        env: { ...process.env, FLUSS_LOG_LEVEL: 'silent' },
      };
      const outcome = await runCliInProcess(['run', '-m', cluster.address, JOB, 'fixed'], io);
      expect(outcome).toEqual({ kind: 'exit', code: 1 });
      const errs = events.filter((e) => e.startsWith('err '));
      expect(errs).toHaveLength(3);
      expect(errs[0]).toMatch(new RegExp(`^err Job [0-9a-f]{32} failed and is restarting \\(restart 1\\): ${CAUSE}$`));
      expect(errs[1]).toMatch(new RegExp(`^err Job [0-9a-f]{32} failed and restarted 2 more times with the same cause \\(restart 3\\): ${CAUSE}$`));
      expect(errs[2]).toMatch(new RegExp(`^err Job [0-9a-f]{32} failed: ${CAUSE}$`));
      // Each restart line is written on a cleared line, never into the status line.
      for (const e of errs.slice(0, 2)) expect(events[events.indexOf(e) - 1]).toBe('clear');
    }, 90_000);
  });
});
