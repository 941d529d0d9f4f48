/** Nexmark q22 as a job: `fluss run bench/nexmark/q22.ts --events N [--out DIR]`. */
import { nexmarkJob } from './job.js';
import { q22 } from './queries/q22.js';

export default nexmarkJob('q22', q22);
