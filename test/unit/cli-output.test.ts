import { readFile } from 'node:fs/promises';
import { VERSION } from '../../src/core/version.js';
import { describe, expect, it } from 'vitest';
import { errorLine, reportError } from '../../src/cli/cli-errors.js';
import type { CliIO } from '../../src/cli/cli-io.js';
import { resolveJobManagerAddress } from '../../src/cli/client-address.js';
import { formatFlinkDate, formatJobList } from '../../src/cli/job-list-format.js';
import { runCli } from '../../src/cli/program.js';
import { parseParallelism } from '../../src/cli/run-command.js';
import type { JobInfo } from '../../src/cluster/rpc/messages.js';
import { FlussError, InvalidArgumentError, NotFoundError } from '../../src/core/errors.js';

function captureIO(env: NodeJS.ProcessEnv = {}): CliIO & { stdout: string[]; stderr: string[] } {
  const stdout: string[] = [];
  const stderr: string[] = [];
  return { stdout, stderr, env, out: (l) => void stdout.push(l), err: (l) => void stderr.push(l) };
}

const t0 = new Date(2024, 0, 31, 9, 5, 7).getTime();
function job(id: string, name: string, status: JobInfo['status'], startTime: number): JobInfo {
  return { jobId: id.padEnd(32, '0'), name, status, startTime, endTime: 0, failureCause: '', vertices: [] };
}

describe('fluss list format', () => {
  it('formats dates as dd.MM.yyyy HH:mm:ss', () => {
    expect(formatFlinkDate(t0)).toBe('31.01.2024 09:05:07');
  });

  it('prints running jobs oldest first, then the scheduled block', () => {
    const jobs = [job('b', 'Later', 'RESTARTING', t0 + 1000), job('a', 'Earlier', 'RUNNING', t0)];
    expect(formatJobList(jobs, { running: true, scheduled: true, terminated: false })).toEqual([
      '------------------ Running/Restarting Jobs -------------------',
      `31.01.2024 09:05:07 : ${'a'.padEnd(32, '0')} : Earlier (RUNNING)`,
      `31.01.2024 09:05:08 : ${'b'.padEnd(32, '0')} : Later (RESTARTING)`,
      '--------------------------------------------------------------',
      'No scheduled jobs.',
    ]);
  });

  it('says so when nothing runs', () => {
    expect(formatJobList([], { running: true, scheduled: true, terminated: true })).toEqual(['No running jobs.', 'No scheduled jobs.']);
  });

  it('adds terminated jobs with -a', () => {
    const jobs = [job('c', 'Done', 'CANCELED', t0), job('d', 'New', 'CREATED', t0)];
    expect(formatJobList(jobs, { running: true, scheduled: true, terminated: true })).toEqual([
      'No running jobs.',
      '----------------------- Scheduled Jobs -----------------------',
      `31.01.2024 09:05:07 : ${'d'.padEnd(32, '0')} : New (CREATED)`,
      '--------------------------------------------------------------',
      '---------------------- Terminated Jobs -----------------------',
      `31.01.2024 09:05:07 : ${'c'.padEnd(32, '0')} : Done (CANCELED)`,
      '--------------------------------------------------------------',
    ]);
  });
});

describe('CLI errors', () => {
  it('prints user mistakes as one line without a stack', () => {
    const io = captureIO({ FLUSS_DEBUG: '1' });
    expect(reportError(new NotFoundError('Job 00 not found.'), io)).toBe(1);
    expect(io.stderr).toEqual(['Error: Job 00 not found.']);
  });

  it('prints the stack of internal errors only with FLUSS_DEBUG=1', () => {
    const quiet = captureIO();
    reportError(new TypeError('x is undefined'), quiet);
    expect(quiet.stderr).toEqual(['Error: TypeError: x is undefined']);
    const debug = captureIO({ FLUSS_DEBUG: '1' });
    reportError(new FlussError('INTERNAL', 'bad state'), debug);
    expect(debug.stderr[0]).toBe('Error: bad state');
    expect(debug.stderr[1]).toContain('at ');
  });

  it('keeps multi-line messages to their first line', () => {
    expect(errorLine(new InvalidArgumentError('first\nsecond'))).toBe('Error: first');
  });
});

describe('JobManager address', () => {
  it('prefers -m, then FLUSS_JOBMANAGER, then the configuration', () => {
    expect(resolveJobManagerAddress('h:1', { FLUSS_JOBMANAGER: 'e:2' })).toBe('h:1');
    expect(resolveJobManagerAddress(undefined, { FLUSS_JOBMANAGER: 'e:2' })).toBe('e:2');
    expect(resolveJobManagerAddress(undefined, { FLUSS_PROPERTIES: 'jobmanager.rpc.address: jm\njobmanager.rpc.port: 7000' })).toBe('jm:7000');
    expect(resolveJobManagerAddress(undefined, {})).toBe('localhost:6123');
  });

  it('rejects addresses that are not host:port', () => {
    expect(() => resolveJobManagerAddress('nohost', {})).toThrow('-m expects host:port, got "nohost"');
    expect(() => resolveJobManagerAddress(undefined, { FLUSS_JOBMANAGER: 'h:99999' })).toThrow(/FLUSS_JOBMANAGER expects host:port/);
  });

  it('names a bad configuration key', () => {
    expect(() => resolveJobManagerAddress(undefined, { FLUSS_PROPERTIES: 'jobmanager.rpc.prot: 1' })).toThrow(
      'unknown configuration key: jobmanager.rpc.prot',
    );
  });
});

describe('command line parsing', () => {
  it('validates -p', () => {
    expect(parseParallelism(undefined)).toBeUndefined();
    expect(parseParallelism('4')).toBe(4);
    expect(() => parseParallelism('0')).toThrow(/-p expects a parallelism/);
    expect(() => parseParallelism('two')).toThrow(/-p expects a parallelism/);
  });

  it('reports an unknown flag on one line', async () => {
    const io = captureIO();
    expect(await runCli(['list', '--bogus'], io)).toEqual({ kind: 'exit', code: 1 });
    expect(io.stderr).toEqual(["Error: unknown option '--bogus'"]);
  });

  it('reports an unknown command and a missing argument', async () => {
    const io = captureIO();
    expect((await runCli(['lst'], io)).kind).toBe('exit');
    expect(io.stderr[0]).toMatch(/^Error: unknown command 'lst'/);
    const io2 = captureIO();
    expect(await runCli(['cancel'], io2)).toEqual({ kind: 'exit', code: 1 });
    expect(io2.stderr).toEqual(["Error: missing required argument 'jobId'"]);
  });

  it('rejects a malformed job id before contacting anyone', async () => {
    const io = captureIO({ FLUSS_JOBMANAGER: '127.0.0.1:1' });
    expect(await runCli(['cancel', 'not-a-job'], io)).toEqual({ kind: 'exit', code: 1 });
    expect(io.stderr).toEqual(['Error: "not-a-job" is not a job id (expected 32 hex digits)']);
  });

  it('passes options after the job file to the job', async () => {
    const io = captureIO();
    // The missing file is reported, which shows that --input went to the job, not to run.
    expect(await runCli(['run', '-m', 'h:1', '/nonexistent/job.ts', '--input', 'x'], io)).toEqual({ kind: 'exit', code: 1 });
    expect(io.stderr).toEqual(['Error: Job file not found: /nonexistent/job.ts']);
  });

  it('refuses --local with -d', async () => {
    const io = captureIO();
    await runCli(['run', '--local', '-d', 'job.ts'], io);
    expect(io.stderr[0]).toMatch(/^Error: --local .* cannot be combined with -d$/);
  });

  it('prints the version', async () => {
    const io = captureIO();
    expect(await runCli(['--version'], io)).toEqual({ kind: 'exit', code: 0 });
    expect(io.stdout).toEqual(['0.1.0']);
  });

  it('has one version: the one package.json declares', async () => {
    const pkg = JSON.parse(await readFile(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string };
    expect(VERSION).toBe(pkg.version);
  });
});
