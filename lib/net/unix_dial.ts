/**
 * Connecting to a Unix stream socket under the same rules as dialing TCP: one deadline,
 * cancellable by a signal, and a connection that arrives too late is closed.
 *
 * @module
 */
import { NetError } from "./errors.ts";
import { startTimer } from "./_timer.ts";
import type { OnStep } from "./steps.ts";
import { parseUnixAddress } from "./unix_address.ts";
import { unixOpError } from "./unix_grants.ts";

/** Options for {@linkcode dialUnix}. */
export interface DialUnixOptions {
  /**
   * Give up after this many milliseconds with a {@linkcode NetError} whose `timeout` is
   * true (a listener whose backlog is full makes `connect()` wait).
   * @default {undefined} (wait as long as the system does)
   */
  timeout?: number | undefined;
  /**
   * Cancels the dial; it then rejects with the signal's reason.
   * @default {undefined}
   */
  signal?: AbortSignal | undefined;
  /**
   * Told of `socket(AF_UNIX, SOCK_STREAM)` and `connect("PATH")` with its result.
   * @default {undefined} (no steps)
   */
  onStep?: OnStep | undefined;
}

/**
 * Connects to a Unix stream socket: a path, or `@name` for a Linux abstract name.
 *
 * Grants: `--allow-read=PATH --allow-write=PATH --allow-net` (or
 * `--allow-net=unix:PATH`): Deno 2.9 asks for both file grants to connect; an abstract
 * name needs only `--allow-net`.
 *
 * @param path The socket's path, or `@name`.
 * @param options Deadline, cancellation and steps.
 * @returns The connection; the caller closes it. Its `remoteAddr` is the path dialed (a
 * `listenUnix` socket may have been bound to a temporary name first, which the
 * kernel would report).
 * @throws {NetError} Op `dial`, network `unix`: "no such file or directory" when there is
 * no socket file, "connection refused" when nobody listens on it, a timeout, or a
 * {@linkcode GrantError} naming every missing flag.
 * @example Connect, and fail on a path nobody listens on
 * ```ts
 * import { dialUnix, listenUnix } from "@socketkit/socketkit/unix";
 * import { deepStrictEqual as assertEquals } from "node:assert/strict";
 *
 * const dir = await Deno.makeTempDir();
 * {
 *   using listener = await listenUnix(`${dir}/sk.sock`);
 *   using conn = await dialUnix(`${dir}/sk.sock`, { timeout: 2000 });
 *   assertEquals(conn.remoteAddr.path, `${dir}/sk.sock`);
 *   (await listener.accept()).close();
 * }
 * const err = await dialUnix(`${dir}/none.sock`).catch((e) => e);
 * assertEquals(err.message, `dial unix ${dir}/none.sock: no such file or directory`);
 * await Deno.remove(dir);
 * ```
 */
export async function dialUnix(
  path: string,
  options: DialUnixOptions = {},
): Promise<Deno.UnixConn> {
  const address = parseUnixAddress(path, "dial");
  const { timeout, signal, onStep } = options;
  signal?.throwIfAborted();
  const at = { path: address.path };
  onStep?.({ call: "socket", family: "unix", type: "stream" });
  onStep?.({ call: "connect", phase: "start", family: "unix", type: "stream", address: at });
  let cancelTimer = () => {};
  let onAbort: (() => void) | undefined;
  const stopped = new Promise<never>((_, reject) => {
    if (timeout !== undefined) {
      cancelTimer = startTimer(
        timeout,
        () => reject(new NetError("dial", "unix", address.display, undefined, { timeout })),
      );
    }
    onAbort = () => reject(signal!.reason);
    signal?.addEventListener("abort", onAbort, { once: true });
  });
  const connecting = Deno.connect({ transport: "unix", path: address.path });
  try {
    const conn = await Promise.race([connecting, stopped]);
    onStep?.({ call: "connect", phase: "end", family: "unix", type: "stream", address: at });
    const remoteAddr: Deno.UnixAddr = { transport: "unix", path: address.path };
    Object.defineProperty(conn, "remoteAddr", { value: remoteAddr });
    return conn;
  } catch (cause) {
    connecting.then((late) => late.close(), () => {}); // a connection that came too late
    if (cause instanceof NetError || cause === signal?.reason) {
      const reason = cause instanceof NetError ? "deadline" : "cancelled";
      onStep?.({ call: "connect", phase: "end", type: "stream", address: at, reason });
      onStep?.({ call: "close", type: "stream" });
      throw cause;
    }
    onStep?.({ call: "connect", phase: "end", type: "stream", address: at, error: cause });
    throw unixOpError("dial", "unix", address, "connect", cause);
  } finally {
    cancelTimer();
    if (onAbort) signal?.removeEventListener("abort", onAbort);
  }
}
