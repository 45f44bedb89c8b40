/** Exit codes of `ote`, documented in the README. CI scripts branch on them. */
import type { ErrorCode } from './errors.js';

export const EXIT = {
  OK: 0,
  INTERNAL: 1, // a bug: the stack trace is printed
  USAGE: 2,
  BAD_INPUT: 3,
  TOO_BIG: 4,
  BAD_PROFILE: 5,
  QUALITY_BELOW_THRESHOLD: 6,
  VERIFICATION_REJECTED: 7,
  ENGINE_UNREACHABLE: 8,
  VERIFICATION_FAILED: 9,
  CANCELLED: 130,
} as const;

export function exitCodeFor(code: ErrorCode): number {
  return EXIT[code];
}
