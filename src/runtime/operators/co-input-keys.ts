/**
 * Key extraction of keyed two-input operators: one key selector per logical input, bound once
 * when the operator is created.
 */
import type { KeySelector } from '../../common/functions.js';
import { bindKeySelector } from './keyed-process-operator.js';

/** The bound key selector of input 0 and of input 1. */
export type InputKeySelectors = readonly [(value: unknown) => unknown, (value: unknown) => unknown];

/** Binds the key selectors of both inputs; throws naming the operator when one is missing. */
export function bindInputKeySelectors(selectors: readonly (KeySelector<unknown, unknown> | undefined)[], operatorName: string): InputKeySelectors {
  return [bindKeySelector(selectors[0], operatorName), bindKeySelector(selectors[1], operatorName)];
}
