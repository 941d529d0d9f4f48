/**
 * The sources the environment's shortcuts create (`fromCollection`, `fromSequence`,
 * `readTextFile`, `socketTextStream`, `fromSource`, `addSource`), each after checking its
 * arguments with one line that names the method, as Flink's environment does.
 */
import type { SourceFunction } from '../common/source-functions.js';
import { isSourceFunction } from '../common/source-functions.js';
import { isSource, type Source } from '../common/source.js';
import { WatermarkStrategy } from '../common/watermark-strategy.js';
import { CollectionSource } from '../connectors/collection-source.js';
import { FileSource } from '../connectors/file-source.js';
import { SequenceSource } from '../connectors/sequence-source.js';
import { SocketTextSource } from '../connectors/socket-text-source.js';
import { SourceFunctionSource, type SourceFunctionOptions } from '../connectors/source-function-source.js';
import { JobBuildError } from '../core/errors.js';
import type { StreamGraph, StreamNode } from '../graph/stream-graph.js';
import { describeValue } from './function-checks.js';

/** Adds a source node reading `source` to `graph`. */
export function addSourceNode<T>(graph: StreamGraph, source: Source<T>, watermarkStrategy: WatermarkStrategy<T> | undefined, name: string | undefined): StreamNode {
  const limit = source.maxParallelism;
  return graph.addNode({
    kind: 'source',
    name: name || source.defaultName,
    userFunction: source,
    settings: { boundedness: source.boundedness },
    // Flink's non-parallel sources run with exactly one subtask.
    parallelism: limit === 1 ? 1 : undefined,
    maxParallelism: limit,
    watermarkStrategy,
  });
}

/** `fromCollection(collection)`: the elements, copied now. */
export function collectionSource<T>(collection: Iterable<T>): Source<T> {
  if (collection === null || typeof (collection as Iterable<T>)?.[Symbol.iterator] !== 'function') {
    throw new JobBuildError(`fromCollection() expects an iterable, got ${describeValue(collection)}`);
  }
  return new CollectionSource<T>(Array.from(collection));
}

/** `fromSequence(from, to)`: the integers from … to, inclusive. */
export function sequenceSource(from: number, to: number): Source<number> {
  if (!Number.isSafeInteger(from) || !Number.isSafeInteger(to) || from > to) {
    throw new JobBuildError(`fromSequence() expects integers from <= to, got ${from} and ${to}`);
  }
  return new SequenceSource(from, to);
}

/** `readTextFile(path)`: the lines of a file or of every file in a directory. */
export function textFileSource(path: string): Source<string> {
  if (typeof path !== 'string' || path === '') throw new JobBuildError('readTextFile() expects a path');
  return FileSource.forLines(path);
}

/** `socketTextStream(host, port, delimiter)`. */
export function socketTextSource(host: string, port: number, delimiter: string): Source<string> {
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new JobBuildError(`socketTextStream() expects a port number, got ${port}`);
  return new SocketTextSource(host, port, delimiter);
}

/** Checks `fromSource(source, watermarkStrategy)`'s arguments (and lets the source refuse the strategy). */
export function checkFlip27Source<T>(source: Source<T>, watermarkStrategy: WatermarkStrategy<T>): void {
  if (!isSource(source)) throw new JobBuildError(`fromSource() expects a Source (an object with createReader()), got ${describeValue(source)}`);
  if (!(watermarkStrategy instanceof WatermarkStrategy)) {
    throw new JobBuildError(
      `fromSource() expects a WatermarkStrategy as its second argument (e.g. WatermarkStrategy.noWatermarks()), got ${describeValue(watermarkStrategy)}`,
    );
  }
  source.checkWatermarkStrategy?.(watermarkStrategy);
}

/** `addSource(fn, sourceName, options)`: the legacy source function behind a Source adapter. */
export function sourceFunctionSource<T>(fn: SourceFunction<T>, sourceName: string | undefined, options: SourceFunctionOptions | undefined): Source<T> {
  if (!isSourceFunction(fn)) {
    throw new JobBuildError(
      isSource(fn)
        ? 'addSource() takes a SourceFunction (an object with run(ctx) and cancel()); pass a Source to fromSource(source, watermarkStrategy, name)'
        : `addSource() expects a SourceFunction (an object with run(ctx) and cancel()), got ${describeValue(fn)}`,
    );
  }
  if (sourceName !== undefined && (typeof sourceName !== 'string' || sourceName === '')) {
    throw new JobBuildError(`addSource() expects a non-empty source name, got ${describeValue(sourceName)}`);
  }
  return new SourceFunctionSource<T>(fn, options ?? {});
}
