/**
 * Steps: what the library does, as the BSD socket calls it stands for, told as structured
 * facts (the call, the family and socket type, the address, the bytes, the result or the
 * error), never as text: how a step is shown is the caller's business (`--explain` and
 * `--diagram` in `lib/cli` draw from the same steps), as Go's `net/http/httptrace` hooks
 * are.
 *
 * Each function that touches the network takes an optional `onStep` observer, the one
 * channel for everything it does (`getaddrinfo`, `socket`, `bind`, `listen`, `accept`,
 * `connect`, `handshake`, `send`, `recv`, `sendto`, `recvfrom`, `shutdown`, `close`), in
 * the order it happens. A call that can wait on a peer (a name lookup, a connect, a read to
 * the end) is told twice: with `phase: "start"` when it starts, so a call that hangs is
 * seen, and with `phase: "end"` and its outcome when it ends. Any other call is told once,
 * when it is done. With no observer nothing is built: hot paths call `onStep?.(...)`, which
 * does not evaluate its argument when there is none.
 *
 * @module
 */
import type { IPFamily } from "./address.ts";

/** The socket calls a step can stand for (`handshake` is TLS's, on a connected socket). */
export type StepCall =
  | "getaddrinfo"
  | "socket"
  | "bind"
  | "listen"
  | "accept"
  | "connect"
  | "handshake"
  | "send"
  | "recv"
  | "sendto"
  | "recvfrom"
  | "shutdown"
  | "setsockopt"
  | "link"
  | "unlink"
  | "close";

/**
 * Where Deno does a step differently from the C program, which difference:
 * - `listen-in-one`: `Deno.listen` makes the socket, binds and listens in one call
 *   (`Deno.listenDatagram`: makes the socket and binds);
 * - `dual-stack`: the wildcard `::` socket also takes IPv4 (as IPv4-mapped addresses);
 * - `task-per-client`: no `fork()`: each client is served by a task of the one process;
 * - `user-space-filter`: no kernel `connect()` for UDP: the socket stays unconnected and
 *   datagrams from other addresses are dropped in user space;
 * - `mapped`: an IPv4 destination is reached from an IPv6 socket as an IPv4-mapped address;
 * - `via-membership`: Deno sets a multicast send option (TTL, loop) only through a
 *   membership: the group is joined for a moment and left.
 */
export type StepNote =
  | "listen-in-one"
  | "dual-stack"
  | "task-per-client"
  | "user-space-filter"
  | "mapped"
  | "via-membership";

/** An address a step names: an IP address and port, or a Unix socket's path. */
export type StepAddress = { hostname: string; port: number } | { path: string };

/**
 * Why a step's call ended without its usual outcome:
 * - `refused`: the caller's admission (`serveStream`'s `admit`, an access list) refused the peer;
 * - `lost`, `deadline`, `cancelled`: a connect was abandoned because another address won,
 *   the dial's deadline passed, or the caller cancelled;
 * - `not-peer`: a datagram from an address other than the fixed peer, dropped;
 * - `next-send`: a wait for a datagram given up, with nothing wrong, because the caller has
 *   its next one to send (a ping's pace): it waits again after.
 *
 * `cancelled` also ends a wait for a datagram that the caller's signal stopped.
 */
export type StepReason =
  | "refused"
  | "lost"
  | "deadline"
  | "cancelled"
  | "not-peer"
  | "next-send";

/** One socket call the library made, as facts. Only the fields that apply are set. */
export interface Step {
  /** The call. */
  call: StepCall;
  /**
   * `start` when a call that can wait on a peer starts, `end` when it ends (then the
   * outcome fields are set); unset for a call told once, when it is done.
   */
  phase?: "start" | "end" | undefined;
  /** The address family: `socket`'s, or the one `getaddrinfo` asks for (`any`: AF_UNSPEC). */
  family?: IPFamily | "any" | "unix" | undefined;
  /** The socket type: `stream` (SOCK_STREAM) or `dgram` (SOCK_DGRAM). */
  type?: "stream" | "dgram" | undefined;
  /**
   * The address: bound (`bind`), connected or sent to (`connect`, `sendto`), or the peer
   * the data or connection came from (`accept`, `recvfrom`).
   */
  address?: StepAddress | undefined;
  /** `getaddrinfo`: the name looked up (`undefined`: NULL, the wildcard) and the port. */
  query?: { host: string | undefined; port: number; passive: boolean } | undefined;
  /** `getaddrinfo`: the addresses found, in order. */
  found?: string[] | undefined;
  /**
   * `setsockopt`: the level, the option and its value as C shows them
   * (`IPPROTO_IP`, `IP_ADD_MEMBERSHIP`, `239.1.2.3 on 127.0.0.1`).
   */
  option?: { level: string; name: string; value: string } | undefined;
  /** `listen`: the backlog. */
  backlog?: number | undefined;
  /** `send`, `recv`, `sendto`, `recvfrom`: how many bytes crossed. */
  bytes?: number | undefined;
  /**
   * The bytes that crossed, when the call has them at hand. Valid only during the
   * observer's call (the buffer is reused): an observer copies what it keeps.
   */
  data?: Uint8Array | undefined;
  /** A read to the end: how it ended (`eof`, `limit`, `timeout`, `reset`). */
  end?: string | undefined;
  /** Why the call ended without its usual outcome. */
  reason?: StepReason | undefined;
  /** Why it failed: the error (a {@linkcode NetError} or the runtime's error). */
  error?: unknown;
  /** How Deno does this step differently from the C program, if it does. */
  note?: StepNote | undefined;
}

/** An observer of steps. */
export type OnStep = (step: Step) => void;

/**
 * An address as a step records it: the host and port of a `Deno.Addr` (or the path of a
 * Unix one), with nothing else.
 *
 * @param addr A `Deno.NetAddr`, a `Deno.UnixAddr`, or a host and port.
 * @returns The step's address.
 * @example
 * ```ts
 * import { stepAddress } from "./steps.ts";
 * import { deepStrictEqual as assertEquals } from "node:assert/strict";
 * const addr = { transport: "tcp" as const, hostname: "::1", port: 3490 };
 * assertEquals(stepAddress(addr), { hostname: "::1", port: 3490 });
 * assertEquals(stepAddress({ transport: "unix", path: "/tmp/s" }), { path: "/tmp/s" });
 * ```
 */
export function stepAddress(
  addr: { hostname: string; port: number } | { path: string } | Deno.Addr,
): StepAddress {
  if ("path" in addr) return { path: addr.path };
  if ("hostname" in addr) return { hostname: addr.hostname, port: addr.port };
  return { hostname: `vsock:${addr.cid}`, port: addr.port };
}
