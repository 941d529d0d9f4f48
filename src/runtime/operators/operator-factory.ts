/**
 * Creates the runtime operator of an {@link OperatorDescriptor}: exactly one implementation
 * per {@link OperatorKind}.
 */
import type { Source } from '../../common/source.js';
import type { NodeFunctions } from '../../common/built-job.js';
import type { OperatorDescriptor } from '../../common/job-graph.js';
import type { ReduceFunction } from '../../common/functions.js';
import type { StreamOperator } from '../stream-operator.js';
import type { AsyncWaitSettings, AsyncWaitSpec } from '../../common/async-function.js';
import { shallowClone } from '../clone-for-subtask.js';
import { AsyncWaitOperator } from './async-wait-operator.js';
import { BroadcastProcessOperator } from './broadcast-process-operator.js';
import { CoFlatMapOperator } from './co-flat-map-operator.js';
import { bindInputKeySelectors } from './co-input-keys.js';
import { KeyedCoProcessOperator } from './co-keyed-process-operator.js';
import { CoMapOperator } from './co-map-operator.js';
import { CoProcessOperator } from './co-process-operator.js';
import { FilterOperator } from './filter-operator.js';
import { IntervalJoinOperator } from './interval-join-operator.js';
import { KeyedBroadcastProcessOperator } from './keyed-broadcast-process-operator.js';
import { FlatMapOperator } from './flat-map-operator.js';
import { KeyedAggregationOperator } from './keyed-aggregation-operator.js';
import { KeyedProcessOperator } from './keyed-process-operator.js';
import { KeyedReduceOperator } from './keyed-reduce-operator.js';
import { MapOperator } from './map-operator.js';
import { ProcessOperator } from './process-operator.js';
import { SinkOperator } from './sink-operator.js';
import { SourceOperator } from './source-operator.js';
import { TimestampsAndWatermarksOperator } from './timestamps-and-watermarks-operator.js';
import { EvictingWindowOperator } from './window-evicting-operator.js';
import { cloneWindowSpecForSubtask } from './window-function-adapter.js';
import { WindowOperator } from './window-operator.js';
import type { WindowOperatorSpec } from '../../common/windowing/window-operator-spec.js';
import { InvalidArgumentError } from '../../core/errors.js';

/** The operator for `descriptor`, bound to the node's live functions. */
export function createStreamOperator(descriptor: OperatorDescriptor, functions: NodeFunctions): StreamOperator {
  const { name, kind } = descriptor;
  const fn = functions.userFunction;
  const keySelector = functions.keySelectors[0];
  switch (kind) {
    case 'source':
      return new SourceOperator(name, fn as Source<unknown>, functions.watermarkStrategy);
    case 'timestampsAndWatermarks':
      return new TimestampsAndWatermarksOperator(name, fn);
    case 'window': {
      const spec = cloneWindowSpecForSubtask(fn as WindowOperatorSpec);
      return spec.evictor ? new EvictingWindowOperator(name, spec, keySelector) : new WindowOperator(name, spec, keySelector);
    }
    case 'map':
      return new MapOperator(name, fn, descriptor.keyed ? keySelector : undefined);
    case 'flatMap':
      return new FlatMapOperator(name, fn, descriptor.keyed ? keySelector : undefined);
    case 'filter':
      return new FilterOperator(name, fn, descriptor.keyed ? keySelector : undefined);
    case 'process':
      return new ProcessOperator(name, fn);
    case 'keyedProcess':
      return new KeyedProcessOperator(name, fn, keySelector);
    case 'keyedReduce':
      return new KeyedReduceOperator(name, fn as ReduceFunction<unknown>, keySelector);
    case 'keyedAggregation':
      return new KeyedAggregationOperator(name, descriptor.settings, keySelector);
    case 'sink':
      return new SinkOperator(name, fn, descriptor.keyed ? keySelector : undefined);
    case 'coMap':
      return new CoMapOperator(name, fn, descriptor.keyed ? bindInputKeySelectors(functions.keySelectors, name) : undefined);
    case 'coFlatMap':
      return new CoFlatMapOperator(name, fn, descriptor.keyed ? bindInputKeySelectors(functions.keySelectors, name) : undefined);
    case 'coProcess':
      return new CoProcessOperator(name, fn);
    case 'keyedCoProcess':
      return new KeyedCoProcessOperator(name, fn, bindInputKeySelectors(functions.keySelectors, name));
    case 'broadcastProcess':
      return new BroadcastProcessOperator(name, fn, descriptor.settings);
    case 'keyedBroadcastProcess':
      return new KeyedBroadcastProcessOperator(name, fn, descriptor.settings, keySelector);
    case 'intervalJoin':
      return new IntervalJoinOperator(name, fn, descriptor.settings, functions.keySelectors);
    case 'asyncWait': {
      const spec = fn as AsyncWaitSpec;
      // The function object is per subtask (its runtime context is set at open).
      return new AsyncWaitOperator(name, { function: shallowClone(spec.function), retryStrategy: spec.retryStrategy }, descriptor.settings as unknown as AsyncWaitSettings);
    }
    default:
      throw new InvalidArgumentError(`${name}: unknown operator kind ${String(kind)}`);
  }
}
