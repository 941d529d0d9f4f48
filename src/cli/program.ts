/**
 * The `fluss` command line (commander): run, list, cancel, savepoint, stop, jobmanager, taskmanager.
 * Command output follows Flink's CLI so that scripts carry over (DESIGN §7).
 */
import { Command, CommanderError } from 'commander';
import { VERSION } from '../core/version.js';
import type { CancelOptions } from './cancel-command.js';
import type { RescaleOptions } from './rescale-command.js';
import { reportError } from './cli-errors.js';
import type { CliIO, CommandOutcome } from './cli-io.js';
import type { DaemonOptions } from './daemon-command.js';
import type { StatusOptions } from './status-command.js';
import type { ListOptions } from './list-command.js';
import type { RunOptions } from './run-command.js';
import type { SavepointOptions, StopOptions } from './savepoint-command.js';

const collect = (value: string, previous: string[]): string[] => [...previous, value];

/** Builds the program; `onOutcome` receives what the chosen command left behind. */
export function createProgram(io: CliIO, onOutcome: (outcome: CommandOutcome) => void): Command {
  const exit = (code: number): void => onOutcome({ kind: 'exit', code });
  const guarded =
    <A extends unknown[]>(fn: (...args: A) => Promise<number>) =>
    async (...args: A): Promise<void> => {
      try {
        exit(await fn(...args));
      } catch (err) {
        exit(reportError(err, io));
      }
    };

  const program = new Command('fluss')
    .description('Fluss: a distributed stream processor for TypeScript')
    .version(VERSION, '-v, --version')
    .enablePositionalOptions()
    .showSuggestionAfterError(true)
    .exitOverride()
    .configureOutput({
      writeOut: (s) => io.out(s.replace(/\n$/, '')),
      writeErr: (s) => io.err(s.replace(/\n$/, '')),
      // One line, Fluss style: "Error: unknown option '--x'".
      outputError: (s, write) => write(`Error: ${s.replace(/^error:\s*/i, '').split('\n')[0]}\n`),
    });

  program
    .command('run')
    .description('Submit a job file (TypeScript or JavaScript) and, unless -d, wait until it is terminal')
    .option('-m, --jobmanager <host:port>', 'JobManager to submit to (default: FLUSS_JOBMANAGER or localhost:6123)')
    .option('--config <file>', 'YAML configuration file (security.ssl.internal.*, security.auth.token, …)')
    .option('-D, --define <key=value>', 'configuration override (repeatable); FLUSS_TOKEN also sets security.auth.token', collect, [])
    .option('-p, --parallelism <N>', 'default parallelism of the job (default: parallelism.default)')
    .option('-d, --detached', 'return once the job is submitted')
    .option('-s, --fromSavepoint <savepointPath>', 'start the job from a savepoint or retained checkpoint')
    .option('-n, --allowNonRestoredState', 'skip savepoint state of operators the job no longer has')
    .option('--restoreFromEmptyOnDamage', 'start from empty state when every retained checkpoint is damaged (default: the job fails)')
    .option('--local', 'run the job on a mini-cluster started in this process')
    .argument('<job-file>', 'the job module; its default export builds the job')
    .argument('[args...]', 'arguments passed to the job builder')
    .passThroughOptions()
    .action(
      guarded(async (jobFile: string, args: string[], opts: RunOptions) => {
        // Commands load lazily: `fluss list` need not load esbuild or the runtime.
        const { runJob } = await import('./run-command.js');
        return runJob(jobFile, args, opts, io);
      }),
    );

  program
    .command('list')
    .description('List running and scheduled jobs (-a: also terminated jobs)')
    .option('-m, --jobmanager <host:port>', 'JobManager to ask')
    .option('--config <file>', 'YAML configuration file (security.ssl.internal.*, security.auth.token, …)')
    .option('-D, --define <key=value>', 'configuration override (repeatable); FLUSS_TOKEN also sets security.auth.token', collect, [])
    .option('-a, --all', 'show all jobs, including terminated ones')
    .option('-r, --running', 'show only running jobs')
    .option('-s, --scheduled', 'show only scheduled jobs')
    .option('--json', 'print the jobs as JSON')
    .action(
      guarded(async (opts: ListOptions) => {
        const { listJobs } = await import('./list-command.js');
        return listJobs(opts, io);
      }),
    );

  program
    .command('status')
    .description("Show one job's state, times and vertices")
    .argument('<jobId>', 'the job')
    .option('-m, --jobmanager <host:port>', 'JobManager running the job')
    .option('--config <file>', 'YAML configuration file (security.ssl.internal.*, security.auth.token, …)')
    .option('-D, --define <key=value>', 'configuration override (repeatable); FLUSS_TOKEN also sets security.auth.token', collect, [])
    .option('--json', 'print the job as JSON')
    .action(
      guarded(async (jobId: string, opts: StatusOptions) => {
        const { showJobStatus } = await import('./status-command.js');
        return showJobStatus(jobId, opts, io);
      }),
    );

  program
    .command('cancel')
    .description('Cancel a job')
    .option('-m, --jobmanager <host:port>', 'JobManager running the job')
    .option('--config <file>', 'YAML configuration file (security.ssl.internal.*, security.auth.token, …)')
    .option('-D, --define <key=value>', 'configuration override (repeatable); FLUSS_TOKEN also sets security.auth.token', collect, [])
    .option('-s, --withSavepoint [targetDirectory]', 'take a savepoint first (default: state.savepoints.dir)')
    .argument('[jobId]', 'the job id (32 hex digits)')
    .action(
      guarded(async (jobId: string | undefined, opts: CancelOptions) => {
        const { cancelJob } = await import('./cancel-command.js');
        return cancelJob(jobId, opts, io);
      }),
    );

  program
    .command('rescale')
    .description('Rescale a running job in place (through a checkpoint taken for it)')
    .option('-m, --jobmanager <host:port>', 'JobManager running the job')
    .option('--config <file>', 'YAML configuration file (security.ssl.internal.*, security.auth.token, …)')
    .option('-D, --define <key=value>', 'configuration override (repeatable); FLUSS_TOKEN also sets security.auth.token', collect, [])
    .option('-p, --parallelism <N>', 'the new parallelism of every vertex (capped by its max parallelism)')
    .argument('[jobId]', 'the job id (32 hex digits)')
    .action(
      guarded(async (jobId: string | undefined, opts: RescaleOptions) => {
        const { rescaleJob } = await import('./rescale-command.js');
        return rescaleJob(jobId, opts, io);
      }),
    );

  program
    .command('savepoint')
    .description('Trigger a savepoint of a job, or dispose of one (-d)')
    .option('-m, --jobmanager <host:port>', 'JobManager running the job')
    .option('--config <file>', 'YAML configuration file (security.ssl.internal.*, security.auth.token, …)')
    .option('-D, --define <key=value>', 'configuration override (repeatable); FLUSS_TOKEN also sets security.auth.token', collect, [])
    .option('-d, --dispose <savepointPath>', 'delete the savepoint at this path')
    .argument('[jobId]', 'the job id (32 hex digits)')
    .argument('[targetDirectory]', 'where the savepoint goes (default: state.savepoints.dir)')
    .action(
      guarded(async (jobId: string | undefined, target: string | undefined, opts: SavepointOptions) => {
        const { savepointCommand } = await import('./savepoint-command.js');
        return savepointCommand(jobId, target, opts, io);
      }),
    );

  program
    .command('stop')
    .description('Stop a job with a savepoint')
    .option('-m, --jobmanager <host:port>', 'JobManager running the job')
    .option('--config <file>', 'YAML configuration file (security.ssl.internal.*, security.auth.token, …)')
    .option('-D, --define <key=value>', 'configuration override (repeatable); FLUSS_TOKEN also sets security.auth.token', collect, [])
    .option('-p, --savepointPath [savepointPath]', 'where the savepoint goes (default: state.savepoints.dir)')
    .option('-d, --drain', 'send the maximal watermark before taking the savepoint')
    .argument('[jobId]', 'the job id (32 hex digits)')
    .action(
      guarded(async (jobId: string | undefined, opts: StopOptions) => {
        const { stopCommand } = await import('./savepoint-command.js');
        return stopCommand(jobId, opts, io);
      }),
    );

  for (const kind of ['jobmanager', 'taskmanager'] as const) {
    program
      .command(kind)
      .description(`Run a ${kind === 'jobmanager' ? 'JobManager' : 'TaskManager'} in the foreground (SIGTERM/SIGINT stop it)`)
      .option('--config <file>', 'YAML configuration file')
      .option('-D, --define <key=value>', 'configuration override (repeatable)', collect, [])
      .action(async (opts: DaemonOptions) => {
        try {
          const { runDaemon } = await import('./daemon-command.js');
          await runDaemon(kind, opts, io);
          onOutcome({ kind: 'daemon' });
        } catch (err) {
          exit(reportError(err, io));
        }
      });
  }
  return program;
}

/** Parses `argv` (without node and script) and runs the command; resolves with its outcome. */
export async function runCli(argv: string[], io: CliIO): Promise<CommandOutcome> {
  let outcome: CommandOutcome | undefined;
  const program = createProgram(io, (o) => (outcome = o));
  try {
    await program.parseAsync(argv, { from: 'user' });
  } catch (err) {
    if (err instanceof CommanderError) {
      // Help and version exit 0; every parse error was already printed on one line.
      return { kind: 'exit', code: err.exitCode === 0 ? 0 : err.exitCode || 1 };
    }
    return { kind: 'exit', code: reportError(err, io) };
  }
  if (!outcome) {
    // No command given: show the help on stderr and fail, like Flink.
    program.outputHelp({ error: true });
    return { kind: 'exit', code: 1 };
  }
  return outcome;
}
