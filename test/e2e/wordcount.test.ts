/**
 * Word count over ≥ 500 000 words at parallelism 4 on a real cluster: one JobManager and two
 * TaskManager processes started from bin/fluss. The counts must equal counts computed here.
 */
import { mkdtempSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type ProcessCluster, runCli, startProcessCluster } from '../helpers/process-cluster.js';

const JOB = `
import { defineJob, FileSink } from 'fluss';

export default defineJob((env, [input, output]) => {
  env
    .readTextFile(input)
    .flatMap((line: string, out) => {
      for (const w of line.split(/[^a-z]+/)) if (w) out.collect(w);
    })
    .name('tokenize')
    .map((w: string) => [w, 1] as [string, number])
    .keyBy((t: [string, number]) => t[0])
    .sum(1)
    .sinkTo(FileSink.forRowFormat(output, (t: [string, number]) => t[0] + ' ' + t[1]));
});
`;

/** Deterministic text: words from a Zipf-ish vocabulary, 12 per line. */
function generateText(words: number): { text: string; counts: Map<string, number> } {
  const vocab = Array.from({ length: 5000 }, (_, i) => `w${i.toString(36)}x`.replace(/[0-9]/g, (d) => 'abcdefghij'[Number(d)]!));
  let seed = 42;
  const rnd = () => ((seed = (Math.imul(seed, 1103515245) + 12345) >>> 0) / 2 ** 32);
  const counts = new Map<string, number>();
  const lines: string[] = [];
  let line: string[] = [];
  for (let i = 0; i < words; i++) {
    const w = vocab[Math.floor(vocab.length * rnd() * rnd())]!;
    counts.set(w, (counts.get(w) ?? 0) + 1);
    line.push(w);
    if (line.length === 12) {
      lines.push(line.join(i % 7 === 0 ? ',  ' : ' '));
      line = [];
    }
  }
  if (line.length) lines.push(line.join(' '));
  return { text: lines.join('\n') + '\n', counts };
}

describe('word count on a process cluster', () => {
  let cluster: ProcessCluster;
  beforeAll(async () => {
    cluster = await startProcessCluster({ taskManagers: 2, slots: 2 });
  });
  afterAll(async () => {
    await cluster?.stop();
  });

  it('counts 500 000 words at parallelism 4 exactly', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'fluss-wordcount-'));
    const { text, counts } = generateText(500_000);
    writeFileSync(join(dir, 'input.txt'), text);
    writeFileSync(join(dir, 'job.ts'), JOB);
    const out = join(dir, 'out');

    const res = await runCli(['run', '-m', cluster.address, '-p', '4', join(dir, 'job.ts'), join(dir, 'input.txt'), out], {}, 180_000);
    expect(res.stderr).toBe('');
    expect(res.code).toBe(0);
    expect(res.stdout).toMatch(/Job has been submitted with JobID [0-9a-f]{32}/);

    // Running counts: the last (largest) count per word is its total.
    const finals = new Map<string, number>();
    const files = readdirSync(out).filter((f) => !f.startsWith('.'));
    expect(files.length).toBeGreaterThan(0);
    for (const f of files) {
      for (const line of readFileSync(join(out, f), 'utf8').split('\n')) {
        if (!line) continue;
        const [w, c] = line.split(' ');
        finals.set(w!, Math.max(finals.get(w!) ?? 0, Number(c)));
      }
    }
    expect(finals.size).toBe(counts.size);
    for (const [w, c] of counts) expect(finals.get(w), w).toBe(c);
  });
});
