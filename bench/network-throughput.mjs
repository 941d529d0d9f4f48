#!/usr/bin/env node
// Throughput of the data plane: small records `[word, 1]` through one remote channel (two
// NetworkEnvironments talking gRPC over loopback) and through local channels (one
// NetworkEnvironment, batches handed over as objects). Run `npm run build` first.
//
//   node bench/network-throughput.mjs [records] [recordsPerBatch]
import * as grpc from '@grpc/grpc-js';
import { NetworkEnvironment } from '../dist/network/network-environment.js';
import { FrameCodec } from '../dist/network/frame-codec.js';
import { resultPartitionId } from '../dist/network/shuffle-types.js';
import { GRPC_OPTIONS } from '../dist/core/proto.js';
import { silentLogger } from '../dist/core/logger.js';
import { NO_TIMESTAMP } from '../dist/common/stream-element.js';

const RECORDS = Number(process.argv[2] ?? 3_000_000);
const BATCH = Number(process.argv[3] ?? 1024);
const WORDS = Array.from({ length: 1000 }, (_, i) => `word${i}`);
const setImmediateP = () => new Promise((res) => setImmediate(res));

async function startNode(id) {
  const env = new NetworkEnvironment({ taskManagerId: id, logger: silentLogger(), maxRecordsPerBatch: BATCH });
  const server = new grpc.Server(GRPC_OPTIONS);
  env.bindService(server);
  const port = await new Promise((resolve, reject) =>
    server.bindAsync('127.0.0.1:0', grpc.ServerCredentials.createInsecure(), (err, p) => (err ? reject(err) : resolve(p))),
  );
  const address = `127.0.0.1:${port}`;
  env.setDataAddress(address);
  return { id, env, server, address };
}

/** Emits `count` records as a task would: check availability per record, yield between runs. */
async function produce(partition, count) {
  let i = 0;
  while (i < count) {
    const end = Math.min(count, i + 20_000);
    while (i < end) {
      if (!partition.isAvailable()) await partition.whenAvailable();
      partition.emitRecord(0, [WORDS[i % WORDS.length], 1], NO_TIMESTAMP);
      i++;
    }
    await setImmediateP(); // let the consumer and the sockets run
  }
  await partition.finish();
}

/** Reads a gate to its end; returns the number of records. */
async function consume(gate) {
  let records = 0;
  for (;;) {
    let next;
    let polled = 0;
    while ((next = gate.pollNext()) !== undefined) {
      if (next.item.kind === 'records') records += next.item.values.length;
      if (++polled === 64) break; // a task yields after a bounded batch
    }
    if (gate.isFinished()) return records;
    if (next === undefined) await gate.whenAvailable();
    else await setImmediateP();
  }
}

function bytesPerRecord() {
  const codec = new FrameCodec();
  const values = Array.from({ length: BATCH }, (_, i) => [WORDS[i % WORDS.length], 1]);
  return codec.encode({ kind: 'records', values, timestamps: null }).length / BATCH;
}

function report(name, records, ms, wireBytesPerRecord) {
  const rps = (records / ms) * 1000;
  const mbps = wireBytesPerRecord ? ((rps * wireBytesPerRecord) / 1e6).toFixed(1) + ' MB/s' : 'no serialisation';
  console.log(`${name.padEnd(34)} ${records.toLocaleString('en')} records in ${ms.toFixed(0)} ms: ${Math.round(rps).toLocaleString('en')} records/s, ${mbps}`);
}

async function remoteOneChannel() {
  const a = await startNode('tm-a');
  const b = await startNode('tm-b');
  const id = resultPartitionId('bench', 'remote', 0, 0);
  const partition = a.env.createResultPartition(id, 1, { bufferTimeoutMs: 5 });
  const gate = b.env.createInputGate([{ partitionId: id, subpartition: 0, producerTaskManagerId: a.id, producerAddress: a.address }]);
  const started = performance.now();
  const [records] = await Promise.all([consume(gate), produce(partition, RECORDS)]);
  const ms = performance.now() - started;
  gate.close();
  for (const n of [a, b]) {
    await n.env.close();
    n.server.forceShutdown();
  }
  if (records !== RECORDS) throw new Error(`remote channel lost records: ${records} of ${RECORDS}`);
  report('remote, 1 channel (gRPC loopback)', records, ms, bytesPerRecord());
}

async function local(channels) {
  const env = new NetworkEnvironment({ taskManagerId: 'tm-local', logger: silentLogger(), maxRecordsPerBatch: BATCH });
  env.setDataAddress('127.0.0.1:0');
  const ids = Array.from({ length: channels }, (_, i) => resultPartitionId('bench', 'local', i, 0));
  const partitions = ids.map((id) => env.createResultPartition(id, 1, { bufferTimeoutMs: 5 }));
  const gate = env.createInputGate(ids.map((id) => ({ partitionId: id, subpartition: 0, producerTaskManagerId: 'tm-local', producerAddress: '127.0.0.1:0' })));
  const per = Math.floor(RECORDS / channels);
  const started = performance.now();
  const [records] = await Promise.all([consume(gate), ...partitions.map((p) => produce(p, per))]);
  const ms = performance.now() - started;
  gate.close();
  await env.close();
  if (records !== per * channels) throw new Error(`local channels lost records: ${records} of ${per * channels}`);
  report(`local, ${channels} channel${channels > 1 ? 's' : ''} (same TaskManager)`, records, ms);
}

console.log(`node ${process.version}, ${RECORDS.toLocaleString('en')} records [word, 1], ${BATCH} records per batch, ~${bytesPerRecord().toFixed(1)} bytes/record on the wire`);
await remoteOneChannel();
await local(1);
await local(4);
