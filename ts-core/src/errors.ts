/**
 * Errors the user can act on. Each names the file, the place inside it (a glTF JSON path such as
 * `meshes[3].primitives[0].indices`, or a profile field) and what is wrong. The CLI prints them as one line
 * and maps `code` to an exit status; anything else is a bug and prints a stack trace.
 */
export type ErrorCode =
  | 'BAD_INPUT' // the scene or an argument is malformed
  | 'TOO_BIG' // the input does not fit the memory budget
  | 'BAD_PROFILE' // a profile file fails validation
  | 'QUALITY_BELOW_THRESHOLD'
  | 'VERIFICATION_REJECTED'
  | 'ENGINE_UNREACHABLE'
  | 'VERIFICATION_FAILED' // no quorum could verify: every node that tried failed (their reasons are listed)
  | 'CANCELLED';

export class OteError extends Error {
  readonly code: ErrorCode;
  readonly file?: string;
  readonly path?: string;

  constructor(code: ErrorCode, message: string, where: { file?: string; path?: string } = {}) {
    super([where.file, where.path, message].filter(Boolean).join(': '));
    this.name = 'OteError';
    this.code = code;
    this.file = where.file;
    this.path = where.path;
  }
}

export function inputError(file: string | undefined, path: string | undefined, message: string): OteError {
  return new OteError('BAD_INPUT', message, { file, path });
}

export function isOteError(e: unknown): e is OteError {
  return e instanceof OteError;
}
