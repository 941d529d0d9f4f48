/**
 * Job bundles: a job file and its local and npm imports compiled by esbuild into one
 * CommonJS file (`fluss` stays external), and the loader that turns such a bundle back into
 * the job's builder function, with `require('fluss')` bound to this very package instance.
 */
import { existsSync, statSync } from 'node:fs';
import { resolve } from 'node:path';
import type { Message } from 'esbuild';
import type { JobBuilder } from '../api/build-job.js';
import { JobBuildError, oneLine } from '../core/errors.js';
import { sha256Hex } from '../core/ids.js';
import { evaluateCommonJs } from './job-loader.js';

/** A bundled job: the CommonJS code and its content address (sha256 hex). */
export interface JobBundle {
  code: Buffer;
  hash: string;
}

/**
 * Bundles `path` (TypeScript or JavaScript) with its imports into one CommonJS file for Node 20.
 * Throws {@link JobBuildError} for a missing file or a compile error (first message, one line).
 */
export async function bundleJobFile(path: string): Promise<JobBundle> {
  const absolute = resolve(path);
  if (!existsSync(absolute) || !statSync(absolute).isFile()) {
    throw new JobBuildError(`Job file not found: ${path}`);
  }
  let outputText: Uint8Array;
  try {
    // Loaded here: only `fluss run` bundles, and every other process would pay for loading it.
    const { build } = await import('esbuild');
    const result = await build({
      entryPoints: [absolute],
      bundle: true,
      write: false,
      format: 'cjs',
      platform: 'node',
      target: 'node20',
      external: ['fluss', 'fluss/*'],
      logLevel: 'silent',
      sourcemap: false,
      // Job files may sit anywhere; resolve their imports from their own directory.
      absWorkingDir: resolve(absolute, '..'),
    });
    const file = result.outputFiles[0];
    if (!file) throw new JobBuildError(`Job file ${path} produced no output`);
    outputText = file.contents;
  } catch (err) {
    if (err instanceof JobBuildError) throw err;
    throw new JobBuildError(`Job file ${path} does not compile: ${firstEsbuildMessage(err)}`, { cause: err });
  }
  const code = Buffer.from(outputText);
  return { code, hash: sha256Hex(code) };
}

/** `file:line:column: text` of esbuild's first error, or the error's message. */
function firstEsbuildMessage(err: unknown): string {
  const errors = (err as { errors?: Message[] }).errors;
  const first = errors?.[0];
  if (!first) return oneLine(err instanceof Error ? err.message : String(err));
  const loc = first.location;
  const where = loc ? `${loc.file}:${loc.line}:${loc.column + 1}: ` : '';
  return oneLine(`${where}${first.text}`);
}

/**
 * Evaluates a CommonJS job bundle and returns its default export, the job builder.
 * `filename` names the bundle in stack traces and anchors `require` of anything but `fluss`.
 * Throws {@link JobBuildError} when evaluating fails or there is no default export function.
 */
export function loadJobBundle(code: Buffer | string, filename: string): JobBuilder {
  const exported = evaluateCommonJs(typeof code === 'string' ? code : code.toString('utf8'), filename);
  const candidate = pickDefaultExport(exported);
  if (typeof candidate !== 'function') {
    throw new JobBuildError(`Job file ${filename} has no default export (expected a function (env, args) => …)`);
  }
  return candidate as JobBuilder;
}

/** The default export of an esbuild-converted ES module, or a plain CommonJS export. */
function pickDefaultExport(exported: unknown): unknown {
  if (typeof exported === 'function') return exported;
  if (exported !== null && typeof exported === 'object') {
    return (exported as { default?: unknown }).default;
  }
  return undefined;
}
