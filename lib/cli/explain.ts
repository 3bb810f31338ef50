/**
 * The `--explain` view: each step the library takes, on stderr, as the BSD socket call it
 * stands for, with its result, the time since start and a short note on why.
 *
 *     client: +3.1ms connect([::1]:3490) -> ECONNREFUSED  // ...
 *
 * @module
 */
import { describeCause } from "../net/errors.ts";
import type { Step, StepCall, StepNote } from "../net/steps.ts";
import { errnoName } from "./errno.ts";

/** Why each call is made, as the guide tells it. */
const WHY: Record<StepCall, string> = {
  getaddrinfo: "turns a name and port into socket addresses, to try in order",
  socket: "makes an endpoint: an address family and a socket type",
  bind: "gives the socket its local address and port",
  listen: "marks a stream socket passive: the kernel queues incoming connections",
  accept: "takes the next queued connection: a new socket for this client",
  connect: "the three-way handshake to the server's address",
  send: "writes bytes to the connected stream; may write fewer than asked",
  recv: "reads what the peer sent; 0 bytes means it closed",
  sendto: "sends one datagram to an address: no connection",
  recvfrom: "takes one whole datagram and the address it came from",
  shutdown: "ends our side of the stream: the peer reads the end and can still answer",
  close: "frees the socket (a stream's peer then reads the end)",
};

/** Why, where a datagram socket's call means something else. */
const WHY_DATAGRAM: Partial<Record<StepCall, string>> = {
  connect: "no handshake on a datagram socket",
};

/** Where Deno does it differently from the C program. */
const DENO: Record<StepNote, string> = {
  "listen-in-one": "Deno.listen does socket(), bind() and listen() in one call",
  "dual-stack": "the wildcard [::] socket is dual-stack: IPv4 clients arrive as ::ffff:a.b.c.d",
  "task-per-client":
    "the C server fork()s a child per client; Deno serves each client in a task of one process",
  "user-space-filter":
    "connect() on a datagram socket fixes the peer: send/recv instead of sendto/recvfrom; " +
    "Deno has no kernel connect() for UDP, so datagrams from other addresses are filtered " +
    "in user space",
  mapped: "an IPv4 address is reached from the IPv6 socket as ::ffff:a.b.c.d",
};

/**
 * One step as a line (no prefix, no newline): the call, its result or errno name, the
 * time since start and the note.
 *
 * @param step What the library did.
 * @param sinceStartMs Milliseconds since the process started.
 * @returns The line.
 * @example A refused connect
 * ```ts
 * import { explainLine } from "./explain.ts";
 * import { deepStrictEqual as assertEquals } from "node:assert/strict";
 * const error = new Deno.errors.ConnectionRefused("Connection refused (os error 111)");
 * const line = explainLine({ call: "connect", args: "[::1]:3490", error }, 4.25);
 * assertEquals(line.startsWith("+4.3ms connect([::1]:3490) -> ECONNREFUSED (Connection refused)"), true);
 * ```
 */
export function explainLine(step: Step, sinceStartMs: number): string {
  let line = `+${sinceStartMs.toFixed(1)}ms ${step.call}(${step.args})`;
  if (step.error !== undefined) {
    const name = errnoName(step.error);
    const why = describeCause(step.error);
    line += ` -> ${name ?? "error"} (${why})`;
  } else if (step.result !== undefined) {
    line += ` -> ${step.result}`;
  }
  const datagram = step.note === "user-space-filter" ? WHY_DATAGRAM[step.call] : undefined;
  line += `  // ${datagram ?? WHY[step.call]}`;
  if (step.note !== undefined) line += `; in Deno: ${DENO[step.note]}`;
  return line;
}
