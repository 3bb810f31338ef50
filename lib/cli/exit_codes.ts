/**
 * The exit codes every socketkit tool uses. They extend the original C programs' codes
 * (0 success, 1 usage or resolution error, 2 no address could be used) only where a new
 * stage needs its own.
 *
 * @module
 */

/**
 * Exit codes shared by all tools.
 *
 * @example The original programs' codes are kept
 * ```ts
 * import { ExitCode } from "./exit_codes.ts";
 * import { deepStrictEqual as assertEquals } from "node:assert/strict";
 *
 * assertEquals([ExitCode.Ok, ExitCode.Usage, ExitCode.NoAddress], [0, 1, 2]);
 * assertEquals([ExitCode.Timeout, ExitCode.Permission, ExitCode.Internal], [3, 4, 70]);
 * ```
 */
export const ExitCode = {
  /** Everything worked. */
  Ok: 0,
  /** Bad arguments, a name that does not resolve, or a send/receive failure (as the original). */
  Usage: 1,
  /** No address could be used: every connect or bind failed (as the original). */
  NoAddress: 2,
  /** A peer did not answer in time (connect deadline, read or reply timeout). */
  Timeout: 3,
  /** Deno did not grant a permission the tool needs; the message names the flag to add. */
  Permission: 4,
  /** A bug in socketkit: please report it. */
  Internal: 70,
} as const;

/** One of the values of {@linkcode ExitCode}. */
export type ExitCodeValue = typeof ExitCode[keyof typeof ExitCode];

/**
 * The exit-code table as printed in every tool's `--help` and in the README.
 *
 * @example The table lists every code of {@linkcode ExitCode}, in order
 * ```ts
 * import { EXIT_CODE_HELP, ExitCode } from "./exit_codes.ts";
 * import { deepStrictEqual as assertEquals } from "node:assert/strict";
 *
 * const listed = [...EXIT_CODE_HELP.matchAll(/^ {2}(\d+) /gm)].map((m) => Number(m[1]));
 * assertEquals(listed, Object.values(ExitCode));
 * assertEquals(EXIT_CODE_HELP.split("\n")[0], "Exit codes:");
 * ```
 */
export const EXIT_CODE_HELP: string = `Exit codes:
  0   success
  1   usage error, name resolution error, or send/receive failure
  2   no address could be used (every connect or bind failed)
  3   timed out waiting for the peer
  4   a Deno permission is missing (the message names the flag to add)
  70  internal error (a bug: please report it)`;
