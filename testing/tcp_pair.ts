/**
 * A real TCP connection on loopback, both ends in this process: for tests of what reads and
 * writes a stream.
 *
 * @module
 */

/** Both ends of one connection; disposing closes both (either may be closed already). */
export interface TcpPair extends Disposable {
  /** Our end (the one that connected). */
  conn: Deno.TcpConn;
  /** The other end (the one accepted). */
  peer: Deno.TcpConn;
}

/**
 * Connects to a listener on 127.0.0.1, port 0, accepts, and closes the listener.
 *
 * @returns Both ends.
 */
export async function tcpPair(): Promise<TcpPair> {
  using listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const [conn, peer] = await Promise.all([
    Deno.connect({ hostname: "127.0.0.1", port: listener.addr.port }),
    listener.accept(),
  ]);
  return {
    conn,
    peer,
    [Symbol.dispose]() {
      for (const c of [conn, peer]) {
        try {
          c.close();
        } catch { /* closed by the test */ }
      }
    },
  };
}
