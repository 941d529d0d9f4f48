/** Nexmark q0 as a job: `fluss run bench/nexmark/q0.ts --events N [--out DIR]`. */
import { nexmarkJob } from './job.js';
import { q0 } from './queries/q0.js';

export default nexmarkJob('q0', q0);
