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

/** Unit tests that measure event-loop stalls: alone, in a fresh process, so no other test's work or garbage stalls them. */
const TIMING_UNIT_TESTS = ['test/unit/state-restore-event-loop.test.ts', 'test/unit/runtime-timers-slicing.test.ts', 'test/unit/state-memory-snapshot-event-loop.test.ts'];

/**
 * Process tests that assert how quickly something happens (a failure noticed within a second,
 * a restart within two, a dead JobManager reported within seconds) or that start three
 * JobManagers: they run alone, after the others, so another test's cluster does not share
 * their two cores.
 */
const ALONE = [
  'test/integration/network-remote-failures.test.ts',
  'test/integration/failover-generator-restore.test.ts',
  'test/integration/jobmanager-cluster.test.ts',
  'test/integration/taskmanager-liveness.test.ts',
  'test/integration/taskmanager-registration.test.ts',
  'test/integration/rest-api.test.ts',
  'test/integration/cli-cluster.test.ts',
  'test/e2e/chaos.test.ts',
  'test/e2e/ha-etcd-failover.test.ts',
  'test/e2e/compose-ha.test.ts',
  ...TIMING_UNIT_TESTS,
];

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
          exclude: [...ISOLATED_UNIT_TESTS, ...TIMING_UNIT_TESTS],
          maxWorkers: 2,
          isolate: false,
          sequence: { groupOrder: 0 },
        },
      },
      // Tests that start servers and daemons: two files at a time (most of their time is spent
      // waiting for rate-limited sources, checkpoints and restarts, not computing).
      {
        test: {
          ...shared,
          name: 'processes',
          include: ['test/integration/**/*.test.ts', 'test/e2e/**/*.test.ts', ...ISOLATED_UNIT_TESTS],
          exclude: ALONE,
          maxWorkers: 2,
          sequence: { groupOrder: 1 },
        },
      },
      // Then the timing-sensitive ones, one at a time.
      { test: { ...shared, name: 'alone', include: ALONE, maxWorkers: 1, sequence: { groupOrder: 2 } } },
    ],
  },
});
