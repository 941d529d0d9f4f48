/**
 * The Nexmark job around a query: the source with the reference's watermark (event time
 * minus 4 s), checkpoints every 10 s on the LevelDB backend, and a discarding sink — or a
 * FileSink when an output directory is given (into the query's buckets when it has a bucket
 * assigner, as q10's partitions).
 *
 * Job arguments: `--events N` (default 1 000 000), `--unbounded` (the source never ends: the
 * runner's steady-state mode), `--rate R` (event-time rate, events per
 * second of event time; default 10 000 000 as the reference), `--out DIR`, `--backend
 * memory|leveldb` (default leveldb), `--checkpoint-interval MS` (default 10 000, 0 = off),
 * `--timing-dir DIR` (probes after the source and in the discarding sink write their
 * first/last record times there, see timing.ts).
 */
import { type BucketAssigner, defineJob, FileSink, type StreamExecutionEnvironment, WatermarkStrategy } from 'fluss';
import { NexmarkSource, type NexmarkEvent } from 'fluss/nexmark';
import type { NexmarkQuery } from './queries/index.js';
import { DiscardingProbeSink, SourceProbe } from './timing.js';

/** Parsed job arguments. */
export interface NexmarkJobArgs {
  events: number;
  rate: number;
  out: string | undefined;
  backend: 'memory' | 'leveldb';
  checkpointIntervalMs: number;
  timingDir: string | undefined;
}

/** Parses `--name value` pairs. */
export function parseNexmarkArgs(args: string[]): NexmarkJobArgs {
  const get = (name: string): string | undefined => {
    const i = args.indexOf(`--${name}`);
    return i >= 0 ? args[i + 1] : undefined;
  };
  const backend = get('backend') ?? 'leveldb';
  if (backend !== 'memory' && backend !== 'leveldb') throw new Error(`--backend must be memory or leveldb, got ${backend}`);
  return {
    events: args.includes('--unbounded') ? Number.MAX_SAFE_INTEGER : Number(get('events') ?? 1_000_000),
    rate: Number(get('rate') ?? 10_000_000),
    out: get('out'),
    backend,
    checkpointIntervalMs: Number(get('checkpoint-interval') ?? 10_000),
    timingDir: get('timing-dir'),
  };
}

/** Watermarks trail event time by 4 s, as the reference's DDL. */
export const NEXMARK_OUT_OF_ORDERNESS_MS = 4_000;

/** Adds the Nexmark source to `env`. */
export function nexmarkEvents(env: StreamExecutionEnvironment, events: number, firstEventRate: number) {
  return env.fromSource(
    new NexmarkSource({ events, firstEventRate }),
    WatermarkStrategy.forBoundedOutOfOrderness<NexmarkEvent>(NEXMARK_OUT_OF_ORDERNESS_MS),
    'Nexmark Source',
  );
}

/** How a query's job writes its output with `--out`. */
export interface NexmarkOutput {
  /** The FileSink's bucket assigner (default: the output directory itself). */
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- any result type
  bucketAssigner?: BucketAssigner<any>;
}

/** A job file's default export for `query`. */
export function nexmarkJob(name: string, query: NexmarkQuery, output: NexmarkOutput = {}) {
  return defineJob((env, args) => {
    const a = parseNexmarkArgs(args);
    if (a.checkpointIntervalMs > 0) env.enableCheckpointing(a.checkpointIntervalMs);
    env.setStateBackend(a.backend);
    const source = nexmarkEvents(env, a.events, a.rate);
    const result = query(a.timingDir ? source.filter(new SourceProbe<NexmarkEvent>(a.timingDir)).name('timing probe') : source);
    if (a.out) {
      const sink = FileSink.forRowFormat(a.out);
      result.sinkTo(output.bucketAssigner ? sink.withBucketAssigner(output.bucketAssigner) : sink).name(`${name} file sink`);
    }
    else result.addSink(new DiscardingProbeSink(a.timingDir)).name(`${name} discarding sink`);
    void env.execute(`Nexmark ${name}`);
  });
}
