/**
 * Process entry of the `fluss` command (bin/fluss imports this file from dist/): loads the
 * package's entry points first (`fluss/cluster` loads `fluss`, which loads the others): they hand
 * job bundles their `fluss` modules and register the local executor. Then runs the command line.
 */
import './cluster-entry.js';
import './cli/main.js';
