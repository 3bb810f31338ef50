/**
 * How the server sees a client's address: printed as the original prints it, and told
 * apart by family for `-6`. Shared by the main thread and the accept threads.
 *
 * @module
 */
import { AccessList } from "../net/access_list.ts";
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

/** `--allow` and `--deny` as given: address or CIDR specs. */
export interface AccessRules {
  /** Only peers matching one of these are served (when there is any). */
  allow?: string[] | undefined;
  /** Peers matching one of these are refused, even when allowed. */
  deny?: string[] | undefined;
}

/**
 * The server's admission test: `-6` (IPv6 peers only) and the access rules, or undefined
 * when everyone is served.
 *
 * @param ipv6Only Refuse IPv4(-mapped) peers.
 * @param rules The access rules (already checked by the command line).
 * @returns The test for {@linkcode serveStream}'s `admit`.
 */
export function admission(
  ipv6Only: boolean,
  rules: AccessRules | undefined,
): ((remote: Deno.NetAddr) => boolean) | undefined {
  const access = rules ? new AccessList(rules) : undefined;
  if (access === undefined || access.empty) return ipv6Only ? isIPv6Peer : undefined;
  return (remote) => (!ipv6Only || isIPv6Peer(remote)) && access.admits(remote.hostname);
}
