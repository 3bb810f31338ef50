/**
 * Serving datagrams: one loop that receives into one reused buffer, drops what the access
 * rules or the family refuse, hands each datagram to a handler with a way to reply, and
 * puts the echo guard before every reply. The listener's modes are handlers on it.
 *
 * @module
 */
import { AccessList } from "./access_list.ts";
import { fromV4Mapped, type IPFamily, ipFamily, joinHostPort } from "./address.ts";
import { EchoGuard, type EchoGuardOptions, type EchoRefusal } from "./echo_guard.ts";
import { NetError, type Network } from "./errors.ts";
import { type OnStep, stepAddress } from "./steps.ts";
import { integerOption, signalOption } from "./_validate.ts";
import { UNIX_DATAGRAM_BUFFER } from "./_datagram_limit.ts";

/** One datagram, as a {@linkcode DatagramHandler} gets it. */
export interface Datagram {
  /**
   * The payload: a view of the loop's one receive buffer, valid until the handler returns
   * (or its promise settles). Copy it (`bytes.slice()`) to keep it.
   */
  readonly bytes: Uint8Array;
  /** The sender: a `Deno.NetAddr` (UDP) or a `Deno.UnixAddr` (a Unix datagram socket). */
  readonly from: Deno.Addr;
  /**
   * The datagram filled the whole receive buffer (65,536 bytes for UDP, 262,145 for a Unix
   * socket), so the kernel may have cut it: `bytes` is its start.
   */
  readonly truncated: boolean;
  /**
   * Sends `bytes` back to the sender, through the guard (unless `guard: false`).
   *
   * @param bytes The reply.
   * @returns `"sent"`, or why the guard refused it (an {@linkcode EchoRefusal}).
   * @throws {NetError} Op `write`, when the send failed (counted in `notReplied.failed`
   * unless the server was stopping; a `Deno.errors.NotCapable` cause when Deno may not
   * send there, or, for a Unix sender's path, may not look at it first).
   */
  reply(bytes: Uint8Array): Promise<"sent" | EchoRefusal>;
}

/**
 * Called with each datagram the rules admit, one at a time: the next datagram is
 * received once the handler is done. A handler that throws is counted in
 * `handlerErrors` and told to `onError`; the loop goes on.
 */
export type DatagramHandler = (datagram: Datagram) => void | Promise<void>;

/** Options for {@linkcode serveDatagram}. */
export interface ServeDatagramOptions {
  /** Called with each admitted datagram. */
  handler: DatagramHandler;
  /**
   * Stops serving: the socket is closed, and `done` resolves with the counts.
   * @default {undefined} (until `count`, or `close()`)
   */
  signal?: AbortSignal | undefined;
  /**
   * Stop after this many datagrams were handled.
   * @default {Infinity}
   */
  count?: number | undefined;
  /**
   * The guard before every reply: never to our own port (or path), never to port 0 or a
   * port below 1024, at most `burst` at once and `rate` a second to one sender address.
   * `false` turns it off (only for a peer you trust).
   * @default {{ rate: 100, burst: 100, maxSenders: 4096 }}
   */
  guard?: EchoGuardOptions | false | undefined;
  /**
   * Which senders are heard (ncat's `--allow`/`--deny` rules); the others are dropped
   * before the handler, counted in `refused` and told to `onRefused`.
   * @default {undefined} (everyone)
   */
  access?:
    | AccessList
    | { allow?: readonly string[] | undefined; deny?: readonly string[] | undefined }
    | undefined;
  /**
   * Only senders of this IP version are heard; the others (an IPv4-mapped sender on a
   * dual-stack `::` socket, with 6) are dropped and counted in `ignored`.
   * @default {undefined} (both)
   */
  family?: IPFamily | undefined;
  /**
   * Told of each refused sender (`denied` by the access rules).
   * @default {undefined}
   */
  onRefused?: ((from: Deno.Addr) => void) | undefined;
  /**
   * Told of each error a handler threw; if it throws, serving stops and `done` rejects.
   * @default {undefined} (counted only)
   */
  onError?: ((error: unknown, from: Deno.Addr) => void) | undefined;
  /**
   * Told of each socket call: `recvfrom` per datagram, `sendto` per reply, `close`.
   * @default {undefined}
   */
  onStep?: OnStep | undefined;
}

/** Replies not sent, by reason (see {@linkcode EchoGuard}). */
export interface NotReplied {
  /** To our own port (or path): replying would loop. */
  loop: number;
  /** To port 0 or a port below 1024. */
  lowPort: number;
  /** Over the sender's rate limit. */
  rate: number;
  /** From `0.0.0.0`, `::` or `::ffff:0.0.0.0` (forged: the echo would reach our loopback). */
  unspecified: number;
  /** From a multicast group or a broadcast address (forged). */
  group: number;
  /** From a Unix sender bound to no path: nowhere to answer. */
  unnamed: number;
  /** From a relative Unix path, or not a socket reached without a link, or hard-linked. */
  unsafePath: number;
  /** The send failed. */
  failed: number;
}

/** What a {@linkcode serveDatagram} loop counted. */
export interface DatagramStats {
  /** Datagrams received off the socket, whatever became of them. */
  received: number;
  /** Datagrams handed to the handler. */
  datagrams: number;
  /** Their payload bytes, in all. */
  bytes: number;
  /** Replies sent. */
  replied: number;
  /** Replies not sent, by reason. */
  notReplied: NotReplied;
  /** Datagrams from senders the access rules refuse. */
  refused: number;
  /**
   * Datagrams from the other IP version (`family`), or from a sender whose address Deno
   * cannot read (a Unix path that is not UTF-8).
   */
  ignored: number;
  /** Handlers that threw. */
  handlerErrors: number;
}

/** A running {@linkcode serveDatagram} loop: its socket, its counts, and its end. */
export interface DatagramServer extends AsyncDisposable, Disposable {
  /** The socket's own address. */
  readonly addr: Deno.Addr;
  /** The counts so far (the same object, updated live). */
  readonly stats: Readonly<DatagramStats>;
  /** Resolves with the counts when serving stops; rejects when the socket fails. */
  readonly done: Promise<DatagramStats>;
  /** Stops serving and closes the socket (idempotent). */
  close(): void;
}

/** UDP's largest payload is 65,507 bytes (65,527 over IPv6): 65,536 holds any whole. */
const BUFFER = 65536;

/**
 * Serves a datagram socket: receives each datagram whole into one reused buffer (65,536
 * bytes for UDP, 262,145 for a Unix socket; a datagram that fills it is marked
 * `truncated`), drops those the access rules (`access`) or the family (`family`) refuse, and
 * hands the rest to `handler`, one at a time, with a `reply()` guarded against loops,
 * low ports and floods. Every outcome is counted. The socket is the server's from now on:
 * it is closed when serving stops (the signal, `count`, `close()`, or disposal).
 *
 * Needs `--unstable-net` (Deno's datagram API) to have made the socket, and `--allow-net`
 * to reply. Works on a UDP socket and on a Unix datagram one (`unixpacket`). A reply to a
 * Unix sender's absolute path goes only where, just before the send, `lstat` finds a socket
 * file with one name and the path resolves to itself (no symbolic or hard link; refused as
 * `unsafePath` otherwise, and so is a relative path: it is the sender's, not ours): this needs `--allow-read` and `--allow-write` on the sender's path. A sender
 * that swaps its path for a link between the check and the send wins that race (one that
 * stops reading, for sure: Deno retries a stalled send by name): echo over a path only to
 * trusted local users, never as root. An unnamed sender is never answered (`unnamed`).
 *
 * @param socket A bound datagram socket.
 * @param options The handler, the rules, and when to stop.
 * @returns The running server; `await server.done` for the counts.
 * @throws {TypeError} When `socket` is not a datagram socket, `handler` not a function or
 * `signal` not an AbortSignal.
 * @throws {RangeError} For a `count` that is not a whole number of 1 or more.
 * @throws {AccessSpecError} For an access rule that is not an address or CIDR block.
 * @example Answer each datagram with its length; a reply to a low port is refused
 * ```ts
 * import { serveDatagram } from "@socketkit/socketkit";
 * import { deepStrictEqual as assertEquals } from "node:assert/strict";
 *
 * const loopback = { transport: "udp", hostname: "127.0.0.1", port: 0 } as const;
 * await using server = serveDatagram(Deno.listenDatagram(loopback), {
 *   handler: async ({ bytes, reply }) => void await reply(new TextEncoder().encode(`${bytes.length}`)),
 * });
 * const client = Deno.listenDatagram(loopback);
 * try {
 *   await client.send(new TextEncoder().encode("hello"), server.addr);
 *   const [answer] = await client.receive();
 *   assertEquals(new TextDecoder().decode(answer), "5");
 *   assertEquals([server.stats.datagrams, server.stats.replied], [1, 1]);
 * } finally {
 *   client.close();
 * }
 * ```
 */
export function serveDatagram(
  socket: Deno.DatagramConn,
  options: ServeDatagramOptions,
): DatagramServer {
  if (typeof socket?.receive !== "function" || typeof socket.send !== "function") {
    throw new TypeError(`Invalid socket "${String(socket)}": expected a Deno.DatagramConn`);
  }
  if (typeof options?.handler !== "function") {
    throw new TypeError(`Invalid handler "${String(options?.handler)}": expected a function`);
  }
  const signal = signalOption(options.signal);
  const count = options.count === undefined || options.count === Infinity
    ? Infinity
    : integerOption("count", options.count, 1, Number.MAX_SAFE_INTEGER);
  const access = options.access === undefined || options.access instanceof AccessList
    ? options.access
    : new AccessList(options.access);
  const addr = socket.addr;
  const guard = options.guard === false
    ? undefined
    : new EchoGuard(addr.transport === "udp" ? addr.port : { path: pathOf(addr) }, options.guard);
  const stats: DatagramStats = {
    received: 0,
    datagrams: 0,
    bytes: 0,
    replied: 0,
    notReplied: {
      loop: 0,
      lowPort: 0,
      rate: 0,
      unspecified: 0,
      group: 0,
      unnamed: 0,
      unsafePath: 0,
      failed: 0,
    },
    refused: 0,
    ignored: 0,
    handlerErrors: 0,
  };
  let closed = false;
  const close = () => {
    if (closed) return;
    closed = true;
    try {
      socket.close();
    } catch { /* closed already */ }
    options.onStep?.({ call: "close", type: "dgram" });
  };
  const onAbort = () => close();
  signal?.addEventListener("abort", onAbort, { once: true });
  if (signal?.aborted) close();
  const onStep = options.onStep;

  const reply = async (bytes: Uint8Array, to: Deno.Addr): Promise<"sent" | EchoRefusal> => {
    let refusal = guard?.check(to.transport === "udp" ? to : { path: pathOf(to) });
    try {
      if (refusal === undefined && to.transport !== "udp") {
        // Deno's own sendto refuses an empty path with a raw error: never attempted.
        if (pathOf(to) === "") refusal = "unnamed";
        else if (!await safeUnixPath(pathOf(to))) refusal = "unsafePath";
      }
      if (refusal !== undefined) {
        stats.notReplied[refusal]++;
        return refusal;
      }
      await socket.send(bytes, to);
    } catch (cause) {
      if (!closed) stats.notReplied.failed++; // not when stopping closed the socket under it
      onStep?.({ call: "sendto", address: stepAddress(to), error: cause });
      const [network, where] = describe(to);
      throw new NetError("write", network, where, cause);
    }
    stats.replied++;
    onStep?.({ call: "sendto", bytes: bytes.length, data: bytes, address: stepAddress(to) });
    return "sent";
  };

  const loop = async () => {
    const buf = new Uint8Array(addr.transport === "udp" ? BUFFER : UNIX_DATAGRAM_BUFFER);
    try {
      while (!closed && stats.datagrams < count) {
        let bytes: Uint8Array, from: Deno.Addr;
        try {
          [bytes, from] = await socket.receive(buf);
        } catch (cause) {
          if (closed) break;
          // A sender whose address Deno cannot read (a Unix path that is not UTF-8): the
          // datagram is consumed and cannot be answered; count it, keep serving.
          if (cause instanceof Deno.errors.InvalidData) {
            stats.received++;
            stats.ignored++;
            continue;
          }
          const [network, where] = describe(addr);
          throw new NetError("read", network, where, cause);
        }
        stats.received++;
        const host = from.transport === "udp" ? from.hostname : undefined;
        const denied = access !== undefined && !access.admits(host ?? "");
        onStep?.({
          call: "recvfrom",
          bytes: bytes.length,
          data: bytes,
          address: stepAddress(from),
          reason: denied ? "refused" : undefined,
        });
        if (
          options.family !== undefined && host !== undefined && familyOf(host) !== options.family
        ) {
          stats.ignored++;
          continue;
        }
        if (denied) {
          stats.refused++;
          options.onRefused?.(from);
          continue;
        }
        stats.datagrams++;
        stats.bytes += bytes.length;
        const sender = from;
        try {
          const truncated = bytes.length === buf.length;
          await options.handler({ bytes, from, truncated, reply: (b) => reply(b, sender) });
        } catch (error) {
          stats.handlerErrors++;
          options.onError?.(error, from);
        }
      }
      return stats;
    } finally {
      signal?.removeEventListener("abort", onAbort);
      close();
    }
  };
  const done = loop();
  return {
    addr,
    stats,
    done,
    close,
    [Symbol.dispose]: close,
    [Symbol.asyncDispose]: async () => {
      close();
      await done.catch(() => {});
    },
  };
}

/** The IP version of a sender as it is, an IPv4-mapped one counting as IPv4. */
function familyOf(hostname: string): IPFamily | undefined {
  return fromV4Mapped(hostname) !== undefined ? 4 : ipFamily(hostname.replace(/%.*$/, ""));
}

function pathOf(addr: Deno.Addr): string {
  return "path" in addr && typeof addr.path === "string" ? addr.path : "";
}

/**
 * Whether a Unix sender's path may be answered now: an abstract name always; an absolute
 * path only when `lstat` finds a socket file there and it resolves to itself, no symbolic
 * link on the way; a relative path never (it is relative to the sender's directory) (a sender could otherwise point its path at another socket, one it may not
 * write to, and have us send there).
 */
async function safeUnixPath(path: string): Promise<boolean> {
  if (path.startsWith("\0")) return true;
  if (!path.startsWith("/")) return false; // relative to the sender's directory, not ours
  const info = await Deno.lstat(path).catch(notFound);
  // A hard link (two names) may be the sender's name for someone else's socket.
  if (info === undefined || info.isSymlink || !info.isSocket || (info.nlink ?? 1) > 1) return false;
  const real = await Deno.realPath(path).catch(notFound);
  if (real === undefined) return false;
  return real === normalize(path);
}

/** Undefined for a path that is gone; other errors (a missing grant) are thrown on. */
function notFound(err: unknown): undefined {
  if (err instanceof Deno.errors.NotFound || err instanceof Deno.errors.NotADirectory) {
    return undefined;
  }
  throw err;
}

/** `/a//b/./c` as `/a/b/c`; a `..` makes it unlike any real path (refused). */
function normalize(path: string): string {
  const parts = path.split("/").filter((p) => p !== "" && p !== ".");
  return parts.includes("..") ? "" : `/${parts.join("/")}`;
}

function describe(addr: Deno.Addr): [Network, string] {
  if (addr.transport === "udp" || addr.transport === "tcp") {
    return ["udp", joinHostPort(addr.hostname, addr.port)];
  }
  return ["unixgram", pathOf(addr) || "@"];
}
