/** Nexmark q9 as a job: `fluss run bench/nexmark/q9.ts --events N [--out DIR]`. */
import { nexmarkJob } from './job.js';
import { q9 } from './queries/q9.js';

export default nexmarkJob('q9', q9);
