/**
 * The servers' first step, as the original programs take it: resolve the passive
 * addresses, bind the first that works, and report each that does not with `perror`'s
 * words (`server: bind: Address already in use ([::]:3490)`), then one line of failure.
 *
 * @module
 */
import { needsGrants, ToolError } from "../cli/errors.ts";
import { ExitCode } from "../cli/exit_codes.ts";
import type { Output } from "../cli/output.ts";
import type { Reporter } from "../cli/reporter.ts";
import { ipFamily, joinHostPort } from "../net/address.ts";
import { describeCause, NetError } from "../net/errors.ts";
import { errnoName } from "../cli/errno.ts";
import { type Candidate, type Family, resolve } from "../net/resolve.ts";

/** Where a server binds. */
export interface BindSpec {
  /** The address or name to bind; none means the wildcard of the family. */
  host: string | undefined;
  /** The port; 0 picks a free one. */
  port: number;
  /** Which family to bind. */
  family: Family;
}

/**
 * Resolves `spec` for listening and runs `bind` on the candidates, reporting each failed
 * address; when none can be bound, ends the tool with `failure` (the original's line) and
 * exit 2; a missing permission names every grant the bind needs.
 *
 * @param spec Where to bind.
 * @param out Where the lines go.
 * @param failure The original's last line: `failed to bind`, `failed to bind socket`.
 * @param bind Binds the first candidate that works (`bindFirst` with its options).
 * @param reporter Reports the failures and the lookup's step (views), when given.
 * @param transport The socket type, for the lookup's step.
 * @returns What `bind` returned.
 */
export async function bindReported<T>(
  spec: BindSpec,
  out: Output,
  failure: string,
  bind: (candidates: Candidate[], onError: (c: Candidate, err: NetError) => void) => T,
  reporter?: Reporter,
  transport: "tcp" | "udp" = "tcp",
): Promise<T> {
  const grants = spec.host !== undefined && ipFamily(spec.host) === undefined ? [spec.host] : [];
  const candidates = await resolve(spec.host, spec.port, {
    passive: true,
    family: spec.family,
    onStep: reporter?.onStep,
    transport,
  })
    .catch((err) => {
      throw needsGrants(err, grants, `(and each address of ${spec.host} with port ${spec.port})`);
    });
  grants.push(...candidates.map((c) => joinHostPort(c.hostname, c.port)));
  try {
    return bind(candidates, (c, err) => {
      const line = `bind: ${describeCause(err.cause)} (${joinHostPort(c.hostname, c.port)})`;
      if (reporter) reporter.error(line, { errno: errnoName(err) ?? null });
      else out.error(line);
    });
  } catch (err) {
    if (!(err instanceof NetError) || err.cause instanceof Deno.errors.NotCapable) {
      throw needsGrants(err, grants);
    }
    throw new ToolError(failure, ExitCode.NoAddress, { cause: err });
  }
}
