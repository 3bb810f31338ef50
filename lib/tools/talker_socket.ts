/**
 * The talker's socket: fixed to its peer, and for a multicast group bound by the interface
 * the datagrams leave by, with the group's TTL and loop set; a broadcast address is
 * refused unless asked for (Deno sets `SO_BROADCAST` on every UDP socket, so the kernel
 * would not refuse it).
 *
 * @module
 */
import {
  isPermissionDenied,
  LineTooLongError,
  PermissionError,
  ToolError,
  UsageError,
} from "../cli/errors.ts";
import { ExitCode } from "../cli/exit_codes.ts";
import { shellQuote } from "../net/unix_grants.ts";
import { addressKey, type IPFamily, joinHostPort } from "../net/address.ts";
import { MAX_DATAGRAM } from "../net/_datagram_limit.ts";
import { showUnixPath } from "../net/unix_address.ts";
import { connectDatagram, ConnectedDatagram } from "../net/connected_datagram.ts";
import { listenDatagram } from "../net/_listen_datagram.ts";
import { isBroadcastAddress, multicastFamily } from "../net/multicast_address.ts";
import { NetError, opError } from "../net/errors.ts";
import type { OnStep } from "../net/steps.ts";

/** Where the talker sends: an IP literal and port, or a Unix datagram socket's path. */
export type TalkerTarget = { hostname: string; port: number } | { path: string };

/**
 * A target as the lines show it: `[::1]:4950`, `/tmp/sk.dgram`, `@name`.
 *
 * @param target The target, or a reply's sender.
 * @returns The text.
 */
export function targetText(target: TalkerTarget | Deno.NetAddr | Deno.UnixAddr): string {
  return "path" in target ? showUnixPath(target.path) : joinHostPort(target.hostname, target.port);
}

/**
 * The directory the talker's temporary path goes in: the peer's own (`"@"` for an
 * abstract peer: an abstract name of its own).
 *
 * @param path The peer's path (`\0name` for abstract).
 * @returns The directory, or `"@"`.
 */
export function replyDir(path: string): string {
  if (path.startsWith("\0")) return "@";
  const at = path.lastIndexOf("/");
  return at === -1 ? "." : at === 0 ? "/" : path.slice(0, at);
}

/**
 * The Deno flags a Unix talker still lacks: `--allow-write` on the peer's path (to send),
 * with replies `--allow-read` and `--allow-write` on the directory of its temporary path,
 * and `--allow-net`.
 *
 * @param path The peer's path.
 * @param replies Whether the talker binds a temporary path.
 * @returns The missing flags.
 */
export function unixTalkerGrants(path: string, replies: boolean): string[] {
  const missing: string[] = [];
  const granted = (d: Deno.PermissionDescriptor) => {
    try {
      return Deno.permissions.querySync(d).state === "granted";
    } catch {
      return false;
    }
  };
  const dir = replyDir(path);
  if (!path.startsWith("\0") && !granted({ name: "write", path })) {
    missing.push(`--allow-write=${shellQuote(path)}`);
  }
  if (replies && dir !== "@") {
    if (!granted({ name: "read", path: dir })) missing.push(`--allow-read=${shellQuote(dir)}`);
    if (!granted({ name: "write", path: dir })) missing.push(`--allow-write=${shellQuote(dir)}`);
  }
  if (!granted({ name: "net" })) missing.push("--allow-net");
  return missing;
}

/**
 * What a failure of `talker -U` says: a datagram over the send buffer names that bound, a
 * refused grant names every flag the run needs (quoted for the shell); anything else as is.
 *
 * @param err The failure.
 * @param path The peer's path.
 * @param replies Whether the talker binds a temporary path.
 * @returns The error to end the run with.
 */
export async function unixTalkerError(
  err: unknown,
  path: string,
  replies: boolean,
): Promise<unknown> {
  const { errnoName } = await import("../cli/errno.ts"); // a failure's alone
  if (errnoName(err) === "EMSGSIZE" && err instanceof NetError) {
    // The kernel's bound is the sender's send buffer, not a fixed size as for UDP.
    const why = "one Unix datagram must fit in the sender's send buffer " +
      "(net.core.wmem_default, 212992 bytes by default)";
    return new ToolError(`${err.message}: ${why}`, ExitCode.Failed, { cause: err });
  }
  if (!isPermissionDenied(err) || err instanceof PermissionError) return err;
  const flags = unixTalkerGrants(path, replies);
  const what = err instanceof NetError
    ? `${err.op} ${err.network} ${err.address}: permission denied`
    : "permission denied";
  return new PermissionError(`${what}: run again with ${flags.join(" ")}`, { cause: err });
}

async function openUnixSocket(
  target: { path: string },
  options: { replyTimeout?: number | undefined },
  onStep: OnStep | undefined,
): Promise<ConnectedDatagram> {
  let conn: Deno.DatagramConn;
  if (options.replyTimeout !== undefined) {
    const { bindTemporaryUnixDatagram } = await import("../net/unix_datagram.ts"); // only here
    // A canonical path of its own (absolute, no link or `..` on the way), so that a peer in
    // another working directory can answer, and a listener's echo does not refuse it.
    const dir = replyDir(target.path);
    const absolute = dir === "@" ? dir : await Deno.realPath(dir).catch(() => dir);
    conn = await bindTemporaryUnixDatagram(absolute, { onStep });
  } else {
    onStep?.({ call: "socket", family: "unix", type: "dgram" });
    conn = Deno.listenDatagram({ transport: "unixpacket" });
  }
  return new ConnectedDatagram(conn, target, onStep);
}

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
 * interface's address, with the group's TTL and loop set; for a Unix path, unbound (it
 * only sends), or when it waits for answers bound to a temporary path of its own beside
 * the peer's (an abstract name for an abstract peer), removed when it closes.
 *
 * @param target The destination (from {@linkcode checkDestination}) and port, or a Unix
 * datagram socket's path.
 * @param local The wildcard address to bind for a host.
 * @param options The group options.
 * @param onStep Told of each socket call.
 * @returns The socket; close it.
 * @throws {NetError} When binding or setting the group options fails.
 */
export async function openTalkerSocket(
  target: TalkerTarget,
  local: string,
  options: GroupSendOptions & { replyTimeout?: number | undefined },
  onStep: OnStep | undefined,
): Promise<ConnectedDatagram> {
  if ("path" in target) return await openUnixSocket(target, options, onStep);
  const group = multicastFamily(target.hostname);
  if (group === undefined) return connectDatagram(target, { localHostname: local, onStep });
  // Loaded for a group alone: a one-shot run to a host does not pay for them.
  const [{ groupSendAddress, setGroupSending }, { resolveInterface }] = await Promise.all([
    import("../net/multicast.ts"),
    import("../net/multicast_interface.ts"),
  ]);
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

/**
 * Lines as they come, each refused before it is sent if it does not fit in one datagram,
 * in the same words whether the line was measured or cut off while read.
 */
export async function* checkedSizes(
  lines: AsyncIterable<Uint8Array>,
  family: IPFamily,
): AsyncGenerator<Uint8Array> {
  try {
    for await (const line of lines) {
      checkDatagramSize(line.length, family);
      yield line;
    }
  } catch (err) {
    // Cut off at the largest datagram of all: over this family's limit too, said as one.
    const over = err instanceof LineTooLongError && Math.min(err.limit, MAX_DATAGRAM[family]);
    if (over) throw tooLong(`over ${over}`, family);
    throw err;
  }
}

/** Refuses, before anything is sent, a payload that does not fit in one datagram. */
export function checkDatagramSize(size: number, family: IPFamily): void {
  if (size > MAX_DATAGRAM[family]) throw tooLong(String(size), family);
}

function tooLong(size: string, family: IPFamily): UsageError {
  return new UsageError(
    `Message too long for one datagram: ${size} bytes, the limit over IPv${family} is ${
      MAX_DATAGRAM[family]
    } bytes`,
  );
}
