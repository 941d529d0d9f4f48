/**
 * The error contract of src/core/errors.ts: every error class Fluss exports is a FlussError with a
 * known code and a name ending in `Error`; `instanceof` holds across copies of the module (a job
 * bundle with its own copy of `fluss`, one evaluated in a VM context); and no bare built-in error
 * creeps back into src/.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { pathToFileURL } from 'node:url';
import * as vm from 'node:vm';
import { buildSync } from 'esbuild';
import { describe, expect, it } from 'vitest';
import * as errors from '../../src/core/errors.js';
import { FLUSS_ERROR_CODES, FlussError, InvalidArgumentError, NotFoundError } from '../../src/core/errors.js';

const ROOT = join(import.meta.dirname, '..', '..');
const SRC = join(ROOT, 'src');
const ENTRY_POINTS = ['index.ts', 'testing.ts', 'cluster-entry.ts', 'nexmark.ts'];

type ErrorClass = (new (...args: unknown[]) => Error) & { prototype: Error };

function tsFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const path = join(dir, e.name);
    if (e.isDirectory()) return tsFiles(path);
    return e.name.endsWith('.ts') ? [path] : [];
  });
}

function errorClassesOf(mod: Record<string, unknown>): Array<[string, ErrorClass]> {
  return Object.entries(mod).filter(
    (e): e is [string, ErrorClass] => typeof e[1] === 'function' && Error.prototype.isPrototypeOf((e[1] as { prototype: object }).prototype),
  );
}

/** An instance made with placeholder arguments: every class takes (message …) or (code/status/reason, message …). */
function sample(cls: ErrorClass): Error {
  return cls === (FlussError as unknown) ? new FlussError('INTERNAL', 'm') : new cls('m', 'm', 'm');
}

/** src/core/errors.ts as a CommonJS bundle: the text of a second copy of the module. */
function errorsModuleSource(): string {
  const out = buildSync({ entryPoints: [join(SRC, 'core', 'errors.ts')], bundle: true, format: 'cjs', platform: 'node', write: false });
  return out.outputFiles[0]!.text;
}

function loadCopyInThisRealm(code: string): typeof errors {
  const module = { exports: {} as typeof errors };
  new Function('module', 'exports', code)(module, module.exports);
  return module.exports;
}

function loadCopyInNewRealm(code: string): typeof errors {
  const context = vm.createContext({});
  const wrapper = vm.runInContext(`(function (module, exports) {${code}\n})`, context) as (m: unknown, e: unknown) => void;
  const module = { exports: {} as typeof errors };
  wrapper(module, module.exports);
  return module.exports;
}

describe('error classes', () => {
  it('every error class of every entry point is a branded FlussError with a known code and a name ending in Error', async () => {
    const seen: string[] = [];
    for (const entry of ENTRY_POINTS) {
      const mod = (await import(pathToFileURL(join(SRC, entry)).href)) as Record<string, unknown>;
      for (const [name, cls] of errorClassesOf(mod)) {
        seen.push(name);
        expect(name, entry).toMatch(/Error$/);
        expect(cls === (FlussError as unknown) || FlussError.prototype.isPrototypeOf(cls.prototype), `${name} extends FlussError`).toBe(true);
        // Branded on the class itself, so instanceof does not fall back to the prototype chain.
        expect(Object.getOwnPropertySymbols(cls).map(String), `${name} is branded`).toContain('Symbol(fluss.error.class-brand)');
        const e = sample(cls);
        expect(FLUSS_ERROR_CODES, name).toContain((e as FlussError).code);
        expect(e.name).toBe(name);
      }
    }
    expect(seen).toEqual(expect.arrayContaining(['FlussError', 'InvalidArgumentError', 'InternalError', 'UnsupportedOperationError', 'IOError']));
  });

  it('every error class exported anywhere in src/ extends FlussError, has a known code and a name ending in Error', async () => {
    const classes: string[] = [];
    for (const file of tsFiles(SRC)) {
      if (!/^export class \w+ extends \w+/m.test(readFileSync(file, 'utf8'))) continue;
      const mod = (await import(pathToFileURL(file).href)) as Record<string, unknown>;
      for (const [name, cls] of errorClassesOf(mod)) {
        if (CONTROL_FLOW_SIGNALS.has(name)) continue;
        const where = `${relative(ROOT, file)}: ${name}`;
        classes.push(name);
        expect(name, where).toMatch(/Error$/);
        expect(cls === (FlussError as unknown) || FlussError.prototype.isPrototypeOf(cls.prototype), where).toBe(true);
        expect(FLUSS_ERROR_CODES, where).toContain((sample(cls) as FlussError).code);
      }
    }
    expect(classes).toEqual(expect.arrayContaining(['CheckpointError', 'RestApiError', 'PartitionNotFoundError']));
  });

  it('carries the cause it wraps', () => {
    const cause = new Error('disk full');
    expect(new errors.IOError('FileSink cannot write', { cause }).cause).toBe(cause);
  });
});

describe('instanceof across copies of the module', () => {
  const code = errorsModuleSource();
  const copies = { 'a second copy in this realm': loadCopyInThisRealm(code), 'a copy in a VM context': loadCopyInNewRealm(code) };

  for (const [label, copy] of Object.entries(copies)) {
    it(`holds for errors made by ${label}`, () => {
      expect(copy.FlussError).not.toBe(FlussError);
      for (const [name, cls] of errorClassesOf(errors)) {
        const foreign = sample((copy as unknown as Record<string, ErrorClass>)[name]!);
        expect(foreign instanceof cls, name).toBe(true);
        expect(foreign instanceof FlussError, name).toBe(true);
        // And the other way round: the copy recognises this module's errors.
        expect(sample(cls) instanceof (copy as unknown as Record<string, ErrorClass>)[name]!, name).toBe(true);
      }
      expect(new copy.NotFoundError('x') instanceof InvalidArgumentError).toBe(false);
      expect(new copy.InvalidArgumentError('x') instanceof NotFoundError).toBe(false);
      expect(new copy.UserCodeError('Map', new Error('boom')) instanceof errors.UserCodeError).toBe(true);
    });
  }

  it('leaves non-errors and plain errors out, and an unbranded user subclass to the prototype chain', () => {
    class MyError extends InvalidArgumentError {}
    expect(new MyError('x') instanceof MyError).toBe(true);
    expect(new MyError('x') instanceof InvalidArgumentError).toBe(true);
    expect(new MyError('x') instanceof FlussError).toBe(true);
    expect(new InvalidArgumentError('x') instanceof MyError).toBe(false);
    for (const v of [new Error('x'), { code: 'INTERNAL' }, null, undefined, 'FlussError', 42]) expect(v instanceof FlussError).toBe(false);
  });
});

/**
 * Built-in errors that stay in src/, each with its reason. Everything else a user or operator can
 * see is a FlussError subclass (see the rule in src/core/errors.ts).
 */
const ALLOWED: Array<{ file: string; match: string; reason: string }> = [
  { file: 'src/core/errors.ts', match: 'class FlussError extends Error', reason: 'the root of the family' },
  {
    file: 'src/core/rpc/grpc-errors.ts',
    match: 'new Error(details)',
    reason: "grpc-js's ServiceError shape (code, details, metadata); the client turns it back into a FlussError",
  },
  { file: 'src/runtime/mailbox.ts', match: 'MailboxCanceledSignal extends Error', reason: 'control flow inside a task; never leaves it' },
  { file: 'src/runtime/task.ts', match: 'CanceledSignal extends Error', reason: 'control flow inside a task; never leaves it' },
];

/** Allow-listed `extends Error` classes: signals a task throws and catches itself. */
const CONTROL_FLOW_SIGNALS = new Set(ALLOWED.map((a) => /(\w+) extends Error/.exec(a.match)?.[1]).filter((n) => n !== undefined && n !== 'FlussError'));

const BUILT_IN = /\bnew (?:Error|TypeError|RangeError)\(|\bclass \w+ extends (?:Error|TypeError|RangeError)\b/;

describe('src/ raises no bare built-in errors', () => {
  it('every `new Error(`, `new TypeError(`, `new RangeError(` and `extends Error` in src/ is allow-listed with a reason', () => {
    const offenders: string[] = [];
    for (const file of tsFiles(SRC)) {
      const rel = relative(ROOT, file).split('\\').join('/');
      readFileSync(file, 'utf8')
        .split('\n')
        .forEach((line, i) => {
          if (!BUILT_IN.test(line)) return;
          if (ALLOWED.some((a) => a.file === rel && line.includes(a.match))) return;
          offenders.push(`${rel}:${i + 1}: ${line.trim()}`);
        });
    }
    expect(offenders, 'throw a FlussError subclass (src/core/errors.ts) instead, or allow-list the line with a reason').toEqual([]);
  });

  it('catches a bare throw when one is added', () => {
    expect(BUILT_IN.test("    throw new Error('boom');")).toBe(true);
    expect(BUILT_IN.test('if (x) throw new RangeError(`bad ${x}`);')).toBe(true);
    expect(BUILT_IN.test('class Oops extends Error {}')).toBe(true);
    expect(BUILT_IN.test("throw new InvalidArgumentError('bad');")).toBe(false);
  });
});
