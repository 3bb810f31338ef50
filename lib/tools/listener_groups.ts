/**
 * The listener's multicast groups: joined on its socket before it says it is waiting, so
 * that the one loop receives their datagrams with the rest (the access rules and the echo
 * guard apply to them as to any), and left at exit.
 *
 * @module
 */
import { needsGrants } from "../cli/errors.ts";
import type { Reporter } from "../cli/reporter.ts";
import { joinGroups, type Memberships } from "../net/multicast.ts";

/**
 * Joins `options.join` on `conn`, on `options.interface`; on failure closes the socket.
 *
 * @param conn The listener's bound socket.
 * @param options The groups and the interface.
 * @param r Told of each membership as a step.
 * @returns The memberships to leave, or undefined when there are none.
 * @throws {NetError} A group that is not one, or a join the kernel refused (exit 1); a
 * missing grant to look the interface up (exit 4).
 */
export async function joinReported(
  conn: Deno.DatagramConn,
  options: { join?: readonly string[] | undefined; interface?: string | undefined },
  r: Reporter,
): Promise<Memberships | undefined> {
  if (!options.join?.length) return undefined;
  try {
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
