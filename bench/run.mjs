#!/usr/bin/env node
// Benchmark dispatcher: `npm run bench -- <name> [args]`. Benchmarks are scripts, not tests;
// each prints its figures and ends with one JSON line.
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const [name, ...args] = process.argv.slice(2);
const available = readdirSync(here).filter((f) => f.endsWith('.mjs') && f !== 'run.mjs').map((f) => f.slice(0, -4));
if (!name || !available.includes(name)) {
  console.error(`usage: npm run bench -- <${available.join('|')}> [args]`);
  process.exit(2);
}
if (!existsSync(join(here, '..', 'dist', 'index.js'))) {
  console.error('dist/ is missing: run `npm run build` first');
  process.exit(2);
}
const r = spawnSync(process.execPath, [join(here, `${name}.mjs`), ...args], { stdio: 'inherit' });
process.exit(r.status ?? 1);
