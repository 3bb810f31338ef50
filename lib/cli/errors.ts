/**
 * The one place where an error becomes what a tool prints and the code it exits with. The
 * library throws {@linkcode NetError}s that know nothing of exit codes; the command line's
 * own mistakes are {@linkcode UsageError}s.
 *
 * @module
 */
import { quoteName } from "../net/_validate.ts";
import { NetError, ResolveError } from "../net/errors.ts";
import { GrantError } from "../net/grant_error.ts";
import { ExitCode, type ExitCodeValue } from "./exit_codes.ts";

/**
 * A tool's own failure, ending it with `exitCode` after one line, `tool: message` (the
 * original's `server: failed to bind`, exit 2).
 *
 * @example The original server's failure
 * ```ts
 * import { errorLine, exitCodeOf, ToolError } from "./errors.ts";
 * import { ExitCode } from "./exit_codes.ts";
 * import { deepStrictEqual as assertEquals } from "node:assert/strict";
 *
 * const err = new ToolError("failed to bind", ExitCode.NoAddress);
 * assertEquals(exitCodeOf(err), 2);
 * assertEquals(errorLine("server", "usage: server", err), "server: failed to bind");
 * ```
 */
export class ToolError extends Error {
  /** The code the tool exits with. */
  readonly exitCode: ExitCodeValue;
  /**
   * An error that ends the tool with `exitCode`, printed as `NAME: message`.
   *
   * @param message The line, without the tool's name.
   * @param exitCode The code the tool exits with.
   * @param options The underlying error.
   */
  constructor(message: string, exitCode: ExitCodeValue, options?: ErrorOptions) {
    super(message, options);
    this.name = "ToolError";
    this.exitCode = exitCode;
  }
}

/**
 * Bad arguments: an unknown flag, a bad port, a missing host. Exit code 1.
 *
 * @example Reject a bad value
 * ```ts
 * import { UsageError } from "./errors.ts";
 * import { deepStrictEqual as assertEquals } from "node:assert/strict";
 * const err = new UsageError('Invalid port "abc": expected a whole number from 0 to 65535');
 * assertEquals([err.exitCode, err.showUsage], [1, false]);
 * ```
 */
export class UsageError extends ToolError {
  /** Whether the tool should print its one-line usage instead of the message. */
  readonly showUsage: boolean;
  /**
   * A usage error (exit 1): its message, or with `showUsage` the tool's usage line.
   *
   * @param message What is wrong with the arguments.
   * @param options `showUsage`: print the usage line instead.
   */
  constructor(message: string, options: { showUsage?: boolean } = {}) {
    super(message, ExitCode.Usage);
    this.name = "UsageError";
    this.showUsage = options.showUsage ?? false;
  }
}

/**
 * A line of input over the length a tool takes (exit 1): `limit` says how long a line may
 * be, so that a tool can say it in its own terms (a datagram's size, for the talker).
 *
 * @example The limit, beside the message
 * ```ts
 * import { LineTooLongError, UsageError } from "./errors.ts";
 * import { deepStrictEqual as assertEquals } from "node:assert/strict";
 * const err = new LineTooLongError("--lines", 8);
 * assertEquals([err instanceof UsageError, err.limit], [true, 8]);
 * assertEquals(err.message, "--lines: a line is over 8 bytes, the limit");
 * ```
 */
export class LineTooLongError extends UsageError {
  /** The longest line taken, in bytes. */
  readonly limit: number;
  /**
   * A line over `limit` bytes.
   *
   * @param what Where the line came from (`--lines`).
   * @param limit The longest line taken, in bytes.
   */
  constructor(what: string, limit: number) {
    super(`${what}: a line is over ${limit} bytes, the limit`);
    this.name = "LineTooLongError";
    this.limit = limit;
  }
}

/**
 * A tool's operation was refused for want of a Deno permission. The message names every
 * grant the whole run needs, so that running again with it is enough. Exit code 4.
 *
 * @example Exit code 4
 * ```ts
 * import { exitCodeOf, PermissionError } from "./errors.ts";
 * import { deepStrictEqual as assertEquals } from "node:assert/strict";
 *
 * const err = new PermissionError("listen udp [::]:4950: permission denied: run again with …");
 * assertEquals([err.name, err.exitCode, exitCodeOf(err)], ["PermissionError", 4, 4]);
 * ```
 */
export class PermissionError extends ToolError {
  /**
   * A refused permission (exit 4), its message naming the grant to run again with.
   *
   * @param message What was refused and the flag to run again with.
   * @param options The runtime's error.
   */
  constructor(message: string, options?: ErrorOptions) {
    super(message, ExitCode.Permission, options);
    this.name = "PermissionError";
  }
}

/**
 * Whether an error is Deno refusing an operation for want of a permission.
 *
 * @param err Any thrown value.
 * @returns True for `NotCapable`, or a {@linkcode NetError} caused by it.
 * @example Only a missing permission counts
 * ```ts
 * import { isPermissionDenied } from "./errors.ts";
 * import { NetError } from "../net/errors.ts";
 * import { deepStrictEqual as assertEquals } from "node:assert/strict";
 *
 * const denied = new Deno.errors.NotCapable("Requires net access");
 * assertEquals(isPermissionDenied(denied), true);
 * assertEquals(isPermissionDenied(new NetError("dial", "tcp", "[::1]:1", denied)), true);
 * const refused = new NetError("dial", "tcp", "[::1]:1", new Error("Connection refused"));
 * assertEquals(isPermissionDenied(refused), false);
 * ```
 */
export function isPermissionDenied(err: unknown): boolean {
  return err instanceof Deno.errors.NotCapable ||
    (err instanceof NetError && err.cause instanceof Deno.errors.NotCapable);
}

/**
 * Turns a permission failure into a {@linkcode PermissionError} that names all the grants
 * the run needs (`--allow-net=localhost,127.0.0.1:3490`), not only the one that failed; a
 * `GrantError` (a Unix socket's file, the interface list) already names its flags and keeps
 * its words; any other error is returned as it is.
 *
 * @param err What was thrown.
 * @param grants Every `--allow-net` value the run needs, in order (duplicates are dropped).
 * @param note Words to add after the flag, such as what cannot be known in advance.
 * @returns The error to throw.
 * @example A dial refused for want of a grant
 * ```ts
 * import { needsGrants } from "./errors.ts";
 * import { NetError } from "../net/errors.ts";
 * import { deepStrictEqual as assertEquals } from "node:assert/strict";
 * const refused = new NetError("dial", "tcp", "127.0.0.1:3490", new Deno.errors.NotCapable("no"));
 * const err = needsGrants(refused, ["localhost", "127.0.0.1:3490", "localhost"]) as Error;
 * assertEquals(
 *   err.message,
 *   "dial tcp 127.0.0.1:3490: permission denied: run again with --allow-net=localhost,127.0.0.1:3490",
 * );
 * assertEquals([err.name, err.cause === refused], ["PermissionError", true]);
 * // Any other error is returned as it is.
 * const reset = new NetError("read", "tcp", "127.0.0.1:3490", new Error("Connection reset"));
 * assertEquals(needsGrants(reset, ["127.0.0.1:3490"]) === reset, true);
 * ```
 */
export function needsGrants(err: unknown, grants: string[], note = ""): unknown {
  if (!isPermissionDenied(err) || err instanceof PermissionError) return err;
  if (err instanceof GrantError) return new PermissionError(err.message, { cause: err });
  const what = err instanceof NetError ? err.message : "permission denied";
  const flag = grants.length ? `--allow-net=${[...new Set(grants)].join(",")}` : "--allow-net";
  return new PermissionError(
    `${what}: run again with ${flag}${note ? ` ${note}` : ""}`,
    { cause: err },
  );
}

/**
 * The exit code an error ends a tool with: 1 usage, name resolution or send/receive, 2 no
 * address could be used (dial, listen), 3 timeout, 4 permission, 70 anything unexpected.
 *
 * @param err What reached the tool's entry point.
 * @returns The exit code.
 * @example The codes of the errors a client can meet
 * ```ts
 * import { exitCodeOf } from "./errors.ts";
 * import { NetError, ResolveError } from "../net/errors.ts";
import { GrantError } from "../net/grant_error.ts";
 * import { deepStrictEqual as assertEquals } from "node:assert/strict";
 * assertEquals(exitCodeOf(new ResolveError("x.invalid", "Name or service not known")), 1);
 * assertEquals(exitCodeOf(new NetError("dial", "tcp", "[::1]:1", new Error("refused"))), 2);
 * assertEquals(exitCodeOf(new NetError("read", "tcp", "[::1]:1", undefined, { timeout: 5 })), 3);
 * assertEquals(exitCodeOf(new TypeError("bug")), 70);
 * ```
 */
export function exitCodeOf(err: unknown): ExitCodeValue {
  if (err instanceof ToolError) return err.exitCode;
  if (isPermissionDenied(err)) return ExitCode.Permission;
  if (err instanceof NetError) {
    if (err.timeout) return ExitCode.Timeout;
    if (err instanceof ResolveError) return ExitCode.NotResolved;
    return err.op === "dial" || err.op === "listen" ? ExitCode.NoAddress : ExitCode.Failed;
  }
  return ExitCode.Internal;
}

/**
 * The line a tool prints on stderr for an error, prefixed with its name (`client: ...`),
 * except the original's own unprefixed lines (`getaddrinfo: ...`, `usage: ...`).
 *
 * @param tool The tool's name.
 * @param usage The tool's one-line usage.
 * @param err What reached the tool's entry point.
 * @returns One line, without newline.
 * @example A name that does not resolve
 * ```ts
 * import { errorLine } from "./errors.ts";
 * import { ResolveError } from "../net/errors.ts";
 * import { deepStrictEqual as assertEquals } from "node:assert/strict";
 * assertEquals(
 *   errorLine("client", "usage: client hostname", new ResolveError("x.invalid", "Name or service not known")),
 *   'getaddrinfo: Name or service not known (host "x.invalid")',
 * );
 * ```
 */
export function errorLine(tool: string, usage: string, err: unknown): string {
  // A stack trace keeps its lines; anything else is one line, whatever a path or a peer
  // put in it (a newline there could forge a line of ours).
  return safeLine(rawErrorLine(tool, usage, err), exitCodeOf(err) === ExitCode.Internal);
}

function rawErrorLine(tool: string, usage: string, err: unknown): string {
  if (err instanceof UsageError && err.showUsage) return usage;
  if (err instanceof ResolveError && !isPermissionDenied(err)) {
    return `getaddrinfo: ${err.reason} (host ${quoteField(err.address)})`;
  }
  if (err instanceof Deno.errors.NotCapable) return `${tool}: permission denied: ${err.message}`;
  if (exitCodeOf(err) === ExitCode.Internal) {
    return `${tool}: internal error: ${err instanceof Error ? err.stack ?? err.message : err}`;
  }
  return `${tool}: ${(err as Error).message}`;
}

/**
 * A name a user or a peer gave, quoted for an error line: `"` and `\` escaped, and what
 * could drive a terminal shown as the rest of the line shows it (`\x1b`, `\u{202e}`).
 *
 * @param text The name.
 * @returns It, quoted.
 * @example
 * ```ts
 * import { quoteField } from "./errors.ts";
 * import { deepStrictEqual as assertEquals } from "node:assert/strict";
 * assertEquals(quoteField('a"\x1b[2J\u202e.invalid'), '"a\\"\\x1b[2J\\u{202e}.invalid"');
 * ```
 */
export function quoteField(text: string): string {
  return safeLine(quoteName(text), false);
}

/**
 * An error line that cannot drive the terminal, whatever a user or a peer put in it (an
 * option typed with an escape sequence in it): control, format and separator characters are
 * shown as `\xHH` or `\u{HHHH}`, a newline as `\n`; only a stack trace keeps its lines.
 */
function safeLine(line: string, keepNewlines: boolean): string {
  return line.replace(/[\p{Cc}\p{Cf}\p{Zl}\p{Zp}\p{Cs}]/gu, (c) => {
    if (c === "\n") return keepNewlines ? c : "\\n";
    if (c === "\r") return "\\r";
    if (c === "\t") return "\\t";
    const cp = c.codePointAt(0)!;
    return cp < 0x100 ? `\\x${cp.toString(16).padStart(2, "0")}` : `\\u{${cp.toString(16)}}`;
  });
}
