/** Nexmark q14 as a job: `fluss run bench/nexmark/q14.ts --events N [--out DIR]`. */
import { nexmarkJob } from './job.js';
import { q14 } from './queries/q14.js';

export default nexmarkJob('q14', q14);
