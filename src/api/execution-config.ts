/**
 * Job-wide execution options (Flink's ExecutionConfig), from `env.getConfig()`.
 */
import { ConfigurationError, JobBuildError } from '../core/errors.js';
import { parseJobConfiguration, type JobConfiguration } from '../core/job-configuration.js';
import { TypeRegistrationError, TypeRegistry } from '../core/type-registry.js';
import { GlobalJobParameters, type JobExecutionConfig } from '../common/global-job-parameters.js';

/** Flink's default interval of periodic watermark emission. */
export const DEFAULT_AUTO_WATERMARK_INTERVAL_MS = 200;

/** Execution options of a job. */
export class ExecutionConfig implements JobExecutionConfig {
  private autoWatermarkIntervalMs = DEFAULT_AUTO_WATERMARK_INTERVAL_MS;
  private readonly types = new TypeRegistry();
  private globalJobParameters: GlobalJobParameters = new GlobalJobParameters();
  private jobConfiguration: Record<string, string | number | boolean> | undefined;

  /**
   * Sets job-scoped configuration keys that win over the cluster's for this job (Flink's
   * `configure(...)`), e.g. `{ 'jobmanager.autoscaler.enabled': true }`; later calls add to and
   * override earlier ones. JobBuildError for a key a job cannot set or an invalid value.
   */
  configure(configuration: JobConfiguration): this {
    try {
      parseJobConfiguration(configuration);
    } catch (err) {
      if (err instanceof ConfigurationError) throw new JobBuildError(err.message, { cause: err });
      throw err;
    }
    this.jobConfiguration = { ...this.jobConfiguration, ...configuration };
    return this;
  }

  /** The keys given to {@link configure}, or undefined when none were. */
  getJobConfiguration(): Readonly<Record<string, string | number | boolean>> | undefined {
    return this.jobConfiguration;
  }

  /**
   * Job-wide parameters (usually a `ParameterTool`), readable in every function through
   * `getRuntimeContext().getExecutionConfig().getGlobalJobParameters()`. The builder runs on the
   * client and again on every TaskManager, so what it sets here is what functions read there.
   */
  setGlobalJobParameters(parameters: GlobalJobParameters): this {
    if (!(parameters instanceof GlobalJobParameters)) {
      throw new JobBuildError('setGlobalJobParameters() takes a ParameterTool (or another GlobalJobParameters)');
    }
    this.globalJobParameters = parameters;
    return this;
  }

  /** The parameters given to {@link setGlobalJobParameters} (an empty set when none were). */
  getGlobalJobParameters(): GlobalJobParameters {
    return this.globalJobParameters;
  }

  /** How often periodic watermarks are emitted; 0 disables periodic watermarks. */
  setAutoWatermarkInterval(intervalMs: number): this {
    if (!Number.isFinite(intervalMs) || intervalMs < 0) {
      throw new JobBuildError(`auto watermark interval must be a non-negative number of ms, got ${intervalMs}`);
    }
    this.autoWatermarkIntervalMs = intervalMs;
    return this;
  }

  /** The periodic watermark interval in ms. */
  getAutoWatermarkInterval(): number {
    return this.autoWatermarkIntervalMs;
  }

  /**
   * Registers a class whose instances travel in records and state as themselves (Flink's
   * `registerPojoType`): its stable name is the class name, or `name`. The builder runs on the
   * client and on every TaskManager, so registering in the builder registers on both ends.
   * Refuses two different classes under one name.
   */
  registerPojoType(type: abstract new (...args: never[]) => unknown, name?: string): this {
    try {
      this.types.register(type, name);
    } catch (err) {
      if (err instanceof TypeRegistrationError) throw new JobBuildError(err.message, { cause: err });
      throw err;
    }
    return this;
  }

  /** Flink's `registerKryoType`: here the same as {@link registerPojoType} (one codec for all classes). */
  registerKryoType(type: abstract new (...args: never[]) => unknown, name?: string): this {
    return this.registerPojoType(type, name);
  }

  /** @internal the classes registered so far (the built job carries them to the TaskManagers' codecs). */
  getRegisteredTypes(): TypeRegistry {
    return this.types;
  }
}
