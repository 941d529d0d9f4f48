#!/usr/bin/env node
// Async I/O (AsyncDataStream) against a local node:http service that answers after 20 ms, run
// in a child process (its own core). One subtask, capacity 1000, on the local mini-cluster:
//  - throughput: records/s through orderedWait and unorderedWait with the source unthrottled
//    (the bound is capacity / latency = 50 000/s; target >= 30 000/s);
//  - added latency: at half load (500 requests in flight: 25 000 records/s, or half the measured
//    throughput of that service when it is lower), the time from a record's emission at the
//    source to its result at the sink, minus the service's 20 ms (target < 1 ms at the median);
//  - the same figures against an in-process 20 ms timer instead of HTTP (the operator's own
//    share), and the HTTP client alone with 1000 calls in flight (what the machine allows).
//   npm run bench -- async-io [records per throughput run = 150000] [seconds per latency run = 5]
import { spawn } from 'node:child_process';
import { Agent, request } from 'node:http';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const { AsyncDataStream, DataGeneratorSource, RestartStrategies, StreamExecutionEnvironment, WatermarkStrategy } = await import(join(root, 'dist', 'index.js'));

const RECORDS = Number(process.argv[2] ?? 150_000);
const SECONDS = Number(process.argv[3] ?? 5);
const CAPACITY = 1000;
const SERVICE_MS = 20;
const now = () => performance.timeOrigin + performance.now();

// The service: answers every request after 20 ms, keeping connections alive.
const server = spawn(
  process.execPath,
  [
    '-e',
    `const http = require('node:http');
     const s = http.createServer((req, res) => { req.resume(); setTimeout(() => res.end(req.url.slice(1)), ${SERVICE_MS}); });
     s.keepAliveTimeout = 60000; s.maxRequestsPerSocket = 0;
     s.listen(0, '127.0.0.1', () => console.log(s.address().port));`,
  ],
  { stdio: ['ignore', 'pipe', 'inherit'] },
);
const port = await new Promise((resolve) => server.stdout.once('data', (d) => resolve(Number(String(d).trim()))));
// As many idle sockets kept as may be in flight: completions come back in bursts and the next
// requests start after the burst, so with Node's default (256 idle) the agent would close most
// sockets of a burst and open new ones for the next (measured: about one TCP connect for every two requests).
const agent = new Agent({ keepAlive: true, maxSockets: CAPACITY, maxFreeSockets: CAPACITY });

/** One call of the service: resolves with the body (the record back). */
function call(x) {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path: `/${x}`, agent }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (c) => (body += c));
      res.on('end', () => resolve(body));
    });
    req.on('error', reject);
    req.end();
  });
}
// One record each (an array result would be several records).
const httpCall = (r) => call(r[0]).then(() => [r]);
const timerCall = (r) => new Promise((resolve) => setTimeout(() => resolve([r]), SERVICE_MS));

/** Runs source → async → sink once; returns records/s and the latencies (ms above 20) seen at the sink. */
async function run({ mode, fn, records, rate }) {
  const env = StreamExecutionEnvironment.getExecutionEnvironment({ defaultParallelism: 1 });
  env.setRestartStrategy(RestartStrategies.noRestart());
  const source = env.fromSource(
    new DataGeneratorSource((i) => [i, 0], records, rate ? { ratePerSecond: rate } : {}),
    WatermarkStrategy.noWatermarks(),
    'records',
  );
  // Stamped as the source emits (chained: the same moment).
  const stamped = source.map((r) => [r[0], now()]);
  const wait = mode === 'ordered' ? AsyncDataStream.orderedWait : AsyncDataStream.unorderedWait;
  const state = { count: 0, first: 0, last: 0, ages: [] };
  const skip = Math.floor(records / 10); // warm-up: connections, compilation
  wait(stamped, fn, 60_000, CAPACITY).addSink((r) => {
    const t = now();
    if (state.count++ === skip) state.first = t;
    state.last = t;
    if (r[0] >= skip && state.ages.length < 200_000) state.ages.push(t - r[1] - SERVICE_MS);
  });
  await env.execute(`async-io ${mode}`);
  const measured = state.count - skip - 1;
  return { recordsPerSecond: Math.round(measured / ((state.last - state.first) / 1000)), ages: state.ages.sort((a, b) => a - b) };
}

/** The HTTP client alone, `CAPACITY` calls at a time for `ms`: what the machine allows at all (second half counted). */
async function rawClientRate(ms) {
  let n = 0;
  let counted = 0;
  const start = now();
  const end = start + ms;
  const from = start + ms / 2;
  await Promise.all(
    Array.from({ length: CAPACITY }, async () => {
      while (now() < end) {
        await call(n++);
        const t = now();
        if (t >= from && t < end) counted++;
      }
    }),
  );
  return Math.round(counted / (ms / 2000));
}

const pct = (s, p) => s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))];
const fmt = (x) => Math.round(x * 100) / 100;
const result = { bench: 'async-io', records: RECORDS, capacity: CAPACITY, serviceMs: SERVICE_MS, secondsPerLatencyRun: SECONDS };
try {
  result.rawHttpClientCallsPerSecond = await rawClientRate(6000);
  console.log(`HTTP client alone, ${CAPACITY} calls in flight: ${result.rawHttpClientCallsPerSecond} calls/s (what this machine allows)`);
  for (const mode of ['ordered', 'unordered']) {
    const t = await run({ mode, fn: timerCall, records: RECORDS });
    result[`${mode}TimerRecordsPerSecond`] = t.recordsPerSecond;
    console.log(`${mode}: ${t.recordsPerSecond} records/s against an in-process 20 ms timer`);
  }
  for (const mode of ['ordered', 'unordered']) {
    const t = await run({ mode, fn: httpCall, records: RECORDS });
    result[`${mode}RecordsPerSecond`] = t.recordsPerSecond;
    console.log(`${mode}: ${t.recordsPerSecond} records/s over HTTP (bound ${(CAPACITY * 1000) / SERVICE_MS}/s)`);
  }
  // Half load: 500 requests in flight (25 000/s), or half of what the run above reached when that is lower.
  const bound = (CAPACITY * 1000) / SERVICE_MS / 2;
  const halfOf = (a, b) => Math.max(1, Math.min(bound, Math.round(Math.min(a, b) / 2)));
  const latencyRuns = [
    ['http', httpCall, halfOf(result.orderedRecordsPerSecond, result.unorderedRecordsPerSecond)],
    ['timer', timerCall, halfOf(result.orderedTimerRecordsPerSecond, result.unorderedTimerRecordsPerSecond)],
  ];
  for (const [name, fn, half] of latencyRuns) {
    const l = await run({ mode: 'ordered', fn, records: half * SECONDS, rate: half });
    const key = `addedLatencyMs_${name}`;
    result[key] = { recordsPerSecond: half, p50: fmt(pct(l.ages, 50)), p90: fmt(pct(l.ages, 90)), p99: fmt(pct(l.ages, 99)) };
    console.log(`added latency at ${half} records/s (${name === 'http' ? 'HTTP service' : 'in-process 20 ms timer'}): p50 ${result[key].p50} ms, p90 ${result[key].p90} ms, p99 ${result[key].p99} ms`);
  }
} finally {
  agent.destroy();
  server.kill();
}
console.log(JSON.stringify(result));
process.exit(0);
