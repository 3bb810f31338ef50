/**
 * socketkit's multicast and broadcast helpers for UDP sockets: join and leave groups on an
 * interface, set how a socket sends to a group (TTL, loop, outgoing interface), and tell
 * group and broadcast addresses apart. They work on the `Deno.DatagramConn` that
 * `Deno.listenDatagram` returns, so they need `--allow-net` and `--unstable-net`.
 *
 * @example Tell a group address from a unicast one
 * ```ts
 * import { isBroadcastAddress, multicastFamily } from "@socketkit/socketkit/multicast";
 * import { deepStrictEqual as assertEquals } from "node:assert/strict";
 *
 * assertEquals(multicastFamily("239.1.2.3"), 4);
 * assertEquals(multicastFamily("ff02::1"), 6);
 * assertEquals(multicastFamily("127.0.0.1"), undefined);
 * assertEquals(isBroadcastAddress("255.255.255.255"), true);
 * ```
 *
 * @module
 */
export {
  groupSendAddress,
  type GroupSendingOptions,
  joinGroups,
  type JoinGroupsOptions,
  type Memberships,
  setGroupSending,
} from "./lib/net/multicast.ts";
export {
  directedBroadcasts,
  isBroadcastAddress,
  multicastFamily,
} from "./lib/net/multicast_address.ts";
export { type MulticastInterface, resolveInterface } from "./lib/net/multicast_interface.ts";
