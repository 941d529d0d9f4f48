/** Nexmark q18 as a job: `fluss run bench/nexmark/q18.ts --events N [--out DIR]`. */
import { nexmarkJob } from './job.js';
import { q18 } from './queries/q18.js';

export default nexmarkJob('q18', q18);
