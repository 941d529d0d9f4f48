/** Nexmark q8 as a job: `fluss run bench/nexmark/q8.ts --events N [--out DIR]`. */
import { nexmarkJob } from './job.js';
import { q8 } from './queries/q8.js';

export default nexmarkJob('q8', q8);
