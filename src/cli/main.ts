/**
 * The `fluss` command: runs the CLI on this process's arguments (src/main.ts loads it after the
 * package entry).
 */
import { processIO } from './cli-io.js';
import { runCli } from './program.js';

let settled = false;
// The event loop drained while the command was still pending (a promise nothing can settle):
// Node would exit 13 without a word. Give the more precise errors raised on the same event
// (a job builder that never finished) one turn first, then say so and fail.
process.on('beforeExit', () => {
  if (settled) return;
  setImmediate(() => {
    if (settled) return;
    process.stderr.write('Error: the command stopped before it finished: nothing it waited for can happen any more\n');
    process.exit(1);
  });
});

const outcome = await runCli(process.argv.slice(2), processIO());
settled = true;
if (outcome.kind === 'exit') {
  process.exitCode = outcome.code;
  // Lingering handles (gRPC channels, the esbuild service) must not keep a finished command alive.
  setTimeout(() => process.exit(outcome.code), 50).unref();
}
