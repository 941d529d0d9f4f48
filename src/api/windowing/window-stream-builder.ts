/**
 * What WindowedStream and AllWindowedStream share: the window settings collected by
 * `.trigger()`, `.evictor()`, `.allowedLateness()`, `.sideOutputLateData()`, their validation,
 * and the `window` node they finally record in the StreamGraph.
 */
import { JobBuildError } from '../../core/errors.js';
import type { StreamNodeSpec } from '../../graph/stream-graph.js';
import { checkFieldExpression, FieldAggregateFunction, FieldAggregator, type AggregationKind } from '../../common/field-aggregation.js';
import { describeValue, requireFunctionOrMethod } from '../function-checks.js';
import type { AggregateFunction, KeySelector, ReduceFunction } from '../../common/functions.js';
import { OutputTag } from '../../common/output-tag.js';
import { Evictor } from '../../common/windowing/evictors.js';
import { Trigger } from '../../common/windowing/triggers.js';
import { WindowAssigner } from '../../common/windowing/window-assigners.js';
import type { WindowAggregation, WindowFunctionKind, WindowOperatorSpec } from '../../common/windowing/window-operator-spec.js';
import type { Window } from '../../common/windowing/windows.js';

/** The settings of a windowed stream before its function is given. */
export class WindowStreamBuilder {
  trigger: Trigger<unknown, Window> | undefined;
  evictor: Evictor<unknown, Window> | undefined;
  allowedLateness = 0;
  lateDataTag: OutputTag<unknown> | undefined;

  constructor(
    readonly assigner: WindowAssigner<Window>,
    /** "Window" or "AllWindow", for operator names and errors. */
    private readonly label: string,
  ) {
    if (!(assigner instanceof WindowAssigner)) {
      throw new JobBuildError(`${label.toLowerCase()}() expects a WindowAssigner such as TumblingEventTimeWindows.of(ms), got ${describeValue(assigner)}`);
    }
  }

  setTrigger(trigger: unknown): void {
    if (!(trigger instanceof Trigger)) throw new JobBuildError(`trigger() expects a Trigger, got ${describeValue(trigger)}`);
    if (this.assigner.isMerging() && !trigger.canMerge()) {
      throw new JobBuildError(`trigger(): ${trigger.constructor.name} cannot be used with merging windows (${this.assigner.constructor.name})`);
    }
    this.trigger = trigger as Trigger<unknown, Window>;
  }

  setEvictor(evictor: unknown): void {
    if (!(evictor instanceof Evictor)) throw new JobBuildError(`evictor() expects an Evictor, got ${describeValue(evictor)}`);
    this.evictor = evictor as Evictor<unknown, Window>;
  }

  setAllowedLateness(ms: number): void {
    if (typeof ms !== 'number' || !(ms >= 0) || !Number.isFinite(ms)) {
      throw new JobBuildError(`allowedLateness() expects a non-negative number of ms, got ${String(ms)}`);
    }
    this.allowedLateness = ms;
  }

  setLateDataTag(tag: unknown): void {
    if (!(tag instanceof OutputTag)) throw new JobBuildError(`sideOutputLateData() expects an OutputTag, got ${describeValue(tag)}`);
    this.lateDataTag = tag;
  }

  /** The node spec of the window operator with `aggregation` and `windowFunction`. */
  nodeSpec(
    aggregation: WindowAggregation,
    windowFunction: { kind: WindowFunctionKind; fn: unknown },
    keySelector: KeySelector<unknown, unknown>,
    functionLabel: string,
  ): StreamNodeSpec {
    const trigger = this.trigger ?? this.assigner.getDefaultTrigger();
    if (aggregation.kind === 'aggregate' && this.assigner.isMerging() && typeof aggregation.fn.merge !== 'function') {
      throw new JobBuildError(`aggregate(): merging windows (${this.assigner.constructor.name}) need an AggregateFunction with merge()`);
    }
    const spec: WindowOperatorSpec = {
      assigner: this.assigner,
      trigger,
      evictor: this.evictor,
      allowedLateness: this.allowedLateness,
      lateDataTag: this.lateDataTag?.id,
      aggregation,
      windowFunction,
    };
    const parts = [this.assigner.constructor.name, trigger.constructor.name];
    if (this.evictor) parts.push(this.evictor.constructor.name);
    parts.push(functionLabel);
    return {
      kind: 'window',
      name: `${this.label}(${parts.join(', ')})`,
      userFunction: spec,
      keyed: true,
      keySelectors: [keySelector],
      settings: {
        assigner: this.assigner.constructor.name,
        trigger: trigger.constructor.name,
        evictor: this.evictor ? this.evictor.constructor.name : null,
        function: functionLabel,
        allowedLateness: this.allowedLateness,
        lateDataTag: this.lateDataTag?.id ?? null,
      },
    };
  }
}

/** Validates a reduce function. */
export function reduceAggregation(fn: unknown): WindowAggregation {
  requireFunctionOrMethod('reduce', fn, 'reduce');
  return { kind: 'reduce', fn: fn as ReduceFunction<unknown> };
}

/** Validates an AggregateFunction. */
export function aggregateAggregation(fn: unknown): WindowAggregation {
  const f = fn as Partial<AggregateFunction<unknown, unknown, unknown>> | null;
  if (typeof f !== 'object' || f === null || typeof f.createAccumulator !== 'function' || typeof f.add !== 'function' || typeof f.getResult !== 'function') {
    throw new JobBuildError(`aggregate() expects an AggregateFunction (createAccumulator, add, getResult, merge), got ${describeValue(fn)}`);
  }
  return { kind: 'aggregate', fn: f as AggregateFunction<unknown, unknown, unknown> };
}

/**
 * Flink's window `sum`/`min`/`max`/`minBy`/`maxBy` on `field`, kept as an aggregate whose
 * accumulator is the aggregate record (every element checked), plus the function label.
 */
export function fieldAggregation(kind: AggregationKind, field: unknown, first: unknown = true): { aggregation: WindowAggregation; label: string } {
  checkFieldExpression(kind, field);
  if (typeof first !== 'boolean') throw new JobBuildError(`${kind}() expects a boolean "first", got ${describeValue(first)}`);
  const fn = new FieldAggregateFunction(new FieldAggregator(kind, field, first));
  return { aggregation: { kind: 'aggregate', fn }, label: kind === 'sum' ? 'SumAggregator' : 'ComparableAggregator' };
}

/**
 * The kind of an optional window function given with reduce/aggregate, or of `process()`:
 * lambdas and objects with `process` are process window functions, objects with `apply`
 * window functions.
 */
export function windowFunctionKind(api: string, fn: unknown, all: boolean): WindowFunctionKind {
  if (typeof fn === 'function') return all ? 'processAll' : 'process';
  if (typeof fn === 'object' && fn !== null) {
    if (typeof (fn as { process?: unknown }).process === 'function') return all ? 'processAll' : 'process';
    if (typeof (fn as { apply?: unknown }).apply === 'function') return all ? 'applyAll' : 'apply';
  }
  throw new JobBuildError(`${api}() expects a window function (a function or an object with process()), got ${describeValue(fn)}`);
}
