/**
 * Multicast over Deno's datagram sockets: joining groups on the socket a datagram loop
 * reads (and leaving them), and setting how a socket sends to a group (TTL, loop).
 *
 * Why `Deno.DatagramConn` and not `node:dgram`: the datagram loop and the connected
 * socket take a `Deno.DatagramConn`, so a group is one more use of the one socket type.
 * Deno 2.9 reaches `IP_MULTICAST_TTL` and `IP_MULTICAST_LOOP` only through a membership,
 * so {@linkcode setGroupSending} joins the group for a moment to set them (they are socket
 * options: they stay after the group is left); it has no IPv6 hop limit (neither has
 * Deno's `node:dgram`, whose `setMulticastTTL` does nothing on `udp6`). The outgoing
 * interface is chosen by the address the sender binds ({@linkcode groupSendAddress}):
 * Linux sends a group's datagrams out of the interface that owns an IPv4 source address,
 * and out of the interface of a link-local IPv6 address bound with its scope.
 *
 * @module
 */
import type { IPFamily } from "./address.ts";
import { NetError } from "./errors.ts";
import { multicastFamily } from "./multicast_address.ts";
import { type MulticastInterface, resolveInterface } from "./multicast_interface.ts";
import type { OnStep, Step } from "./steps.ts";

/** Options for {@linkcode joinGroups}. */
export interface JoinGroupsOptions {
  /**
   * The interface to join on: an address, a name or an index.
   * @default {undefined} (the kernel chooses, by the route to the group)
   */
  interface?: string | undefined;
  /**
   * Told of each `setsockopt(IP_ADD_MEMBERSHIP …)` / `setsockopt(IPV6_JOIN_GROUP …)`, and of
   * each drop when the groups are left.
   * @default {undefined} (no steps)
   */
  onStep?: OnStep | undefined;
}

/** The groups a socket joined: leave them (or `await using`) before closing it. */
export interface Memberships extends AsyncDisposable {
  /** The groups joined, in order. */
  readonly groups: readonly string[];
  /** Leaves every group joined (errors, as on a closed socket, are ignored). */
  leave(): Promise<void>;
}

/**
 * Joins multicast groups on a datagram socket (bound to the group's port, on the
 * wildcard address of the group's family, or `::` for both), so that the loop reading it
 * receives the groups' datagrams along with its own. Nothing is joined if one group fails.
 *
 * Grants: `--allow-net`; naming the interface by name or index also
 * `--allow-sys=networkInterfaces`.
 *
 * @param conn The socket.
 * @param groups Group addresses: IPv4 224.0.0.0/4 or IPv6 ff00::/8.
 * @param options The interface and steps.
 * @returns The memberships, to leave at exit.
 * @throws {NetError} Op `listen`: an address that is not a group ("not a multicast
 * address"), or a join the kernel refused (no route to the group: "no such device").
 * @example Join a group on the loopback interface, and leave it
 * ```ts
 * import { type Step } from "@socketkit/socketkit";
 * import { joinGroups } from "@socketkit/socketkit/multicast";
 * import { deepStrictEqual as assertEquals } from "node:assert/strict";
 *
 * const sock = Deno.listenDatagram({ transport: "udp", hostname: "0.0.0.0", port: 0 });
 * try {
 *   const options: unknown[] = [];
 *   const onStep = (s: Step) => options.push(s.option);
 *   await using joined = await joinGroups(sock, ["239.1.2.3"], { interface: "127.0.0.1", onStep });
 *   assertEquals(joined.groups, ["239.1.2.3"]);
 *   assertEquals(options, [
 *     { level: "IPPROTO_IP", name: "IP_ADD_MEMBERSHIP", value: "239.1.2.3 on 127.0.0.1" },
 *   ]);
 * } finally {
 *   sock.close();
 * }
 * ```
 */
export async function joinGroups(
  conn: Deno.DatagramConn,
  groups: readonly string[],
  options: JoinGroupsOptions = {},
): Promise<Memberships> {
  const { onStep } = options;
  const left: (() => Promise<void>)[] = [];
  const leave = async () => {
    for (const drop of left.splice(0).reverse()) await drop().catch(() => {});
  };
  try {
    for (const group of groups) {
      const family = groupFamily(group, "listen");
      const iface = options.interface === undefined
        ? undefined
        : resolveInterface(options.interface, family);
      const level = family === 4 ? "IPPROTO_IP" : "IPPROTO_IPV6";
      const how = family === 4 ? "IP_ADD_MEMBERSHIP" : "IPV6_JOIN_GROUP";
      const on = family === 4 ? iface?.address ?? "0.0.0.0" : iface?.index ?? 0;
      const value = `${group} on ${on}`;
      const option = { level, name: how, value };
      try {
        const membership = family === 4
          ? await conn.joinMulticastV4(group, String(on))
          : await conn.joinMulticastV6(group, Number(on));
        onStep?.({ call: "setsockopt", family, type: "dgram", option });
        const dropped = family === 4 ? "IP_DROP_MEMBERSHIP" : "IPV6_LEAVE_GROUP";
        left.push(async () => {
          await membership.leave();
          onStep?.({
            call: "setsockopt",
            family,
            type: "dgram",
            option: { level, name: dropped, value },
          });
        });
      } catch (cause) {
        onStep?.({ call: "setsockopt", family, type: "dgram", option, error: cause });
        throw new NetError("listen", "udp", group, cause);
      }
    }
  } catch (error) {
    await leave();
    throw error;
  }
  return { groups: [...groups], leave, [Symbol.asyncDispose]: leave };
}

/** Options for {@linkcode setGroupSending}. */
export interface GroupSendingOptions {
  /**
   * IPv4 only: the time-to-live of the datagrams sent to groups (`IP_MULTICAST_TTL`), 0…255.
   * @default {undefined} (the system's: 1, the local network)
   */
  ttl?: number | undefined;
  /**
   * Whether the datagrams sent to groups are also delivered to this host's members
   * (`IP_MULTICAST_LOOP`). Deno turns it off on every new socket; most tools leave it on.
   * @default {true}
   */
  loop?: boolean | undefined;
  /**
   * The interface the datagrams leave by, to join through: an address, name or index
   * (the socket must also be bound to {@linkcode groupSendAddress}'s address).
   * @default {undefined} (the route to the group)
   */
  interface?: string | undefined;
  /**
   * Told of each `setsockopt` made.
   * @default {undefined} (no steps)
   */
  onStep?: OnStep | undefined;
}

/**
 * Sets how a datagram socket sends to `group`: its TTL and loop. Deno sets these only
 * through a membership, so the group is joined for a moment and left again.
 *
 * @param conn The sending socket.
 * @param group The group it will send to.
 * @param options TTL, loop, interface and steps.
 * @returns When the options are set.
 * @throws {NetError} Op `write`: an address that is not a group, a TTL out of range or
 * given for IPv6 (Deno 2.9 cannot set the IPv6 hop limit), or a refused join.
 * @example Send to a group with a TTL of 4, looped back to this host
 * ```ts
 * import { type Step } from "@socketkit/socketkit";
 * import { setGroupSending } from "@socketkit/socketkit/multicast";
 * import { deepStrictEqual as assertEquals } from "node:assert/strict";
 *
 * const sock = Deno.listenDatagram({ transport: "udp", hostname: "127.0.0.1", port: 0 });
 * try {
 *   const set: string[] = [];
 *   const onStep = (s: Step) => set.push(`${s.option?.name} ${s.option?.value}`);
 *   await setGroupSending(sock, "239.1.2.3", { ttl: 4, interface: "127.0.0.1", onStep });
 *   assertEquals(set, ["IP_MULTICAST_TTL 4", "IP_MULTICAST_LOOP 1"]);
 * } finally {
 *   sock.close();
 * }
 * ```
 */
export async function setGroupSending(
  conn: Deno.DatagramConn,
  group: string,
  options: GroupSendingOptions = {},
): Promise<void> {
  const family = groupFamily(group, "write");
  const { ttl, onStep } = options;
  const loop = options.loop ?? true;
  if (ttl !== undefined && (family === 6 || !Number.isInteger(ttl) || ttl < 0 || ttl > 255)) {
    const why = family === 6
      ? "Not supported: Deno 2.9 cannot set the hop limit of IPv6 multicast"
      : "Invalid argument: a TTL is 0 to 255";
    throw new NetError("write", "udp", group, new Error(why));
  }
  const iface = options.interface === undefined
    ? undefined
    : resolveInterface(options.interface, family);
  try {
    if (family === 4) {
      const membership = await conn.joinMulticastV4(group, iface?.address ?? "0.0.0.0");
      try {
        if (ttl !== undefined) {
          await membership.setTTL(ttl);
          onStep?.(sendOption(4, "IP_MULTICAST_TTL", String(ttl)));
        }
        await membership.setLoopback(loop);
        onStep?.(sendOption(4, "IP_MULTICAST_LOOP", loop ? "1" : "0"));
      } finally {
        await membership.leave();
      }
    } else {
      const membership = await conn.joinMulticastV6(group, iface?.index ?? 0);
      try {
        await membership.setLoopback(loop);
        onStep?.(sendOption(6, "IPV6_MULTICAST_LOOP", loop ? "1" : "0"));
      } finally {
        await membership.leave();
      }
    }
  } catch (cause) {
    throw new NetError("write", "udp", group, cause);
  }
}

/**
 * The local address a socket that sends to a group out of `iface` binds: the interface's
 * IPv4 address, or its link-local IPv6 address with the interface's index as scope
 * (`fe80::1%2`); the wildcard when no interface is named.
 *
 * @param family The group's family.
 * @param iface The interface, from {@linkcode resolveInterface}.
 * @returns The hostname to bind.
 * @throws {NetError} Op `listen`: an IPv6 interface with no link-local address.
 * @example IPv4 by address, IPv6 by scope
 * ```ts
 * import { groupSendAddress } from "@socketkit/socketkit/multicast";
 * import { deepStrictEqual as assertEquals } from "node:assert/strict";
 *
 * assertEquals(groupSendAddress(4, { name: "eth0", index: 2, address: "10.0.0.7" }), "10.0.0.7");
 * assertEquals(groupSendAddress(6, { name: "eth0", index: 2, address: "fe80::1" }), "fe80::1%2");
 * assertEquals(groupSendAddress(6, undefined), "::");
 * ```
 */
export function groupSendAddress(family: IPFamily, iface: MulticastInterface | undefined): string {
  if (iface === undefined) return family === 4 ? "0.0.0.0" : "::";
  if (family === 4) return iface.address!;
  if (iface.address === undefined) {
    const why =
      `No such device: interface "${iface.name}" has no link-local IPv6 address to send from`;
    throw new NetError("listen", "udp", `interface ${iface.name}`, new Error(why));
  }
  return `${iface.address}%${iface.index}`;
}

function sendOption(family: IPFamily, name: string, value: string): Step {
  const level = family === 4 ? "IPPROTO_IP" : "IPPROTO_IPV6";
  return {
    call: "setsockopt",
    family,
    type: "dgram",
    option: { level, name, value },
    note: "via-membership",
  };
}

function groupFamily(group: string, op: "listen" | "write"): IPFamily {
  const family = multicastFamily(group);
  if (family === undefined) {
    const why = "Not a multicast address: a group is in 224.0.0.0/4 or ff00::/8";
    throw new NetError(op, "udp", group, new Error(why));
  }
  return family;
}
