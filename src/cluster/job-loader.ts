/**
 * Evaluates CommonJS code (a job bundle) in this process's realm, so that classes and errors
 * it uses are the same as the runtime's. `require('fluss')` (and `fluss/testing`, `fluss/cluster`,
 * `fluss/nexmark`) resolves to the entry point the package handed in ({@link providePublicModule}):
 * `instanceof KeyedProcessFunction` holds across the boundary, and the cluster never imports the
 * package's entries.
 */
import { createRequire } from 'node:module';
import { dirname, isAbsolute, resolve } from 'node:path';
import { runInThisContext } from 'node:vm';
import { describeThrown, runJobCodeSync } from '../api/job-builder-guard.js';
import { JobBuildError } from '../core/errors.js';

/** The package's entry points by module id (`fluss`, `fluss/testing`, …), as their entries handed them in. */
const publicModules = new Map<string, object>();

/**
 * Hands the loader one of this package's entry points (what `import … from id` gives), so job
 * bundles evaluated in this process get this very instance for `require(id)`. Each entry does
 * this on load; the package entry loads the others, so every process that runs jobs has them
 * before a bundle is evaluated.
 */
export function providePublicModule(id: string, module: object): void {
  publicModules.set(id, module);
}

/** The entry point a bundle's `require(id)` means, by its id or its `/index(.js)` spelling. */
function entryId(id: string): string {
  return id.replace(/\/index(\.js)?$/, '').replace(/\.js$/, '');
}

function flussModule(id: string): object {
  const module = publicModules.get(entryId(id));
  if (module) return module;
  const known = [...publicModules.keys()].sort();
  if (entryId(id) === 'fluss' || known.length === 0) {
    throw new JobBuildError(`Cannot import "${id}": this process has not loaded the fluss package entry`);
  }
  throw new JobBuildError(`Cannot import "${id}": a job imports fluss through ${known.map((k) => `"${k}"`).join(', ')}`);
}

/** Builds the `require` a bundle sees: `fluss` → this package, anything else → Node. */
export function bundleRequire(filename: string): NodeJS.Require {
  const nodeRequire = createRequire(filename);
  const req = ((id: string): unknown => {
    if (id === 'fluss' || id.startsWith('fluss/')) return flussModule(id);
    return nodeRequire(id);
  }) as NodeJS.Require;
  req.resolve = nodeRequire.resolve;
  req.cache = nodeRequire.cache;
  req.main = nodeRequire.main;
  req.extensions = nodeRequire.extensions;
  return req;
}

/**
 * Runs `code` as a CommonJS module named `filename` and returns its `module.exports`.
 * Throws {@link JobBuildError} (one line) when the module's top-level code throws (any value)
 * or calls `process.exit()`.
 */
export function evaluateCommonJs(code: string, filename: string): unknown {
  const absolute = isAbsolute(filename) ? filename : resolve(filename);
  const wrapper = `(function (exports, require, module, __filename, __dirname) {${code}\n})`;
  const module = { exports: {} as unknown };
  try {
    const fn = runInThisContext(wrapper, { filename: absolute }) as (
      exports: unknown,
      require: NodeJS.Require,
      module: { exports: unknown },
      filename: string,
      dirname: string,
    ) => void;
    // The module's top level is job code too: process.exit() there fails the load, not the process.
    runJobCodeSync('the job module', () => fn.call(module.exports, module.exports, bundleRequire(absolute), module, absolute, dirname(absolute)));
  } catch (err) {
    if (err instanceof JobBuildError) throw err;
    throw new JobBuildError(`Job file ${filename} failed to load: ${describeThrown(err)}`, { cause: err });
  }
  return module.exports;
}
