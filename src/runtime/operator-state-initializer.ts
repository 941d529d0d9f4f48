/**
 * Sets up the state of a chain's operators in one place, outside the chain (Flink's
 * `StreamTaskStateInitializerImpl`): creates the keyed state backends of keyed operators,
 * restores keyed state into them, builds each operator's operator state store (restored),
 * timer service and runtime context, and disposes the backends at the end.
 */
import type { BuiltJob } from '../common/built-job.js';
import type { JobVertex } from '../common/job-graph.js';
import { restoreNativeKeyedState } from '../checkpoint/native-keyed-state-file.js';
import type { TaskStateAssignment } from '../checkpoint/task-state-assignment.js';
import { keyGroupRangeForOperator } from '../state/key-groups.js';
import { LevelDbKeyedStateBackend } from '../state/leveldb-keyed-state-backend.js';
import type { KeyedStateBackend } from '../state/keyed-state-backend.js';
import type { KeyedStateBackendFactory } from '../state/keyed-state-backend-factory.js';
import { MemoryKeyedStateBackend } from '../state/memory-keyed-state-backend.js';
import { OperatorStateStore } from '../state/operator-state-store.js';
import type { TtlTimeProvider } from '../state/state-ttl.js';
import { InternalTimerService, type ProcessingTimeService, type TimerFiringBudget, type TimerServiceOptions } from './internal-timer-service.js';
import type { MailboxExecutor, OperatorContext, Output, StreamOperator } from './stream-operator.js';
import { StreamingRuntimeContext } from './streaming-runtime-context.js';

/** What the operators' state is set up from. */
export interface OperatorStateInitializerOptions {
  job: BuiltJob;
  vertex: JobVertex;
  jobId: string;
  subtaskIndex: number;
  attemptNumber: number;
  processingTimeService: ProcessingTimeService;
  /** Default: in-memory backends. */
  keyedStateBackendFactory?: KeyedStateBackendFactory;
  /** Clock of state TTL (default `Date.now`). */
  ttlTimeProvider?: TtlTimeProvider;
  /** State to restore per operator id (absent: fresh start). */
  restoredState?: TaskStateAssignment;
  /** Bounds the firing of every timer service created here. */
  timerBudget: TimerFiringBudget;
  /** See {@link TimerServiceOptions.cacheSize}. */
  timerCacheSize?: number;
  /** The task's mailbox, handed to operators whose work completes outside it. */
  mailboxExecutor?: MailboxExecutor;
}

/** Creates, restores and disposes the state of one subtask's operators. */
export class OperatorStateInitializer {
  /** The timer services created so far, one per keyed operator (in context creation order). */
  readonly timers: InternalTimerService[] = [];
  /** Every backend created so far (disposed by {@link dispose}). */
  private readonly backends: KeyedStateBackend[] = [];
  /** Keyed backends are created asynchronously (a database opens); started once. */
  private creating: Promise<(KeyedStateBackend | undefined)[]> | undefined;

  constructor(private readonly options: OperatorStateInitializerOptions) {}

  /**
   * Creates the keyed backends of keyed operators, one per operator (undefined for non-keyed
   * ones, so stateless operators open no database). Started once; later calls share it.
   */
  createBackends(): Promise<(KeyedStateBackend | undefined)[]> {
    return (this.creating ??= this.doCreateBackends());
  }

  private async doCreateBackends(): Promise<(KeyedStateBackend | undefined)[]> {
    const { vertex, subtaskIndex } = this.options;
    const factory = this.options.keyedStateBackendFactory ?? ((p) => new MemoryKeyedStateBackend(p));
    const keyGroupRange = keyGroupRangeForOperator(vertex.maxParallelism, vertex.parallelism, subtaskIndex);
    const out: (KeyedStateBackend | undefined)[] = [];
    for (const d of vertex.operators) {
      if (!d.keyed) {
        out.push(undefined);
        continue;
      }
      const backend = await factory({
        jobId: this.options.jobId,
        operatorId: d.operatorId,
        operatorName: d.name,
        subtaskIndex,
        attemptNumber: this.options.attemptNumber,
        maxParallelism: vertex.maxParallelism,
        keyGroupRange,
      });
      // Registered at once, so dispose() disposes it even when a later one fails.
      this.backends.push(backend);
      out.push(backend);
    }
    return out;
  }

  /** Loads the restored keyed state of each operator into its backend. */
  async restoreKeyedState(backends: (KeyedStateBackend | undefined)[]): Promise<void> {
    for (let i = 0; i < backends.length; i++) {
      const restored = this.options.restoredState?.get(this.options.vertex.operators[i]!.operatorId);
      if (backends[i] && restored && restored.keyed.length > 0) await backends[i]!.restore(restored.keyed);
      if (backends[i] && restored?.keyedNative) await restoreNativeKeyedState(backends[i]!, restored.keyedNative);
      // Loaded exactly the chain it had: the next checkpoint writes a delta of what changes from
      // now on instead of a new base of all its state (a failover's first commit waits for it).
      const backend = backends[i];
      if (restored?.continuableChain && backend instanceof LevelDbKeyedStateBackend) backend.continueChain(restored.continuableChain.files, restored.continuableChain.origin);
    }
  }

  /**
   * The context of operator `index`: its timer service (keyed operators), its operator state
   * store with the restored operator state, and the runtime context handed to user functions.
   */
  operatorContext(index: number, op: StreamOperator, output: Output, backend: KeyedStateBackend | undefined): OperatorContext {
    const options = this.options;
    const { job, vertex, subtaskIndex } = options;
    const d = vertex.operators[index]!;
    let timerService: InternalTimerService | undefined;
    if (backend) {
      timerService = new InternalTimerService(backend, options.processingTimeService, options.timerBudget, { cacheSize: options.timerCacheSize });
      this.timers.push(timerService);
    }
    const operatorStateStore = new OperatorStateStore(d.name);
    const restored = options.restoredState?.get(d.operatorId);
    if (restored) operatorStateStore.restore(restored.operatorState);
    const info = {
      taskName: vertex.name,
      subtaskIndex,
      parallelism: vertex.parallelism,
      maxParallelism: vertex.maxParallelism,
      attemptNumber: options.attemptNumber,
      jobId: options.jobId,
    };
    const runtimeContext = new StreamingRuntimeContext(info, d.name, backend, operatorStateStore, options.ttlTimeProvider, {
      executionConfig: job.executionConfig,
    });
    const pts = options.processingTimeService;
    return {
      operatorName: op.name,
      subtaskIndex,
      parallelism: vertex.parallelism,
      maxParallelism: vertex.maxParallelism,
      attemptNumber: options.attemptNumber,
      jobId: options.jobId,
      output,
      runtimeContext,
      keyedStateBackend: backend,
      timerService,
      operatorStateStore,
      currentProcessingTime: () => pts.now(),
      processingTimeService: pts,
      autoWatermarkIntervalMs: job.jobGraph.settings.autoWatermarkIntervalMs,
      restoredCheckpointId: restored?.checkpointId,
      mailboxExecutor: options.mailboxExecutor,
    } satisfies OperatorContext;
  }

  /** Loads the restored timers into every timer service created so far. */
  async loadTimers(): Promise<void> {
    for (const t of this.timers) await t.loadTimers();
  }

  /** Waits for backends still being created (a cancel during open); returns the error creating them met. */
  async settleCreation(): Promise<Error | undefined> {
    let first: Error | undefined;
    await this.creating?.catch((err: unknown) => {
      first ??= err as Error;
    });
    return first;
  }

  /** Disposes every backend created; returns the first error instead of stopping at it. */
  async dispose(): Promise<Error | undefined> {
    let first: Error | undefined;
    for (const b of this.backends.splice(0)) {
      try {
        await b.dispose();
      } catch (err) {
        first ??= err as Error;
      }
    }
    return first;
  }
}
