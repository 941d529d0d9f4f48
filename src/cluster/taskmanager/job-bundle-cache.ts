/**
 * The TaskManager's cache of job bundles: each bundle is fetched from the JobManager once per
 * content hash (concurrent requests share one fetch), written under the TaskManager's temp
 * dir, and evaluated into the job's builder. Entries go away when no job uses them any more.
 */
import { mkdir, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { JobBuilder } from '../../api/build-job.js';
import { FlussError, JobBuildError, describeError } from '../../core/errors.js';
import { sha256Hex } from '../../core/ids.js';
import { loadJobBundle } from '../job-bundle.js';

interface CacheEntry {
  builder: Promise<JobBuilder>;
  path: string;
  jobs: Set<string>;
}

/** Bundles by hash, with the jobs that use each. */
export class JobBundleCache {
  private readonly entries = new Map<string, CacheEntry>();

  /**
   * @param dir where bundle files are written
   * @param fetchBundle fetches a bundle's bytes from the JobManager
   */
  constructor(
    private readonly dir: string,
    private readonly fetchBundle: (hash: string) => Promise<Buffer>,
  ) {}

  /** The builder of bundle `hash`, fetched and loaded on first use; `jobId` now holds it. */
  builder(jobId: string, hash: string): Promise<JobBuilder> {
    let entry = this.entries.get(hash);
    if (!entry) {
      const path = join(this.dir, `${hash}.cjs`);
      entry = { builder: this.load(hash, path), path, jobs: new Set() };
      this.entries.set(hash, entry);
      const created = entry;
      // A failed fetch must not stick: the next deployment (e.g. after a restart) tries again.
      created.builder.catch(() => {
        if (this.entries.get(hash) === created) this.entries.delete(hash);
      });
    }
    entry.jobs.add(jobId);
    return entry.builder;
  }

  /** Drops `jobId` from every entry; deletes bundles no job uses any more. */
  async releaseJob(jobId: string): Promise<void> {
    const removals: Promise<void>[] = [];
    for (const [hash, entry] of this.entries) {
      if (!entry.jobs.delete(jobId) || entry.jobs.size > 0) continue;
      this.entries.delete(hash);
      removals.push(rm(entry.path, { force: true }));
    }
    await Promise.all(removals);
  }

  /** Number of cached bundles. */
  get size(): number {
    return this.entries.size;
  }

  private async load(hash: string, path: string): Promise<JobBuilder> {
    let code: Buffer;
    try {
      code = await this.fetchBundle(hash);
    } catch (err) {
      if (err instanceof FlussError) throw err;
      throw new JobBuildError(`Cannot fetch job bundle ${hash}: ${describeError(err)}`, { cause: err });
    }
    const actual = sha256Hex(code);
    if (actual !== hash) {
      throw new JobBuildError(`Job bundle ${hash} arrived damaged (its content hashes to ${actual})`);
    }
    await mkdir(this.dir, { recursive: true });
    await writeFile(path, code);
    return loadJobBundle(code, path);
  }
}
