/** Nexmark q23 as a job: `fluss run bench/nexmark/q23.ts --events N [--out DIR]`. */
import { nexmarkJob } from './job.js';
import { q23 } from './queries/q23.js';

export default nexmarkJob('q23', q23);
