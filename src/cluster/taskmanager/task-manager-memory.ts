/**
 * The TaskManager memory model, after Flink's (`taskmanager.memory.*`), reduced to what a Node
 * process has:
 *
 * ```
 * process size = heap + managed + overhead
 *   heap      the V8 heap of operators, records, network buffers and the runtime (`taskmanager.memory.heap.size`)
 *   managed   keyed state: shared by the state backends of the TaskManager (`taskmanager.memory.managed.*`)
 *   overhead  native memory outside both: V8's young generation and code, Node, gRPC, thread stacks
 *             (`taskmanager.memory.jvm-overhead.*`, Flink's name for the same slice of a JVM)
 * ```
 *
 * Derivation, as Flink derives it: with `taskmanager.memory.process.size`, the overhead is its
 * fraction clamped to [min, max], managed is `managed.size` or `managed.fraction` of what remains
 * (Flink's "total Flink memory"), and the heap is the rest. With `heap.size` (and optionally
 * `managed.size`) instead, managed defaults to the fraction of heap + managed, and the overhead
 * is derived from the sum so it is its fraction of the process size. Setting all three fixes
 * the overhead, which must then lie within [min, max]. With nothing set, a daemon takes Flink's
 * shipped default of 1728 MB; TaskManagers inside another process (the mini-cluster) take
 * Flink's local-execution default of 128 MB managed memory and leave the heap to their host.
 *
 * The write-back caches of the LevelDB backend hold deserialised values on the V8 heap, so
 * {@link ON_HEAP_MANAGED_FRACTION} of managed memory is on the heap (LevelDB's block caches and
 * memtables take the rest natively): the daemon's V8 heap limit is heap + that share.
 */
import type { FlussConfig } from '../../core/config.js';
import { ConfigurationError } from '../../core/errors.js';
import type { TaskManagerMemoryMessage } from '../rpc/messages.js';

const MB = 1024 * 1024;

/** Process size of a daemon when nothing is configured (Flink's default `flink-conf.yaml`). */
export const DEFAULT_PROCESS_BYTES = 1728 * MB;
/** Managed memory of an in-process TaskManager when nothing is configured (Flink's local default). */
export const LOCAL_MANAGED_BYTES = 128 * MB;
/** Share of managed memory on the V8 heap (the write-back caches); the rest is LevelDB's native memory. */
export const ON_HEAP_MANAGED_FRACTION = 0.75;
/** The smallest heap a TaskManager runs with. */
const MIN_HEAP_BYTES = 64 * MB;

/** The memory budget of one TaskManager, in bytes. */
export interface TaskManagerMemory {
  /** Total process size; undefined for an in-process TaskManager without a configured size. */
  processBytes: number | undefined;
  /** Heap for everything but keyed state; undefined when left to the host process. */
  heapBytes: number | undefined;
  /** Managed memory, shared by the TaskManager's state backends. */
  managedBytes: number;
  /** Native overhead; undefined when left to the host process. */
  overheadBytes: number | undefined;
  /** The V8 heap limit (`--max-old-space-size`) a daemon runs with; undefined when not set by Fluss. */
  heapLimitBytes: number | undefined;
}

type MemoryKeys = Pick<
  FlussConfig,
  | 'taskmanager.memory.process.size'
  | 'taskmanager.memory.heap.size'
  | 'taskmanager.memory.managed.size'
  | 'taskmanager.memory.managed.fraction'
  | 'taskmanager.memory.jvm-overhead.fraction'
  | 'taskmanager.memory.jvm-overhead.min'
  | 'taskmanager.memory.jvm-overhead.max'
>;

/**
 * Derives the budget from the configuration; `inProcess`: the TaskManager shares its process
 * with others (the mini-cluster), so its heap is not Fluss's to size unless configured.
 * Throws a {@link ConfigurationError} naming the keys when they contradict each other.
 */
export function deriveTaskManagerMemory(config: MemoryKeys, inProcess = false): TaskManagerMemory {
  let process = config['taskmanager.memory.process.size'];
  const heap = config['taskmanager.memory.heap.size'];
  const managed = config['taskmanager.memory.managed.size'];
  const fraction = config['taskmanager.memory.managed.fraction'];
  const oFraction = config['taskmanager.memory.jvm-overhead.fraction'];
  const oMin = config['taskmanager.memory.jvm-overhead.min'];
  const oMax = config['taskmanager.memory.jvm-overhead.max'];
  if (oMin > oMax) throw new ConfigurationError(`taskmanager.memory.jvm-overhead.min (${mb(oMin)}) exceeds taskmanager.memory.jvm-overhead.max (${mb(oMax)})`);
  const clampOverhead = (v: number): number => Math.min(oMax, Math.max(oMin, Math.round(v)));

  if (heap === undefined && process === undefined) {
    if (inProcess) {
      return { processBytes: undefined, heapBytes: undefined, managedBytes: managed ?? LOCAL_MANAGED_BYTES, overheadBytes: undefined, heapLimitBytes: undefined };
    }
    process = DEFAULT_PROCESS_BYTES;
  }

  let heapBytes: number;
  let managedBytes: number;
  let overheadBytes: number;
  if (heap !== undefined) {
    heapBytes = heap;
    managedBytes = managed ?? Math.round((heap * fraction) / (1 - fraction));
    if (process !== undefined) {
      overheadBytes = process - heapBytes - managedBytes;
      if (overheadBytes < oMin || overheadBytes > oMax) {
        throw new ConfigurationError(
          `taskmanager.memory.process.size (${mb(process)}) minus heap (${mb(heapBytes)}) and managed memory (${mb(managedBytes)}) leaves ` +
            `${mb(overheadBytes)} of overhead, outside taskmanager.memory.jvm-overhead [${mb(oMin)}, ${mb(oMax)}]`,
        );
      }
    } else {
      overheadBytes = clampOverhead(((heapBytes + managedBytes) * oFraction) / (1 - oFraction));
    }
  } else {
    const total = process!;
    overheadBytes = clampOverhead(total * oFraction);
    const flink = total - overheadBytes;
    managedBytes = managed ?? Math.round(flink * fraction);
    heapBytes = flink - managedBytes;
    if (heapBytes < MIN_HEAP_BYTES) {
      throw new ConfigurationError(
        `taskmanager.memory.process.size (${mb(total)}) leaves ${mb(heapBytes)} of heap after ${mb(overheadBytes)} overhead and ${mb(managedBytes)} managed memory (at least ${mb(MIN_HEAP_BYTES)} needed)`,
      );
    }
  }
  const processBytes = heapBytes + managedBytes + overheadBytes;
  const heapLimitBytes = inProcess ? undefined : heapBytes + Math.round(managedBytes * ON_HEAP_MANAGED_FRACTION);
  return { processBytes, heapBytes, managedBytes, overheadBytes, heapLimitBytes };
}

/**
 * V8's young generation of a heap limit, as one semi-space in MB: a sixteenth of the limit,
 * between Node's default (16 MB) and 64 MB. Objects that live for a few thousand records (cache
 * entries on their way through, records in flight) then die young instead of being promoted and
 * collected by full marks of the old generation.
 */
export function semiSpaceMb(heapLimitBytes: number): number {
  return Math.min(64, Math.max(16, Math.floor(heapLimitBytes / MB / 16)));
}

/**
 * The V8 flags that give a daemon the budget's heap limit, if it has one: the young generation
 * (two semi-spaces and the large objects beside them, three semi-spaces in all) and the old
 * generation take the limit together, as a JVM's -Xmx holds both of its generations.
 */
export function heapLimitArgs(memory: TaskManagerMemory): string[] {
  if (memory.heapLimitBytes === undefined) return [];
  const semi = semiSpaceMb(memory.heapLimitBytes);
  return [`--max-old-space-size=${Math.ceil(memory.heapLimitBytes / MB) - 3 * semi}`, `--max-semi-space-size=${semi}`];
}

/** One line describing the budget (printed at start). */
export function describeTaskManagerMemory(memory: TaskManagerMemory, slots: number): string {
  const parts = [
    `process ${memory.processBytes === undefined ? 'host process' : mb(memory.processBytes)}`,
    `heap ${memory.heapBytes === undefined ? 'host process' : mb(memory.heapBytes)}`,
    `managed ${mb(memory.managedBytes)} (${mb(memory.managedBytes / slots)} per slot, ${slots} slot${slots === 1 ? '' : 's'})`,
    `overhead ${memory.overheadBytes === undefined ? 'host process' : mb(memory.overheadBytes)}`,
    `V8 heap limit ${memory.heapLimitBytes === undefined ? 'of the host process' : mb(memory.heapLimitBytes)}`,
  ];
  return `TaskManager memory: ${parts.join(', ')}`;
}

/** The budget as registration sends it (0: left to the host process). */
export function memoryMessage(memory: TaskManagerMemory): TaskManagerMemoryMessage {
  return {
    totalProcessMemory: memory.processBytes ?? 0,
    taskHeap: memory.heapBytes ?? 0,
    managedMemory: memory.managedBytes,
    jvmOverhead: memory.overheadBytes ?? 0,
    heapLimit: memory.heapLimitBytes ?? 0,
  };
}

/** A registered budget as REST shows it: Flink's `memoryConfiguration` names, bytes, null when left to the host. */
export function memoryConfigurationOf(m: TaskManagerMemoryMessage): Record<string, number | null> {
  const orNull = (v: number): number | null => (v > 0 ? v : null);
  return {
    totalProcessMemory: orNull(m.totalProcessMemory),
    taskHeap: orNull(m.taskHeap),
    managedMemory: m.managedMemory,
    jvmOverhead: orNull(m.jvmOverhead),
    heapLimit: orNull(m.heapLimit),
  };
}

function mb(bytes: number): string {
  return `${Math.round(bytes / MB)} MB`;
}
