/**
 * Binds the window function of a {@link WindowOperatorSpec} (process / apply, keyed or all,
 * lambda or object) once, into one call shape the window operator uses for every window.
 */
import type { Collector } from '../../common/functions.js';
import type { ProcessWindowContext } from '../../common/window-functions.js';
import type { WindowFunctionKind, WindowOperatorSpec } from '../../common/windowing/window-operator-spec.js';
import { shallowClone } from '../clone-for-subtask.js';
import type { Window } from '../../common/windowing/windows.js';
import { bindUserFunction } from '../user-function.js';
import { InvalidArgumentError } from '../../core/errors.js';

/** A window function in the operator's call shape. */
export interface InternalWindowFunction {
  process(key: unknown, window: Window, ctx: ProcessWindowContext<Window>, input: unknown[], out: Collector<unknown>): void;
  /** The window is cleaned up (ProcessWindowFunction.clear). */
  clear(ctx: ProcessWindowContext<Window>): void;
}

type Fn = (...args: unknown[]) => void;

function optionalClear(fn: unknown): (ctx: ProcessWindowContext<Window>) => void {
  const clear = typeof fn === 'object' && fn !== null ? (fn as { clear?: unknown }).clear : undefined;
  return typeof clear === 'function' ? (clear.bind(fn) as (ctx: ProcessWindowContext<Window>) => void) : () => undefined;
}

/** Binds `spec` for operator `operatorName`. */
export function bindWindowFunction(spec: { kind: WindowFunctionKind; fn: unknown }, operatorName: string): InternalWindowFunction {
  const { kind, fn } = spec;
  switch (kind) {
    case 'process': {
      const f = bindUserFunction<Fn>(fn, 'process', operatorName);
      return { process: (key, _w, ctx, input, out) => f(key, ctx, input, out), clear: optionalClear(fn) };
    }
    case 'processAll': {
      const f = bindUserFunction<Fn>(fn, 'process', operatorName);
      return { process: (_key, _w, ctx, input, out) => f(ctx, input, out), clear: optionalClear(fn) };
    }
    case 'apply': {
      const f = bindUserFunction<Fn>(fn, 'apply', operatorName);
      return { process: (key, window, _ctx, input, out) => f(key, window, input, out), clear: () => undefined };
    }
    case 'applyAll': {
      const f = bindUserFunction<Fn>(fn, 'apply', operatorName);
      return { process: (_key, window, _ctx, input, out) => f(window, input, out), clear: () => undefined };
    }
    case 'passThrough':
      return {
        process: (_key, _w, _ctx, input, out) => {
          for (const v of input) out.collect(v);
        },
        clear: () => undefined,
      };
    default:
      throw new InvalidArgumentError(`${operatorName}: unknown window function kind ${String(kind)}`);
  }
}

/**
 * The spec with its own instances of the user functions: the window and reduce / aggregate
 * functions may keep fields (state handles set in `open`), which subtasks must not share.
 */
export function cloneWindowSpecForSubtask(spec: WindowOperatorSpec): WindowOperatorSpec {
  const aggregation = spec.aggregation.kind === 'list' ? spec.aggregation : { ...spec.aggregation, fn: shallowClone(spec.aggregation.fn) };
  return {
    ...spec,
    aggregation: aggregation as WindowOperatorSpec['aggregation'],
    windowFunction: { kind: spec.windowFunction.kind, fn: shallowClone(spec.windowFunction.fn) },
  };
}
