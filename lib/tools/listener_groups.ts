/**
 * The listener's multicast groups: joined on its socket before it says it is waiting, so
 * that the one loop receives their datagrams with the rest (the access rules and the echo
 * guard apply to them as to any), and left at exit.
 *
 * @module
 */
import { needsGrants, quoteField, UsageError } from "../cli/errors.ts";
import type { Reporter } from "../cli/reporter.ts";
import { addressKey } from "../net/address.ts";
import { joinGroups, type Memberships } from "../net/multicast.ts";
import { multicastFamily } from "../net/multicast_address.ts";

/**
 * Joins `options.join` on `conn`, on `options.interface`; on failure closes the socket.
 *
 * @param conn The listener's bound socket.
 * @param options The groups, the interface, and the family asked for (`-4`, `-6`).
 * @param r Told of each membership as a step.
 * @returns The memberships to leave, or undefined when there are none.
 * @throws {UsageError} A group given twice, or one of the other family than `-4`/`-6` or
 * the socket's (exit 1).
 * @throws {NetError} A group that is not one, or a join the kernel refused (exit 1); a
 * missing grant to look the interface up (exit 4).
 */
export async function joinReported(
  conn: Deno.DatagramConn,
  options: {
    join?: readonly string[] | undefined;
    interface?: string | undefined;
    family?: 4 | 6 | "any" | undefined;
  },
  r: Reporter,
): Promise<Memberships | undefined> {
  if (!options.join?.length) return undefined;
  try {
    checkGroups(options.join, options.family, conn.addr);
    return await joinGroups(conn, options.join, {
      interface: options.interface,
      onStep: r.onStep,
    });
  } catch (err) {
    conn.close();
    throw needsGrants(err, []);
  }
}

/**
 * A signal that aborts once the groups are left, after `signal` aborts: the socket the
 * loop closes on it has dropped its memberships by name first (`IP_DROP_MEMBERSHIP`).
 *
 * @param signal The listener's stop signal.
 * @param groups The memberships.
 * @returns The signal to stop the loop with.
 */
export function leavingFirst(signal: AbortSignal, groups: Memberships): AbortSignal {
  const after = new AbortController();
  const leave = () => void groups.leave().finally(() => after.abort(signal.reason));
  if (signal.aborted) leave();
  else signal.addEventListener("abort", leave, { once: true });
  return after.signal;
}

/**
 * Refuses, before any join, a group given twice and one whose family is not the socket's:
 * an IPv6 group on an IPv4 socket (`-4`, or an IPv4 host), an IPv4 group with `-6`.
 */
function checkGroups(
  groups: readonly string[],
  family: 4 | 6 | "any" | undefined,
  addr: Deno.Addr,
): void {
  const seen = new Set<string>();
  const v4Socket = family === 4 || ("hostname" in addr && !addr.hostname.includes(":"));
  for (const group of groups) {
    const kind = multicastFamily(group);
    if (kind === undefined) continue; // joinGroups says what is wrong with it
    const key = addressKey(group);
    const shown = quoteField(key);
    if (seen.has(key)) {
      throw new UsageError(`Group ${shown} is given twice: join each group once`);
    }
    seen.add(key);
    if (kind === 6 && v4Socket) {
      throw new UsageError(
        `Group ${shown} is an IPv6 group: an IPv4 listener (${
          family === 4 ? "-4" : "an IPv4 host"
        }) cannot join it`,
      );
    }
    if (kind === 4 && family === 6) {
      throw new UsageError(`Group ${shown} is an IPv4 group: -6 listens on IPv6 only`);
    }
  }
}
