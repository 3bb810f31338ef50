/**
 * Typed errors. Each carries the exit code a tool should end with, and a message that
 * names the operation and the address, in the style of Go's `net.OpError`:
 * `dial tcp [::1]:3490: Connection refused`.
 *
 * @module
 */
import { ExitCode, type ExitCodeValue } from "../cli/exit_codes.ts";

/**
 * Base class of every error socketkit throws on purpose.
 *
 * @example Tell a socketkit error from a bug
 * ```ts
 * import { SocketkitError, UsageError } from "./errors.ts";
 * const err: unknown = new UsageError("Missing host");
 * console.log(err instanceof SocketkitError); // true
 * ```
 */
export class SocketkitError extends Error {
  /** The exit code a tool ends with when this error reaches it. */
  readonly exitCode: ExitCodeValue;
  /**
   * Creates the value from its parts.
   *
   * @param message What went wrong, sentence case, no final period.
   * @param exitCode The tool's exit code for it.
   * @param options The underlying cause, if any.
   */
  constructor(message: string, exitCode: ExitCodeValue, options?: ErrorOptions) {
    super(message, options);
    this.name = new.target.name;
    this.exitCode = exitCode;
  }
}

/**
 * Bad arguments: an unknown flag, a bad port, a missing host. Exit code 1.
 *
 * @example Reject a bad value
 * ```ts
 * import { UsageError } from "./errors.ts";
 * const err = new UsageError('Invalid port "abc": expected a whole number from 0 to 65535');
 * console.log(err.exitCode); // 1
 * ```
 */
export class UsageError extends SocketkitError {
  /** Whether the tool should print its one-line usage after the message. */
  readonly showUsage: boolean;
  /**
   * Creates the value from its parts.
   *
   * @param message What is wrong with the arguments.
   * @param options `showUsage`: print the usage line too.
   * @default {showUsage: false}
   */
  constructor(message: string, options: { showUsage?: boolean } = {}) {
    super(message, ExitCode.Usage);
    this.showUsage = options.showUsage ?? false;
  }
}

/**
 * A name did not resolve (the system's getaddrinfo said no), or the family asked for does
 * not fit the address. Exit code 1, as the original.
 *
 * @example The message keeps the original's `getaddrinfo:` prefix
 * ```ts
 * import { ResolveError } from "./errors.ts";
 * const err = new ResolveError("nosuch.invalid", "Name or service not known");
 * console.log(err.message); // getaddrinfo: Name or service not known (host "nosuch.invalid")
 * ```
 */
export class ResolveError extends SocketkitError {
  /** The host that did not resolve. */
  readonly host: string;
  /**
   * Creates the value from its parts.
   *
   * @param host The name or address asked for.
   * @param reason The resolver's reason, as `gai_strerror` words it.
   * @param options The underlying cause, if any.
   */
  constructor(host: string, reason: string, options?: ErrorOptions) {
    super(`getaddrinfo: ${reason} (host ${JSON.stringify(host)})`, ExitCode.Usage, options);
    this.host = host;
  }
}

/** The operations a {@linkcode NetError} can name. */
export type NetOp = "dial" | "listen" | "accept" | "read" | "write" | "send" | "receive";

/**
 * A socket operation failed: `dial tcp [::1]:3490: Connection refused`. The exit code is 2
 * for dial and listen (no address could be used) and 1 for the rest, as the original.
 *
 * @example Wrap a refused connection
 * ```ts
 * import { NetError } from "./errors.ts";
 * const err = new NetError("dial", "tcp", "[::1]:3490", new Error("Connection refused"));
 * console.log(err.message); // dial tcp [::1]:3490: Connection refused
 * ```
 */
export class NetError extends SocketkitError {
  /** The operation: dial, listen, send, … */
  readonly op: NetOp;
  /** `tcp` or `udp`. */
  readonly net: "tcp" | "udp";
  /** The address as `host:port` (`[::1]:3490`). */
  readonly address: string;
  /**
   * Creates the value from its parts.
   *
   * @param op The operation that failed.
   * @param net The transport.
   * @param address The address it was done on, as `host:port`.
   * @param cause The runtime's error.
   */
  constructor(op: NetOp, net: "tcp" | "udp", address: string, cause: unknown) {
    super(
      `${op} ${net} ${address}: ${describeCause(cause)}`,
      op === "dial" || op === "listen" ? ExitCode.NoAddress : ExitCode.Usage,
      { cause },
    );
    this.op = op;
    this.net = net;
    this.address = address;
  }
}

/**
 * A peer did not answer within the time allowed. Exit code 3.
 *
 * @example Name what was waited for and how long
 * ```ts
 * import { TimeoutError } from "./errors.ts";
 * const err = new TimeoutError("no reply from [::1]:4950", 1000);
 * console.log(err.message); // no reply from [::1]:4950 within 1000 ms
 * ```
 */
export class TimeoutError extends SocketkitError {
  /** How long was waited, in milliseconds. */
  readonly ms: number;
  /**
   * Creates the value from its parts.
   *
   * @param what What did not happen in time.
   * @param ms How long was waited.
   */
  constructor(what: string, ms: number) {
    super(`${what} within ${ms} ms`, ExitCode.Timeout);
    this.ms = ms;
  }
}

/**
 * Deno refused an operation because a permission was not granted. Exit code 4. The
 * message names the exact flag to run again with.
 *
 * @example Say which flag is missing
 * ```ts
 * import { PermissionError } from "./errors.ts";
 * const err = new PermissionError("listen", "0.0.0.0:3490");
 * console.log(err.message); // listen 0.0.0.0:3490: permission denied: run again with --allow-net=0.0.0.0:3490
 * ```
 */
export class PermissionError extends SocketkitError {
  /**
   * Creates the value from its parts.
   *
   * @param op What was refused (`listen`, `dial`, `lookup`).
   * @param target The host, `host:port` or path the permission is needed for.
   * @param options The runtime's error.
   * @param permission Which Deno permission: `net` or `read`.
   */
  constructor(
    op: string,
    target: string,
    options?: ErrorOptions,
    permission: "net" | "read" = "net",
  ) {
    super(
      `${op} ${target}: permission denied: run again with --allow-${permission}=${target}`,
      ExitCode.Permission,
      options,
    );
  }
}

/**
 * Turns a runtime error into the words `perror()` would print: `Connection refused`,
 * without Deno's `(os error 111)` suffix.
 *
 * @param cause Any thrown value.
 * @returns A short reason.
 * @example Strip the OS error number
 * ```ts
 * import { describeCause } from "./errors.ts";
 * console.log(describeCause(new Error("Connection refused (os error 111)"))); // Connection refused
 * ```
 */
export function describeCause(cause: unknown): string {
  const text = cause instanceof Error ? cause.message : String(cause);
  return text.replace(/ \(os error \d+\)$/, "");
}

/**
 * Wraps a runtime error from a socket operation: a missing permission becomes a
 * {@linkcode PermissionError}, anything else a {@linkcode NetError}.
 *
 * @param op The operation.
 * @param net The transport.
 * @param address The address, as `host:port`.
 * @param cause The runtime's error.
 * @returns The typed error to throw.
 * @example Wrap what Deno.connect threw
 * ```ts
 * import { netError } from "./errors.ts";
 * const err = netError("dial", "tcp", "127.0.0.1:1", new Deno.errors.ConnectionRefused("Connection refused"));
 * console.log(err.exitCode); // 2
 * ```
 */
export function netError(
  op: NetOp,
  net: "tcp" | "udp",
  address: string,
  cause: unknown,
): SocketkitError {
  if (cause instanceof Deno.errors.NotCapable) return new PermissionError(op, address, { cause });
  return new NetError(op, net, address, cause);
}
