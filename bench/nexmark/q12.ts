/** Nexmark q12 as a job: `fluss run bench/nexmark/q12.ts --events N [--out DIR]`. */
import { nexmarkJob } from './job.js';
import { q12 } from './queries/q12.js';

export default nexmarkJob('q12', q12);
