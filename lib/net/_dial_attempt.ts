/**
 * One attempt of a {@linkcode Dialer}: what it tells its observer (the socket calls it stands
 * for) and the errors it ends with. Internal to `dial.ts`.
 *
 * @module
 */
import type { DialDeadline } from "./_dial_deadline.ts";
import { ipFamily, joinHostPort } from "./address.ts";
import { formatDuration, NetError, opError } from "./errors.ts";
import { portOption } from "./_validate.ts";
import type { Candidate } from "./resolve.ts";
import { type Step, stepAddress } from "./steps.ts";

/**
 * What a {@linkcode Dialer} does, in the order it happens (told to its observer as steps,
 * see {@linkcode dialSteps}):
 * - `attempt`: a connection to `candidate` was started;
 * - `failed`: it failed (`error` says why; a share of the deadline running out is a
 *   failure: `Connection timed out`);
 * - `connected`: it connected and won (a peer that accepts and resets at once still
 *   counts, then {@linkcode Dialer.dial} throws a receive error);
 * - `abandoned`: it was cancelled, `reason` saying why: `lost` (another address won),
 *   `deadline` (the dial's deadline passed) or `cancelled` (the caller's signal).
 */
export type DialEvent =
  | { type: "attempt"; candidate: Candidate }
  | { type: "failed"; candidate: Candidate; error: NetError }
  | { type: "connected"; candidate: Candidate }
  | { type: "abandoned"; candidate: Candidate; reason: "lost" | "deadline" | "cancelled" };

/** Refuses what `Deno.connect` would misread: a name, a port out of range. */
export function checkCandidates(candidates: Candidate[]): void {
  if (!Array.isArray(candidates)) {
    throw new TypeError(`Invalid candidates "${String(candidates)}": expected an array`);
  }
  for (const c of candidates) {
    const hostname = typeof c?.hostname === "string" ? c.hostname.replace(/%.*$/, "") : "";
    if (ipFamily(hostname) === undefined) {
      throw new TypeError(
        `Invalid candidate hostname ${
          JSON.stringify(c?.hostname)
        }: expected an IP literal (resolve a name first, or use dial())`,
      );
    }
    portOption(c.port, "candidate port");
  }
}

export function connect(candidate: Candidate, signal: AbortSignal): Promise<Deno.TcpConn> {
  return Deno.connect({ hostname: candidate.hostname, port: candidate.port, signal });
}

/** An attempt that used up its share of the deadline: a timeout, saying how long it took. */
export function shareTimedOut(candidate: Candidate, share: number): NetError {
  const cause = new Deno.errors.TimedOut(`Connection timed out after ${formatDuration(share)}`);
  const address = joinHostPort(candidate.hostname, candidate.port);
  return new NetError("dial", "tcp", address, cause, { timeout: share });
}

export function dialError(candidate: Candidate, cause: unknown): NetError {
  return opError("dial", "tcp", candidate.hostname, candidate.port, cause);
}

/** What a dial throws when every attempt failed: the first failure, the most telling. */
export function allFailed(attempts: NetError[]): NetError {
  return attempts[0] ??
    new NetError("dial", "tcp", "(no address)", new Error("No addresses to try"));
}

export function abandonReason(deadline: DialDeadline): "deadline" | "cancelled" {
  return deadline.expired ? "deadline" : "cancelled";
}

/** The socket calls a dial event stands for. */
export function dialSteps(event: DialEvent): Step[] {
  const address = stepAddress(event.candidate);
  const family = event.candidate.family;
  switch (event.type) {
    case "attempt":
      return [
        { call: "socket", family, type: "stream" },
        { call: "connect", phase: "start", family, type: "stream", address },
      ];
    case "connected":
      return [{ call: "connect", phase: "end", family, type: "stream", address }];
    case "failed":
      return [{
        call: "connect",
        phase: "end",
        family,
        type: "stream",
        address,
        error: event.error,
      }];
    case "abandoned":
      return [{
        call: "connect",
        phase: "end",
        family,
        type: "stream",
        address,
        reason: event.reason,
      }];
  }
}
