/**
 * Content-addressed store of job bundles (sha256 hex). Always in memory; with
 * `high-availability.storageDir` set, also as files `<dir>/blobs/<sha256>` (written atomically,
 * so a reader never sees half a bundle) that outlive the JobManager.
 */
import { mkdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { InvalidArgumentError, NotFoundError } from '../../core/errors.js';
import { sha256Hex } from '../../core/ids.js';
import { writeFileAtomically } from '../../checkpoint/checkpoint-storage.js';

const HASH = /^[0-9a-f]{64}$/;

/** Job bundles by content hash. */
export class BlobStore {
  private readonly memory = new Map<string, Buffer>();
  private readonly dir: string | undefined;

  /** `storageDir`: the HA storage dir; bundles go to `<storageDir>/blobs/`. */
  constructor(storageDir?: string) {
    this.dir = storageDir ? join(storageDir, 'blobs') : undefined;
  }

  /** Stores a bundle and returns its sha256 hex. Storing the same content twice is a no-op. */
  async put(bundle: Buffer): Promise<string> {
    const hash = sha256Hex(bundle);
    if (this.memory.has(hash)) return hash;
    if (this.dir) {
      await mkdir(this.dir, { recursive: true });
      await writeFileAtomically(join(this.dir, hash), bundle);
    }
    this.memory.set(hash, bundle);
    return hash;
  }

  /** The bundle with `hash`; NotFoundError when it is not stored. */
  async get(hash: string): Promise<Buffer> {
    if (!HASH.test(hash)) throw new InvalidArgumentError(`bundle hash must be 64 hex digits, got "${hash}"`);
    const cached = this.memory.get(hash);
    if (cached) return cached;
    if (this.dir) {
      try {
        const data = await readFile(join(this.dir, hash));
        // A damaged file must not run as a job.
        if (sha256Hex(data) === hash) {
          this.memory.set(hash, data);
          return data;
        }
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
      }
    }
    throw new NotFoundError(`Bundle ${hash} not found.`);
  }

  /** Drops a bundle from memory (the file stays for recovery). */
  evict(hash: string): void {
    this.memory.delete(hash);
  }
}
