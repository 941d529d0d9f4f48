/**
 * Nexmark q10 as a job: `fluss run bench/nexmark/q10.ts --events N [--out DIR]`; with `--out`
 * the rows go into the reference's partition directories `DIR/dt=…/hm=…`.
 */
import { nexmarkJob } from './job.js';
import { q10, q10Buckets } from './queries/q10.js';

export default nexmarkJob('q10', q10, { bucketAssigner: q10Buckets });
