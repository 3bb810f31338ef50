/**
 * Reading a stream to its end, bounded in size and time.
 *
 * @module
 */

/** Options for {@linkcode readAll}. */
export interface ReadAllOptions {
  /**
   * Stop after this many bytes.
   * @default {65536}
   */
  limit?: number | undefined;
  /**
   * Stop when the whole read has taken this many milliseconds.
   * @default {undefined} (no deadline)
   */
  timeout?: number | undefined;
}

/** What {@linkcode readAll} got, and why it stopped. */
export interface ReadAllResult {
  /** Every byte read, in order. */
  bytes: Uint8Array;
  /**
   * `eof`: the peer closed; `limit`: the size limit was reached; `timeout`: the deadline
   * passed; `reset`: the peer reset the connection after sending `bytes` (a server that
   * closes with data of ours unread does that).
   */
  end: "eof" | "limit" | "timeout" | "reset";
}

/**
 * Reads until the peer closes its side, the limit is reached, or the deadline passes —
 * a stream may arrive in pieces, so one read is never taken for the whole message. On
 * `limit` or `timeout` the connection is left open; on `timeout` no read is left pending.
 *
 * @param conn The connection to read.
 * @param options The size limit and deadline.
 * @returns The bytes and why reading stopped.
 * @example Read what a server sends
 * ```ts ignore
 * import { readAll } from "./read_all.ts";
 * using conn = await Deno.connect({ hostname: "127.0.0.1", port: 3490 });
 * const { bytes, end } = await readAll(conn, { limit: 1024, timeout: 5000 });
 * ```
 */
export async function readAll(
  conn: Deno.Conn,
  options: ReadAllOptions = {},
): Promise<ReadAllResult> {
  const limit = options.limit ?? 65536;
  const buf = new Uint8Array(limit + 1);
  let used = 0;
  let timer: ReturnType<typeof setTimeout> | undefined;
  const expired = new Promise<"timeout">((resolve) => {
    if (options.timeout !== undefined) {
      timer = setTimeout(() => resolve("timeout"), options.timeout);
    }
  });
  try {
    while (used <= limit) {
      let got: number | null | "timeout";
      try {
        got = await Promise.race([conn.read(buf.subarray(used)), expired]);
      } catch (err) {
        if (err instanceof Deno.errors.ConnectionReset && used > 0) {
          return { bytes: buf.slice(0, Math.min(used, limit)), end: "reset" };
        }
        throw err;
      }
      if (got === "timeout") return { bytes: buf.slice(0, Math.min(used, limit)), end: "timeout" };
      if (got === null) return { bytes: buf.slice(0, used), end: "eof" };
      used += got;
    }
    return { bytes: buf.slice(0, limit), end: "limit" };
  } finally {
    clearTimeout(timer);
  }
}
