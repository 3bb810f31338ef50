/**
 * A connected datagram socket: the original's `connect()` on a `SOCK_DGRAM` socket, which
 * Deno does not offer. One fixed peer; datagrams from any other address or port are
 * dropped and counted, never returned.
 *
 * @module
 */
import { joinHostPort, sameAddress } from "./address.ts";
import { netError, TimeoutError } from "./errors.ts";

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
}

/** Options for {@linkcode ConnectedDatagram.receive}. */
export interface ReceiveOptions {
  /**
   * Give up after this many milliseconds with a {@linkcode TimeoutError}. A receive that
   * timed out stays pending and is taken over by the next call, so no datagram is lost.
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
 * @example Talk to an echo peer
 * ```ts
 * import { ConnectedDatagram } from "./connected_datagram.ts";
 * const echo = Deno.listenDatagram({ transport: "udp", hostname: "127.0.0.1", port: 0 });
 * using peer = new ConnectedDatagram(
 *   Deno.listenDatagram({ transport: "udp", hostname: "127.0.0.1", port: 0 }),
 *   echo.addr as Deno.NetAddr,
 * );
 * await peer.send(new TextEncoder().encode("hi"));
 * const [data, from] = await echo.receive();
 * await echo.send(data, from);
 * console.log(new TextDecoder().decode(await peer.receive({ timeout: 1000 }))); // hi
 * echo.close();
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

  /**
   * Creates the value from its parts.
   *
   * @param conn A bound datagram socket; this object owns it from now on.
   * @param peer The address to fix.
   */
  constructor(conn: Deno.DatagramConn, peer: DatagramPeer) {
    this.#conn = conn;
    this.peer = { transport: "udp", hostname: peer.hostname, port: peer.port };
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
      return await this.#conn.send(bytes, this.peer);
    } catch (cause) {
      throw netError("send", "udp", joinHostPort(this.peer.hostname, this.peer.port), cause);
    }
  }

  /**
   * Waits for the next datagram from the peer; others are dropped and counted.
   *
   * @param options A timeout.
   * @returns A copy of the datagram's bytes.
   * @throws {TimeoutError} When the peer sent nothing in time.
   */
  async receive(options: ReceiveOptions = {}): Promise<Uint8Array> {
    let timer: ReturnType<typeof setTimeout> | undefined;
    const expired = new Promise<undefined>((resolve) => {
      if (options.timeout !== undefined) {
        timer = setTimeout(() => resolve(undefined), options.timeout);
      }
    });
    try {
      while (true) {
        this.#pending ??= this.#conn.receive(this.#buf);
        const got = await Promise.race([this.#pending, expired]);
        if (got === undefined) {
          throw new TimeoutError(
            `no reply from ${joinHostPort(this.peer.hostname, this.peer.port)}`,
            options.timeout!,
          );
        }
        this.#pending = undefined;
        const [data, from] = got;
        if (from.transport === "udp" && sameAddress(from, this.peer)) return data.slice();
        this.#ignored++;
      }
    } catch (cause) {
      if (cause instanceof TimeoutError) throw cause;
      this.#pending = undefined;
      throw netError("receive", "udp", joinHostPort(this.peer.hostname, this.peer.port), cause);
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
 * @example Connect to a listener on ::1
 * ```ts
 * import { connectDatagram } from "./connected_datagram.ts";
 * using sock = connectDatagram({ hostname: "::1", port: 4950 });
 * console.log(sock.peer.port); // 4950
 * ```
 */
export function connectDatagram(
  peer: DatagramPeer,
  options: ConnectDatagramOptions = {},
): ConnectedDatagram {
  const hostname = options.localHostname ?? (peer.hostname.includes(":") ? "::" : "0.0.0.0");
  const port = options.localPort ?? 0;
  try {
    return new ConnectedDatagram(
      Deno.listenDatagram({ transport: "udp", hostname, port }),
      peer,
    );
  } catch (cause) {
    throw netError("listen", "udp", joinHostPort(hostname, port), cause);
  }
}
