/** Nexmark q1 as a job: `fluss run bench/nexmark/q1.ts --events N [--out DIR]`. */
import { nexmarkJob } from './job.js';
import { q1 } from './queries/q1.js';

export default nexmarkJob('q1', q1);
