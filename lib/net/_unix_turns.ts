/**
 * One Unix datagram socket shared by a receive that waits and the sends that must go out
 * meanwhile (a ping's next request).
 *
 * Deno 2.9 lets one operation at a time use a `unixpacket` socket: a send while a receive
 * waits fails with "Socket already in use". So a send first wakes the waiting receive: a
 * second, unbound socket sends our own path 16 random bytes (a wake token), the receive
 * returns (that token, or a datagram that came first), and no receive starts again until
 * the send is done. Tokens are swallowed here: callers never see them, and a stranger
 * cannot forge one it has not read from our socket.
 *
 * @module
 */
import { startTimer } from "./_timer.ts";
import { sendUnix } from "./_unix_send.ts";
import { showUnixPath } from "./unix_address.ts";

/** How long a send waits for the pending receive to give the socket up. */
const WAKE_TIMEOUT_MS = 2000;
/** Tokens kept for recognition: a wake whose token was not needed may still deliver it. */
const MAX_TOKENS = 64;
/** A wake token's length, in bytes. */
const TOKEN_BYTES = 16;

const noop = () => {};

/**
 * A `unixpacket` socket whose receives and sends take turns, so that a send never meets
 * Deno's "Socket already in use" while a receive waits.
 *
 * @example A send while a receive waits, and the reply that receive then gets
 * ```ts
 * import { UnixDatagramTurns } from "./_unix_turns.ts";
 * import { deepStrictEqual as assertEquals } from "node:assert/strict";
 *
 * const dir = await Deno.makeTempDir();
 * const echo = Deno.listenDatagram({ transport: "unixpacket", path: `${dir}/echo` });
 * const sock = new UnixDatagramTurns(
 *   Deno.listenDatagram({ transport: "unixpacket", path: `${dir}/me` }),
 * );
 * try {
 *   const reply = sock.receive(new Uint8Array(100)); // waits on the socket
 *   await sock.send(new TextEncoder().encode("hi"), echo.addr); // still sends
 *   const [data, from] = await echo.receive();
 *   await echo.send(data, from);
 *   const [got] = await reply;
 *   assertEquals(new TextDecoder().decode(got), "hi");
 * } finally {
 *   sock.close();
 *   echo.close();
 *   await Deno.remove(dir, { recursive: true });
 * }
 * ```
 */
export class UnixDatagramTurns {
  #conn: Deno.DatagramConn;
  /** Settles when the receive now inside the runtime does; undefined when none is. */
  #inFlight: Promise<void> | undefined;
  /** Sends started and not yet done; no receive starts while there are any. */
  #sends = 0;
  /** Resolves when the last send is done (the sends go one after another). */
  #chain: Promise<void> = Promise.resolve();
  #tokens: string[] = [];

  /**
   * Takes over a `unixpacket` socket.
   *
   * @param conn The socket; this object owns it from now on.
   */
  constructor(conn: Deno.DatagramConn) {
    this.#conn = conn;
  }

  /** The socket's own address. */
  get addr(): Deno.Addr {
    return this.#conn.addr;
  }

  /**
   * The next datagram that is not a wake token, as `Deno.DatagramConn.receive`.
   *
   * @param buf Where the bytes go.
   * @returns The bytes (a view of `buf`) and the sender.
   */
  async receive(buf: Uint8Array): Promise<[Uint8Array<ArrayBuffer>, Deno.Addr]> {
    while (true) {
      while (this.#sends > 0) await this.#chain;
      const op = this.#conn.receive(buf);
      this.#inFlight = op.then(noop, noop);
      let got: [Uint8Array<ArrayBuffer>, Deno.Addr];
      try {
        got = await op;
      } finally {
        this.#inFlight = undefined;
      }
      if (!this.#isToken(got)) return got;
    }
  }

  /**
   * Sends one datagram, after waking a receive that waits on the socket.
   *
   * @param bytes The payload.
   * @param to The destination.
   * @returns The number of bytes sent.
   * @throws {Error} When the waiting receive did not give the socket up in time (our own
   * path gone, say), or the send fails.
   */
  async send(bytes: Uint8Array, to: Deno.Addr): Promise<number> {
    this.#sends++;
    const before = this.#chain;
    let done = noop;
    this.#chain = new Promise<void>((resolve) => done = resolve);
    try {
      await before;
      if (this.#inFlight) await this.#wake(this.#inFlight);
      return await sendUnix(this.#conn, bytes, to); // never hangs on a peer that does not read
    } finally {
      this.#sends--;
      done();
    }
  }

  /** Closes the socket; a waiting receive is rejected. */
  close(): void {
    this.#conn.close();
  }

  /** Sends a token to our own path and waits until the receive in the runtime returns. */
  async #wake(settled: Promise<void>): Promise<void> {
    const token = crypto.getRandomValues(new Uint8Array(TOKEN_BYTES));
    this.#tokens.push(hex(token));
    if (this.#tokens.length > MAX_TOKENS) this.#tokens.shift();
    // Unbound: its datagrams come from no path, so no peer of ours can be confused with it.
    const waker = Deno.listenDatagram({ transport: "unixpacket" });
    let cancel = noop;
    try {
      const late = new Promise<"late">((resolve) => {
        cancel = startTimer(WAKE_TIMEOUT_MS, () => resolve("late"));
      });
      // A send that cannot go (our queue full of a flood) is left to the close below: the
      // flood itself ends the wait then.
      const own = this.#conn.addr;
      const sent = waker.send(token, own).then(noop, (cause) => {
        // Our own path is gone or refused (removed under us): say so, not the peer's path.
        const where = showUnixPath("path" in own ? own.path : null);
        throw new Error(`our own socket ${where}: ${(cause as Error)?.message}`, { cause });
      });
      const first = await Promise.race([settled, sent.then(() => settled), late]);
      if (first === "late") {
        throw new Error(
          `the waiting receive did not give the socket up within ${WAKE_TIMEOUT_MS}ms`,
        );
      }
      sent.catch(noop);
    } finally {
      cancel();
      waker.close();
    }
  }

  /** Whether a datagram is one of our wake tokens (swallowed: it is forgotten once seen). */
  #isToken([data, from]: [Uint8Array, Deno.Addr]): boolean {
    if (data.length !== TOKEN_BYTES || !("path" in from) || from.path) return false;
    const k = this.#tokens.indexOf(hex(data));
    if (k < 0) return false;
    this.#tokens.splice(k, 1);
    return true;
  }
}

function hex(bytes: Uint8Array): string {
  return Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
}
