/**
 * Failover of one job: what a failure leads to (a restart after the restart strategy's delay,
 * or failing the job), the failure being recovered from, and which executions a lost or
 * re-registered TaskManager took down with it.
 */
import type { Logger } from '../../core/logger.js';
import type { RunningTask } from '../rpc/messages.js';
import type { ExceptionHistoryEntry } from './exception-history.js';
import { exceptionNameOf } from './exception-history.js';
import type { ExecutionGraph, ExecutionVertex } from './execution-graph.js';
import type { RestartStrategy } from './restart-strategy.js';

/** The restart state of one job. */
export class JobFailover {
  /** The job's current failure cause (one line), empty when none. */
  failureCause = '';
  private restartAt = 0;
  private restartScheduled = false;

  constructor(
    readonly restartStrategy: RestartStrategy,
    private readonly log: Logger,
  ) {}

  /**
   * A failure of a running job: RESTARTING when the restart strategy allows it (never with
   * `noRestart`: nothing can be restored), FAILING otherwise.
   */
  onFailure(cause: string, noRestart: boolean): 'RESTARTING' | 'FAILING' {
    const decision = noRestart ? { restart: false as const, reason: 'no checkpoint of the job can be restored' } : this.restartStrategy.onFailure(Date.now());
    this.failureCause = cause;
    if (decision.restart) {
      this.log.warn({ delayMs: decision.delayMs, restart: this.restartStrategy.numberOfRestarts }, `restarting job after failure: ${cause}`);
      this.restartAt = Date.now() + decision.delayMs;
      return 'RESTARTING';
    }
    this.log.warn({ reason: decision.reason }, `job failing: ${cause}`);
    return 'FAILING';
  }

  /** Every task of a restarting job is terminal: the delay before the restart, undefined when one is already scheduled. */
  scheduleRestart(): number | undefined {
    if (this.restartScheduled) return undefined;
    this.restartScheduled = true;
    return Math.max(0, this.restartAt - Date.now());
  }

  /** The scheduled restart is due. */
  restartDue(): void {
    this.restartScheduled = false;
  }
}

/** An exception history entry for `cause`, with the task and location when known. */
export function failureEntry(cause: string, execution?: ExecutionVertex): ExceptionHistoryEntry {
  return {
    exceptionName: exceptionNameOf(cause),
    message: cause,
    timestamp: Date.now(),
    taskName: execution?.taskName ?? null,
    location: execution?.location?.address ?? null,
    taskManagerId: execution?.location?.taskManagerId ?? null,
  };
}

/** The unfinished executions placed on a TaskManager that is gone. */
export function executionsLostWith(graph: ExecutionGraph, taskManagerId: string): ExecutionVertex[] {
  return graph.executions.filter((e) => e.location?.taskManagerId === taskManagerId && !e.isTerminal);
}

/** The deployed executions a TaskManager that registered again no longer runs. */
export function executionsGoneAfterReRegistration(graph: ExecutionGraph, jobId: string, taskManagerId: string, runningTasks: RunningTask[]): ExecutionVertex[] {
  const running = new Set(runningTasks.filter((t) => t.jobId === jobId).map((t) => `${t.vertexId}/${t.subtaskIndex}/${t.attempt}`));
  return graph.executions.filter(
    (e) => e.location?.taskManagerId === taskManagerId && e.isDeployed && !running.has(`${e.vertexId}/${e.subtaskIndex}/${e.attempt}`),
  );
}
