/**
 * The `--explain` view: each step the library takes, on stderr, as the BSD socket call it
 * stands for, in C syntax, with its result, the time since start and a short note on why.
 * A call that can wait on a peer is shown when it starts (`...`) and again when it ends.
 *
 *     client: +3.1ms connect([::1]:3490) ...  // the three-way handshake ...
 *     client: +3.4ms connect([::1]:3490) -> ECONNREFUSED (Connection refused)
 *
 * @module
 */
import { joinHostPort } from "../net/address.ts";
import { describeCause, NetError, ResolveError } from "../net/errors.ts";
import { escapeBytes, escapeText } from "../net/escape.ts";
import type { Step, StepAddress, StepCall, StepNote } from "../net/steps.ts";
import { errnoName } from "./errno.ts";

/** What a received datagram's reason adds to its result. */
const REASON: Record<string, string> = {
  "not-peer": ", not the peer: dropped",
  refused: ", refused (--allow/--deny)",
};

/** Why each call is made, as the guide tells it. */
const WHY: Record<StepCall, string> = {
  getaddrinfo: "turns a name and port into socket addresses, to try in order",
  socket: "makes an endpoint: an address family and a socket type",
  bind: "gives the socket its local address and port",
  listen: "marks a stream socket passive: the kernel queues incoming connections",
  accept: "takes the next queued connection: a new socket for this client",
  connect: "the three-way handshake to the server's address",
  handshake: "TLS: agrees on keys and checks the certificate, over the connected stream",
  send: "writes bytes to the connected stream; may write fewer than asked",
  recv: "reads what the peer sent; 0 bytes means it closed",
  sendto: "sends one datagram to an address: no connection",
  recvfrom: "takes one whole datagram and the address it came from",
  shutdown: "ends our side of the stream: the peer reads the end and can still answer",
  setsockopt: "sets a socket option: a multicast group joined or left, a TTL, the loop",
  link: "gives the socket's file its path; fails if a file is there (nothing is replaced)",
  unlink: "removes the socket's file: a Unix socket's path outlives its socket",
  close: "frees the socket (a stream's peer then reads the end)",
};

/** Why, where a Unix socket's call means something else. */
const WHY_UNIX: Partial<Record<StepCall, string>> = {
  bind: "gives the socket its path: a socket file appears there (an @name has no file)",
  connect: "reaches the socket bound to the path: no handshake, the kernel queues it",
};

/** Why, where a datagram socket's call means something else. */
const WHY_DATAGRAM: Partial<Record<StepCall, string>> = {
  connect: "no handshake on a datagram socket",
  close: "frees the socket (no peer is told: a datagram socket has no connection)",
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
  "via-membership":
    "Deno sets the multicast TTL and loop only through a membership: the group is joined " +
    "for a moment and left",
};

/** The notes that read otherwise on a datagram socket. */
const DENO_DATAGRAM: Partial<Record<StepNote, string>> = {
  "listen-in-one": "Deno.listenDatagram does socket() and bind() in one call",
  "dual-stack": "the wildcard [::] socket is dual-stack: IPv4 senders arrive as ::ffff:a.b.c.d",
};

/**
 * An address as the steps show it: `[::1]:3490`, `127.0.0.1:3490` (the host escaped, as
 * every text that is not ours), or a Unix path quoted and escaped (`"/tmp/s"`; `@name` for
 * a Linux abstract name).
 *
 * @param address The step's address.
 * @returns The text.
 * @example
 * ```ts
 * import { showAddress } from "./explain.ts";
 * import { deepStrictEqual as assertEquals } from "node:assert/strict";
 * assertEquals(showAddress({ hostname: "::", port: 3490 }), "[::]:3490");
 * assertEquals(showAddress({ path: "/tmp/s\n" }), '"/tmp/s\\n"');
 * assertEquals(showAddress({ path: null as unknown as string }), "unnamed");
 * assertEquals(showAddress({ hostname: "a\x1b[2J", port: 1 }), "a\\x1b[2J:1");
 * ```
 */
export function showAddress(address: StepAddress): string {
  if ("hostname" in address) return joinHostPort(escapeText(address.hostname), address.port);
  // A peer that bound no path (a Unix client) has none: `unnamed`, as the lines say.
  if (typeof address.path !== "string" || address.path === "") return "unnamed";
  const path = address.path.startsWith("\0") ? `@${address.path.slice(1)}` : address.path;
  return `"${escapeBytes(new TextEncoder().encode(path)).replaceAll('"', '\\"')}"`;
}

/**
 * The C constant of an address family: `AF_INET`, `AF_INET6`, `AF_UNIX` or `AF_UNSPEC`.
 *
 * @param family The step's family.
 * @returns The constant's name.
 * @example
 * ```ts
 * import { afName } from "./explain.ts";
 * import { deepStrictEqual as assertEquals } from "node:assert/strict";
 * assertEquals([afName(4), afName(6), afName("any")], ["AF_INET", "AF_INET6", "AF_UNSPEC"]);
 * ```
 */
export function afName(family: Step["family"]): string {
  return family === 4
    ? "AF_INET"
    : family === 6
    ? "AF_INET6"
    : family === "unix"
    ? "AF_UNIX"
    : "AF_UNSPEC";
}

function sockType(type: Step["type"]): string {
  return type === "dgram" ? "SOCK_DGRAM" : "SOCK_STREAM";
}

/**
 * A step's call with its arguments in C syntax: `socket(AF_INET, SOCK_STREAM)`,
 * `sendto(2 bytes, [::1]:4950)`, `getaddrinfo("localhost", "3490", AF_UNSPEC, SOCK_STREAM)`.
 *
 * @param step The step.
 * @returns The call as text.
 * @example
 * ```ts
 * import { callText } from "./explain.ts";
 * import { deepStrictEqual as assertEquals } from "node:assert/strict";
 * assertEquals(callText({ call: "socket", family: 6, type: "dgram" }), "socket(AF_INET6, SOCK_DGRAM)");
 * assertEquals(callText({ call: "send", bytes: 13 }), "send(13 bytes)");
 * ```
 */
export function callText(step: Step): string {
  return `${step.call}(${args(step)})`;
}

function args(step: Step): string {
  const at = step.address === undefined ? undefined : showAddress(step.address);
  switch (step.call) {
    case "getaddrinfo": {
      const q = step.query;
      if (q === undefined) return "";
      const host = q.host === undefined ? "NULL" : `"${escapeText(q.host).replaceAll('"', '\\"')}"`;
      return `${host}, "${q.port}", ${afName(step.family)}, ${sockType(step.type)}${
        q.passive ? ", AI_PASSIVE" : ""
      }`;
    }
    case "socket":
      return `${afName(step.family)}, ${sockType(step.type)}`;
    case "bind":
    case "connect":
    case "link":
    case "unlink":
      return at ?? "";
    case "setsockopt": {
      const o = step.option;
      return o === undefined ? "" : `${o.level}, ${o.name}, ${escapeText(o.value)}`;
    }
    case "listen":
      return step.backlog === undefined ? "" : `backlog ${step.backlog}`;
    case "send":
      return step.bytes === undefined ? "" : `${step.bytes} bytes`;
    case "sendto":
      return [step.bytes === undefined ? undefined : `${step.bytes} bytes`, at]
        .filter((a) => a !== undefined).join(", ");
    case "shutdown":
      return "SHUT_WR";
    default:
      return "";
  }
}

/**
 * What a step's call returned, as `-> …` shows it: `[127.0.0.1]`, `fd`, `13 bytes, then
 * eof`, `2 bytes from [::1]:4950`, `refused`, or the errno name and reason of its error.
 *
 * @param step The step.
 * @returns The result, or `undefined` when the call returns nothing worth showing.
 * @example
 * ```ts
 * import { resultText } from "./explain.ts";
 * import { deepStrictEqual as assertEquals } from "node:assert/strict";
 * const error = new Deno.errors.ConnectionRefused("Connection refused (os error 111)");
 * assertEquals(resultText({ call: "connect", error }), "ECONNREFUSED (Connection refused)");
 * assertEquals(resultText({ call: "recv", bytes: 13, end: "eof" }), "13 bytes, then eof");
 * ```
 */
export function resultText(step: Step): string | undefined {
  if (step.error !== undefined) return `${errnoName(step.error) ?? "error"} (${errorText(step)})`;
  if (step.reason === "next-send") return "abandoned: the next send is due";
  if (step.reason === "lost" || step.reason === "deadline" || step.reason === "cancelled") {
    return `abandoned: ${step.reason}`;
  }
  if (step.reason === "refused" && step.call !== "recvfrom") return "refused";
  const from = step.address === undefined ? "" : ` from ${showAddress(step.address)}`;
  switch (step.call) {
    case "getaddrinfo":
      return step.found === undefined ? undefined : `[${escapeText(step.found.join(", "))}]`;
    case "socket":
      return "fd";
    case "accept":
      return step.address === undefined ? undefined : showAddress(step.address);
    case "connect":
      return step.phase === "end" ? "connected" : undefined;
    case "handshake":
      return step.phase === "end" ? "done" : undefined;
    case "recv":
      if (step.bytes === undefined) return undefined;
      return `${step.bytes} bytes${step.end === undefined ? "" : `, then ${step.end}`}`;
    case "recvfrom":
      if (step.bytes === undefined) return undefined;
      return `${step.bytes} bytes${from}${REASON[step.reason ?? ""] ?? ""}`;
    default:
      return undefined;
  }
}

/**
 * What a failed step's error says, escaped: the runtime's message carries what it was given
 * (a name looked up, a peer's certificate field), and it is not ours to print raw.
 *
 * @param step A step with an `error`.
 * @returns The reason, with no control, format or bidi character in it.
 * @example A name with a terminal escape in it fails to resolve
 * ```ts
 * import { errorText } from "./explain.ts";
 * import { deepStrictEqual as assertEquals } from "node:assert/strict";
 * const error = new Error("getaddrinfo ENOTFOUND \x1b]2;x\x07\u202e");
 * assertEquals(errorText({ call: "getaddrinfo", error }), "getaddrinfo ENOTFOUND \\x1b]2;x\\x07\\u{202e}");
 * // The name the call's quoted field shows is not said again, unquoted, after it.
 * const query = { host: 'x", "80") -> [127.0.0.1]', port: 80, passive: false };
 * const spoof = new Error(`getaddrinfo ENOTFOUND ${query.host}`);
 * assertEquals(errorText({ call: "getaddrinfo", query, error: spoof }), "getaddrinfo ENOTFOUND");
 * ```
 */
export function errorText(step: Step): string {
  const error = step.error;
  // A failed lookup: the resolver's words alone (its name is the call's quoted field).
  if (error instanceof ResolveError) return escapeText(error.reason.split(": ")[0]!);
  const cause = error instanceof NetError && error.cause !== undefined ? error.cause : error;
  const text = describeCause(cause);
  const host = step.call === "getaddrinfo" ? step.query?.host : undefined;
  const said = host !== undefined && text.endsWith(` ${host}`);
  return escapeText(said ? text.slice(0, -host.length - 1) : text);
}

/**
 * Why a step's call is made, and how Deno does it differently, as the line's comment.
 *
 * @param step The step.
 * @returns The comment, without `//`.
 * @example
 * ```ts
 * import { whyText } from "./explain.ts";
 * import { deepStrictEqual as assertEquals } from "node:assert/strict";
 * assertEquals(whyText({ call: "close", type: "dgram" }).includes("stream"), false);
 * ```
 */
export function whyText(step: Step): string {
  const datagram = step.type === "dgram" || step.note === "user-space-filter";
  let why = (step.family === "unix" ? WHY_UNIX[step.call] : undefined) ??
    (datagram ? WHY_DATAGRAM[step.call] : undefined) ?? WHY[step.call];
  if (step.note !== undefined) {
    why += `; in Deno: ${(datagram ? DENO_DATAGRAM[step.note] : undefined) ?? DENO[step.note]}`;
  }
  return why;
}

/**
 * One step as a line (no prefix, no newline): the call, its result or errno name, the
 * time since start and the note. A call's start ends in `...`; its end has no note (its
 * start had it).
 *
 * @param step What the library did.
 * @param sinceStartMs Milliseconds since the process started.
 * @returns The line.
 * @example A refused connect, from its start to its end
 * ```ts
 * import { explainLine } from "./explain.ts";
 * import { deepStrictEqual as assertEquals } from "node:assert/strict";
 * const address = { hostname: "::1", port: 3490 };
 * const start = explainLine({ call: "connect", phase: "start", address }, 1);
 * assertEquals(start.startsWith("+1.0ms connect([::1]:3490) ...  // the three-way"), true);
 * const error = new Deno.errors.ConnectionRefused("Connection refused (os error 111)");
 * const end = explainLine({ call: "connect", phase: "end", address, error }, 4.25);
 * assertEquals(end, "+4.3ms connect([::1]:3490) -> ECONNREFUSED (Connection refused)");
 * ```
 */
export function explainLine(step: Step, sinceStartMs: number): string {
  let line = `+${sinceStartMs.toFixed(1)}ms ${callText(step)}`;
  if (step.phase === "start") return `${line} ...  // ${whyText(step)}`;
  const result = resultText(step);
  if (result !== undefined) line += ` -> ${result}`;
  if (step.phase === "end") return line;
  return `${line}  // ${whyText(step)}`;
}
