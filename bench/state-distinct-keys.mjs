#!/usr/bin/env node
// 10 000 000 distinct keys on the LevelDB backend: every update is a new key, so state outgrows
// the write-back cache and is evicted to LevelDB. The process is sized as a TaskManager of
// `taskmanager.memory.process.size` (default 1g) with one slot: the same code derives the V8
// heap limit (the bench re-runs itself with it, as `fluss taskmanager` does) and the database's
// share of managed memory (write-back cache, block cache, memtables). Driven as an operator
// drives it (setCurrentKey + a ValueState); final flush included. Prints updates/s and the peak
// resident memory (sampled). Usage: npm run bench -- state-distinct-keys [keys=10000000] [processSize=1g]
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ValueStateDescriptor } from '../dist/common/state-descriptors.js';
import { runWithHeapLimit } from '../dist/cli/heap-limit-launcher.js';
import { deriveTaskManagerMemory, describeTaskManagerMemory, heapLimitArgs } from '../dist/cluster/taskmanager/task-manager-memory.js';
import { loadConfig } from '../dist/core/config.js';
import { StreamingRuntimeContext } from '../dist/runtime/streaming-runtime-context.js';
import { createKeyedStateBackendFactory } from '../dist/state/keyed-state-backend-factory.js';
import { ManagedMemoryPool } from '../dist/state/managed-memory.js';
import { OperatorStateStore } from '../dist/state/operator-state-store.js';

const processSize = process.argv[3] ?? '1g';
const config = loadConfig({ properties: '', overrides: { 'taskmanager.memory.process.size': processSize } });
const memory = deriveTaskManagerMemory(config);
if (!runWithHeapLimit(heapLimitArgs(memory))) await new Promise(() => {});
const numKeys = Number(process.argv[2] ?? 10_000_000);
const info = { taskName: 'bench', subtaskIndex: 0, parallelism: 1, maxParallelism: 128, attemptNumber: 0, jobId: 'bench' };
const root = mkdtempSync(join(tmpdir(), 'fluss-bench-'));
const pool = new ManagedMemoryPool(memory.managedBytes, 1);
const backend = await createKeyedStateBackendFactory({ kind: 'leveldb', stateDir: root, managedMemory: pool })({
  jobId: 'bench',
  operatorId: 'distinct',
  operatorName: 'distinct',
  subtaskIndex: 0,
  attemptNumber: 0,
  maxParallelism: 128,
  keyGroupRange: { start: 0, end: 127 },
  keyedOperatorsInSlot: 1,
});
const cacheMB = Math.round(backend.cacheBoundBytes / 2 ** 20);
console.log(describeTaskManagerMemory(memory, 1));
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
console.log(`distinct keys on leveldb, ${numKeys.toLocaleString('en')} keys, process size ${processSize}, cache bound ${cacheMB} MB, ${process.execArgv.join(' ')} (flush included)`);
console.log(`  ${Math.round(perSec).toLocaleString('en')} updates/s (target >= 250,000); final flush ${(seconds - loopSeconds).toFixed(1)} s of ${seconds.toFixed(1)} s`);
console.log(`  peak rss ${Math.round(peakRss / 2 ** 20)} MB (budget: process size ${Math.round(memory.processBytes / 2 ** 20)} MB)`);
console.log(JSON.stringify({ bench: 'state-distinct-keys', keys: numKeys, processSize, cacheMB, perSec: Math.round(perSec), seconds: Number(seconds.toFixed(1)), peakRssMB: Math.round(peakRss / 2 ** 20) }));
