/**
 * The servers' first step over a Unix path: bind it (taking over a stale socket file), and
 * when that fails report it as for an address (`server: bind: Address already in use
 * (/tmp/sk.sock)`), then the original's last line and exit 2; a missing grant names every
 * flag to add (exit 4).
 *
 * @module
 */
import { needsGrants, ToolError } from "../cli/errors.ts";
import { errnoName } from "../cli/errno.ts";
import { ExitCode } from "../cli/exit_codes.ts";
import type { Reporter } from "../cli/reporter.ts";
import { describeCause, NetError } from "../net/errors.ts";
import type { OnStep } from "../net/steps.ts";

/**
 * Binds a Unix path with `bind`, reporting a failure as the servers report an address's.
 *
 * @param bind `listenUnix` or `listenUnixDatagram`, with the path given.
 * @param failure The original's last line: `failed to bind`, `failed to bind socket`.
 * @param r Where the failure goes, and the steps.
 * @returns What `bind` returned.
 * @throws {ToolError} Exit 2 when the path cannot be bound; a `PermissionError` (exit 4).
 */
export async function bindUnixReported<T>(
  bind: (onStep: OnStep | undefined) => Promise<T>,
  failure: string,
  r: Reporter,
): Promise<T> {
  try {
    return await bind(r.onStep);
  } catch (err) {
    if (!(err instanceof NetError) || err.op !== "listen") throw err;
    const denied = needsGrants(err, []);
    if (denied !== err) throw denied;
    r.error(`bind: ${describeCause(err.cause)} (${err.address})`, {
      errno: errnoName(err) ?? null,
    });
    throw new ToolError(failure, ExitCode.NoAddress, { cause: err });
  }
}
