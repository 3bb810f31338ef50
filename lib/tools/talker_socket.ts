/**
 * The talker's socket: fixed to its peer, and for a multicast group bound by the interface
 * the datagrams leave by, with the group's TTL and loop set; a broadcast address is
 * refused unless asked for (Deno sets `SO_BROADCAST` on every UDP socket, so the kernel
 * would not refuse it).
 *
 * @module
 */
import { UsageError } from "../cli/errors.ts";
import { addressKey } from "../net/address.ts";
import { connectDatagram, ConnectedDatagram } from "../net/connected_datagram.ts";
import { listenDatagram } from "../net/_listen_datagram.ts";
import { groupSendAddress, setGroupSending } from "../net/multicast.ts";
import { isBroadcastAddress, multicastFamily } from "../net/multicast_address.ts";
import { resolveInterface } from "../net/multicast_interface.ts";
import { opError } from "../net/errors.ts";
import type { OnStep } from "../net/steps.ts";

/** How the talker sends to a group, and whether it may broadcast. */
export interface GroupSendOptions {
  /**
   * A group's datagrams' time-to-live (IPv4 groups).
   * @default {undefined} (the system's: 1)
   */
  ttl?: number | undefined;
  /**
   * Deliver a group's datagrams to members on this host too.
   * @default {true}
   */
  loop?: boolean | undefined;
  /**
   * The interface a group's datagrams leave by: an address, name or index.
   * @default {undefined} (the route to the group)
   */
  interface?: string | undefined;
  /**
   * Allow a broadcast destination.
   * @default {false}
   */
  broadcast?: boolean | undefined;
}

/**
 * Checks the destination against the options before anything is sent: group options need
 * a group, a group has no one peer to answer, a broadcast needs `--broadcast`.
 *
 * @param hostname The destination literal (IPv4-mapped or not).
 * @param options The group options and whether the talker waits for an answer.
 * @returns The destination to use: a group's IPv4 form (an IPv4 group is sent to from an
 * IPv4 socket, whose TTL and loop apply).
 * @throws {UsageError} For each refusal, naming the option.
 */
export function checkDestination(
  hostname: string,
  options: GroupSendOptions & { connect?: boolean | undefined; replyTimeout?: number | undefined },
): string {
  const group = multicastFamily(hostname);
  const shown = addressKey(hostname);
  if (group === undefined) {
    const used = [
      options.ttl !== undefined ? "--ttl" : "",
      options.loop !== undefined ? (options.loop ? "--loop" : "--no-loop") : "",
      options.interface !== undefined ? "--interface" : "",
    ].filter(Boolean);
    if (used.length) {
      throw new UsageError(`Option ${used[0]} is for a multicast group: "${shown}" is not one`);
    }
    if (!options.broadcast && isBroadcastAddress(hostname)) {
      throw new UsageError(
        `Address "${shown}" is a broadcast address: add --broadcast to send to it`,
      );
    }
    return hostname;
  }
  if (options.connect || options.replyTimeout !== undefined) {
    throw new UsageError(
      `Group "${shown}" has no one peer to answer: --connect and --reply need a host`,
    );
  }
  if (group === 6 && options.ttl !== undefined) {
    throw new UsageError("Option --ttl is for an IPv4 group: Deno 2.9 cannot set IPv6 hop limits");
  }
  return group === 4 ? shown : hostname;
}

/**
 * Opens the talker's socket fixed to `target`: bound to `local`, or for a group to the
 * interface's address, with the group's TTL and loop set.
 *
 * @param target The destination (from {@linkcode checkDestination}) and port.
 * @param local The wildcard address to bind for a host.
 * @param options The group options.
 * @param onStep Told of each socket call.
 * @returns The socket; close it.
 * @throws {NetError} When binding or setting the group options fails.
 */
export async function openTalkerSocket(
  target: { hostname: string; port: number },
  local: string,
  options: GroupSendOptions,
  onStep: OnStep | undefined,
): Promise<ConnectedDatagram> {
  const group = multicastFamily(target.hostname);
  if (group === undefined) return connectDatagram(target, { localHostname: local, onStep });
  const iface = options.interface === undefined
    ? undefined
    : resolveInterface(options.interface, group);
  const hostname = groupSendAddress(group, iface);
  onStep?.({ call: "socket", family: group, type: "dgram", note: "listen-in-one" });
  let conn: Deno.DatagramConn;
  try {
    conn = listenDatagram(hostname, 0);
  } catch (cause) {
    onStep?.({ call: "bind", type: "dgram", address: { hostname, port: 0 }, error: cause });
    throw opError("listen", "udp", hostname, 0, cause);
  }
  try {
    const addr = conn.addr as Deno.NetAddr;
    onStep?.({
      call: "bind",
      type: "dgram",
      address: { hostname: addr.hostname, port: addr.port },
    });
    await setGroupSending(conn, target.hostname, { ...options, onStep });
    return new ConnectedDatagram(conn, target, onStep);
  } catch (err) {
    conn.close();
    throw err;
  }
}
