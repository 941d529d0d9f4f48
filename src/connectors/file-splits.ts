/**
 * The splits of a {@link FileSource}: which files it reads and, only when large files may be cut
 * (`splitLargeFiles()`), which byte ranges of them. By default a split is a whole file, read
 * from its first line to its last, as Flink's FileSource reads text files: event time within a
 * file stays in file order. Splits are sorted by path and dealt round-robin to subtasks.
 */
import { readdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { NotFoundError } from '../core/errors.js';

/** With `splitLargeFiles()`, files at least this large are cut into one range per subtask. */
export const SPLIT_FILES_FROM = 4 * 1024 * 1024;

/** A byte range of a file still to read: the lines starting in `[start, end)`, next at `offset`. */
export interface FileSplit {
  path: string;
  start: number;
  /** Exclusive bound of line starts; `null` reads to the end of the file. */
  end: number | null;
  /** Where the next line starts (`start` before the first line was found). */
  offset: number;
}

/**
 * The splits of a source, identical on every subtask: one whole file each, or, with
 * `splitLargeFiles`, files of at least {@link SPLIT_FILES_FROM} bytes cut into `parallelism` ranges.
 */
export async function planFileSplits(pathOrDir: string, parallelism: number, splitLargeFiles = false): Promise<FileSplit[]> {
  const splits: FileSplit[] = [];
  for (const path of await enumerateFiles(pathOrDir)) {
    const size = splitLargeFiles && parallelism > 1 ? (await stat(path)).size : 0;
    if (size < SPLIT_FILES_FROM) {
      splits.push({ path, start: 0, end: null, offset: 0 });
      continue;
    }
    for (let i = 0; i < parallelism; i++) {
      const start = Math.floor((size * i) / parallelism);
      const end = i === parallelism - 1 ? null : Math.floor((size * (i + 1)) / parallelism);
      splits.push({ path, start, end, offset: start });
    }
  }
  return splits;
}

/** The splits subtask `subtaskIndex` of `parallelism` reads: every `parallelism`-th, in order. */
export function splitsOfSubtask(all: readonly FileSplit[], subtaskIndex: number, parallelism: number): FileSplit[] {
  return all.filter((_, i) => i % parallelism === subtaskIndex);
}

/** A name of a split unique within the source (per-split watermarks). */
export function splitId(split: FileSplit): string {
  return split.start === 0 && split.end === null ? split.path : `${split.path}#${split.start}`;
}

/** Lists the files of `pathOrDir` (recursively, skipping hidden `.`/`_` entries), sorted. */
export async function enumerateFiles(pathOrDir: string): Promise<string[]> {
  let info;
  try {
    info = await stat(pathOrDir);
  } catch (cause) {
    throw new NotFoundError(`FileSource: path does not exist: ${pathOrDir}`, { cause });
  }
  if (!info.isDirectory()) return [pathOrDir];
  const out: string[] = [];
  const walk = async (dir: string): Promise<void> => {
    const entries = await readdir(dir, { withFileTypes: true });
    for (const e of entries) {
      if (e.name.startsWith('.') || e.name.startsWith('_')) continue;
      const full = join(dir, e.name);
      if (e.isDirectory()) await walk(full);
      else if (e.isFile()) out.push(full);
    }
  };
  await walk(pathOrDir);
  return out.sort();
}
