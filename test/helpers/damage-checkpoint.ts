/**
 * Damages the keyed state a checkpoint wrote, as a bad disk would: flips a byte in the middle of
 * its own `-keyed` files, or with incremental checkpoints of the newest file of each subtask's
 * chain in the job's `shared/` directory (written by this checkpoint, so an older retained
 * checkpoint does not use it). Returns the files it damaged.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

interface KeyedHandles {
  keyed?: { file: { path: string }; chain?: { path: string }[] };
}

/** Flips one byte in every keyed-state file checkpoint directory `dir` (`…/chk-<n>`) wrote. */
export function damageKeyedState(dir: string): string[] {
  const metadata = JSON.parse(readFileSync(join(dir, '_metadata'), 'utf8')) as { operators: { subtasks: KeyedHandles[] }[] };
  const files: string[] = [];
  for (const op of metadata.operators) {
    for (const { keyed } of op.subtasks) {
      if (keyed?.chain && keyed.chain.length > 0) files.push(join(dir, '..', 'shared', keyed.chain[keyed.chain.length - 1]!.path));
      else if (keyed) files.push(join(dir, keyed.file.path));
    }
  }
  for (const f of files) {
    const bytes = readFileSync(f);
    bytes[bytes.length >> 1] ^= 0xff;
    writeFileSync(f, bytes);
  }
  return files;
}
