/** Nexmark q16 as a job: `fluss run bench/nexmark/q16.ts --events N [--out DIR]`. */
import { nexmarkJob } from './job.js';
import { q16 } from './queries/q16.js';

export default nexmarkJob('q16', q16);
