/**
 * Helpers to run user functions: lambdas or objects with the named method and optional
 * `open`/`close`; `AbstractRichFunction` instances get their runtime context first. Anything a
 * user function throws becomes a {@link UserCodeError} naming the operator.
 */
import { openParameters } from '../common/configuration.js';
import { AbstractRichFunction } from '../common/functions.js';
import type { OpenContext, RuntimeContext } from '../common/runtime-context.js';
import { InvalidArgumentError, UserCodeError } from '../core/errors.js';

/** `err` as a UserCodeError of `operatorName` (errors of operators further down pass as they are). */
export function asUserCodeError(operatorName: string, err: unknown): UserCodeError {
  return err instanceof UserCodeError ? err : new UserCodeError(operatorName, err);
}

/** Injects the runtime context and calls `open(ctx)` when the function has one. */
export async function openUserFunction(fn: unknown, operatorName: string, runtimeContext: RuntimeContext, openContext: OpenContext): Promise<void> {
  if (fn === null || (typeof fn !== 'object' && typeof fn !== 'function')) return;
  const target = fn as { __runtimeContext?: RuntimeContext; open?: (ctx: OpenContext) => unknown; getRuntimeContext?: unknown };
  // Classes that extend AbstractRichFunction, or mimic it with the same field.
  if (fn instanceof AbstractRichFunction || (typeof fn === 'object' && '__runtimeContext' in target)) target.__runtimeContext = runtimeContext;
  else if (typeof fn === 'object' && typeof target.getRuntimeContext !== 'function') {
    // Plain objects (e.g. a sink object literal) may call this.getRuntimeContext().
    Object.defineProperty(fn, 'getRuntimeContext', { value: () => runtimeContext, configurable: true, enumerable: false });
  }
  if (typeof fn === 'object' && typeof target.open === 'function') {
    try {
      // Also an empty Configuration, for functions written against Flink's open(Configuration).
      await target.open(openParameters(openContext));
    } catch (err) {
      throw asUserCodeError(operatorName, err);
    }
  }
}

/** Calls `close()` when the function has one. */
export async function closeUserFunction(fn: unknown, operatorName: string): Promise<void> {
  if (fn === null || typeof fn !== 'object') return;
  const close = (fn as { close?: () => unknown }).close;
  if (typeof close !== 'function') return;
  try {
    await close.call(fn);
  } catch (err) {
    throw asUserCodeError(operatorName, err);
  }
}

/**
 * Binds a function given as a lambda or as an object with `method` into a plain callable,
 * once at open time, so the hot path makes one direct call.
 */
export function bindUserFunction<F extends (...args: never[]) => unknown>(fn: unknown, method: string, operatorName: string): F {
  if (typeof fn === 'function') return fn as F;
  if (fn !== null && typeof fn === 'object') {
    const m = (fn as Record<string, unknown>)[method];
    if (typeof m === 'function') return m.bind(fn) as F;
  }
  throw new InvalidArgumentError(`${operatorName}: expected a function or an object with ${method}(), got ${describeValue(fn)}`);
}

function describeValue(x: unknown): string {
  if (x === null) return 'null';
  if (typeof x === 'object') return `an object without the method (${Object.keys(x as object).join(', ') || 'no keys'})`;
  return typeof x;
}
