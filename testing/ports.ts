/**
 * Helpers shared by the tests and the benchmark: ports to use on loopback.
 *
 * @module
 */

/**
 * A port that was free a moment ago on `hostname`: bind port 0, read the number, release it.
 * Nothing listens there now (a refused connection, or a port for a process to bind).
 *
 * @param transport TCP or UDP.
 * @param hostname The address to bind.
 * @returns The port number.
 */
export function freePort(transport: "tcp" | "udp" = "tcp", hostname = "::"): number {
  if (transport === "udp") {
    const c = Deno.listenDatagram({ transport: "udp", hostname, port: 0 });
    const port = (c.addr as Deno.NetAddr).port;
    c.close();
    return port;
  }
  const l = Deno.listen({ hostname, port: 0 });
  const port = l.addr.port;
  l.close();
  return port;
}
