/**
 * The layering of `src/`, checked over the import graph: every import runs down
 * `main → fluss/cluster → fluss → fluss/testing | fluss/nexmark → cli → cluster → api → connectors → graph
 * → runtime → checkpoint → state | network → common → core`
 * (a folder may import itself and anything below it, never above, never a peer on its floor).
 * Dynamic `import()` counts as an import. A new back-edge fails this test, naming the file and
 * the import, so the structure stays true.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';

const SRC = resolve(__dirname, '..', '..', 'src');

/** Floors from the top down; folders on one floor may not import each other. */
export const FLOORS: string[][] = [
  ['main.ts'],
  ['cluster-entry.ts'],
  ['index.ts'],
  ['testing.ts', 'nexmark.ts'],
  ['cli'],
  ['cluster'],
  ['api'],
  ['connectors'],
  ['graph'],
  ['runtime'],
  ['checkpoint'],
  ['state', 'network'],
  ['common'],
  ['core'],
];

function floorOf(relPath: string): { floor: number; part: string } | undefined {
  const part = relPath.includes('/') ? relPath.split('/')[0]! : relPath;
  const floor = FLOORS.findIndex((f) => f.includes(part));
  return floor < 0 ? undefined : { floor, part };
}

function sources(dir: string, out: string[] = []): string[] {
  for (const e of readdirSync(dir)) {
    const p = join(dir, e);
    if (statSync(p).isDirectory()) sources(p, out);
    else if (/\.ts$/.test(e) && !e.endsWith('.d.ts')) out.push(p);
  }
  return out;
}

/** Every relative import of a file (static, re-export and dynamic), as paths under src/. */
export function importsOf(file: string): string[] {
  const text = readFileSync(file, 'utf8');
  const specs = [...text.matchAll(/(?:\bfrom\s*|\bimport\s*\(\s*|^\s*import\s+)(['"])(\.{1,2}\/[^'"]+)\1/gm)].map((m) => m[2]!);
  return specs.map((s) => relative(SRC, resolve(dirname(file), s)).split('\\').join('/'));
}

/** The imports that break the floors: `file -> import`. */
export function backEdges(): string[] {
  const bad: string[] = [];
  for (const file of sources(SRC)) {
    const from = relative(SRC, file).split('\\').join('/');
    const a = floorOf(from);
    if (!a) continue;
    for (const to of importsOf(file)) {
      const b = floorOf(to);
      if (!b || b.part === a.part) continue;
      if (b.floor <= a.floor) bad.push(`${from} -> ${to}`);
    }
  }
  return bad;
}

describe('layering of src/', () => {
  it('every folder of src/ has a floor', () => {
    const parts = readdirSync(SRC).filter((e) => e !== 'web');
    expect(parts.filter((p) => !floorOf(p))).toEqual([]);
  });

  it('no import runs up or sideways between floors', () => {
    expect(backEdges()).toEqual([]);
  });
});
