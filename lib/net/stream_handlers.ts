/**
 * The two handlers of the original programs, on the public handler API: the greeting (send a
 * message, end) and the echo (send back what arrives, until the client half-closes).
 *
 * @module
 */
import type { StreamConn, StreamHandler } from "./stream_conn.ts";

/**
 * The original server: sends every client `message`, then the server ends the connection.
 *
 * @param message The bytes every client is sent (may be empty: then nothing is sent).
 * @returns The handler, for {@linkcode serveStream}.
 * @example Greet a client
 * ```ts
 * import { greeting, readAll, serveStream } from "@socketkit/socketkit";
 * import { deepStrictEqual as assertEquals } from "node:assert/strict";
 *
 * const stop = new AbortController();
 * const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
 * const serving = serveStream(listener, {
 *   handler: greeting(new TextEncoder().encode("hi")),
 *   signal: stop.signal,
 * });
 * using conn = await Deno.connect({ hostname: "127.0.0.1", port: listener.addr.port });
 * const { bytes } = await readAll(conn, { timeout: 1000 });
 * assertEquals(new TextDecoder().decode(bytes), "hi");
 * stop.abort();
 * assertEquals((await serving).served, 1);
 * ```
 */
export function greeting(message: Uint8Array): StreamHandler {
  return async (conn) => {
    if (message.length > 0) await conn.write(message);
  };
}

/** Options for {@linkcode echo}. */
export interface EchoOptions {
  /**
   * Sent first, before the echo.
   * @default {undefined} (nothing)
   */
  message?: Uint8Array | undefined;
  /**
   * The most read (and so written back) at once, in bytes.
   * @default {65536}
   */
  chunkSize?: number | undefined;
  /**
   * Told of each chunk sent back, with its size in bytes (to count them).
   * @default {undefined}
   */
  onEchoed?: ((bytes: number) => void) | undefined;
}

/**
 * Echo: sends every client's bytes back as they arrive, until it half-closes. Each read is
 * under the server's idle deadline and each write under its write deadline, so a client that
 * sends but never reads is dropped, and at most one chunk of its bytes is held.
 *
 * @param options A message sent first, the chunk size, and a counter.
 * @returns The handler, for {@linkcode serveStream}.
 * @example Echo a client's bytes, counting them
 * ```ts
 * import { echo, readAll, serveStream } from "@socketkit/socketkit";
 * import { deepStrictEqual as assertEquals } from "node:assert/strict";
 *
 * const stop = new AbortController();
 * const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
 * let echoed = 0;
 * const serving = serveStream(listener, {
 *   handler: echo({ onEchoed: (n) => echoed += n }),
 *   signal: stop.signal,
 * });
 * using conn = await Deno.connect({ hostname: "127.0.0.1", port: listener.addr.port });
 * await conn.write(new TextEncoder().encode("ping"));
 * await conn.closeWrite();
 * const { bytes } = await readAll(conn, { timeout: 1000 });
 * assertEquals(new TextDecoder().decode(bytes), "ping");
 * stop.abort();
 * await serving;
 * assertEquals(echoed, 4);
 * ```
 */
export function echo(options: EchoOptions = {}): StreamHandler {
  const { message, onEchoed } = options;
  const chunk = options.chunkSize ?? 64 * 1024;
  if (!Number.isInteger(chunk) || chunk < 1) {
    throw new RangeError(`Cannot use chunkSize ${JSON.stringify(chunk)}: not a positive integer`);
  }
  return async (conn: StreamConn) => {
    if (message !== undefined && message.length > 0) await conn.write(message);
    const buf = new Uint8Array(chunk);
    let n: number | null;
    while ((n = await conn.read(buf)) !== null) {
      await conn.write(buf.subarray(0, n));
      onEchoed?.(n);
    }
  };
}
