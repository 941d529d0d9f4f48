/** Nexmark q11 as a job: `fluss run bench/nexmark/q11.ts --events N [--out DIR]`. */
import { nexmarkJob } from './job.js';
import { q11 } from './queries/q11.js';

export default nexmarkJob('q11', q11);
