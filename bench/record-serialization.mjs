#!/usr/bin/env node
// Cost of encoding record batches for remote channels (FrameCodec.encode: the nesting-depth
// check, then msgpack), per record shape: `[word, 1]` pairs, flat Nexmark-like bids, and nested
// orders. Reports nanoseconds per record for the whole encode, for msgpack alone (the encode
// without the depth bound, alternating with it) and for the depth check alone.
// Run `npm run build` first.
//
//   npm run bench -- record-serialization [batches per shape = 3000] [records per batch = 1024]
import { FrameCodec } from '../dist/network/frame-codec.js';
import { nestedTooDeeply } from '../dist/core/nesting-depth.js';

const BATCHES = Number(process.argv[2] ?? 3000);
const BATCH = Number(process.argv[3] ?? 1024);

const shapes = {
  'pairs [word, 1]': (i) => [`word${i % 1000}`, 1],
  'flat bid (7 fields)': (i) => ({
    auction: 1000 + (i % 500),
    bidder: 2000 + (i % 977),
    price: (i * 37) % 10_000,
    channel: 'Google',
    url: `https://www.nexmark.com/item/${i % 100}`,
    dateTime: 1_700_000_000_000 + i,
    extra: '',
  }),
  'nested order (depth 3)': (i) => ({
    id: i,
    customer: { name: `c${i % 300}`, address: { city: 'Berlin', zip: `${10_000 + (i % 90)}` } },
    lines: [
      { sku: `s${i % 50}`, qty: 1 },
      { sku: `s${(i + 7) % 50}`, qty: 2 },
    ],
  }),
};

function time(fn) {
  const started = process.hrtime.bigint();
  fn();
  return Number(process.hrtime.bigint() - started) / 1e6;
}

const codec = new FrameCodec();
// The codec's msgpack encoder on its own: what encode cost before the depth bound.
const packr = codec['packr'];
const results = {};
console.log(`node ${process.version}, ${BATCHES.toLocaleString('en')} batches of ${BATCH} records per shape, encode with and without the depth check alternating in 5 rounds`);
for (const [name, make] of Object.entries(shapes)) {
  const batches = Array.from({ length: 16 }, (_, b) => ({ kind: 'records', values: Array.from({ length: BATCH }, (_, i) => make(b * BATCH + i)), timestamps: null }));
  let sink = 0;
  // Warm-up: let the JIT settle before timing.
  for (let i = 0; i < 300; i++) sink += codec.encode(batches[i % 16]).length + packr.pack(batches[i % 16]).length;
  let encodeMs = 0;
  let packMs = 0;
  const perRound = Math.ceil(BATCHES / 5);
  for (let round = 0; round < 5; round++) {
    encodeMs += time(() => {
      for (let i = 0; i < perRound; i++) sink += codec.encode(batches[i % 16]).length;
    });
    packMs += time(() => {
      for (let i = 0; i < perRound; i++) sink += packr.pack(batches[i % 16]).length;
    });
  }
  const checkMs = time(() => {
    for (let i = 0; i < perRound * 5; i++) for (const v of batches[i % 16].values) if (nestedTooDeeply(v)) sink++;
  });
  const records = perRound * 5 * BATCH;
  const ns = (ms) => (ms * 1e6) / records;
  results[name] = { encodeNsPerRecord: +ns(encodeMs).toFixed(1), msgpackOnlyNsPerRecord: +ns(packMs).toFixed(1), depthCheckNsPerRecord: +ns(checkMs).toFixed(1) };
  console.log(
    `${name.padEnd(24)} encode ${ns(encodeMs).toFixed(1)} ns/record, msgpack alone ${ns(packMs).toFixed(1)} ns/record (+${((encodeMs / packMs - 1) * 100).toFixed(1)}%), depth check alone ${ns(checkMs).toFixed(1)} ns/record${sink < 0 ? '' : ''}`,
  );
}
console.log(JSON.stringify({ bench: 'record-serialization', batches: perRoundTotal(), batchSize: BATCH, results }));

function perRoundTotal() {
  return Math.ceil(BATCHES / 5) * 5;
}
