/** Nexmark q15 as a job: `fluss run bench/nexmark/q15.ts --events N [--out DIR]`. */
import { nexmarkJob } from './job.js';
import { q15 } from './queries/q15.js';

export default nexmarkJob('q15', q15);
