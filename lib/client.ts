/**
 * The stream client's story, as the original tells it: resolve the host, try each
 * address in turn, say which one connected, and print what the server sent.
 *
 * @module
 */
import { joinHostPort } from "./address.ts";
import { ConnectError, connectFirst } from "./connect_first.ts";
import { describeCause, netError, TimeoutError } from "./errors.ts";
import { escapeBytes } from "./escape.ts";
import { ExitCode } from "./exit_codes.ts";
import type { Output } from "./output.ts";
import { readAll } from "./read_all.ts";
import { type Family, resolve } from "./resolve.ts";

/** Options for {@linkcode runClient}. */
export interface ClientOptions {
  /**
   * The server's port.
   * @default {3490}
   */
  port?: number | undefined;
  /**
   * Which addresses of the host to try.
   * @default {"any"}
   */
  family?: Family | undefined;
  /**
   * One deadline for all connection attempts, in milliseconds.
   * @default {10000}
   */
  connectTimeout?: number | undefined;
  /**
   * How long the server may take to send everything and close, in milliseconds.
   * @default {10000}
   */
  readTimeout?: number | undefined;
  /**
   * Stop reading after this many bytes.
   * @default {65536}
   */
  maxBytes?: number | undefined;
  /**
   * Write the received bytes exactly to stdout (status lines go to stderr).
   * @default {false}
   */
  raw?: boolean | undefined;
}

/**
 * Runs the client against `host`, printing as the original does:
 * `client: connecting to ADDR`, then `client: received '...'` with the bytes escaped.
 *
 * @param host The server's name or address.
 * @param options Port, family, deadlines and output mode.
 * @param out Where lines go.
 * @returns The exit code: 0, or 2 when no address connected.
 * @throws {ResolveError} When the host does not resolve (exit 1).
 * @throws {TimeoutError} When a deadline passed (exit 3).
 * @example Fetch the greeting from a local server
 * ```ts ignore
 * import { Output } from "./output.ts";
 * import { runClient } from "./client.ts";
 * await runClient("localhost", { port: 3490 }, new Output("client"));
 * ```
 */
export async function runClient(
  host: string,
  options: ClientOptions,
  out: Output,
): Promise<number> {
  const port = options.port ?? 3490;
  const candidates = await resolve(host, port, { family: options.family ?? "any" });
  let conn: Deno.TcpConn;
  try {
    conn = await connectFirst(candidates, {
      timeout: options.connectTimeout ?? 10_000,
      onError: (c, err) =>
        out.error(`connect: ${describeCause(err.cause)} (${joinHostPort(c.hostname, c.port)})`),
    });
  } catch (err) {
    if (!(err instanceof ConnectError)) throw err;
    out.error("failed to connect");
    return ExitCode.NoAddress;
  }
  try {
    const peer = conn.remoteAddr;
    out.say(`connecting to ${peer.hostname}`);
    const readTimeout = options.readTimeout ?? 10_000;
    const { bytes, end } = await readAll(conn, { limit: options.maxBytes, timeout: readTimeout })
      .catch((cause) => {
        throw netError("receive", "tcp", joinHostPort(peer.hostname, peer.port), cause);
      });
    if (options.raw) out.data(bytes);
    else out.say(`received '${escapeBytes(bytes)}'`);
    if (end === "limit") out.error(`stopped reading after ${bytes.length} bytes (--max-bytes)`);
    if (end === "reset") out.error(`recv: Connection reset by peer after ${bytes.length} bytes`);
    if (end === "timeout") {
      throw new TimeoutError(
        `recv: ${joinHostPort(peer.hostname, peer.port)} did not close the connection`,
        readTimeout,
      );
    }
    return ExitCode.Ok;
  } finally {
    conn.close();
  }
}
