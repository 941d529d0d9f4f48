/** Nexmark q13 as a job: `fluss run bench/nexmark/q13.ts --events N [--out DIR]`. */
import { nexmarkJob } from './job.js';
import { q13 } from './queries/q13.js';

export default nexmarkJob('q13', q13);
