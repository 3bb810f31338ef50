/**
 * Layers: what runs on an accepted connection before its handler, such as TLS. Plain TCP is
 * the identity layer. Whatever the layer, the server enforces the same deadlines,
 * backpressure and slot accounting around it.
 *
 * @module
 */
import type { TlsInfo } from "./stream_conn.ts";

/**
 * A layer run on each accepted client before its handler: `open` runs its handshake. It runs
 * in the client's own task, under the server's `handshakeTimeout`; when the deadline passes
 * the server closes the connection and frees the slot whether or not `open` settles.
 */
export interface StreamLayer {
  /**
   * Whether `open` is a handshake a client can stall: then it runs under
   * `handshakeTimeout`, is limited per address by `maxHandshakesPerAddress` and in all to
   * half of `maxConnections`, and a failure is counted in `failedHandshakes`.
   */
  readonly handshake: boolean;
  /**
   * Runs the layer's handshake on an accepted connection.
   *
   * @param conn The accepted connection; closing it must make the handshake fail.
   * @returns The connection as the layer carries it, once the handshake is done.
   */
  open(conn: Deno.Conn): Promise<LayerConn>;
}

/**
 * A client's connection through a {@linkcode StreamLayer}; the server wraps it in the
 * deadlines and write ordering that make a {@linkcode StreamConn}.
 */
export interface LayerConn {
  /**
   * What the handshake settled.
   * @default {undefined} (plain TCP)
   */
  readonly tls?: TlsInfo | undefined;
  /**
   * Whether the end of a session is said in-band (TLS `close_notify`): then the server
   * ends every session with `closeWrite()`, so the client can tell a clean end from a cut.
   */
  readonly endsInBand: boolean;
  /**
   * Whether `close()` makes pending reads and writes reject (as a Deno connection's does):
   * then the server does not need to race each of them against its deadlines.
   * @default {false}
   */
  readonly settlesOnClose?: boolean | undefined;
  /**
   * Reads into `p`; holds no more than a bounded amount (about 64 KiB) read ahead.
   *
   * @param p Where the bytes go.
   * @returns The count, or null at the end of the client's stream.
   */
  read(p: Uint8Array): Promise<number | null>;
  /**
   * Writes all of `p`; resolves once at most a bounded amount (about 64 KiB) waits to be
   * taken by the peer.
   *
   * @param p The bytes.
   */
  write(p: Uint8Array): Promise<void>;
  /** Ends our side cleanly (TLS: `close_notify`, then FIN); resolves once sent. */
  closeWrite(): Promise<void>;
  /** Closes the connection at once. */
  close(): void;
}

/** Plain TCP (or a Unix stream): the connection as it is. */
export const plainLayer: StreamLayer = {
  handshake: false,
  open: (conn) => Promise.resolve(plainConn(conn)),
};

function plainConn(conn: Deno.Conn): LayerConn {
  return {
    endsInBand: false,
    settlesOnClose: true,
    read: (p) => conn.read(p),
    async write(p) {
      // Writes may be short: loop until every byte is written (or a deadline closes us).
      let off = 0;
      while (off < p.length) off += await conn.write(p.subarray(off));
    },
    closeWrite: () => conn.closeWrite(),
    close() {
      try {
        conn.close();
      } catch { /* already closed */ }
    },
  };
}
