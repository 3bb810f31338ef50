/**
 * `Deno.listenDatagram`, which exists only with the unstable net API: without it, an error
 * that says how to turn it on instead of "not a function" (internal to the library).
 *
 * @module
 */

/**
 * Binds a UDP socket, or throws a `TypeError` naming the flag when the API is missing.
 *
 * @param hostname The local address.
 * @param port The local port.
 * @returns The socket.
 */
export function listenDatagram(hostname: string, port: number): Deno.DatagramConn {
  if (typeof Deno.listenDatagram !== "function") {
    throw new TypeError(
      'Datagram sockets need Deno\'s unstable net API: run with --unstable-net (or "unstable": ["net"] in deno.json)',
    );
  }
  return Deno.listenDatagram({ transport: "udp", hostname, port });
}
