/** Nexmark q17 as a job: `fluss run bench/nexmark/q17.ts --events N [--out DIR]`. */
import { nexmarkJob } from './job.js';
import { q17 } from './queries/q17.js';

export default nexmarkJob('q17', q17);
