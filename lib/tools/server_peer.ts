/**
 * How the server sees a client's address: printed as the original prints it, and told
 * apart by family for `-6`. Shared by the main thread and the accept threads.
 *
 * @module
 */
import { fromV4Mapped } from "../net/address.ts";

/**
 * A client's address as the original server prints it: an IPv4 client of the dual-stack
 * socket as `127.0.0.1`, not `::ffff:127.0.0.1`.
 *
 * @param remote The client's address.
 * @returns The address to print.
 */
export function shown(remote: Deno.NetAddr): string {
  return fromV4Mapped(remote.hostname) ?? remote.hostname;
}

/**
 * Whether a client came over IPv6 proper (not as an IPv4-mapped address): the test of an
 * IPv6-only server.
 *
 * @param remote The client's address.
 * @returns False for an IPv4 client of a dual-stack socket.
 */
export function isIPv6Peer(remote: Deno.NetAddr): boolean {
  return fromV4Mapped(remote.hostname) === undefined;
}
