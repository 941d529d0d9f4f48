/**
 * Loads the package's entry points before every test file, as every process running fluss does
 * (through `import … from 'fluss'` or bin/fluss): tests that import internals directly still get
 * local execution and the `fluss` modules for job bundles wired.
 */
import '../../src/cluster-entry.js';
