#!/usr/bin/env node
// Word count across two TaskManager processes at parallelism 2: words/s.
//   npm run bench -- wordcount-cluster [words] [--split-large-files]
// Starts a JobManager and two TaskManagers (one slot each) from bin/fluss, generates a text
// file, runs the job attached and reads Flink's "Job Runtime: <ms> ms" line. By default the
// file is one split read whole by one source subtask (readTextFile, as Flink's FileSource);
// --split-large-files reads it as FileSource.forLines(file).splitLargeFiles(), one byte range
// per source subtask.
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync, createWriteStream } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const bin = join(root, 'bin', 'fluss');
const argv = process.argv.slice(2);
const SPLIT = argv.includes('--split-large-files');
const WORDS = Number(argv.find((a) => !a.startsWith('--')) ?? 5_000_000);
const dir = mkdtempSync(join(tmpdir(), 'fluss-bench-wc-'));

const port = await new Promise((res) => {
  const s = createServer().listen(0, '127.0.0.1', () => {
    const p = s.address().port;
    s.close(() => res(p));
  });
});

// Input: WORDS words over a 10 000-word vocabulary, 10 words per line.
const vocab = Array.from({ length: 10_000 }, (_, i) => `word${i}`);
let seed = 7;
const rnd = () => ((seed = (Math.imul(seed, 1103515245) + 12345) >>> 0) / 2 ** 32);
const input = join(dir, 'input.txt');
const ws = createWriteStream(input);
let chunk = [];
for (let i = 0; i < WORDS; i++) {
  chunk.push(vocab[Math.floor(rnd() * vocab.length)]);
  if (chunk.length === 10) {
    if (!ws.write(chunk.join(' ') + '\n')) await new Promise((r) => ws.once('drain', r));
    chunk = [];
  }
}
if (chunk.length) ws.write(chunk.join(' ') + '\n');
await new Promise((r) => ws.end(r));

writeFileSync(
  join(dir, 'job.mjs'),
  `import { defineJob, FileSource, WatermarkStrategy } from 'fluss';
export default defineJob((env, [input]) => {
  let n = 0;
  ${SPLIT ? "env.fromSource(FileSource.forLines(input).splitLargeFiles(), WatermarkStrategy.noWatermarks(), 'lines')" : 'env.readTextFile(input)'}
    .flatMap((line, out) => { for (const w of line.split(' ')) out.collect(w); })
    .map((w) => [w, 1])
    .keyBy((t) => t[0])
    .sum(1)
    .addSink(() => { n++; });
});
`,
);

const common = ['-D', `jobmanager.rpc.port=${port}`, '-D', 'jobmanager.rpc.address=127.0.0.1', '-D', 'log.level=warn'];
const env = { ...process.env, FLUSS_LOG_LEVEL: 'warn' };
const daemons = [
  spawn(process.execPath, [bin, 'jobmanager', ...common], { env, stdio: 'ignore' }),
  spawn(process.execPath, [bin, 'taskmanager', ...common], { env, stdio: 'ignore' }),
  spawn(process.execPath, [bin, 'taskmanager', ...common], { env, stdio: 'ignore' }),
];
try {
  await new Promise((r) => setTimeout(r, 2500));
  const res = spawnSync(process.execPath, [bin, 'run', '-m', `127.0.0.1:${port}`, '-p', '2', join(dir, 'job.mjs'), input], {
    env,
    encoding: 'utf8',
  });
  if (res.status !== 0) {
    console.error(res.stdout, res.stderr);
    process.exitCode = 1;
  } else {
    const ms = Number(/Job Runtime: (\d+) ms/.exec(res.stdout)?.[1]);
    const rate = WORDS / (ms / 1000);
    console.log(`words            ${WORDS} (${SPLIT ? 'splitLargeFiles: one byte range per source subtask' : 'one whole-file split'})`);
    console.log(`job runtime      ${ms} ms (deployment included)`);
    console.log(`throughput       ${(rate / 1e6).toFixed(2)} M words/s (target >= 1 M)`);
    console.log(JSON.stringify({ bench: 'wordcount-cluster', words: WORDS, splitLargeFiles: SPLIT, ms, wordsPerSecond: Math.round(rate) }));
  }
} finally {
  for (const d of daemons) d.kill('SIGTERM');
}
