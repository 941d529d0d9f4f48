#!/usr/bin/env node
// Keyed counts on 100 000 hot keys: the LevelDB backend (write-back cache) against the memory
// backend, driven as an operator drives them (setCurrentKey + a ValueState), final flush
// included. Usage: npm run bench -- state-keyed-counts [updates=5000000] [keys=100000]
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ValueStateDescriptor } from '../dist/common/state-descriptors.js';
import { StreamingRuntimeContext } from '../dist/runtime/streaming-runtime-context.js';
import { LevelDbKeyedStateBackend } from '../dist/state/leveldb-keyed-state-backend.js';
import { MemoryKeyedStateBackend } from '../dist/state/memory-keyed-state-backend.js';
import { OperatorStateStore } from '../dist/state/operator-state-store.js';

const updates = Number(process.argv[2] ?? 5_000_000);
const numKeys = Number(process.argv[3] ?? 100_000);
const range = { start: 0, end: 127 };
const info = { taskName: 'bench', subtaskIndex: 0, parallelism: 1, maxParallelism: 128, attemptNumber: 0, jobId: 'bench' };
const keys = Array.from({ length: numKeys }, (_, i) => `key-${i}`);
// The same pseudo-random key sequence for both backends.
const order = new Uint32Array(updates);
let x = 12345;
for (let i = 0; i < updates; i++) {
  x = (Math.imul(x, 1103515245) + 12345) >>> 0;
  order[i] = x % numKeys;
}

async function run(backend) {
  const rc = new StreamingRuntimeContext(info, 'counts', backend, new OperatorStateStore('counts'));
  const count = rc.getState(new ValueStateDescriptor('count', 0));
  const t0 = performance.now();
  for (let i = 0; i < updates; i++) {
    backend.setCurrentKey(keys[order[i]]);
    count.update(count.value() + 1);
  }
  await backend.flush();
  const seconds = (performance.now() - t0) / 1000;
  // Check the totals so the figures are of correct work.
  let total = 0;
  for (const k of keys) {
    backend.setCurrentKey(k);
    total += count.value();
  }
  if (total !== updates) throw new Error(`lost updates: ${total} != ${updates}`);
  return updates / seconds;
}

const root = mkdtempSync(join(tmpdir(), 'fluss-bench-'));
const results = {};
for (const round of [0, 1]) {
  const memory = new MemoryKeyedStateBackend({ maxParallelism: 128, keyGroupRange: range, operatorName: 'counts' });
  const m = await run(memory);
  await memory.dispose();
  const leveldb = await LevelDbKeyedStateBackend.open({
    maxParallelism: 128,
    keyGroupRange: range,
    operatorName: 'counts',
    path: join(root, `db-${round}`),
    cacheBytes: 64 * 1024 * 1024,
  });
  const l = await run(leveldb);
  await leveldb.dispose();
  // The first round warms up the JIT; the second is reported.
  if (round === 1) Object.assign(results, { memory: m, leveldb: l });
}
rmSync(root, { recursive: true, force: true });
const ratio = results.leveldb / results.memory;
console.log(`keyed counts, ${numKeys} hot keys, ${updates} updates (flush included)`);
console.log(`  memory : ${Math.round(results.memory).toLocaleString('en')} updates/s`);
console.log(`  leveldb: ${Math.round(results.leveldb).toLocaleString('en')} updates/s`);
console.log(`  ratio leveldb/memory: ${ratio.toFixed(2)} (target >= 0.5)`);
console.log(JSON.stringify({ bench: 'state-keyed-counts', keys: numKeys, updates, memoryPerSec: Math.round(results.memory), leveldbPerSec: Math.round(results.leveldb), ratio: Number(ratio.toFixed(3)) }));
