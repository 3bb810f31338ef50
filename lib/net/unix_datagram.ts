/**
 * Unix datagram sockets (`SOCK_DGRAM` over a path, Deno's `unixpacket` transport) that own
 * their socket file: bound over a stale file as a stream listener is, removed at close;
 * and the temporary path a sender binds so that a peer can answer it.
 *
 * @module
 */
import { bindUnix, removeOwnFile } from "./_unix_bind.ts";
import { sendUnix } from "./_unix_send.ts";
import type { OnStep } from "./steps.ts";
import { parseUnixAddress, SUN_PATH_MAX, type UnixAddress } from "./unix_address.ts";

/** Options for {@linkcode listenUnixDatagram} and {@linkcode bindTemporaryUnixDatagram}. */
export interface ListenUnixDatagramOptions {
  /**
   * Told of `socket(AF_UNIX, SOCK_DGRAM)`, `bind("PATH")`, a stale file's probe and
   * `unlink`, and at close `close` and `unlink`.
   * @default {undefined} (no steps)
   */
  onStep?: OnStep | undefined;
}

/**
 * A bound Unix datagram socket: a `Deno.DatagramConn` (the datagram loop serves it as it
 * serves UDP) whose `close()` also removes the socket file it made.
 *
 * A send to a receiver that does not read (its queue full) is given up after 500 ms with
 * `Deno.errors.WouldBlock`: Deno 2.9 can neither finish nor cancel it, and it holds the
 * socket meanwhile. A socket bound to a path then moves to a fresh socket at the same path
 * (what was queued for the old one is lost; the old one is freed when that receiver reads
 * or goes away), so that the other peers are still served. An abstract name cannot be
 * bound twice: its socket waits until the receiver reads or goes away. Until the stalled
 * send ends, a send to the same receiver fails at once.
 */
export class UnixDatagramSocket implements Deno.DatagramConn, Disposable {
  /** The address as parsed: the path, or the abstract name. */
  readonly address: UnixAddress;
  #inner: Deno.DatagramConn;
  #ino: number | undefined;
  readonly #onStep: OnStep | undefined;
  #closed = false;
  /** Settles when the socket may be used again after a stalled send (moved or freed). */
  #ready: Promise<void> | undefined;
  /** The receivers whose send still waits in the runtime: not sent to until it ends. */
  #stalled = new Set<string>();

  /**
   * Wraps a bound socket (use {@linkcode listenUnixDatagram}).
   *
   * @param inner The runtime's socket; this object owns it.
   * @param address Its address.
   * @param ino The inode of the socket file the bind made.
   * @param onStep Told of `close` and `unlink`.
   */
  constructor(
    inner: Deno.DatagramConn,
    address: UnixAddress,
    ino: number | undefined,
    onStep?: OnStep,
  ) {
    this.#inner = inner;
    this.address = address;
    this.#ino = ino;
    this.#onStep = onStep;
  }

  /** The bound address: `{ transport: "unixpacket", path }`. */
  get addr(): Deno.Addr {
    return this.#inner.addr;
  }

  /**
   * Waits for the next datagram.
   *
   * @param p A buffer to receive into.
   * @returns The bytes and the sender (`path` null or empty for an unnamed sender).
   */
  async receive(p?: Uint8Array): Promise<[Uint8Array<ArrayBuffer>, Deno.Addr]> {
    if (this.#ready) await this.#ready;
    return await this.#inner.receive(p);
  }

  /**
   * Sends one datagram.
   *
   * @param p The payload.
   * @param addr A `{ transport: "unixpacket", path }` address.
   * @returns The number of bytes sent.
   * @throws {Deno.errors.WouldBlock} When the receiver's queue stayed full for 500 ms.
   */
  async send(p: Uint8Array, addr: Deno.Addr): Promise<number> {
    if (this.#ready) await this.#ready;
    const to = "path" in addr ? addr.path ?? "" : "";
    if (this.#stalled.has(to)) {
      // Its last send still waits in the runtime: another would only wait, and spin, too.
      throw new Deno.errors.WouldBlock("the receiver's queue is still full: it is not reading");
    }
    return await sendUnix(this.#inner, p, addr, (op) => {
      this.#stalled.add(to);
      op.finally(() => this.#stalled.delete(to)).catch(() => {});
      this.#ready = this.#move(op);
    });
  }

  /** After a stalled send: a fresh socket at the same path, or a wait for an abstract name. */
  async #move(op: Promise<number>): Promise<void> {
    const stuck = op.then(() => {}, () => {});
    if (this.address.abstract || this.#closed) return await stuck;
    const old = this.#inner;
    old.close(); // its descriptor lives on in the runtime until the stalled send ends
    removeOwnFile(this.address, this.#ino, this.#onStep);
    try {
      const { socket, ino } = await bindUnix(
        this.address,
        "unixgram",
        (path) => Deno.listenDatagram({ transport: "unixpacket", path }),
        this.#onStep,
      );
      if (this.#closed) {
        socket.close();
        removeOwnFile(this.address, ino, this.#onStep);
        return;
      }
      this.#inner = socket;
      this.#ino = ino;
    } catch {
      // The path could not be bound again: the socket stays closed; its next use fails.
    }
  }

  /**
   * Unix sockets have no multicast.
   *
   * @returns Never.
   * @throws {TypeError} Always.
   */
  joinMulticastV4(): Promise<Deno.MulticastV4Membership> {
    return Promise.reject(new TypeError("Cannot join a multicast group: a Unix socket"));
  }

  /**
   * Unix sockets have no multicast.
   *
   * @returns Never.
   * @throws {TypeError} Always.
   */
  joinMulticastV6(): Promise<Deno.MulticastV6Membership> {
    return Promise.reject(new TypeError("Cannot join a multicast group: a Unix socket"));
  }

  /** Closes the socket (a pending receive rejects) and removes its socket file. */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    try {
      this.#inner.close();
      this.#onStep?.({ call: "close", type: "dgram" });
    } catch {
      // Closed already, by a move after a stalled send that found no path to bind again.
    } finally {
      removeOwnFile(this.address, this.#ino, this.#onStep);
    }
  }

  /** Iterates over received datagrams until the socket closes. */
  [Symbol.asyncIterator](): AsyncIterableIterator<[Uint8Array<ArrayBuffer>, Deno.Addr]> {
    return this.#inner[Symbol.asyncIterator]();
  }

  /** Same as {@linkcode UnixDatagramSocket.close}. */
  [Symbol.dispose](): void {
    this.close();
  }
}

/**
 * Binds a Unix datagram socket: a path, or `@name` for a Linux abstract name. A stale
 * socket file (nobody bound to it) is taken over; a live one is refused. The file is
 * removed at `close()`. Needs Deno's unstable net API.
 *
 * Grants: `--allow-read=PATH --allow-write=PATH --allow-net` (or `--allow-net=unix:PATH`);
 * an abstract name needs only `--allow-net`. Sending to a path needs `--allow-write` on it.
 *
 * @param path The socket's path, or `@name`.
 * @param options Steps.
 * @returns The bound socket; close it (or `using`) to remove the file.
 * @throws {NetError} Op `listen`, network `unixgram`: "address already in use" when a
 * socket is bound to the path, a {@linkcode GrantError} naming every missing flag.
 * @example Receive a datagram from an unnamed sender
 * ```ts
 * import { listenUnixDatagram, showUnixPath } from "@socketkit/socketkit/unix";
 * import { deepStrictEqual as assertEquals } from "node:assert/strict";
 *
 * const dir = await Deno.makeTempDir();
 * {
 *   using sock = await listenUnixDatagram(`${dir}/sk.dgram`);
 *   const sender = Deno.listenDatagram({ transport: "unixpacket" });
 *   try {
 *     await sender.send(new TextEncoder().encode("hi"), sock.addr);
 *     const [data, from] = await sock.receive();
 *     assertEquals(new TextDecoder().decode(data), "hi");
 *     assertEquals(showUnixPath((from as Deno.UnixAddr).path), "unnamed");
 *   } finally {
 *     sender.close();
 *   }
 * }
 * assertEquals([...Deno.readDirSync(dir)], []); // the file went with the socket
 * await Deno.remove(dir);
 * ```
 */
export async function listenUnixDatagram(
  path: string,
  options: ListenUnixDatagramOptions = {},
): Promise<UnixDatagramSocket> {
  return await bindDatagram(
    absoluteForm(parseUnixAddress(path, "listen", "unixgram")),
    options.onStep,
  );
}

/**
 * A relative path's absolute form, where the directory can be resolved (read access to
 * it): the socket's name is what its peers see as the sender of its datagrams, and a
 * relative name is one no peer can check.
 */
function absoluteForm(address: UnixAddress): UnixAddress {
  if (address.abstract || address.path.startsWith("/")) return address;
  const slash = address.path.lastIndexOf("/");
  let dir: string;
  try {
    dir = Deno.realPathSync(slash < 0 ? "." : address.path.slice(0, slash) || "/");
  } catch {
    return address; // not ours to resolve: bound as given
  }
  // Too long is said with the absolute path: it is what Deno binds for a relative one too.
  const name = address.path.slice(slash + 1);
  return parseUnixAddress(`${dir === "/" ? "" : dir}/${name}`, "listen", "unixgram");
}

/**
 * Binds a Unix datagram socket on a new temporary path of its own in `dir`
 * (`socketkit-PID-RANDOM.sock`), so that the peer it sends to can answer; the path is
 * removed at `close()`. With `dir` `"@"`, an abstract name (`@socketkit-PID-RANDOM`): no
 * file at all; so too when the path in `dir` would be longer than a socket path may be
 * (107 bytes).
 *
 * Grants: `--allow-read=DIR --allow-write=DIR --allow-net` (`--allow-net` alone for `"@"`).
 *
 * @param dir The directory, or `"@"` for an abstract name.
 * @param options Steps.
 * @returns The bound socket.
 * @throws {NetError} As {@linkcode listenUnixDatagram}.
 * @example A reply comes back to the temporary path, which is gone after close
 * ```ts
 * import { bindTemporaryUnixDatagram, listenUnixDatagram } from "@socketkit/socketkit/unix";
 * import { deepStrictEqual as assertEquals } from "node:assert/strict";
 *
 * const dir = await Deno.makeTempDir();
 * {
 *   using server = await listenUnixDatagram(`${dir}/echo.dgram`);
 *   using me = await bindTemporaryUnixDatagram(dir);
 *   await me.send(new TextEncoder().encode("ping"), server.addr);
 *   const [data, from] = await server.receive();
 *   assertEquals((from as Deno.UnixAddr).path, me.address.path);
 *   await server.send(data, from);
 *   assertEquals(new TextDecoder().decode((await me.receive())[0]), "ping");
 * }
 * assertEquals([...Deno.readDirSync(dir)], []);
 * await Deno.remove(dir);
 * ```
 */
export async function bindTemporaryUnixDatagram(
  dir: string,
  options: ListenUnixDatagramOptions = {},
): Promise<UnixDatagramSocket> {
  const random = crypto.getRandomValues(new Uint32Array(1))[0]!.toString(36);
  const file = `${dir.replace(/\/+$/, "")}/socketkit-${Deno.pid}-${random}.sock`;
  const fits = new TextEncoder().encode(file).length <= SUN_PATH_MAX - 1;
  const path = dir === "@" || !fits ? `@socketkit-${Deno.pid}-${random}` : file;
  return await bindDatagram(
    parseUnixAddress(path, "listen", "unixgram"),
    options.onStep,
  );
}

async function bindDatagram(address: UnixAddress, onStep?: OnStep): Promise<UnixDatagramSocket> {
  if (typeof Deno.listenDatagram !== "function") {
    throw new TypeError(
      'Datagram sockets need Deno\'s unstable net API: run with --unstable-net (or "unstable": ["net"] in deno.json)',
    );
  }
  const { socket, ino } = await bindUnix(
    address,
    "unixgram",
    (path) => Deno.listenDatagram({ transport: "unixpacket", path }),
    onStep,
  );
  return new UnixDatagramSocket(socket, address, ino, onStep);
}
