/**
 * Reading a stream to its end, bounded in size and time, without losing a byte to a
 * timeout (the reading is {@linkcode StreamReader}'s; this is its one-call form).
 *
 * @module
 */
import {
  type ReadAllOptions,
  type ReadAllResult,
  StreamReader,
  type StreamSource,
} from "./reader.ts";

export { type ReadAllOptions, type ReadAllResult, StreamReader, type StreamSource };

/**
 * Reads `conn` until the peer closes its side, the limit is reached, or the deadline
 * passes: {@linkcode StreamReader.readAll} on the stream's one {@linkcode StreamReader}.
 * On `limit` or `timeout` the connection is left open. After a `timeout` a read is still
 * pending on the stream (a stream's read cannot be cancelled): read what comes next with
 * `readAll(conn)` again or through `StreamReader.of(conn)`, never with `conn.read()`, which
 * would race it.
 *
 * Needs nothing beyond the connection (`--allow-net` made it).
 *
 * @param conn The connection to read.
 * @param options The size limit (default 65,536), a deadline (0: none) and a signal.
 * @returns The bytes and why reading stopped.
 * @throws {NetError} Op `read`, when the stream failed before anything was read (after
 * some bytes, a reset ends with `reset`).
 * @throws {RangeError} For a `limit` that is not a whole number from 0 to 2^30, or a
 * negative or NaN `timeout`.
 * @throws {unknown} The signal's reason, when it aborted.
 * @example Read up to a limit, then the rest: no byte is lost
 * ```ts
 * import { readAll } from "@socketkit/socketkit";
 * import { deepStrictEqual as assertEquals } from "node:assert/strict";
 *
 * using listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
 * using conn = await Deno.connect({ hostname: "127.0.0.1", port: listener.addr.port });
 * {
 *   using peer = await listener.accept();
 *   await peer.write(new TextEncoder().encode("Hello, world!"));
 * } // the peer closes here
 * const head = await readAll(conn, { limit: 5, timeout: 1000 });
 * assertEquals([new TextDecoder().decode(head.bytes), head.end], ["Hello", "limit"]);
 * const rest = await readAll(conn, { timeout: 1000 });
 * assertEquals([new TextDecoder().decode(rest.bytes), rest.end], [", world!", "eof"]);
 * ```
 */
export function readAll(conn: StreamSource, options: ReadAllOptions = {}): Promise<ReadAllResult> {
  return StreamReader.of(conn).readAll(options);
}
