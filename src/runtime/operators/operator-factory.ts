/**
 * Creates the runtime operator of an {@link OperatorDescriptor}: exactly one implementation
 * per {@link OperatorKind}.
 */
import type { Source } from '../../connectors/source.js';
import type { NodeFunctions } from '../../graph/built-job.js';
import type { OperatorDescriptor } from '../../graph/job-graph.js';
import type { ReduceFunction } from '../../api/functions.js';
import type { StreamOperator } from '../stream-operator.js';
import { FilterOperator } from './filter-operator.js';
import { FlatMapOperator } from './flat-map-operator.js';
import { KeyedAggregationOperator } from './keyed-aggregation-operator.js';
import { KeyedProcessOperator } from './keyed-process-operator.js';
import { KeyedReduceOperator } from './keyed-reduce-operator.js';
import { MapOperator } from './map-operator.js';
import { ProcessOperator } from './process-operator.js';
import { SinkOperator } from './sink-operator.js';
import { SourceOperator } from './source-operator.js';

/** The operator for `descriptor`, bound to the node's live functions. */
export function createStreamOperator(descriptor: OperatorDescriptor, functions: NodeFunctions): StreamOperator {
  const { name, kind } = descriptor;
  const fn = functions.userFunction;
  const keySelector = functions.keySelectors[0];
  switch (kind) {
    case 'source':
      return new SourceOperator(name, fn as Source<unknown>);
    case 'map':
      return new MapOperator(name, fn);
    case 'flatMap':
      return new FlatMapOperator(name, fn);
    case 'filter':
      return new FilterOperator(name, fn);
    case 'process':
      return new ProcessOperator(name, fn);
    case 'keyedProcess':
      return new KeyedProcessOperator(name, fn, keySelector);
    case 'keyedReduce':
      return new KeyedReduceOperator(name, fn as ReduceFunction<unknown>, keySelector);
    case 'keyedAggregation':
      return new KeyedAggregationOperator(name, descriptor.settings, keySelector);
    case 'sink':
      return new SinkOperator(name, fn);
    default:
      throw new TypeError(`${name}: unknown operator kind ${String(kind)}`);
  }
}
