/**
 * Process entry of the `fluss` command (bin/fluss imports this file from dist/): loads the
 * package entry first, which hands job bundles their `fluss` module and registers the local
 * executor, then runs the command line.
 */
import './index.js';
import './cli/main.js';
