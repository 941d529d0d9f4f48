/** Nexmark q5 as a job: `fluss run bench/nexmark/q5.ts --events N [--out DIR]`. */
import { nexmarkJob } from './job.js';
import { q5 } from './queries/q5.js';

export default nexmarkJob('q5', q5);
