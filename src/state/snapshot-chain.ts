/**
 * The restore chain of one keyed state backend under incremental checkpoints: the last
 * materialized (full) snapshot followed by the deltas written since, each a file. Pure
 * bookkeeping, generic over the file handle; decides at each checkpoint whether the next file is
 * a delta or a new materialization:
 *
 * - full when there is no chain yet (first checkpoint, or after a restore), when a file of the
 *   chain was not written (the deltas after it would miss its changes), when the backend has no
 *   complete record of the changes (see leveldb-change-recorder.ts), when the chain reached
 *   `maxLength` files (bounds what a restore applies), or when the deltas together outgrow the
 *   base by `maxDeltaRatio` (a restore would read more changes than state).
 * - otherwise a delta, whose checkpoint references every file of the chain.
 *
 * Steps may overlap (a checkpoint's files are written in the background): a step's file list
 * resolves once every file of its chain is written, and rejects if one is not.
 */

/** A written file of the chain (the checkpoint layer's state file handle). */
export interface ChainFile {
  path: string;
  size: number;
  checksum: string;
}

/** Options of a {@link SnapshotChain}. */
export interface SnapshotChainOptions {
  /** Most files a restore applies (the base and its deltas); at least 1 (1: every snapshot full). */
  maxLength: number;
  /** Deltas whose sizes sum to more than this times the base's trigger a materialization. */
  maxDeltaRatio: number;
}

/** One checkpoint's step of the chain. */
export interface ChainStep<H> {
  /** True: write a full snapshot (a new base); false: a delta. */
  readonly full: boolean;
  /** Position in the chain (0: the base). */
  readonly index: number;
  /** The step's file is written. */
  written(handle: H, bytes: number): void;
  /** The step's file will not be written (snapshot released, write failed). */
  failed(reason: unknown): void;
  /** Every file a restore of this step applies, base first. */
  readonly files: Promise<H[]>;
}

interface Link<H> {
  readonly handle: Promise<H>;
  bytes: number | undefined;
}

/** The chain of one backend. */
export class SnapshotChain<H> {
  private links: Link<H>[] = [];
  private broken = true;
  /** Where the files of a chain continued from a restore live (undefined: written by this chain). */
  private origin: string | undefined;

  constructor(readonly options: SnapshotChainOptions) {}

  /**
   * Continues the chain a restore loaded: `files` (base first, with their sizes) become this
   * chain's, so the next step can be a delta of the changes since the restore instead of a new
   * base. `origin` names where they live; a step into another place starts a new base (see
   * {@link begin}).
   */
  continueFrom(files: readonly { handle: H; bytes: number }[], origin: string): void {
    if (files.length === 0) return;
    this.links = files.map((f) => {
      const handle = Promise.resolve(f.handle);
      return { handle, bytes: f.bytes };
    });
    this.broken = false;
    this.origin = origin;
  }

  /** Files in the current chain (0 before the first step). */
  get length(): number {
    return this.links.length;
  }

  /** True when the next step must be full (`canDelta`: the backend has every change since the last step). */
  needsFull(canDelta: boolean): boolean {
    if (this.broken || !canDelta || this.links.length === 0 || this.links.length >= this.options.maxLength) return true;
    const base = this.links[0]!.bytes;
    if (base === undefined) return false;
    let deltas = 0;
    for (let i = 1; i < this.links.length; i++) deltas += this.links[i]!.bytes ?? 0;
    return deltas > base * this.options.maxDeltaRatio;
  }

  /**
   * Starts the next step: full or delta, as {@link needsFull} decides. `target` is where the
   * step's file goes: a chain continued from files elsewhere (another job's checkpoint) starts a
   * new base, so no checkpoint of this job references files it does not own.
   */
  begin(canDelta: boolean, target?: string): ChainStep<H> {
    if (this.origin !== undefined && target !== this.origin) this.reset();
    this.origin = undefined;
    const full = this.needsFull(canDelta);
    if (full) this.links = [];
    this.broken = false;
    let resolve!: (h: H) => void;
    let reject!: (e: unknown) => void;
    const handle = new Promise<H>((res, rej) => {
      resolve = res;
      reject = rej;
    });
    // Observed here: a step nobody awaits must not be an unhandled rejection.
    handle.catch(() => undefined);
    const link: Link<H> = { handle, bytes: undefined };
    this.links.push(link);
    const links = [...this.links];
    const files = Promise.all(links.map((l) => l.handle));
    files.catch(() => undefined);
    return {
      full,
      index: links.length - 1,
      files,
      written: (h, bytes) => {
        link.bytes = bytes;
        resolve(h);
      },
      failed: (reason) => {
        if (link.bytes !== undefined) return;
        // Later deltas of this chain would lack this file's changes.
        if (this.links.includes(link)) this.broken = true;
        reject(reason);
      },
    };
  }

  /** Forgets the chain: the next step is full. */
  reset(): void {
    this.links = [];
    this.broken = true;
    this.origin = undefined;
  }
}
