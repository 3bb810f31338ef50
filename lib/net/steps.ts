/**
 * Steps: what the library does, told as the BSD socket calls it stands for. Each
 * function that touches the network takes an optional `onStep` observer and calls it
 * once per call it makes (`getaddrinfo`, `socket`, `bind`, `listen`, `accept`,
 * `connect`, `send`, `recv`, `sendto`, `recvfrom`, `close`), in the order they happen,
 * with the result or the error. With no observer nothing is built: hot paths call
 * `onStep?.(...)`, which does not evaluate its argument when there is none.
 *
 * @module
 */
import type { IPFamily } from "./address.ts";
import { joinHostPort } from "./address.ts";

/** The socket calls a step can stand for. */
export type StepCall =
  | "getaddrinfo"
  | "socket"
  | "bind"
  | "listen"
  | "accept"
  | "connect"
  | "send"
  | "recv"
  | "sendto"
  | "recvfrom"
  | "shutdown"
  | "setsockopt"
  | "unlink"
  | "close";

/**
 * Where Deno does a step differently from the C program, which difference:
 * - `listen-in-one`: `Deno.listen` makes the socket, binds and listens in one call;
 * - `dual-stack`: the wildcard `::` socket also takes IPv4 (as IPv4-mapped addresses);
 * - `task-per-client`: no `fork()`: each client is served by a task of the one process;
 * - `user-space-filter`: no kernel `connect()` for UDP: the socket stays unconnected and
 *   datagrams from other addresses are dropped in user space;
 * - `mapped`: an IPv4 destination is reached from an IPv6 socket as an IPv4-mapped address.
 */
export type StepNote =
  | "listen-in-one"
  | "dual-stack"
  | "task-per-client"
  | "user-space-filter"
  | "mapped";

/** One socket call the library made. */
export interface Step {
  /** The call. */
  call: StepCall;
  /** Its arguments as a C programmer writes them: `"localhost", "3490", AF_UNSPEC, SOCK_STREAM`. */
  args: string;
  /** What it returned, when that says something: `[127.0.0.1]`, `fd`, `13 bytes`. */
  result?: string | undefined;
  /** Why it failed: the error (its errno name is shown). */
  error?: unknown;
  /** How Deno does this step differently from the C program, if it does. */
  note?: StepNote | undefined;
}

/** An observer of steps. */
export type OnStep = (step: Step) => void;

/**
 * The C constant for an address family: `AF_INET`, `AF_INET6`, or `AF_UNSPEC`.
 *
 * @param family 4, 6 or anything else (unspecified).
 * @returns The constant's name.
 * @example
 * ```ts
 * import { afName } from "./steps.ts";
 * import { deepStrictEqual as assertEquals } from "node:assert/strict";
 * assertEquals([afName(4), afName(6), afName("any")], ["AF_INET", "AF_INET6", "AF_UNSPEC"]);
 * ```
 */
export function afName(family: IPFamily | string | number | undefined): string {
  return family === 4 ? "AF_INET" : family === 6 ? "AF_INET6" : "AF_UNSPEC";
}

/**
 * The C constant for a transport's socket type.
 *
 * @param transport `tcp` or `udp`.
 * @returns `SOCK_STREAM` or `SOCK_DGRAM`.
 * @example
 * ```ts
 * import { sockType } from "./steps.ts";
 * import { deepStrictEqual as assertEquals } from "node:assert/strict";
 * assertEquals(sockType("udp"), "SOCK_DGRAM");
 * ```
 */
export function sockType(transport: "tcp" | "udp"): string {
  return transport === "tcp" ? "SOCK_STREAM" : "SOCK_DGRAM";
}

/**
 * An address as a step shows it: `[::1]:3490`, `127.0.0.1:3490`.
 *
 * @param addr A host and port.
 * @returns The joined form.
 * @example
 * ```ts
 * import { stepAddress } from "./steps.ts";
 * import { deepStrictEqual as assertEquals } from "node:assert/strict";
 * assertEquals(stepAddress({ hostname: "::", port: 3490 }), "[::]:3490");
 * ```
 */
export function stepAddress(addr: { hostname: string; port: number }): string {
  return joinHostPort(addr.hostname, addr.port);
}
