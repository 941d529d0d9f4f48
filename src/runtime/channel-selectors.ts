/**
 * Channel selectors: pick the subpartition (consumer subtask) of each record, one per
 * {@link PartitionerKind}. Broadcast has none: its record writer broadcasts.
 */
import type { KeySelector, Partitioner } from '../common/functions.js';
import type { PartitionerKind } from '../common/job-graph.js';
import { assignKeyToParallelOperator } from '../state/key-groups.js';
import { bindUserFunction } from './user-function.js';
import { InvalidArgumentError } from '../core/errors.js';

/** Picks the channel of a record. */
export interface ChannelSelector {
  selectChannel(value: unknown): number;
}

/** What selectors need to know about the edge. */
export interface ChannelSelectorOptions {
  kind: Exclude<PartitionerKind, 'broadcast'>;
  numberOfChannels: number;
  /** Producer subtask index and parallelism (forward, rescale). */
  subtaskIndex: number;
  parallelism: number;
  /** Max parallelism of the consumer vertex (hash). */
  consumerMaxParallelism: number;
  keySelector?: KeySelector<unknown, unknown>;
  partitioner?: Partitioner<unknown>;
  /** Named in errors. */
  operatorName: string;
}

/** Creates the selector of one output edge. */
export function createChannelSelector(o: ChannelSelectorOptions): ChannelSelector {
  const n = o.numberOfChannels;
  switch (o.kind) {
    case 'forward': {
      const channel = n === 1 ? 0 : o.subtaskIndex % n;
      return { selectChannel: () => channel };
    }
    case 'global':
      return { selectChannel: () => 0 };
    case 'rebalance': {
      let next = Math.floor(Math.random() * n);
      return {
        selectChannel: () => {
          const c = next;
          next = next + 1 === n ? 0 : next + 1;
          return c;
        },
      };
    }
    case 'rescale': {
      // Each producer feeds a contiguous local subset of the consumers (Flink's pointwise pattern).
      const p = o.parallelism;
      const first = Math.floor((o.subtaskIndex * n) / p);
      const count = n >= p ? Math.max(1, Math.floor(((o.subtaskIndex + 1) * n) / p) - first) : 1;
      let i = 0;
      return {
        selectChannel: () => {
          const c = first + i;
          i = i + 1 === count ? 0 : i + 1;
          return c;
        },
      };
    }
    case 'shuffle':
      return { selectChannel: () => Math.floor(Math.random() * n) };
    case 'hash': {
      const keyOf = bindUserFunction<(v: unknown) => unknown>(o.keySelector, 'getKey', o.operatorName);
      const maxP = o.consumerMaxParallelism;
      return { selectChannel: (v) => assignKeyToParallelOperator(keyOf(v), maxP, n) };
    }
    case 'custom': {
      const keyOf = bindUserFunction<(v: unknown) => unknown>(o.keySelector, 'getKey', o.operatorName);
      const partition = bindUserFunction<(k: unknown, n: number) => number>(o.partitioner, 'partition', o.operatorName);
      return {
        selectChannel: (v) => {
          const c = partition(keyOf(v), n);
          if (!Number.isInteger(c) || c < 0 || c >= n) throw new InvalidArgumentError(`custom partitioner returned ${c}, expected 0..${n - 1}`);
          return c;
        },
      };
    }
    default:
      throw new InvalidArgumentError(`unknown partitioner ${String(o.kind)}`);
  }
}
