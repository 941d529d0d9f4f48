#!/usr/bin/env node
// 10 000 000 distinct keys on the LevelDB backend with a 256 MB cache bound: every update is a
// new key, so state outgrows the cache and is evicted to LevelDB. Driven as an operator drives
// it (setCurrentKey + a ValueState); final flush included. Prints updates/s and the peak
// resident memory (sampled). Usage: npm run bench -- state-distinct-keys [keys=10000000] [cacheMB=256]
// The process runs with a fixed heap (--max-old-space-size=640, override with FLUSS_BENCH_HEAP_MB),
// as a TaskManager would be deployed: without a limit V8 lets evicted entries pile up as garbage
// on a 24 GB machine, and the resident size then says more about V8's GC pacing than the cache.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ValueStateDescriptor } from '../dist/common/state-descriptors.js';
import { StreamingRuntimeContext } from '../dist/runtime/streaming-runtime-context.js';
import { LevelDbKeyedStateBackend } from '../dist/state/leveldb-keyed-state-backend.js';
import { OperatorStateStore } from '../dist/state/operator-state-store.js';

const heapMB = Number(process.env.FLUSS_BENCH_HEAP_MB ?? 640);
if (!process.execArgv.some((a) => a.startsWith('--max-old-space-size'))) {
  const r = spawnSync(process.execPath, [`--max-old-space-size=${heapMB}`, fileURLToPath(import.meta.url), ...process.argv.slice(2)], { stdio: 'inherit' });
  process.exit(r.status ?? 1);
}
const numKeys = Number(process.argv[2] ?? 10_000_000);
const cacheMB = Number(process.argv[3] ?? 256);
const info = { taskName: 'bench', subtaskIndex: 0, parallelism: 1, maxParallelism: 128, attemptNumber: 0, jobId: 'bench' };
const root = mkdtempSync(join(tmpdir(), 'fluss-bench-'));
const backend = await LevelDbKeyedStateBackend.open({
  maxParallelism: 128,
  keyGroupRange: { start: 0, end: 127 },
  operatorName: 'distinct',
  path: join(root, 'db'),
  cacheBytes: cacheMB * 1024 * 1024,
});
const rc = new StreamingRuntimeContext(info, 'distinct', backend, new OperatorStateStore('distinct'));
const count = rc.getState(new ValueStateDescriptor('count', 0));

let peakRss = process.memoryUsage().rss;
const t0 = performance.now();
let last = t0;
for (let i = 0; i < numKeys; i++) {
  backend.setCurrentKey(`user-${i}`);
  count.update(count.value() + 1);
  // Yield between slices of 2048 records, as a task's mailbox does: background writes complete.
  if ((i & 2047) === 0) await new Promise((r) => setImmediate(r));
  if ((i & 0xffff) === 0) {
    peakRss = Math.max(peakRss, process.memoryUsage().rss);
    const now = performance.now();
    if (now - last > 10_000) {
      console.log(`  ${i.toLocaleString('en')} keys, ${Math.round(i / ((now - t0) / 1000)).toLocaleString('en')} updates/s, rss ${Math.round(peakRss / 2 ** 20)} MB`);
      last = now;
    }
  }
}
const loopSeconds = (performance.now() - t0) / 1000;
await backend.flush();
const seconds = (performance.now() - t0) / 1000;
peakRss = Math.max(peakRss, process.memoryUsage().rss);
// Spot checks: early keys come back from LevelDB.
for (const i of [0, 1, Math.floor(numKeys / 2), numKeys - 1]) {
  backend.setCurrentKey(`user-${i}`);
  if (count.value() !== 1) throw new Error(`key user-${i} has ${count.value()}`);
}
await backend.dispose();
rmSync(root, { recursive: true, force: true });
const perSec = numKeys / seconds;
console.log(`distinct keys on leveldb, ${numKeys.toLocaleString('en')} keys, cache bound ${cacheMB} MB, ${process.execArgv.join(' ')} (flush included)`);
console.log(`  ${Math.round(perSec).toLocaleString('en')} updates/s (target >= 150,000); final flush ${(seconds - loopSeconds).toFixed(1)} s of ${seconds.toFixed(1)} s`);
console.log(`  peak rss ${Math.round(peakRss / 2 ** 20)} MB (target < 1024 MB)`);
console.log(JSON.stringify({ bench: 'state-distinct-keys', keys: numKeys, cacheMB, perSec: Math.round(perSec), seconds: Number(seconds.toFixed(1)), peakRssMB: Math.round(peakRss / 2 ** 20) }));
