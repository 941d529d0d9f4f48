/**
 * Records that cannot travel between TaskManagers. The frame codec refuses them with an
 * {@link UnserializableRecordError} whose one line says what is wrong and where inside the
 * record (`circular reference at record.parent.child`, `a function at record.onClick`); the
 * producing partition turns it into a {@link RecordSerializationError} that names the operator
 * and the edge, and fails the producing task with it. Finding the culprit
 * ({@link findUnserializable}) walks the batch again only after encoding failed, so the hot
 * path pays nothing for it.
 */
import { brandErrorClass, describeError, FlussError, UserCodeError } from '../core/errors.js';
import { findUnserializable } from '../core/find-unserializable.js';
import type { ChannelItem } from '../common/stream-element.js';

/** A channel item (a batch of records) that the network codec cannot encode. */
export class UnserializableRecordError extends FlussError {
  static {
    brandErrorClass(this, 'UnserializableRecordError');
  }

  constructor(message: string, options?: { cause?: unknown }) {
    super('INVALID_ARGUMENT', message, options);
  }
}

/**
 * A record produced by `operatorName` could not be sent over `edge`
 * (`"Map -> HASH -> Window"`): fails the producing task with one line.
 */
export class RecordSerializationError extends UserCodeError {
  static {
    brandErrorClass(this, 'RecordSerializationError');
  }

  /** The edge the record was to travel over. */
  readonly edge: string;

  constructor(operatorName: string, edge: string, cause: unknown) {
    super(operatorName, cause);
    this.edge = edge;
    this.message = `${operatorName} failed: a record cannot be sent over the network on edge ${edge}: ${describeError(cause)}`;
  }
}

/**
 * The error for a channel item that failed to encode with `err`: names the first record whose
 * problem can be located, else the encoder's own reason.
 */
export function unserializableItem(item: ChannelItem, err: unknown): UnserializableRecordError {
  if (item.kind === 'records') {
    for (const value of item.values) {
      const problem = findUnserializable(value);
      if (problem !== undefined) return new UnserializableRecordError(problem, { cause: err });
    }
  }
  return new UnserializableRecordError(`${item.kind === 'records' ? 'a record' : `a ${item.kind} event`} cannot be serialised: ${describeError(err)}`, {
    cause: err,
  });
}

/** A single record whose encoding exceeds the largest frame the network carries. */
export function recordTooLarge(bytes: number, maxFrameBytes: number): UnserializableRecordError {
  return new UnserializableRecordError(`a record of ${bytes} bytes encoded exceeds the network frame limit of ${maxFrameBytes} bytes`);
}
