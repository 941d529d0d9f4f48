/**
 * Job-wide parameters set on the client (`env.getConfig().setGlobalJobParameters(params)`) and
 * read by functions on the TaskManagers (`getRuntimeContext().getExecutionConfig()
 * .getGlobalJobParameters()`), as in Flink. The builder runs again on every TaskManager with the
 * job's arguments, so parameters set in it are present there too.
 */

/** Flink's `ExecutionConfig.GlobalJobParameters`: a base class; `ParameterTool` extends it. */
export class GlobalJobParameters {
  /** The parameters as strings (Flink's `toMap()`); the base class has none. */
  toMap(): Map<string, string> {
    return new Map();
  }
}

/** What functions see of the job's execution configuration (Flink's `ExecutionConfig`). */
export interface JobExecutionConfig {
  /** The parameters set with `setGlobalJobParameters` (an empty set when none were). */
  getGlobalJobParameters(): GlobalJobParameters;
  /** The periodic watermark interval in ms. */
  getAutoWatermarkInterval(): number;
}

/** The configuration of a job that set nothing (a test harness, an operator run alone). */
export const EMPTY_JOB_EXECUTION_CONFIG: JobExecutionConfig = Object.freeze({
  getGlobalJobParameters: () => new GlobalJobParameters(),
  getAutoWatermarkInterval: () => 200,
});
