/** Nexmark q4 as a job: `fluss run bench/nexmark/q4.ts --events N [--out DIR]`. */
import { nexmarkJob } from './job.js';
import { q4 } from './queries/q4.js';

export default nexmarkJob('q4', q4);
