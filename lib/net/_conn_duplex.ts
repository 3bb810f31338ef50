/**
 * A Deno connection as a `node:stream` Duplex, so that `node:tls` can run over a socket that
 * Deno accepted or dialed (the accept loop's limits and the dialer's deadlines stay ours).
 *
 * @module
 */
import { Duplex } from "node:stream";

/**
 * Wraps `conn`: reads are pulled when the reader wants more, writes resolve when Deno took
 * the bytes, `end()` shuts our side, and destroying the Duplex closes the connection.
 * Closing `conn` from outside ends the Duplex with the read's error.
 *
 * @param conn A connected TCP stream.
 * @returns The Duplex over it.
 */
export function connDuplex(conn: Deno.TcpConn): Duplex {
  let closed = false;
  const close = () => {
    if (closed) return;
    closed = true;
    try {
      conn.close();
    } catch { /* already closed */ }
  };
  return new Duplex({
    read(size) {
      const buf = new Uint8Array(Math.max(size, 16384));
      conn.read(buf).then(
        (n) => this.push(n === null ? null : buf.subarray(0, n)),
        (err) => this.destroy(err),
      );
    },
    write(chunk: Uint8Array, _encoding, callback) {
      writeAll(conn, chunk).then(() => callback(), callback);
    },
    final(callback) {
      conn.closeWrite().then(() => callback(), callback);
    },
    destroy(err, callback) {
      close();
      callback(err);
    },
  });
}

async function writeAll(conn: Deno.TcpConn, bytes: Uint8Array): Promise<void> {
  let off = 0;
  while (off < bytes.length) off += await conn.write(bytes.subarray(off));
}
