/**
 * A Deno connection as a `node:stream` Duplex, so that `node:tls` can run over a socket that
 * Deno accepted or dialed (the accept loop's limits and the dialer's deadlines stay ours).
 *
 * @module
 */
import { Duplex } from "node:stream";

/** The Duplex, and the handle that lets its reader hold back reading from the socket. */
export interface ConnDuplex {
  /** The stream over the connection. */
  duplex: Duplex;
  /**
   * Reads from the socket again after `full` said stop; call it after consuming what was
   * read.
   */
  resume(): void;
}

/**
 * Wraps `conn` as {@linkcode gatedConnDuplex} does, with no limit on reading ahead.
 *
 * @param conn A connected stream.
 * @returns The Duplex over it.
 */
export function connDuplex(conn: Deno.Conn): Duplex {
  return gatedConnDuplex(conn).duplex;
}

/**
 * Wraps `conn`: reads are pulled when the reader wants more (and `full` does not say stop:
 * `node:tls` pulls eagerly whether or not anyone reads what it decrypts), writes resolve when
 * Deno took the bytes (each emits `written`), `end()` shuts our side, and destroying the
 * Duplex closes the connection. Closing `conn` from outside ends the Duplex with the read's
 * error.
 *
 * @param conn A connected stream.
 * @param full Whether enough is read ahead: no socket read until {@linkcode ConnDuplex.resume}.
 * @returns The Duplex over it, and its resume handle.
 */
export function gatedConnDuplex(conn: Deno.Conn, full?: () => boolean): ConnDuplex {
  let closed = false;
  let parked = false;
  const close = () => {
    if (closed) return;
    closed = true;
    try {
      conn.close();
    } catch { /* already closed */ }
  };
  const pull = (d: Duplex) => {
    const buf = new Uint8Array(16384);
    conn.read(buf).then(
      (n) => d.push(n === null ? null : buf.subarray(0, n)),
      (err) => d.destroy(err),
    );
  };
  const duplex = new Duplex({
    read() {
      if (full?.()) parked = true;
      else pull(this);
    },
    write(chunk: Uint8Array, _encoding, callback) {
      writeAll(conn, chunk).then(() => {
        callback();
        this.emit("written");
      }, callback);
    },
    final(callback) {
      conn.closeWrite().then(() => callback(), callback);
    },
    destroy(err, callback) {
      close();
      callback(err);
    },
  });
  return {
    duplex,
    resume() {
      if (!parked || closed || full?.()) return;
      parked = false;
      pull(duplex);
    },
  };
}

async function writeAll(conn: Deno.Conn, bytes: Uint8Array): Promise<void> {
  let off = 0;
  while (off < bytes.length) off += await conn.write(bytes.subarray(off));
}
