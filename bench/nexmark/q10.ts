/** Nexmark q10 as a job: `fluss run bench/nexmark/q10.ts --events N [--out DIR]`. */
import { nexmarkJob } from './job.js';
import { q10 } from './queries/q10.js';

export default nexmarkJob('q10', q10);
