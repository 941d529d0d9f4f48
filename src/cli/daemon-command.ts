/**
 * `fluss jobmanager` and `fluss taskmanager`: run a daemon in the foreground with pino JSON
 * logs on stderr until SIGTERM or SIGINT, which stop it cleanly.
 */
import type { Logger } from 'pino';
import { JobManager } from '../cluster/jobmanager/job-manager.js';
import { etcdHaEnabled } from '../cluster/ha/etcd-connection.js';
import { LeaderJobManagerRunner } from '../cluster/ha/leader-job-manager-runner.js';
import { TaskManager } from '../cluster/taskmanager/task-manager.js';
import { deriveTaskManagerMemory, heapLimitArgs } from '../cluster/taskmanager/task-manager-memory.js';
import { getHeapStatistics } from 'node:v8';
import { runWithHeapLimit } from './heap-limit-launcher.js';
import { loadConfig } from '../core/config.js';
import { describeError } from '../core/errors.js';
import { createLogger } from '../core/logger.js';
import type { CliIO } from './cli-io.js';

/** Options shared by the daemon commands. */
export interface DaemonOptions {
  config?: string;
  define?: string[];
}

/** Which daemon to run. */
export type DaemonKind = 'jobmanager' | 'taskmanager';

interface Daemon {
  start(): Promise<void>;
  stop(): Promise<void>;
}

/** How long a stop may take before the process exits anyway. */
const STOP_TIMEOUT_MS = 15_000;

/** Starts the daemon; it keeps running until a signal stops it. */
export async function runDaemon(kind: DaemonKind, options: DaemonOptions, io: CliIO): Promise<void> {
  const config = loadConfig({ configFile: options.config, dynamic: options.define ?? [], properties: io.env['FLUSS_PROPERTIES'] ?? '' });
  // A TaskManager runs with the V8 heap limit of its memory budget (re-executed with the flag).
  const memory = kind === 'taskmanager' ? deriveTaskManagerMemory(config) : undefined;
  if (memory && !runWithHeapLimit(heapLimitArgs(memory))) return;
  // The limit in force (a hand-set flag wins over the derived one).
  if (memory) memory.heapLimitBytes = getHeapStatistics().heap_size_limit;
  const logger = createLogger({ level: io.env['FLUSS_LOG_LEVEL'] ?? config['log.level'], name: kind });
  installProcessHandlers(logger, config['cluster.uncaught-exception-handling']);
  const daemon: Daemon =
    kind === 'taskmanager' ? new TaskManager(config, logger, { memory }) : etcdHaEnabled(config) ? new LeaderJobManagerRunner(config, logger) : new JobManager(config, logger);
  await daemon.start();

  let stopping = false;
  const onSignal = (signal: NodeJS.Signals): void => {
    if (stopping) {
      logger.warn({ signal }, 'Second signal: exiting without waiting for a clean stop');
      exitAfterFlush(logger, 1);
      return;
    }
    stopping = true;
    logger.info({ signal }, `Received ${signal}; shutting down`);
    const timer = setTimeout(() => {
      logger.error('Clean shutdown timed out; exiting');
      exitAfterFlush(logger, 1);
    }, STOP_TIMEOUT_MS);
    daemon.stop().then(
      () => {
        clearTimeout(timer);
        exitAfterFlush(logger, 0);
      },
      (err: unknown) => {
        clearTimeout(timer);
        logger.error({ err: describeError(err) }, 'Shutdown failed');
        exitAfterFlush(logger, 1);
      },
    );
  };
  process.on('SIGTERM', onSignal);
  process.on('SIGINT', onSignal);
}

/**
 * A daemon logs stray errors instead of dying: one bad job must not take the process down.
 * Errors thrown by job code from callbacks of its own (a timer a map function started, say)
 * reach no task; as Flink's `cluster.uncaught-exception-handling: LOG` they are logged, and
 * with FAIL the process exits, for operators who prefer a restart to an unknown state.
 */
function installProcessHandlers(logger: Logger, uncaught: 'LOG' | 'FAIL'): void {
  process.on('unhandledRejection', (reason) => {
    logger.error({ err: describeError(reason), stack: reason instanceof Error ? reason.stack : undefined }, 'Unhandled promise rejection');
  });
  process.on('uncaughtException', (err) => {
    logger.error({ err: describeError(err), stack: err instanceof Error ? err.stack : undefined }, `Uncaught exception (cluster.uncaught-exception-handling: ${uncaught})`);
    if (uncaught === 'FAIL') exitAfterFlush(logger, 1);
  });
}

function exitAfterFlush(logger: Logger, code: number): void {
  logger.flush(() => process.exit(code));
  // flush() never calls back when the destination is already gone.
  setTimeout(() => process.exit(code), 500).unref();
}
