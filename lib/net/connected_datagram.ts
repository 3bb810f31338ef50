/**
 * A connected datagram socket: the original's `connect()` on a `SOCK_DGRAM` socket, which
 * Deno does not offer. One fixed peer; datagrams from any other address or port are
 * dropped and counted, never returned.
 *
 * @module
 */
import { listenDatagram } from "./_listen_datagram.ts";
import { type OnStep, stepAddress } from "./steps.ts";
import { ipFamily, joinHostPort, sameAddress } from "./address.ts";
import { sameUnixAddr, showUnixPath } from "./unix_address.ts";
import { NetError, opError } from "./errors.ts";
import { portOption, signalOption, timeoutOption } from "./_validate.ts";
import { startTimer } from "./_timer.ts";
import { UnixDatagramTurns } from "./_unix_turns.ts";
import { UNIX_DATAGRAM_BUFFER } from "./_datagram_limit.ts";

/** Where a {@linkcode ConnectedDatagram} sends and what it accepts. */
export interface DatagramPeer {
  /** The peer's IP literal. */
  hostname: string;
  /** The peer's port. */
  port: number;
}

/** Options for {@linkcode connectDatagram}. */
export interface ConnectDatagramOptions {
  /**
   * The local address to bind.
   * @default {"::" for an IPv6 peer, "0.0.0.0" for an IPv4 one}
   */
  localHostname?: string | undefined;
  /**
   * The local port to bind.
   * @default {0}
   */
  localPort?: number | undefined;
  /**
   * Told of each socket call, as the C program would make it: `socket`, `bind`,
   * `connect` (done in user space), then `sendto`, `recvfrom` and `close`.
   * @default {undefined} (no steps)
   */
  onStep?: OnStep | undefined;
}

/** Options for {@linkcode ConnectedDatagram.receive}. */
export interface ReceiveOptions {
  /**
   * Give up after this many milliseconds with a {@linkcode NetError} whose `timeout` is
   * true. A receive that timed out stays pending and is taken over by the next call, so no
   * datagram is lost.
   * 0 means no deadline, as in Go.
   * @default {undefined} (wait for ever)
   */
  timeout?: number | undefined;
  /**
   * Stop waiting when this is aborted: the receive rejects with the signal's reason, and
   * stays pending for the next call, as after a timeout.
   * @default {undefined}
   */
  signal?: AbortSignal | undefined;
  /**
   * The wait ends at `timeout` only because the caller has its next datagram to send (a
   * ping's pace), not because the peer is late: the receive still rejects with the timeout's
   * {@linkcode NetError}, but its `recvfrom` step ends with reason `next-send`, no error.
   * @default {false}
   */
  pace?: boolean | undefined;
}

/**
 * A datagram socket fixed to one peer: `send()` needs no address, and `receive()` returns
 * only what that peer sent. Everything from elsewhere is counted in `ignored`.
 *
 * Deno reports no ICMP "port unreachable" for datagram sockets, so a peer that is not
 * there shows up only as a receive timeout.
 *
 * Needs `--unstable-net` (Deno's datagram API) and `--allow-net`. Its methods throw a
 * {@linkcode NetError} for every network failure.
 *
 * @example Only the peer's answer is returned; a stranger's datagram is counted
 * ```ts
 * import { ConnectedDatagram } from "@socketkit/socketkit";
 * import { deepStrictEqual as assertEquals } from "node:assert/strict";
 *
 * const loopback = { transport: "udp", hostname: "127.0.0.1", port: 0 } as const;
 * const echo = Deno.listenDatagram(loopback);
 * const stranger = Deno.listenDatagram(loopback);
 * try {
 *   using sock = new ConnectedDatagram(Deno.listenDatagram(loopback), echo.addr as Deno.NetAddr);
 *   await sock.send(new TextEncoder().encode("hi"));
 *   const [data, from] = await echo.receive();
 *   await stranger.send(new TextEncoder().encode("spoof"), sock.localAddr); // arrives first
 *   await echo.send(data, from);
 *   assertEquals(new TextDecoder().decode(await sock.receive({ timeout: 1000 })), "hi");
 *   assertEquals(sock.ignored, 1);
 * } finally {
 *   echo.close();
 *   stranger.close();
 * }
 * ```
 */
export class ConnectedDatagram implements Disposable {
  /** The one address this socket talks to: an IP address and port, or a Unix path. */
  readonly peer: Deno.NetAddr | Deno.UnixAddr;
  #network: "udp" | "unixgram";
  #where: string;
  /** The socket; a Unix one takes turns, so that a send can go while a receive waits. */
  #conn: Pick<Deno.DatagramConn, "send" | "receive" | "close" | "addr">;
  #buf: Uint8Array;
  /** The Unix peer's canonical path (symbolic links, `.` and a relative start resolved). */
  #realPeer: string | undefined;
  #pending: Promise<[Uint8Array, Deno.Addr]> | undefined;
  #turn: Promise<void> = Promise.resolve();
  #ignored = 0;
  #closed = false;
  #onStep: OnStep | undefined;

  /**
   * Fixes a bound socket to one peer. Needs `--unstable-net` (datagram sockets) and
   * `--allow-net` to send there.
   *
   * @param conn A bound datagram socket; this object owns it from now on.
   * @param peer The address to fix: an IP literal (resolve a name first) and a port, or a
   * Unix datagram socket's `{ path }` (on a `unixpacket` socket; the peer can answer only a
   * socket bound to a path of its own).
   * @param onStep Told of each socket call, as {@linkcode ConnectDatagramOptions.onStep}.
   * @throws {TypeError} When the peer's hostname is not an IP literal.
   * @throws {RangeError} When its port is not from 1 to 65535.
   */
  constructor(conn: Deno.DatagramConn, peer: DatagramPeer | { path: string }, onStep?: OnStep) {
    if ("path" in peer) {
      this.peer = { transport: "unixpacket", path: peer.path };
      this.#network = "unixgram";
      this.#where = showUnixPath(peer.path);
      this.#realPeer = realPath(peer.path);
    } else {
      checkPeer(peer);
      this.peer = { transport: "udp", hostname: peer.hostname, port: peer.port };
      this.#network = "udp";
      this.#where = joinHostPort(peer.hostname, peer.port);
    }
    this.#conn = "path" in peer ? new UnixDatagramTurns(conn) : conn;
    // A Unix datagram may be larger than UDP's largest (up to the send buffer, 208 KiB).
    this.#buf = new Uint8Array("path" in peer ? UNIX_DATAGRAM_BUFFER : 65536);
    this.#onStep = onStep;
    onStep?.({
      call: "connect",
      type: "dgram",
      address: stepAddress(peer),
      note: "user-space-filter",
    });
  }

  /** How many datagrams from other addresses were dropped. */
  get ignored(): number {
    return this.#ignored;
  }

  /** The local address the socket is bound to (a `Deno.UnixAddr` for a Unix peer). */
  get localAddr(): Deno.NetAddr {
    return this.#conn.addr as Deno.NetAddr;
  }

  /**
   * Sends one datagram to the peer.
   *
   * @param bytes The payload (empty is a legal 0-byte datagram).
   * @returns The number of bytes sent.
   * @throws {NetError} Op `write`, when the socket refuses to send.
   * @throws {TypeError} When `bytes` is not a `Uint8Array`.
   */
  async send(bytes: Uint8Array): Promise<number> {
    if (!(bytes instanceof Uint8Array)) {
      throw new TypeError(`Invalid bytes "${String(bytes)}": expected a Uint8Array`);
    }
    try {
      const sent = await this.#conn.send(bytes, this.peer);
      this.#onStep?.({ call: "sendto", bytes: sent, data: bytes, address: stepAddress(this.peer) });
      return sent;
    } catch (cause) {
      this.#onStep?.({ call: "sendto", address: stepAddress(this.peer), error: cause });
      throw new NetError("write", this.#network, this.#where, cause);
    }
  }

  /**
   * Waits for the next datagram from the peer; others are dropped and counted. Receives
   * may overlap: each datagram goes to exactly one of them, in the order they were called.
   *
   * @param options A deadline (0: none) and a signal.
   * @returns A copy of the datagram's bytes.
   * @throws {NetError} Op `read`: with `timeout` true when the peer sent nothing in time.
   * @throws {RangeError} For a negative or NaN `timeout`.
   * @throws {unknown} The signal's reason, when it aborted first.
   */
  async receive(options: ReceiveOptions = {}): Promise<Uint8Array> {
    const timeout = timeoutOption("timeout", options.timeout);
    const signal = signalOption(options.signal);
    signal?.throwIfAborted();
    let cancelTimer: (() => void) | undefined;
    let onAbort = () => {};
    const stop = new Promise<{ stop: unknown }>((resolve) => {
      if (timeout !== undefined) {
        const error = new NetError("read", this.#network, this.#where, undefined, { timeout });
        cancelTimer = startTimer(timeout, () => resolve({ stop: error }));
      }
      onAbort = () => resolve({ stop: signal!.reason });
      signal?.addEventListener("abort", onAbort, { once: true });
    });
    // Overlapping receives wait in turn, so that one datagram is never given to two.
    const turn = this.#turn;
    let release = () => {};
    this.#turn = new Promise<void>((resolve) => release = resolve);
    const peer = stepAddress(this.peer);
    this.#onStep?.({ call: "recvfrom", phase: "start", type: "dgram", address: peer });
    try {
      const first = await Promise.race([turn.then(() => undefined), stop]);
      if (first !== undefined) throw first.stop;
      while (true) {
        this.#pending ??= this.#conn.receive(this.#buf);
        const got = await Promise.race([
          this.#pending.catch((err) => {
            // A sender whose address Deno cannot read (a Unix path that is not UTF-8): the
            // datagram is consumed, it is not our peer's; ignore it as any stranger's.
            if (err instanceof Deno.errors.InvalidData) return "unreadable" as const;
            throw err;
          }),
          stop,
        ]);
        if (got !== "unreadable" && "stop" in got) throw got.stop; // the receive stays
        this.#pending = undefined;
        if (got === "unreadable") {
          this.#ignored++;
          continue;
        }
        const [data, from] = got;
        const ours = "path" in this.peer
          ? this.#isUnixPeer(from)
          : from.transport === "udp" && sameAddress(from, this.peer);
        this.#onStep?.({
          call: "recvfrom",
          phase: ours ? "end" : undefined, // a datagram from elsewhere: still waiting
          bytes: data.length,
          data,
          address: stepAddress(from),
          reason: ours ? undefined : "not-peer",
          note: ours ? undefined : "user-space-filter",
        });
        if (ours) return data.slice();
        this.#ignored++;
      }
    } catch (cause) {
      const cancelled = signal?.aborted === true && cause === signal.reason;
      const paced = options.pace === true && cause instanceof NetError && cause.timeout;
      // A wait the caller stopped (its signal, its pace) is no failure of the call.
      const reason = cancelled ? "cancelled" : paced ? "next-send" : undefined;
      this.#onStep?.({
        call: "recvfrom",
        phase: "end",
        type: "dgram",
        address: peer,
        ...(reason === undefined ? { error: cause } : { reason }),
      });
      if (cause instanceof NetError || cancelled) throw cause;
      this.#pending = undefined;
      throw new NetError("read", this.#network, this.#where, cause);
    } finally {
      cancelTimer?.();
      signal?.removeEventListener("abort", onAbort);
      void turn.then(release); // never before the receives called earlier are done
    }
  }

  /**
   * Whether a Unix sender is the peer, by the name it bound, compared as text: the same
   * abstract name, or an absolute path that is the peer's path as given or its canonical
   * form (the peer given as `l.sock`, `/dir/./l.sock` or a link to it answers from the
   * path it bound). Nothing the sender names is looked up: a relative path (relative to
   * the sender's directory, unknown to us) or a link it made to the peer's file would
   * otherwise pass for the peer.
   */
  #isUnixPeer(from: Deno.Addr): boolean {
    if (!("path" in from) || !from.path) return false;
    if (from.path.startsWith("\0")) return sameUnixAddr(from, this.peer);
    if (!from.path.startsWith("/")) return false;
    return sameUnixAddr(from, this.peer) || from.path === this.#realPeer;
  }

  /** Closes the socket; a pending receive is rejected. */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#pending?.catch(() => {});
    this.#conn.close();
    this.#onStep?.({ call: "close", type: "dgram" });
  }

  /** Same as {@linkcode ConnectedDatagram.close}. */
  [Symbol.dispose](): void {
    this.close();
  }
}

/**
 * Opens a datagram socket fixed to `peer`, bound to the wildcard address of the peer's
 * family (or `options.localHostname`).
 *
 * @param peer The peer's IP literal and port.
 * Needs `--unstable-net` (Deno's datagram API) and `--allow-net`.
 *
 * @param peer The peer's IP literal and port (resolve a name first with `resolve`).
 * @param options The local address and port.
 * @returns The connected socket; close it when done.
 * @throws {NetError} Op `listen`, when the local address cannot be bound.
 * @throws {TypeError} When the peer is not an IP literal, or Deno's unstable net API is off
 * (the message names `--unstable-net`).
 * @throws {RangeError} When the peer's or the local port is out of range.
 * @example A peer that never answers shows up as a receive timeout
 * ```ts
 * import { connectDatagram, NetError } from "@socketkit/socketkit";
 * import { deepStrictEqual as assertEquals } from "node:assert/strict";
 *
 * const silent = Deno.listenDatagram({ transport: "udp", hostname: "127.0.0.1", port: 0 });
 * const port = (silent.addr as Deno.NetAddr).port;
 * try {
 *   using sock = connectDatagram({ hostname: "127.0.0.1", port }, { localHostname: "127.0.0.1" });
 *   assertEquals(sock.peer, { transport: "udp", hostname: "127.0.0.1", port });
 *   assertEquals(await sock.send(new TextEncoder().encode("anyone?")), 7);
 *   const err = await sock.receive({ timeout: 50 }).catch((e) => e);
 *   assertEquals(err instanceof NetError && err.timeout, true);
 *   assertEquals(err.message, `read udp 127.0.0.1:${port}: timed out after 50ms`);
 * } finally {
 *   silent.close();
 * }
 * ```
 */
export function connectDatagram(
  peer: DatagramPeer,
  options: ConnectDatagramOptions = {},
): ConnectedDatagram {
  checkPeer(peer);
  const hostname = options.localHostname ?? (peer.hostname.includes(":") ? "::" : "0.0.0.0");
  const port = portOption(options.localPort ?? 0, "localPort");
  const onStep = options.onStep;
  const family = hostname.includes(":") ? 6 : 4;
  onStep?.({ call: "socket", family, type: "dgram" });
  try {
    const conn = listenDatagram(hostname, port);
    onStep?.({ call: "bind", type: "dgram", address: stepAddress(conn.addr) });
    return new ConnectedDatagram(conn, peer, onStep);
  } catch (cause) {
    onStep?.({ call: "bind", type: "dgram", address: { hostname, port }, error: cause });
    throw opError("listen", "udp", hostname, port, cause);
  }
}

/**
 * Refuses a peer that is not an IP literal and a port: a name would never match the
 * address its replies come from, so every reply would be dropped.
 */
function checkPeer(peer: DatagramPeer): void {
  const hostname = peer?.hostname;
  if (typeof hostname !== "string" || ipFamily(hostname.replace(/%.*$/, "")) === undefined) {
    throw new TypeError(
      `Invalid peer hostname ${
        JSON.stringify(hostname)
      }: expected an IP literal (resolve a name first, with resolve())`,
    );
  }
  if (portOption(peer.port, "peer port") === 0) {
    throw new RangeError('Invalid peer port "0": expected a whole number from 1 to 65535');
  }
}

/** A path's canonical form, or undefined (an abstract name, a path gone or not readable). */
function realPath(path: string): string | undefined {
  if (path.startsWith("\0")) return undefined;
  try {
    return Deno.realPathSync(path);
  } catch {
    return undefined;
  }
}
