/**
 * A Unix stream listener that owns its socket file: a stale file is taken over, a live one
 * refused, and the file is removed when the listener closes.
 *
 * @module
 */
import { bindUnix, ownsFile, removeOwnFile } from "./_unix_bind.ts";
import type { OnStep } from "./steps.ts";
import { parseUnixAddress, type UnixAddress } from "./unix_address.ts";

/** Options for {@linkcode listenUnix}. */
export interface ListenUnixOptions {
  /**
   * Told of each call, as the C server makes it: `socket(AF_UNIX, SOCK_STREAM)`,
   * `bind` (of a temporary name, then `link` to PATH and `unlink` of the temporary name,
   * or `bind("PATH")`), `listen`, and for a stale file the probe's `connect` and `unlink`;
   * at close, `close` and `unlink`.
   * @default {undefined} (no steps)
   */
  onStep?: OnStep | undefined;
}

/**
 * A listening Unix stream socket: a `Deno.Listener` (so `serveStream` serves it as it
 * serves TCP) whose `close()` also removes the socket file it made.
 */
export class UnixListener implements Deno.Listener<Deno.UnixConn, Deno.UnixAddr> {
  /** The address as parsed: the path, or the abstract name. */
  readonly address: UnixAddress;
  readonly #inner: Deno.UnixListener;
  readonly #ino: number | undefined;
  readonly #onStep: OnStep | undefined;
  #closed = false;

  /**
   * Wraps a bound listener (use {@linkcode listenUnix}).
   *
   * @param inner The runtime's listener; this object owns it.
   * @param address Its address.
   * @param ino The inode of the socket file the bind made.
   * @param onStep Told of `close` and `unlink`.
   */
  constructor(
    inner: Deno.UnixListener,
    address: UnixAddress,
    ino: number | undefined,
    onStep?: OnStep,
  ) {
    this.#inner = inner;
    this.address = address;
    this.#ino = ino;
    this.#onStep = onStep;
  }

  /**
   * The listener's address (`path` is `\0name` for an abstract name): the path asked for
   * (the socket may have been bound to a temporary name first, see {@linkcode listenUnix}).
   */
  get addr(): Deno.UnixAddr {
    return { transport: "unix", path: this.address.path };
  }

  /**
   * Waits for the next connection.
   *
   * @returns The connection; the caller closes it.
   */
  accept(): Promise<Deno.UnixConn> {
    return this.#inner.accept();
  }

  /**
   * Closes the listener (a pending `accept` rejects) and removes its socket file, if the
   * file at the path is still the one it made (see {@linkcode listenUnix}).
   */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    const ours = ownsFile(this.address, this.#ino);
    try {
      this.#inner.close();
      this.#onStep?.({ call: "close", type: "stream" });
    } finally {
      const removed = removeOwnFile(this.address, this.#ino, this.#onStep);
      if (ours && !removed && !ownsFile(this.address, this.#ino)) {
        // Bound to the path itself: Deno's close removed it.
        this.#onStep?.({ call: "unlink", address: { path: this.address.path } });
      }
    }
  }

  /** Iterates over accepted connections until the listener closes. */
  [Symbol.asyncIterator](): AsyncIterableIterator<Deno.UnixConn> {
    return this.#inner[Symbol.asyncIterator]();
  }

  /** Lets the listener keep the process alive (the default). */
  ref(): void {
    this.#inner.ref();
  }

  /** Lets the process end while the listener is open. */
  unref(): void {
    this.#inner.unref();
  }

  /** Same as {@linkcode UnixListener.close}. */
  [Symbol.dispose](): void {
    this.close();
  }
}

/**
 * Listens on a Unix stream socket: a path, or `@name` for a Linux abstract name. A socket
 * file that nobody listens on any more (left by a process that was killed) is removed and
 * taken over; a file someone listens on, a file that is not a socket and a symbolic link
 * (even a dangling one) are refused. At `close()` the file is removed if it is still the
 * one this listener made: a file someone put at the path since is left alone.
 *
 * Grants: `--allow-read=PATH --allow-write=PATH --allow-net` (or
 * `--allow-net=unix:PATH`); an abstract name needs only `--allow-net`. Grant the
 * directory instead (`--allow-read=DIR --allow-write=DIR`) so that a file someone else
 * put at the path is left alone at close: Deno 2.9's `close()` removes the path the
 * socket was bound to without looking, so the socket is bound to a temporary name in the
 * directory (`.sk-PID-RANDOM.sock`), linked to the path and the temporary name removed
 * (steps `bind`, `link`, `unlink`); with the path alone granted, it is bound to the path
 * and Deno's close removes whatever is there then.
 *
 * @param path The socket's path, or `@name`.
 * @param options Steps.
 * @returns The listener; close it (or `using`) to remove the file.
 * @throws {NetError} Op `listen`, network `unix`: "address already in use" when someone
 * listens on the path (or the file is not a socket, or is a symbolic link); a
 * {@linkcode GrantError} naming every missing flag; an invalid path (empty, over 107
 * bytes, not valid UTF-8).
 * @example Serve one connection over a path; the file is gone after close
 * ```ts
 * import { listenUnix } from "@socketkit/socketkit/unix";
 * import { deepStrictEqual as assertEquals } from "node:assert/strict";
 *
 * const dir = await Deno.makeTempDir();
 * const path = `${dir}/sk.sock`;
 * {
 *   using listener = await listenUnix(path);
 *   const accepted = listener.accept();
 *   using conn = await Deno.connect({ transport: "unix", path });
 *   using served = await accepted;
 *   await served.write(new TextEncoder().encode("Hello, world!"));
 *   const buf = new Uint8Array(64);
 *   assertEquals(new TextDecoder().decode(buf.subarray(0, (await conn.read(buf))!)), "Hello, world!");
 * }
 * assertEquals(await Deno.lstat(path).then(() => "there", () => "removed"), "removed");
 * await Deno.remove(dir);
 * ```
 */
export async function listenUnix(
  path: string,
  options: ListenUnixOptions = {},
): Promise<UnixListener> {
  const address = parseUnixAddress(path, "listen");
  const onStep = options.onStep;
  const { socket, ino } = await bindUnix(
    address,
    "unix",
    (p) => Deno.listen({ transport: "unix", path: p }),
    onStep,
  );
  onStep?.({ call: "listen", type: "stream", backlog: 511 });
  return new UnixListener(socket, address, ino, onStep);
}
