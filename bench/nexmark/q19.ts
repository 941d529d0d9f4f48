/** Nexmark q19 as a job: `fluss run bench/nexmark/q19.ts --events N [--out DIR]`. */
import { nexmarkJob } from './job.js';
import { q19 } from './queries/q19.js';

export default nexmarkJob('q19', q19);
