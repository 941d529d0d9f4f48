/** Nexmark q2 as a job: `fluss run bench/nexmark/q2.ts --events N [--out DIR]`. */
import { nexmarkJob } from './job.js';
import { q2 } from './queries/q2.js';

export default nexmarkJob('q2', q2);
