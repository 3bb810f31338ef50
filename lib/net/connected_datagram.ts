/**
 * A connected datagram socket: the original's `connect()` on a `SOCK_DGRAM` socket, which
 * Deno does not offer. One fixed peer; datagrams from any other address or port are
 * dropped and counted, never returned.
 *
 * @module
 */
import { listenDatagram } from "./_listen_datagram.ts";
import { type OnStep, stepAddress } from "./steps.ts";
import { joinHostPort, sameAddress } from "./address.ts";
import { NetError, opError } from "./errors.ts";

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
   * @default {undefined} (wait for ever)
   */
  timeout?: number | undefined;
}

/**
 * A datagram socket fixed to one peer: `send()` needs no address, and `receive()` returns
 * only what that peer sent. Everything from elsewhere is counted in `ignored`.
 *
 * Deno reports no ICMP "port unreachable" for datagram sockets, so a peer that is not
 * there shows up only as a receive timeout.
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
  /** The one address this socket talks to. */
  readonly peer: Deno.NetAddr;
  #conn: Deno.DatagramConn;
  #buf = new Uint8Array(65536);
  #pending: Promise<[Uint8Array, Deno.Addr]> | undefined;
  #ignored = 0;
  #closed = false;
  #onStep: OnStep | undefined;

  /**
   * Creates the value from its parts.
   *
   * @param conn A bound datagram socket; this object owns it from now on.
   * @param peer The address to fix.
   */
  constructor(conn: Deno.DatagramConn, peer: DatagramPeer, onStep?: OnStep) {
    this.#conn = conn;
    this.peer = { transport: "udp", hostname: peer.hostname, port: peer.port };
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

  /** The local address the socket is bound to. */
  get localAddr(): Deno.NetAddr {
    return this.#conn.addr as Deno.NetAddr;
  }

  /**
   * Sends one datagram to the peer.
   *
   * @param bytes The payload (empty is a legal 0-byte datagram).
   * @returns The number of bytes sent.
   * @throws {NetError} When the socket refuses to send.
   */
  async send(bytes: Uint8Array): Promise<number> {
    try {
      const sent = await this.#conn.send(bytes, this.peer);
      this.#onStep?.({ call: "sendto", bytes: sent, data: bytes, address: stepAddress(this.peer) });
      return sent;
    } catch (cause) {
      this.#onStep?.({ call: "sendto", address: stepAddress(this.peer), error: cause });
      throw opError("write", "udp", this.peer.hostname, this.peer.port, cause);
    }
  }

  /**
   * Waits for the next datagram from the peer; others are dropped and counted.
   *
   * @param options A timeout.
   * @returns A copy of the datagram's bytes.
   * @throws {NetError} Op `read`: with `timeout` true when the peer sent nothing in time.
   */
  async receive(options: ReceiveOptions = {}): Promise<Uint8Array> {
    let timer: ReturnType<typeof setTimeout> | undefined;
    const expired = new Promise<undefined>((resolve) => {
      if (options.timeout !== undefined) {
        timer = setTimeout(() => resolve(undefined), options.timeout);
      }
    });
    const peer = stepAddress(this.peer);
    this.#onStep?.({ call: "recvfrom", phase: "start", type: "dgram", address: peer });
    try {
      while (true) {
        this.#pending ??= this.#conn.receive(this.#buf);
        const got = await Promise.race([this.#pending, expired]);
        if (got === undefined) {
          const where = joinHostPort(this.peer.hostname, this.peer.port);
          throw new NetError("read", "udp", where, undefined, { timeout: options.timeout! });
        }
        this.#pending = undefined;
        const [data, from] = got;
        const ours = from.transport === "udp" && sameAddress(from, this.peer);
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
      this.#onStep?.({
        call: "recvfrom",
        phase: "end",
        type: "dgram",
        address: peer,
        error: cause,
      });
      if (cause instanceof NetError) throw cause;
      this.#pending = undefined;
      throw opError("read", "udp", this.peer.hostname, this.peer.port, cause);
    } finally {
      clearTimeout(timer);
    }
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
 * @param options The local address and port.
 * @returns The connected socket; close it when done.
 * @throws {NetError} When the local address cannot be bound.
 * @example A peer that never answers shows up as a receive timeout
 * ```ts
 * import { connectDatagram, NetError } from "@socketkit/socketkit";
 * import { deepStrictEqual as assertEquals } from "node:assert/strict";
 *
 * const silent = Deno.listenDatagram({ transport: "udp", hostname: "127.0.0.1", port: 0 });
 * const port = (silent.addr as Deno.NetAddr).port;
 * try {
 *   using sock = connectDatagram({ hostname: "127.0.0.1", port }, { localHostname: "127.0.0.1" });
 *   assertEquals([sock.peer.hostname, sock.peer.port], ["127.0.0.1", port]);
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
  const hostname = options.localHostname ?? (peer.hostname.includes(":") ? "::" : "0.0.0.0");
  const port = options.localPort ?? 0;
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
