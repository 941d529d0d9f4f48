/** Nexmark q20 as a job: `fluss run bench/nexmark/q20.ts --events N [--out DIR]`. */
import { nexmarkJob } from './job.js';
import { q20 } from './queries/q20.js';

export default nexmarkJob('q20', q20);
