/** Nexmark q3 as a job: `fluss run bench/nexmark/q3.ts --events N [--out DIR]`. */
import { nexmarkJob } from './job.js';
import { q3 } from './queries/q3.js';

export default nexmarkJob('q3', q3);
