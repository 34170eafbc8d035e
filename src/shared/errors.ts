// The one error base of amikit: every failure carries a stable `code`, structured `data` naming the
// file, path, offset or block involved, and the ES2022 `cause`. Only src/cli/ prints errors and exits.

/** Stable error codes. Add codes here; never change the meaning of an existing one. */
export type ErrorCode =
  | 'USAGE' // bad command-line usage or option value
  | 'INPUT_NOT_FOUND' // a named input does not exist or cannot be opened
  | 'INPUT_FORMAT' // input bytes are not what they claim to be (corrupt, truncated, unknown)
  | 'INPUT_UNSAFE' // input tries to escape the image (traversal, links out of the tree)
  | 'INPUT_LIMIT' // input exceeds a sane limit (absurd sizes, too many entries)
  | 'DIGEST_MISMATCH' // a blob or DiffID digest does not match its content
  | 'LAYER_MERGE' // layers cannot be merged (hard link to nothing, bad whiteout)
  | 'NO_SPACE' // the content does not fit the requested size
  | 'FS_LIMIT' // the filesystem format cannot represent something
  | 'IO' // an operating-system level read/write failure
  | 'AWS' // an AWS call failed for good (denied, invalid, not found, or still failing after retries)
  | 'INTERNAL'; // a bug: an invariant did not hold

/** Codes that mean "the user's input or usage is wrong" (CLI exit code 2). */
const BAD_INPUT_CODES: ReadonlySet<ErrorCode> = new Set<ErrorCode>([
  'USAGE',
  'INPUT_NOT_FOUND',
  'INPUT_FORMAT',
  'INPUT_UNSAFE',
  'INPUT_LIMIT',
  'DIGEST_MISMATCH',
  'LAYER_MERGE',
  'NO_SPACE',
  'FS_LIMIT',
]);

export interface AmikitErrorOptions {
  /** Structured context: file, path, offsetBytes, blockIndex, layer, … */
  data?: Record<string, unknown>;
  cause?: unknown;
}

export class AmikitError extends Error {
  readonly code: ErrorCode;
  readonly data: Record<string, unknown>;

  constructor(code: ErrorCode, message: string, options: AmikitErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'AmikitError';
    this.code = code;
    this.data = options.data ?? {};
  }

  /** True when the error is the user's input or usage (exit code 2), false for other failures (exit 1). */
  get isBadInput(): boolean {
    return BAD_INPUT_CODES.has(this.code);
  }
}

/** Wraps an OS error (ENOENT, EACCES, ENOSPC…) with the path it concerns. */
export function ioError(verb: string, path: string, cause: unknown): AmikitError {
  const errno = (cause as NodeJS.ErrnoException | undefined)?.code;
  const reason = cause instanceof Error ? cause.message.replace(/^[A-Z]+: /, '') : String(cause);
  if (errno === 'ENOENT' || errno === 'EACCES' || errno === 'EISDIR' || errno === 'ENOTDIR') {
    return new AmikitError('INPUT_NOT_FOUND', `cannot ${verb} ${path}: ${reason}`, { data: { path }, cause });
  }
  return new AmikitError('IO', `cannot ${verb} ${path}: ${reason}`, { data: { path }, cause });
}
