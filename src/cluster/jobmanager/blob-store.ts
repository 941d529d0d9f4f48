/**
 * Content-addressed store of job bundles (sha256 hex). Always in memory; with
 * `high-availability.storageDir` set, also as files `<dir>/blobs/<sha256>` (written to a temp
 * file and renamed, so a reader never sees half a bundle) that outlive the JobManager.
 */
import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { InvalidArgumentError, NotFoundError } from '../../core/errors.js';
import { newId, sha256Hex } from '../../core/ids.js';

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
      const tmp = join(this.dir, `.${hash}.${newId()}.tmp`);
      await writeFile(tmp, bundle, { flush: true });
      await rename(tmp, join(this.dir, hash));
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
