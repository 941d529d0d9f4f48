/** Nexmark q21 as a job: `fluss run bench/nexmark/q21.ts --events N [--out DIR]`. */
import { nexmarkJob } from './job.js';
import { q21 } from './queries/q21.js';

export default nexmarkJob('q21', q21);
