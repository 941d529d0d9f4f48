/**
 * `fluss/testing`: test a function without a cluster. {@link OperatorTestHarness} runs the real
 * operator of a function with a real state backend and a controllable processing-time clock
 * (Flink's operator test harnesses).
 */
import { providePublicModule } from './cluster/job-loader.js';
import * as testing from './testing.js';

export {
  OperatorTestHarness,
  type OperatorTestHarnessOptions,
  type HarnessOutputElement,
  type HarnessRecord,
} from './api/testing/operator-test-harness.js';

providePublicModule('fluss/testing', testing);
