/**
 * The `window` operator with an evictor (Flink's EvictingWindowOperator): contents are every
 * element with its timestamp; when a window fires, the evictor may drop elements before the
 * function runs and after it, and a reduce or aggregate is applied to what remains at that
 * moment (incremental folding cannot un-add evicted elements).
 */
import type { KeySelector } from '../../common/functions.js';
import type { Evictor, EvictorContext } from '../../common/windowing/evictors.js';
import type { WindowOperatorSpec } from '../../common/windowing/window-operator-spec.js';
import type { Window } from '../../common/windowing/windows.js';
import { foldElements, TimestampedListContents, WINDOW_CONTENTS_STATE, type WindowContents } from './window-contents.js';
import { WindowOperator } from './window-operator.js';
import { InvalidArgumentError } from '../../core/errors.js';

/** Kind `window` with an evictor. */
export class EvictingWindowOperator extends WindowOperator {
  private readonly evictor: Evictor<unknown, Window>;
  private timestamped!: TimestampedListContents;
  private readonly evictorCtx: EvictorContext = {
    getCurrentProcessingTime: () => this.ctx.currentProcessingTime(),
    getCurrentWatermark: () => this.currentWatermark,
  };

  constructor(name: string, spec: WindowOperatorSpec, keySelector: KeySelector<unknown, unknown> | undefined) {
    super(name, spec, keySelector);
    if (!spec.evictor) throw new InvalidArgumentError(`${name}: an evicting window operator needs an evictor`);
    this.evictor = spec.evictor;
  }

  protected override createContents(): WindowContents {
    const backend = this.ctx.keyedStateBackend!;
    backend.registerState(WINDOW_CONTENTS_STATE, 'list');
    this.timestamped = new TimestampedListContents(backend);
    return this.timestamped;
  }

  protected override emitWindowContents(window: Window, stateNs: string): void {
    const elements = this.timestamped.getTimestamped(stateNs);
    if (!elements) return;
    this.evictor.evictBefore(elements, window, this.evictorCtx);
    const values = elements.map((e) => e.value);
    if (values.length > 0) this.invokeWindowFunction(window, foldElements(this.spec.aggregation, values));
    this.evictor.evictAfter(elements, window, this.evictorCtx);
    this.timestamped.update(stateNs, elements);
  }
}
