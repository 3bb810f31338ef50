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
 * assertEquals([ExitCode.NotResolved, ExitCode.Failed], [1, 1]); // the original's 1, named
 * assertEquals([ExitCode.Timeout, ExitCode.Permission, ExitCode.Internal], [3, 4, 70]);
 * assertEquals(ExitCode.Interrupted, 130);
 * ```
 */
export const ExitCode = {
  /** Everything worked. */
  Ok: 0,
  /** Bad arguments: the command line, a flag's value, an input that cannot be read. */
  Usage: 1,
  /** A name that does not resolve (the original's `getaddrinfo` failure, code 1). */
  NotResolved: 1,
  /**
   * The exchange failed once under way: a send or receive error, a reset by the peer,
   * output that could not be written (the original's `perror` and `exit(1)`).
   */
  Failed: 1,
  /** No address could be used: every connect or bind failed (as the original). */
  NoAddress: 2,
  /** A peer did not answer in time (connect deadline, read or reply timeout). */
  Timeout: 3,
  /** Deno did not grant a permission the tool needs; the message names the flag to add. */
  Permission: 4,
  /** A bug in socketkit: please report it. */
  Internal: 70,
  /** Stopped by Ctrl-C (SIGINT) before its work was done, as a shell reports it (128 + 2). */
  Interrupted: 130,
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
 * assertEquals(listed, [...new Set(Object.values(ExitCode))]);
 * assertEquals(EXIT_CODE_HELP.split("\n")[0], "Exit codes:");
 * ```
 */
export const EXIT_CODE_HELP: string = `Exit codes:
  0   success
  1   usage error, name resolution error, or send/receive failure
  2   no address could be used (every connect or bind failed)
  3   timed out waiting for the peer
  4   a Deno permission is missing (the message names the flag to add)
  70  internal error (a bug: please report it)
  130 interrupted (Ctrl-C) before the work was done`;
