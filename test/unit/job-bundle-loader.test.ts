import { mkdtempSync, rmSync, writeFileSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { bundleJobFile, loadJobBundle } from '../../src/cluster/job-bundle.js';
import { JobBuildError } from '../../src/core/errors.js';
import * as fluss from '../../src/index.js';

const dir = mkdtempSync(join(tmpdir(), 'fluss-bundle-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function write(name: string, text: string): string {
  const path = join(dir, name);
  writeFileSync(path, text);
  return path;
}

describe('bundleJobFile', () => {
  it('bundles a TypeScript job with local imports and keeps fluss external', async () => {
    write('helper.ts', 'export const double = (x: number): number => x * 2;\n');
    const job = write(
      'job.ts',
      [
        "import { VERSION } from 'fluss';",
        "import * as api from 'fluss';",
        "import { double } from './helper.js';",
        'export default function build(env: { seen?: unknown[] }, args: string[]): void {',
        '  env.seen = [VERSION, api, double(Number(args[0]))];',
        '}',
      ].join('\n'),
    );
    const bundle = await bundleJobFile(job);
    const code = bundle.code.toString('utf8');
    expect(code).toContain('require("fluss")');
    expect(code).not.toContain('import ');
    expect(bundle.hash).toMatch(/^[0-9a-f]{64}$/);

    const builder = loadJobBundle(bundle.code, join(dir, 'bundle.cjs'));
    const env: { seen?: unknown[] } = {};
    await builder(env as never, ['21']);
    const [version, api, doubled] = env.seen!;
    expect(version).toBe(fluss.VERSION);
    expect((api as typeof fluss).VERSION).toBe(fluss.VERSION);
    expect(doubled).toBe(42);
  });

  it('bundles npm dependencies found beside the job file', async () => {
    const pkg = join(dir, 'node_modules', 'tiny-dep');
    mkdirSync(pkg, { recursive: true });
    writeFileSync(join(pkg, 'package.json'), JSON.stringify({ name: 'tiny-dep', main: 'index.js' }));
    writeFileSync(join(pkg, 'index.js'), 'exports.answer = 42;\n');
    const job = write('npm-job.js', "import { answer } from 'tiny-dep';\nexport default (env) => { env.answer = answer; };\n");
    const bundle = await bundleJobFile(job);
    expect(bundle.code.toString('utf8')).toContain('answer = 42');
    const env: { answer?: number } = {};
    await loadJobBundle(bundle.code, job)(env as never, []);
    expect(env.answer).toBe(42);
  });

  it('gives the same hash for the same content', async () => {
    const job = write('same.js', 'export default () => {};\n');
    const [a, b] = await Promise.all([bundleJobFile(job), bundleJobFile(job)]);
    expect(a.hash).toBe(b.hash);
  });

  it('reports a missing file', async () => {
    const missing = join(dir, 'nope.ts');
    await expect(bundleJobFile(missing)).rejects.toThrow(new JobBuildError(`Job file not found: ${missing}`));
  });

  it('reports the first compile error with its location on one line', async () => {
    const job = write('broken.ts', 'export default (env) => {\n  const x = ;\n};\n');
    const err = await bundleJobFile(job).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(JobBuildError);
    const message = (err as Error).message;
    expect(message).toMatch(/^Job file .*broken\.ts does not compile: .*broken\.ts:2:\d+: /);
    expect(message).not.toContain('\n');
  });

  it('reports an unresolvable import as a compile error', async () => {
    const job = write('missing-import.ts', "import { x } from './does-not-exist.js';\nexport default () => x;\n");
    await expect(bundleJobFile(job)).rejects.toThrow(/does not compile: .*Could not resolve/);
  });
});

describe('loadJobBundle', () => {
  it('rejects a bundle without a default export', async () => {
    const job = write('no-default.ts', 'export const build = () => {};\n');
    const { code } = await bundleJobFile(job);
    expect(() => loadJobBundle(code, job)).toThrow(
      new JobBuildError(`Job file ${job} has no default export (expected a function (env, args) => …)`),
    );
  });

  it('rejects a default export that is not a function', async () => {
    const job = write('object-default.ts', 'export default { notAFunction: true };\n');
    const { code } = await bundleJobFile(job);
    expect(() => loadJobBundle(code, job)).toThrow(/has no default export/);
  });

  it('accepts a plain CommonJS module.exports function', () => {
    const builder = loadJobBundle('module.exports = function (env) { env.ok = true; };', join(dir, 'plain.cjs'));
    const env: { ok?: boolean } = {};
    void builder(env as never, []);
    expect(env.ok).toBe(true);
  });

  it('wraps errors thrown by top-level code', () => {
    expect(() => loadJobBundle('throw new TypeError("boom");', join(dir, 'throws.cjs'))).toThrow(
      /Job file .*throws\.cjs failed to load: TypeError: boom/,
    );
  });

  it('resolves Node built-ins through the ordinary require', () => {
    const builder = loadJobBundle('const path = require("node:path"); module.exports = (env) => { env.sep = path.sep; };', join(dir, 'builtin.cjs'));
    const env: { sep?: string } = {};
    void builder(env as never, []);
    expect(env.sep).toBe('/');
  });
});
