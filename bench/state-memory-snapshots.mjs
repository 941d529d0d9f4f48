#!/usr/bin/env node
// The memory backend's checkpoint snapshots, driven as an operator and a checkpoint drive them:
//   (a) the common path: updates per second with no snapshot running (a ValueState count and a
//       ListState add per record, the list changed in place);
//   (b) the synchronous part of a snapshot of all keys (what holds the task at the barrier);
//   (c) the same updates while the snapshot is written to a keyed state file on the same event
//       loop (the asynchronous part), in chunks of 1 000 records between turns of the loop.
// Usage: npm run bench -- state-memory-snapshots [keys=1000000] [updates=3000000]
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ListStateDescriptor, ValueStateDescriptor } from '../dist/common/state-descriptors.js';
import { StreamingRuntimeContext } from '../dist/runtime/streaming-runtime-context.js';
import { MemoryKeyedStateBackend } from '../dist/state/memory-keyed-state-backend.js';
import { OperatorStateStore } from '../dist/state/operator-state-store.js';
import { writeKeyedStateFile } from '../dist/checkpoint/state-files.js';

const numKeys = Number(process.argv[2] ?? 1_000_000);
const updates = Number(process.argv[3] ?? 3_000_000);
const range = { start: 0, end: 127 };
const info = { taskName: 'bench', subtaskIndex: 0, parallelism: 1, maxParallelism: 128, attemptNumber: 0, jobId: 'bench' };
const dir = mkdtempSync(join(tmpdir(), 'fluss-bench-memsnap-'));

const backend = new MemoryKeyedStateBackend({ maxParallelism: 128, keyGroupRange: range, operatorName: 'counts' });
const rc = new StreamingRuntimeContext(info, 'counts', backend, new OperatorStateStore('counts'));
const count = rc.getState(new ValueStateDescriptor('count', 0));
const recent = rc.getListState(new ListStateDescriptor('recent'));
const keys = Array.from({ length: numKeys }, (_, i) => `key-${i}`);
let x = 12345;
let done = 0;
/** One record: a count and a bounded list of recent values, both per key. */
function processOne() {
  x = (Math.imul(x, 1103515245) + 12345) >>> 0;
  backend.setCurrentKey(keys[x % numKeys]);
  count.update(count.value() + 1);
  recent.add(done & 7);
  done++;
}

// Every key gets its state first (the state a checkpoint copies).
for (let i = 0; i < numKeys; i++) {
  backend.setCurrentKey(keys[i]);
  count.update(1);
  recent.add(0);
}

// (a) Common path.
let t0 = performance.now();
for (let i = 0; i < updates; i++) processOne();
const commonRate = updates / ((performance.now() - t0) / 1000);

// (b) Synchronous part, (c) updates while the asynchronous part writes the file.
// A first snapshot, released unread: checkpoints recur, the figure is of a warm one.
const first = await backend.snapshotKeyGroups();
first.release?.();
t0 = performance.now();
const taken = backend.snapshotKeyGroups();
const syncMs = performance.now() - t0;
const entries = await taken;
const before = done;
let writing = true;
const task = () => {
  if (!writing) return;
  for (let i = 0; i < 1000; i++) processOne();
  setImmediate(task);
};
setImmediate(task);
t0 = performance.now();
const file = await writeKeyedStateFile(dir, 'keyed', range, entries);
writing = false;
const asyncMs = performance.now() - t0;
const during = done - before;
const duringRate = during / (asyncMs / 1000);
const mb = (n) => Math.round(n / 2 ** 20);
console.log(`memory backend, ${numKeys} keys, ValueState + ListState per key`);
console.log(`(a) no snapshot running:   ${Math.round(commonRate).toLocaleString()} records/s (${updates} records)`);
console.log(`(b) synchronous part:      ${syncMs.toFixed(1)} ms`);
console.log(`(c) asynchronous part:     ${Math.round(asyncMs)} ms, ${mb(file.size)} MB written; ${during.toLocaleString()} records processed meanwhile (${Math.round(duringRate).toLocaleString()} records/s)`);
console.log(`heap used ${mb(process.memoryUsage().heapUsed)} MB`);
await backend.dispose();
rmSync(dir, { recursive: true, force: true });
console.log(JSON.stringify({ bench: 'state-memory-snapshots', keys: numKeys, updates, commonRate: Math.round(commonRate), syncMs: Math.round(syncMs * 10) / 10, asyncMs: Math.round(asyncMs), recordsDuringAsync: during, rateDuringAsync: Math.round(duringRate) }));
