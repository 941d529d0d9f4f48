/**
 * Entry point of the `fluss` command (bin/fluss imports this file from dist/).
 */
import { processIO } from './cli-io.js';
import { runCli } from './program.js';

const outcome = await runCli(process.argv.slice(2), processIO());
if (outcome.kind === 'exit') {
  process.exitCode = outcome.code;
  // Lingering handles (gRPC channels, the esbuild service) must not keep a finished command alive.
  setTimeout(() => process.exit(outcome.code), 50).unref();
}
