import { defineConfig } from 'vitest/config';

/** Settings every project shares. */
const shared = {
  testTimeout: 60_000,
  hookTimeout: 60_000,
  pool: 'forks' as const,
  // The package entry wires the layers (local executor, job bundles' `fluss` module).
  setupFiles: ['test/helpers/package-entry.ts'],
};

/** Unit tests that replace process-wide functions (`process.exit`): each in a process of its own. */
const ISOLATED_UNIT_TESTS = ['test/unit/job-builder-guard.test.ts'];

export default defineConfig({
  test: {
    reporters: ['default'],
    projects: [
      // In-process tests: two files at a time, sharing their worker's loaded modules (loading the
      // package entry anew for every file cost more than the tests themselves).
      {
        test: {
          ...shared,
          name: 'unit',
          include: ['test/unit/**/*.test.ts'],
          exclude: ISOLATED_UNIT_TESTS,
          maxWorkers: 2,
          isolate: false,
          sequence: { groupOrder: 0 },
        },
      },
      // Tests that start servers and daemons (clusters of processes): one file at a time, after the unit tests.
      {
        test: {
          ...shared,
          name: 'processes',
          include: ['test/integration/**/*.test.ts', 'test/e2e/**/*.test.ts', ...ISOLATED_UNIT_TESTS],
          maxWorkers: 1,
          sequence: { groupOrder: 1 },
        },
      },
    ],
  },
});
