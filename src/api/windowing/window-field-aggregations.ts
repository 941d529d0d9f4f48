/**
 * Flink's field aggregations on windowed streams (`sum`, `min`, `max`, `minBy`, `maxBy`), shared
 * by {@link WindowedStream} (per key and window) and {@link AllWindowedStream} (per window):
 * each builds the same window aggregation, only the stream it lands on differs.
 */
import type { AggregationKind, FieldExpression } from '../../common/field-aggregation.js';
import type { SingleOutputStreamOperator } from '../single-output-stream-operator.js';

/** The field aggregations of a windowed stream; subclasses say how an aggregation is built. */
export abstract class WindowFieldAggregations<T> {
  /**
   * Sum of `field` over each window (Flink's `sum(positionToSum)` / `sum(field)`): the first
   * element with the field replaced by the sum.
   */
  sum(field?: FieldExpression): SingleOutputStreamOperator<T> {
    return this.fieldAggregate('sum', field);
  }

  /** Minimum of `field` over each window: the first element with the field replaced by the minimum. */
  min(field?: FieldExpression): SingleOutputStreamOperator<T> {
    return this.fieldAggregate('min', field);
  }

  /** Maximum of `field` over each window: the first element with the field replaced by the maximum. */
  max(field?: FieldExpression): SingleOutputStreamOperator<T> {
    return this.fieldAggregate('max', field);
  }

  /** The element with the smallest `field` in each window; on ties the earliest unless `first` is false. */
  minBy(field?: FieldExpression, first = true): SingleOutputStreamOperator<T> {
    return this.fieldAggregate('minBy', field, first);
  }

  /** The element with the largest `field` in each window; on ties the earliest unless `first` is false. */
  maxBy(field?: FieldExpression, first = true): SingleOutputStreamOperator<T> {
    return this.fieldAggregate('maxBy', field, first);
  }

  /** Builds the window operator of one field aggregation. */
  protected abstract fieldAggregate(kind: AggregationKind, field: FieldExpression | undefined, first?: boolean): SingleOutputStreamOperator<T>;
}
