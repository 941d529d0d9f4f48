/**
 * The headless browser of the dashboard test. Debian's Chromium is used (no browser download
 * from the test tool); when it is missing and the tests run as root, it is installed through
 * the system's package manager by `scripts/ensure-chromium.sh`, as `.ci/run` does. Otherwise
 * the test fails with one line that says how to install it.
 */
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { ROOT } from './process-cluster.js';

/** Where Debian installs Chromium. */
export const CHROMIUM = '/usr/bin/chromium';

/** Makes sure {@link CHROMIUM} exists, installing it when possible; throws one line otherwise. */
export async function ensureChromium(): Promise<string> {
  if (existsSync(CHROMIUM)) return CHROMIUM;
  const how = 'install it with `sudo apt-get install chromium` (or run the tests as root, which installs it)';
  if (process.getuid?.() !== 0) throw new Error(`the dashboard test needs Chromium at ${CHROMIUM}: ${how}`);
  const r = await run('bash', [join(ROOT, 'scripts', 'ensure-chromium.sh')]);
  if (r.code !== 0 || !existsSync(CHROMIUM)) {
    const why = r.stderr.trim().split('\n').pop() ?? '';
    throw new Error(`the dashboard test needs Chromium at ${CHROMIUM} and installing it failed (${why}): ${how}`);
  }
  return CHROMIUM;
}

/** Runs a command without blocking the test worker's event loop; resolves with its exit code. */
function run(cmd: string, args: string[]): Promise<{ code: number; stderr: string }> {
  return new Promise((resolve) => {
    const proc = spawn(cmd, args, { stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    proc.stderr.on('data', (d: Buffer) => (stderr = (stderr + d.toString()).slice(-4000)));
    proc.on('error', (e) => resolve({ code: -1, stderr: e.message }));
    proc.on('close', (code) => resolve({ code: code ?? -1, stderr }));
  });
}
