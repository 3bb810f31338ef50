/**
 * One error type for every socket failure, in the manner of Go's `net.OpError`: the
 * operation, the network, the address and the cause, so that every message reads
 * `dial tcp [::1]:3490: connection refused`. A timeout is a {@linkcode NetError} too, whose
 * message says how long was waited.
 *
 * @module
 */
import { joinHostPort } from "./address.ts";

/** The operations a {@linkcode NetError} can name: one word for one operation everywhere. */
export type NetOp = "lookup" | "dial" | "listen" | "accept" | "read" | "write";

/**
 * The network of a {@linkcode NetError}: `tcp`, `udp`, `unix` (a Unix stream socket),
 * `unixgram` (a Unix datagram socket), or `ip` for a name lookup.
 */
export type Network = "tcp" | "udp" | "unix" | "unixgram" | "ip";

/** Options for {@linkcode NetError}. */
export interface NetErrorOptions {
  /**
   * The operation ran out of time after this many milliseconds: the error is a timeout, and
   * its message says how long was waited.
   * @default {undefined} (not a timeout)
   */
  timeout?: number | undefined;
}

/**
 * A socket operation failed. `op`, `network` and `address` say what was being done and
 * where; `cause` is the runtime's error (a `Deno.errors.NotCapable` when a permission was
 * missing); `timeout` says whether time ran out: check it, never the message.
 *
 * @example A refused connection reads as Go prints it
 * ```ts
 * import { NetError } from "@socketkit/socketkit";
 * import { deepStrictEqual as assertEquals } from "node:assert/strict";
 *
 * const cause = new Deno.errors.ConnectionRefused("Connection refused (os error 111)");
 * const err = new NetError("dial", "tcp", "[::1]:3490", cause);
 * assertEquals(err.message, "dial tcp [::1]:3490: connection refused");
 * assertEquals([err.op, err.network, err.address], ["dial", "tcp", "[::1]:3490"]);
 * assertEquals([err.timeout, err.cause], [false, cause]);
 * ```
 * @example A timeout is a NetError that says how long was waited
 * ```ts
 * import { NetError } from "@socketkit/socketkit";
 * import { deepStrictEqual as assertEquals } from "node:assert/strict";
 *
 * const err = new NetError("read", "udp", "[::1]:4950", undefined, { timeout: 2000 });
 * assertEquals(err.message, "read udp [::1]:4950: timed out after 2s");
 * assertEquals(err.timeout, true);
 * ```
 */
export class NetError extends Error {
  /** What was being done. */
  readonly op: NetOp;
  /** Over which network. */
  readonly network: Network;
  /** Where: `host:port` (`[::1]:3490`), a Unix path (`@name` if abstract), or the name looked up. */
  readonly address: string;
  /** Whether the operation ran out of time (a `timeout` given, or a `Deno.errors.TimedOut` cause). */
  readonly timeout: boolean;

  /**
   * Creates the error.
   *
   * @param op The operation that failed.
   * @param network The network.
   * @param address The address it was done on, as `host:port`, or the name looked up.
   * @param cause The runtime's error, if any.
   * @param options `timeout`: how long was waited, for a timeout.
   */
  constructor(
    op: NetOp,
    network: Network,
    address: string,
    cause: unknown,
    options: NetErrorOptions = {},
  ) {
    // A NetError wrapping another (a caller naming the address the inner one could not)
    // says the inner one's reason once, not its op and address again.
    const inner = cause instanceof NetError && !cause.timeout ? cause.cause : cause;
    const reason = options.timeout !== undefined
      ? `timed out after ${formatDuration(options.timeout)}`
      : cause instanceof NetError && cause.timeout
      ? cause.message.slice(cause.message.lastIndexOf(": ") + 2)
      : lowerFirst(describeCause(inner));
    const where = network === "ip" ? address : `${network} ${address}`;
    super(`${op} ${where}: ${reason}`, cause === undefined ? undefined : { cause });
    this.name = "NetError";
    this.op = op;
    this.network = network;
    this.address = address;
    this.timeout = options.timeout !== undefined || cause instanceof Deno.errors.TimedOut ||
      (cause instanceof NetError && cause.timeout);
  }
}

/**
 * A name did not resolve: the system's `getaddrinfo` said no, or the address asked for is
 * not of the family asked for. A {@linkcode NetError} with op `lookup`; `reason` holds the
 * resolver's words, as `gai_strerror` has them.
 *
 * @example An address of the wrong family (no lookup is made)
 * ```ts
 * import { NetError, resolve, ResolveError } from "@socketkit/socketkit";
 * import { deepStrictEqual as assertEquals } from "node:assert/strict";
 *
 * const err = await resolve("127.0.0.1", 3490, { family: 6 }).catch((e) => e);
 * assertEquals(err instanceof ResolveError && err instanceof NetError, true);
 * assertEquals([err.op, err.address], ["lookup", "127.0.0.1"]);
 * assertEquals(err.reason, "Address family for hostname not supported: an IPv4 address with -6");
 * assertEquals(err.message, `lookup 127.0.0.1: ${err.reason}`);
 * ```
 */
export class ResolveError extends NetError {
  /** The resolver's reason: `Name or service not known`, … */
  readonly reason: string;

  /**
   * Creates the error.
   *
   * @param host The name or address asked for.
   * @param reason The resolver's reason.
   * @param cause The underlying error, if any.
   */
  constructor(host: string, reason: string, cause?: unknown) {
    super("lookup", "ip", host, cause);
    this.name = "ResolveError";
    this.reason = reason;
    this.message = `lookup ${host === "" ? '""' : host}: ${reason}`;
  }
}

/**
 * The words `perror()` would print for a runtime error: `Connection refused`, without
 * Deno's ` (os error 111)` suffix; a missing permission is `permission denied`.
 *
 * @param cause Any thrown value.
 * @returns A short reason.
 * @example Deno's suffix is dropped
 * ```ts
 * import { describeCause } from "./errors.ts";
 * import { deepStrictEqual as assertEquals } from "node:assert/strict";
 *
 * const refused = new Deno.errors.ConnectionRefused("Connection refused (os error 111)");
 * assertEquals(describeCause(refused), "Connection refused");
 * const denied = new Deno.errors.NotCapable("Requires net access");
 * assertEquals(describeCause(denied), "permission denied");
 * ```
 */
export function describeCause(cause: unknown): string {
  if (cause instanceof Deno.errors.NotCapable) return "permission denied";
  const text = cause instanceof Error ? cause.message : String(cause);
  return text.replace(/ \(os error \d+\)$/, "");
}

/**
 * A duration as people write it: `2s`, `1.5s`, `250ms`, `2m`, `24h`, `0`. The one duration
 * formatter: the library's messages and the tools' (a flag's range) use it.
 *
 * @param ms Milliseconds.
 * @returns The duration in the largest unit that keeps it short.
 * @example Short forms
 * ```ts
 * import { formatDuration } from "./errors.ts";
 * import { deepStrictEqual as assertEquals } from "node:assert/strict";
 *
 * assertEquals([250, 2000, 1500, 120_000].map(formatDuration), ["250ms", "2s", "1.5s", "2m"]);
 * assertEquals([0, 1, 86_400_000].map(formatDuration), ["0", "1ms", "24h"]);
 * ```
 */
export function formatDuration(ms: number): string {
  if (ms === 0) return "0";
  for (const [unit, size] of UNITS) {
    if (ms >= size && ms % size === 0) return `${ms / size}${unit}`;
  }
  if (ms < 1000) return `${Math.round(ms)}ms`;
  return `${Number((ms / 1000).toFixed(3))}s`;
}

const UNITS: [string, number][] = [["h", 3_600_000], ["m", 60_000], ["s", 1000]];

/**
 * Wraps a runtime error from a socket operation in a {@linkcode NetError}.
 *
 * @param op The operation.
 * @param network The network.
 * @param host The address's host.
 * @param port Its port.
 * @param cause The runtime's error.
 * @returns The error to throw.
 * @example A failed bind
 * ```ts
 * import { opError } from "./errors.ts";
 * import { deepStrictEqual as assertEquals } from "node:assert/strict";
 *
 * const cause = new Deno.errors.AddrInUse("Address already in use (os error 98)");
 * const err = opError("listen", "tcp", "::1", 3490, cause);
 * assertEquals(err.message, "listen tcp [::1]:3490: address already in use");
 * assertEquals(err.cause, cause);
 * ```
 */
export function opError(
  op: NetOp,
  network: Network,
  host: string,
  port: number,
  cause: unknown,
): NetError {
  return new NetError(op, network, joinHostPort(host, port), cause);
}

/** `Connection refused` → `connection refused`, as Go words it; `IPv6 …` stays. */
function lowerFirst(text: string): string {
  return /^[A-Z][a-z]/.test(text) ? text[0]!.toLowerCase() + text.slice(1) : text;
}
