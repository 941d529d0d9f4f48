import { InvalidArgumentError } from '../core/errors.js';

/** Names a side output. Two tags with the same id are the same side output. */
export class OutputTag<T> {
  /** Phantom field carrying the element type. */
  declare readonly __type?: T;

  constructor(readonly id: string) {
    if (!id) throw new InvalidArgumentError('OutputTag id must not be empty');
  }
}
