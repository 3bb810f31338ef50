/**
 * The errno name of a socket error, as a C program's `perror` stands on it:
 * `ECONNREFUSED`, `EADDRINUSE`, `ETIMEDOUT`.
 *
 * @module
 */
import { NetError, ResolveError } from "../net/errors.ts";

/** Linux errno numbers of the errors sockets meet. */
const BY_NUMBER: Record<number, string> = {
  1: "EPERM",
  4: "EINTR",
  9: "EBADF",
  11: "EAGAIN",
  13: "EACCES",
  22: "EINVAL",
  24: "EMFILE",
  32: "EPIPE",
  90: "EMSGSIZE",
  97: "EAFNOSUPPORT",
  98: "EADDRINUSE",
  99: "EADDRNOTAVAIL",
  100: "ENETDOWN",
  101: "ENETUNREACH",
  103: "ECONNABORTED",
  104: "ECONNRESET",
  107: "ENOTCONN",
  110: "ETIMEDOUT",
  111: "ECONNREFUSED",
  113: "EHOSTUNREACH",
};

/** Deno's error classes, for errors that carry no number. */
const BY_CLASS: Record<string, string> = {
  ConnectionRefused: "ECONNREFUSED",
  ConnectionReset: "ECONNRESET",
  ConnectionAborted: "ECONNABORTED",
  AddrInUse: "EADDRINUSE",
  AddrNotAvailable: "EADDRNOTAVAIL",
  TimedOut: "ETIMEDOUT",
  BrokenPipe: "EPIPE",
  NotConnected: "ENOTCONN",
  PermissionDenied: "EACCES",
  NetworkUnreachable: "ENETUNREACH",
  Interrupted: "EINTR",
  NotCapable: "ENOTCAPABLE",
};

/**
 * The errno name of `err` (a {@linkcode NetError}'s cause is looked at): from the OS error
 * number in the message, else from Deno's error class, else the resolver's code;
 * `ENOTCAPABLE` stands for a missing Deno permission, `EAI_NONAME`-style names for a
 * failed lookup.
 *
 * @param err What was thrown.
 * @returns The name, or `undefined` when none is known.
 * @example
 * ```ts
 * import { errnoName } from "./errno.ts";
 * import { deepStrictEqual as assertEquals } from "node:assert/strict";
 * assertEquals(errnoName(new Deno.errors.ConnectionRefused("Connection refused (os error 111)")), "ECONNREFUSED");
 * assertEquals(errnoName(new Deno.errors.AddrInUse("in use")), "EADDRINUSE");
 * assertEquals(errnoName(new Error("?")), undefined);
 * ```
 */
export function errnoName(err: unknown): string | undefined {
  if (err instanceof ResolveError) {
    const code = (err.cause as { code?: unknown } | undefined)?.code;
    return typeof code === "string" ? code : "EAI_NONAME";
  }
  if (err instanceof NetError && err.cause !== undefined) return errnoName(err.cause);
  if (err instanceof NetError && err.timeout) return "ETIMEDOUT";
  if (!(err instanceof Error)) return undefined;
  const number = /\(os error (\d+)\)$/.exec(err.message)?.[1];
  if (number !== undefined && BY_NUMBER[Number(number)] !== undefined) {
    return BY_NUMBER[Number(number)];
  }
  const code = (err as { code?: unknown }).code;
  if (typeof code === "string" && /^E[A-Z_]+$/.test(code)) return code;
  return BY_CLASS[err.name];
}
