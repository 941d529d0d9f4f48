/**
 * Runs a job's code (its module's top level and its builder) so that whatever it does ends in
 * one line rather than a silent exit or a hang, on the client and on every TaskManager:
 *
 * - a builder whose Promise never settles fails once nothing is left that could settle it (the
 *   event loop would otherwise drain and Node exit 13 without a word), and at the latest after
 *   `client.job-builder.timeout`;
 * - a thrown value that is not an Error is described (`'x'`, `{ a: 1 }`, even an object
 *   without a prototype);
 * - `process.exit()` called by job code does not end the process: while the builder runs it
 *   throws and fails the build; afterwards (a timer the builder left behind) it is ignored
 *   with a warning, so a TaskManager slot or the CLI never goes down with it.
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import { inspect } from 'node:util';
import { JobBuildError } from '../core/errors.js';

/** Default of `client.job-builder.timeout`: how long a job builder may take. */
export const DEFAULT_JOB_BUILDER_TIMEOUT_MS = 60_000;

/** One run of job code. */
interface GuardedRun {
  /** What the job code is, for messages: "the job builder", "the job module". */
  readonly what: string;
  /** Set once the code called `process.exit(code)`. */
  exitCode: string | undefined;
  settled: boolean;
}

const currentRun = new AsyncLocalStorage<GuardedRun>();
let exitGuardInstalled = false;

/** Rejecters of the builders pending now; one `beforeExit` listener serves them all. */
const pendingBuilders = new Set<() => void>();
const onBeforeExit = (): void => {
  for (const reject of [...pendingBuilders]) reject();
};

function addPendingBuilder(reject: () => void): void {
  if (pendingBuilders.size === 0) process.on('beforeExit', onBeforeExit);
  pendingBuilders.add(reject);
}

function removePendingBuilder(reject: () => void): void {
  if (pendingBuilders.delete(reject) && pendingBuilders.size === 0) process.removeListener('beforeExit', onBeforeExit);
}

/** Replaces `process.exit` once, so that calls made by job code (and only those) are refused. */
function installExitGuard(): void {
  if (exitGuardInstalled) return;
  exitGuardInstalled = true;
  const original = process.exit.bind(process);
  process.exit = ((code?: string | number | null): never => {
    const run = currentRun.getStore();
    if (!run) return original(code ?? undefined);
    const shown = code === undefined || code === null ? '' : String(code);
    if (run.settled) {
      process.emitWarning(`${run.what} called process.exit(${shown}) after it finished; ignored (job code must not end the process)`);
      return undefined as never;
    }
    run.exitCode = shown;
    throw exitError(run);
  }) as typeof process.exit;
}

function exitError(run: GuardedRun): JobBuildError {
  return new JobBuildError(
    `${run.what} called process.exit(${run.exitCode ?? ''}): job code must not end the process (define the pipeline and return, or throw an Error to fail)`,
  );
}

/** One line describing a thrown value that may not be an Error. */
export function describeThrown(value: unknown): string {
  if (value instanceof Error) return value.name && value.name !== 'Error' ? `${value.name}: ${value.message}` : value.message;
  const text = inspect(value, { depth: 2, breakLength: Infinity, maxArrayLength: 10, maxStringLength: 200 }).replace(/\s*\n\s*/g, ' ');
  return `a non-Error value: ${text.length > 300 ? `${text.slice(0, 300)}…` : text} (throw an Error to give a message and a stack trace)`;
}

/**
 * Runs synchronous job code (a module's top level) with `process.exit` refused. Throws what
 * `fn` throws, or the exit refusal.
 */
export function runJobCodeSync<R>(what: string, fn: () => R): R {
  installExitGuard();
  const run: GuardedRun = { what, exitCode: undefined, settled: false };
  try {
    const result = currentRun.run(run, fn);
    if (run.exitCode !== undefined) throw exitError(run);
    return result;
  } finally {
    run.settled = true;
  }
}

/**
 * Runs a job builder with `process.exit` refused and a bound on how long its Promise may stay
 * pending. Rejects with a JobBuildError (one line) when it hangs or exits; otherwise settles as
 * `fn`'s result did.
 */
export async function runJobBuilder<R>(fn: () => R | Promise<R>, timeoutMs: number = DEFAULT_JOB_BUILDER_TIMEOUT_MS): Promise<Awaited<R>> {
  installExitGuard();
  const run: GuardedRun = { what: 'the job builder', exitCode: undefined, settled: false };
  let timer: NodeJS.Timeout | undefined;
  let drained: (() => void) | undefined;
  const hung = new Promise<never>((_, reject) => {
    // Unreferenced: the bound alone never keeps a process alive.
    timer = setTimeout(
      () => reject(new JobBuildError(`the job builder never finished: its Promise was still pending after ${formatMs(timeoutMs)} (client.job-builder.timeout); a builder must define the pipeline and return`)),
      timeoutMs,
    );
    timer.unref();
    // The event loop drained while the builder was pending: nothing can settle it any more.
    drained = () =>
      reject(new JobBuildError('the job builder never finished: its Promise can never settle (nothing it could wait for is pending); a builder must define the pipeline and return'));
    addPendingBuilder(drained);
  });
  try {
    const result = await Promise.race([currentRun.run(run, async () => fn()), hung]);
    if (run.exitCode !== undefined) throw exitError(run);
    return result as Awaited<R>;
  } catch (err) {
    // A builder that caught the refusal and then failed otherwise still reports the exit.
    if (run.exitCode !== undefined) throw exitError(run);
    throw err;
  } finally {
    run.settled = true;
    clearTimeout(timer);
    if (drained) removePendingBuilder(drained);
  }
}

function formatMs(ms: number): string {
  return ms % 1000 === 0 ? `${ms / 1000} s` : `${ms} ms`;
}
