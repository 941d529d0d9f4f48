/** Nexmark q7 as a job: `fluss run bench/nexmark/q7.ts --events N [--out DIR]`. */
import { nexmarkJob } from './job.js';
import { q7 } from './queries/q7.js';

export default nexmarkJob('q7', q7);
