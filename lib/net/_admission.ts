/**
 * Who a server serves: IPv6 peers only (`-6` on a dual-stack socket, which Deno cannot make
 * IPv6-only) and access rules, as one `admit` test for {@linkcode serveStream}.
 *
 * @module
 */
import { AccessList } from "./access_list.ts";
import { fromV4Mapped } from "./address.ts";

/** Access rules as given: address or CIDR specs. */
export interface AccessRules {
  /**
   * Only peers matching one of these are served (when there is any).
   * @default {undefined} (no allow rule)
   */
  allow?: string[] | undefined;
  /**
   * Peers matching one of these are refused, even when allowed.
   * @default {undefined} (no deny rule)
   */
  deny?: string[] | undefined;
}

/**
 * Whether a peer came over IPv6 proper, not as the IPv4-mapped address a dual-stack socket
 * shows an IPv4 peer as; a peer that is not on IP (a Unix socket) counts as one.
 *
 * @param peer The peer's address.
 * @returns False for an IPv4 client of a dual-stack socket (or of an IPv4 socket).
 * @example An IPv4 client of a dual-stack socket is not an IPv6 peer
 * ```ts
 * import { isIPv6Peer } from "./_admission.ts";
 * import { deepStrictEqual as assertEquals } from "node:assert/strict";
 *
 * const peer = (hostname: string): Deno.Addr => ({ transport: "tcp", hostname, port: 1 });
 * assertEquals([isIPv6Peer(peer("::1")), isIPv6Peer(peer("::ffff:127.0.0.1"))], [true, false]);
 * ```
 */
export function isIPv6Peer(peer: Deno.Addr): boolean {
  if (peer.transport !== "tcp" && peer.transport !== "udp") return true;
  return peer.hostname.includes(":") && fromV4Mapped(peer.hostname) === undefined;
}

/**
 * A server's admission test: IPv6 peers only, and the access rules (ncat's: with any allow
 * rule only matching peers; a deny rule wins). Peers that are not on IP (a Unix socket)
 * are not subject to address rules.
 *
 * @param ipv6Only Refuse IPv4 (and IPv4-mapped) peers.
 * @param rules The access rules.
 * @returns The test for {@linkcode serveStream}'s `admit`, or undefined when everyone is
 * served.
 * @throws {AccessSpecError} For a rule that is not an address or CIDR block.
 * @example Serve only 127.0.0.0/8, except 127.0.0.2
 * ```ts
 * import { admission } from "./_admission.ts";
 * import { deepStrictEqual as assertEquals } from "node:assert/strict";
 *
 * const admit = admission(false, { allow: ["127.0.0.0/8"], deny: ["127.0.0.2"] })!;
 * const peer = (hostname: string): Deno.Addr => ({ transport: "tcp", hostname, port: 1 });
 * assertEquals([admit(peer("127.0.0.1")), admit(peer("127.0.0.2")), admit(peer("::1"))], [
 *   true,
 *   false,
 *   false,
 * ]);
 * ```
 */
export function admission(
  ipv6Only: boolean,
  rules: AccessRules | undefined,
): ((peer: Deno.Addr) => boolean) | undefined {
  const access = rules ? new AccessList(rules) : undefined;
  if (access === undefined || access.empty) return ipv6Only ? isIPv6Peer : undefined;
  return (peer) => {
    if (peer.transport !== "tcp" && peer.transport !== "udp") return true;
    return (!ipv6Only || isIPv6Peer(peer)) && access.admits(peer.hostname);
  };
}
