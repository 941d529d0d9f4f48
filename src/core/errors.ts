/**
 * Typed errors. Every error Fluss raises on purpose is a {@link FlussError} with a stable
 * `code`, so the CLI can print one line for user mistakes and gRPC can map it to a status.
 */

/** Stable error codes; `USER` codes are the caller's mistake and never print a stack trace. */
export type FlussErrorCode =
  | 'INVALID_ARGUMENT'
  | 'NOT_FOUND'
  | 'ALREADY_EXISTS'
  | 'FAILED_PRECONDITION'
  | 'UNAVAILABLE'
  | 'DEADLINE_EXCEEDED'
  | 'UNAUTHENTICATED'
  | 'CONFIGURATION'
  | 'JOB_BUILD'
  | 'USER_CODE'
  | 'INTERNAL';

/** Base class of every deliberate Fluss error. */
export class FlussError extends Error {
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
  constructor(message: string, options?: { cause?: unknown }) {
    super('CONFIGURATION', message, options);
  }
}

/** A job file cannot be found, bundled, loaded or built into a graph. */
export class JobBuildError extends FlussError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('JOB_BUILD', message, options);
  }
}

/** User code (a function of a job) threw; names the operator it ran in. */
export class UserCodeError extends FlussError {
  /** Name of the operator whose function threw. */
  readonly operatorName: string;

  constructor(operatorName: string, cause: unknown) {
    super('USER_CODE', `${operatorName} failed: ${describeError(cause)}`, { cause });
    this.operatorName = operatorName;
  }
}

/** Something that was asked for does not exist (job id, task, partition). */
export class NotFoundError extends FlussError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('NOT_FOUND', message, options);
  }
}

/** Bad argument from a caller (CLI flag, RPC payload). */
export class InvalidArgumentError extends FlussError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('INVALID_ARGUMENT', message, options);
  }
}

/** The operation is not allowed in the current state (cancel a finished job, …). */
export class FailedPreconditionError extends FlussError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('FAILED_PRECONDITION', message, options);
  }
}

/** A peer (JobManager, TaskManager) cannot be reached. */
export class UnavailableError extends FlussError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('UNAVAILABLE', message, options);
  }
}

/** A wait ran out of time (slots, registration, subscription). */
export class TimeoutError extends FlussError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('DEADLINE_EXCEEDED', message, options);
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
