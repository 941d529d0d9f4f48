/**
 * Running a job's builder: `buildJob` runs the module's default export against a recording
 * environment and translates what it recorded into a BuiltJob (JobGraph + live functions).
 * The CLI calls it to submit a job; every TaskManager calls it again to get its own function
 * instances, which is why a builder must be deterministic.
 */
import { JobBuildError } from '../core/errors.js';
import type { BuiltJob } from '../common/built-job.js';
import { describeThrown, runJobBuilder } from './job-builder-guard.js';
import { DEFAULT_JOB_NAME, StreamExecutionEnvironment } from './stream-execution-environment.js';

export { cloneForSubtask } from '../runtime/clone-for-subtask.js';

/** A job: the default export of a job module. */
export type JobBuilder = (env: StreamExecutionEnvironment, args: string[]) => void | Promise<void>;

/** Identity helper that gives a job's builder its type: `export default defineJob((env, args) => …)`. */
export function defineJob(fn: JobBuilder): JobBuilder {
  return fn;
}

/** Options of {@link buildJob}. */
export interface BuildJobOptions {
  /** Parallelism of operators that set none (the cluster's `parallelism.default` or `-p`). */
  defaultParallelism?: number;
  /** Job name, overriding the one given to `execute(name)`. */
  jobName?: string;
  /** How long the builder's Promise may stay pending (`client.job-builder.timeout`, default 60 s). */
  timeoutMs?: number;
}

/**
 * Runs `builder` with a recording environment and translates the result. Throws a
 * JobBuildError (one line) when the builder throws (any value), never finishes, calls
 * `process.exit()`, records an invalid graph, or defines no sink.
 */
export async function buildJob(builder: JobBuilder, args: string[], options: BuildJobOptions = {}): Promise<BuiltJob> {
  if (typeof builder !== 'function') {
    throw new JobBuildError('a job module must export a builder function as its default export: export default defineJob((env, args) => …)');
  }
  const env = new StreamExecutionEnvironment({ defaultParallelism: options.defaultParallelism, mode: 'builder' });
  try {
    await runJobBuilder(() => StreamExecutionEnvironment.runInBuilderScope(env, () => builder(env, [...args])), options.timeoutMs);
  } catch (err) {
    if (err instanceof JobBuildError) throw err;
    throw new JobBuildError(`the job builder threw${err instanceof Error ? ':' : ''} ${describeThrown(err)}`, { cause: err });
  }
  return env.toBuiltJob(options.jobName ?? env.getJobName() ?? DEFAULT_JOB_NAME);
}
