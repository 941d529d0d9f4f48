/**
 * Typed errors. Every error Fluss raises on purpose is a {@link FlussError} with a stable
 * `code`, so the CLI can print one line for user mistakes and gRPC can map it to a status.
 *
 * The rule for src/: a user or operator never sees a bare `Error`, `TypeError` or `RangeError`.
 * A bad argument to the public API (a negative window size, an empty state name, a value of the
 * wrong type) is an {@link InvalidArgumentError}, so one `catch` of the `FlussError` family
 * covers everything Fluss throws; a broken internal invariant is an {@link InternalError}; a
 * wrapped failure passes the original as `cause`. `test/unit/error-types.test.ts` holds src/ to
 * this and lists the few plain `Error`s that stay, with their reasons.
 *
 * `instanceof` works across copies of this module: a job bundle that carries its own copy of
 * `fluss`, or one evaluated in a VM context, throws errors that the daemon's copy still
 * recognises. Each class brands its prototype with a symbol from the global registry (shared by
 * every copy and every realm) and checks that brand instead of the prototype chain.
 */

/** Every stable error code, in one list (the wire and the CLI rely on these spellings). */
export const FLUSS_ERROR_CODES = [
  'INVALID_ARGUMENT',
  'NOT_FOUND',
  'ALREADY_EXISTS',
  'FAILED_PRECONDITION',
  'UNAVAILABLE',
  'DEADLINE_EXCEEDED',
  'UNAUTHENTICATED',
  'CONFIGURATION',
  'JOB_BUILD',
  'USER_CODE',
  'UNSUPPORTED',
  'IO',
  'INTERNAL',
] as const;

/** Stable error codes; all but `INTERNAL` are the caller's mistake and never print a stack trace. */
export type FlussErrorCode = (typeof FLUSS_ERROR_CODES)[number];

/** Static key under which a branded class keeps the symbol its instances carry. */
const CLASS_BRAND = Symbol.for('fluss.error.class-brand');

/** The registry symbol for the class `name`: the same in every copy of Fluss and every realm. */
function brandSymbol(name: string): symbol {
  return name === 'FlussError' ? Symbol.for('fluss.error') : Symbol.for(`fluss.error.${name}`);
}

/**
 * Marks `cls` (named `name`, spelled out so that minifying a bundle cannot change it) so that
 * `x instanceof cls` holds for an error made by any copy of the class with that name. Call it
 * from a `static {}` block of every exported error class; an unbranded subclass (one a user
 * writes) falls back to the ordinary prototype check.
 */
export function brandErrorClass(cls: abstract new (...args: never[]) => FlussError, name: string): void {
  const brand = brandSymbol(name);
  Object.defineProperty(cls.prototype, brand, { value: true });
  Object.defineProperty(cls, CLASS_BRAND, { value: brand });
}

/** Base class of every deliberate Fluss error. */
export class FlussError extends Error {
  static {
    brandErrorClass(this, 'FlussError');
  }

  /** True when `value` carries this class's brand (own brand only: a subclass may be unbranded). */
  static override [Symbol.hasInstance](value: unknown): boolean {
    const brand: unknown = Object.hasOwn(this, CLASS_BRAND) ? (this as unknown as Record<symbol, unknown>)[CLASS_BRAND] : undefined;
    if (typeof brand !== 'symbol') return Function.prototype[Symbol.hasInstance].call(this, value);
    return typeof value === 'object' && value !== null && (value as Record<symbol, unknown>)[brand] === true;
  }

  /** Stable machine-readable code. */
  readonly code: FlussErrorCode;

  constructor(code: FlussErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.code = code;
    this.name = new.target.name;
  }
}

/** A configuration key is unknown, ill-typed, or a config file cannot be read. */
export class ConfigurationError extends FlussError {
  static {
    brandErrorClass(this, 'ConfigurationError');
  }

  constructor(message: string, options?: { cause?: unknown }) {
    super('CONFIGURATION', message, options);
  }
}

/** A job file cannot be found, bundled, loaded or built into a graph. */
export class JobBuildError extends FlussError {
  static {
    brandErrorClass(this, 'JobBuildError');
  }

  constructor(message: string, options?: { cause?: unknown }) {
    super('JOB_BUILD', message, options);
  }
}

/** User code (a function of a job) threw; names the operator it ran in. */
export class UserCodeError extends FlussError {
  static {
    brandErrorClass(this, 'UserCodeError');
  }

  /** Name of the operator whose function threw. */
  readonly operatorName: string;

  constructor(operatorName: string, cause: unknown) {
    super('USER_CODE', `${operatorName} failed: ${describeError(cause)}`, { cause });
    this.operatorName = operatorName;
  }
}

/** Something that was asked for does not exist (job id, task, partition). */
export class NotFoundError extends FlussError {
  static {
    brandErrorClass(this, 'NotFoundError');
  }

  constructor(message: string, options?: { cause?: unknown }) {
    super('NOT_FOUND', message, options);
  }
}

/** Bad argument from a caller (CLI flag, RPC payload). */
export class InvalidArgumentError extends FlussError {
  static {
    brandErrorClass(this, 'InvalidArgumentError');
  }

  constructor(message: string, options?: { cause?: unknown }) {
    super('INVALID_ARGUMENT', message, options);
  }
}

/** The operation is not allowed in the current state (cancel a finished job, …). */
export class FailedPreconditionError extends FlussError {
  static {
    brandErrorClass(this, 'FailedPreconditionError');
  }

  constructor(message: string, options?: { cause?: unknown }) {
    super('FAILED_PRECONDITION', message, options);
  }
}

/** A peer (JobManager, TaskManager) cannot be reached. */
export class UnavailableError extends FlussError {
  static {
    brandErrorClass(this, 'UnavailableError');
  }

  constructor(message: string, options?: { cause?: unknown }) {
    super('UNAVAILABLE', message, options);
  }
}

/** A wait ran out of time (slots, registration, subscription). */
export class TimeoutError extends FlussError {
  static {
    brandErrorClass(this, 'TimeoutError');
  }

  constructor(message: string, options?: { cause?: unknown }) {
    super('DEADLINE_EXCEEDED', message, options);
  }
}

/** The operation is not supported here (a trigger that cannot merge, a window that would move back). */
export class UnsupportedOperationError extends FlussError {
  static {
    brandErrorClass(this, 'UnsupportedOperationError');
  }

  constructor(message: string, options?: { cause?: unknown }) {
    super('UNSUPPORTED', message, options);
  }
}

/** Reading or writing a file failed (a file source, a file sink); the I/O error is the cause. */
export class IOError extends FlussError {
  static {
    brandErrorClass(this, 'IOError');
  }

  constructor(message: string, options?: { cause?: unknown }) {
    super('IO', message, options);
  }
}

/** An invariant of Fluss itself broke: a bug, not the caller's mistake; prints its stack. */
export class InternalError extends FlussError {
  static {
    brandErrorClass(this, 'InternalError');
  }

  constructor(message: string, options?: { cause?: unknown }) {
    super('INTERNAL', message, options);
  }
}

/** One line describing any thrown value, without a stack trace; never throws itself. */
export function describeError(err: unknown): string {
  if (err instanceof Error) {
    const name = err.name && err.name !== 'Error' && !(err instanceof FlussError) ? `${err.name}: ` : '';
    return `${name}${err.message}`;
  }
  return describeThrownValue(err);
}

/**
 * A thrown non-Error (a string, a symbol, a plain or null-prototype object, one whose
 * toString throws, a circular one) as text: user code throws anything.
 */
function describeThrownValue(err: unknown): string {
  let text: string | undefined;
  try {
    text = String(err);
  } catch {
    // Null prototype, or a toString that throws.
  }
  if (err !== null && typeof err === 'object' && (text === undefined || text === '[object Object]')) {
    try {
      const json = JSON.stringify(err);
      if (json !== undefined) text = json.length > 200 ? `${json.slice(0, 200)}…` : json;
    } catch {
      // Circular, or a toJSON that throws.
    }
    if (text === undefined || text === '[object Object]') {
      const cls = (err as { constructor?: { name?: unknown } }).constructor?.name;
      text = typeof cls === 'string' && cls !== 'Object' ? `a thrown ${cls} object` : 'a thrown object';
    }
  }
  return text ?? `a thrown ${typeof err}`;
}

/** `s` on one line: each line break (with the blanks around it) becomes one space. */
export function oneLine(s: string): string {
  return s.replace(/\s*\n\s*/g, ' ').trim();
}
