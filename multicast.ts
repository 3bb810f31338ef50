/**
 * Multicast and broadcast on datagram sockets, beside `@socketkit/socketkit`'s datagram
 * functions: join and leave groups, a group's TTL and loop for sending, and the addresses
 * involved. Needs `--allow-net` and `--unstable-net`.
 *
 * @example Tell a group address's family
 * ```ts
 * import { multicastFamily } from "@socketkit/socketkit/multicast";
 * import { deepStrictEqual as assertEquals } from "node:assert/strict";
 *
 * assertEquals([multicastFamily("239.1.2.3"), multicastFamily("ff02::1")], [4, 6]);
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
