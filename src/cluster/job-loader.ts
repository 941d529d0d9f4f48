/**
 * Evaluates CommonJS code (a job bundle) in this process's realm, so that classes and errors
 * it uses are the same as the runtime's. `require('fluss')` resolves to the public module the
 * package entry handed in ({@link providePublicModule}): `instanceof KeyedProcessFunction` holds
 * across the boundary, and the cluster never imports the package entry.
 */
import { createRequire } from 'node:module';
import { dirname, isAbsolute, resolve } from 'node:path';
import { runInThisContext } from 'node:vm';
import { describeThrown, runJobCodeSync } from '../api/job-builder-guard.js';
import { JobBuildError } from '../core/errors.js';

let publicModule: object | undefined;

/**
 * Hands the loader this package's public module (what `import … from 'fluss'` gives); the package
 * entry does this on load, so every process that runs jobs has it before a bundle is evaluated.
 */
export function providePublicModule(module: object): void {
  publicModule = module;
}

/** The module ids a bundle may require to reach the fluss API. */
function isFlussModule(id: string): boolean {
  return id === 'fluss' || id === 'fluss/index' || id === 'fluss/index.js';
}

function flussModule(): object {
  if (!publicModule) {
    throw new JobBuildError('Cannot import "fluss": this process has not loaded the fluss package entry');
  }
  return publicModule;
}

/** Builds the `require` a bundle sees: `fluss` → this package, anything else → Node. */
export function bundleRequire(filename: string): NodeJS.Require {
  const nodeRequire = createRequire(filename);
  const req = ((id: string): unknown => {
    if (isFlussModule(id)) return flussModule();
    if (id.startsWith('fluss/')) {
      throw new JobBuildError(`Cannot import "${id}": a job imports the API from "fluss" only`);
    }
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
