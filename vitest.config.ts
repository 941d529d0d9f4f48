import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    testTimeout: 60_000,
    hookTimeout: 60_000,
    pool: 'forks',
    // The package entry wires the layers (local executor, job bundles' `fluss` module).
    setupFiles: ['test/helpers/package-entry.ts'],
    reporters: ['default'],
  },
});
