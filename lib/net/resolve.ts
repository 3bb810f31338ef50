/**
 * Address selection: socketkit's `getaddrinfo`.
 *
 * @module
 */
import type { OnStep } from "./steps.ts";
import { type IPFamily, ipFamily } from "./address.ts";
import { ResolveError } from "./errors.ts";

/** Which addresses to ask for: IPv4 only, IPv6 only, or both (`AF_UNSPEC`). */
export type Family = IPFamily | "any";

/** One address to try, in the order the resolver gave. */
export interface Candidate {
  /** An IP literal. */
  hostname: string;
  /** The port. */
  port: number;
  /** 4 or 6. */
  family: IPFamily;
}

/** Options for {@linkcode resolve}. */
export interface ResolveOptions {
  /**
   * Which families to return.
   * @default {"any"}
   */
  family?: Family;
  /**
   * For a listening socket: with no host (undefined), return the wildcard addresses (`::`, then
   * `0.0.0.0`), like `AI_PASSIVE`.
   * @default {false}
   */
  passive?: boolean;
  /**
   * Told of the lookup as the `getaddrinfo` call it stands for.
   * @default {undefined} (no steps)
   */
  onStep?: OnStep | undefined;
  /**
   * The socket type the addresses are for: only shown in the step.
   * @default {"tcp"}
   */
  transport?: "tcp" | "udp" | undefined;
}

const REASONS: Record<string, string> = {
  ENOTFOUND: "Name or service not known",
  EAI_NONAME: "Name or service not known",
  EAI_AGAIN: "Temporary failure in name resolution",
  ENODATA: "No address associated with hostname",
  EAI_NODATA: "No address associated with hostname",
  EAI_FAIL: "Non-recoverable failure in name resolution",
};

/**
 * Resolves a host and port to the addresses to try, in the system resolver's order
 * (`/etc/hosts` included). IP literals are returned as they are, with no lookup.
 *
 * @param host A name, an IP literal, or (with `passive`) undefined for the wildcard
 * addresses. An empty name is refused, even with `passive`.
 * @param port The port every candidate gets.
 * @param options The family and whether the address is for listening.
 * @returns At least one candidate.
 * @throws {ResolveError} For an unknown or empty name, or a literal of the wrong family.
 * @example A literal is returned as it is; no host, with `passive`, is the wildcards
 * ```ts
 * import { resolve } from "@socketkit/socketkit";
 * import { deepStrictEqual as assertEquals } from "node:assert/strict";
 *
 * assertEquals(await resolve("::1", 3490), [{ hostname: "::1", port: 3490, family: 6 }]);
 * assertEquals(await resolve(undefined, 4950, { passive: true }), [
 *   { hostname: "::", port: 4950, family: 6 },
 *   { hostname: "0.0.0.0", port: 4950, family: 4 },
 * ]);
 * assertEquals(await resolve(undefined, 4950, { passive: true, family: 4 }), [
 *   { hostname: "0.0.0.0", port: 4950, family: 4 },
 * ]);
 * const empty = await resolve("", 4950, { passive: true }).catch((e) => e);
 * assertEquals(empty.message, 'lookup "": Name or service not known: empty host name');
 * ```
 */
export async function resolve(
  host: string | undefined,
  port: number,
  options: ResolveOptions = {},
): Promise<Candidate[]> {
  const onStep = options.onStep;
  if (onStep === undefined) return await resolveQuietly(host, port, options);
  const family = options.family ?? "any";
  const type = options.transport === "udp" ? "dgram" : "stream";
  const query = { host, port, passive: options.passive ?? false };
  onStep({ call: "getaddrinfo", phase: "start", family, type, query });
  try {
    const found = await resolveQuietly(host, port, options);
    const addresses = found.map((c) => c.hostname);
    onStep({ call: "getaddrinfo", phase: "end", family, type, query, found: addresses });
    return found;
  } catch (error) {
    onStep({ call: "getaddrinfo", phase: "end", family, type, query, error });
    throw error;
  }
}

async function resolveQuietly(
  host: string | undefined,
  port: number,
  options: ResolveOptions,
): Promise<Candidate[]> {
  const family = options.family ?? "any";
  if (family !== 4 && family !== 6 && family !== "any") {
    throw new ResolveError(String(host), `ai_family not supported: ${JSON.stringify(family)}`);
  }
  if (host === "") throw new ResolveError("", "Name or service not known: empty host name");
  if (host === undefined) {
    if (!options.passive) throw new ResolveError("", "Name or service not known: no host name");
    const wild: Candidate[] = [
      { hostname: "::", port, family: 6 },
      { hostname: "0.0.0.0", port, family: 4 },
    ];
    return wild.filter((c) => family === "any" || c.family === family);
  }
  const literal = ipFamily(host);
  if (literal !== undefined) {
    if (family !== "any" && family !== literal) {
      throw new ResolveError(
        host,
        `Address family for hostname not supported: an IPv${literal} address with -${family}`,
      );
    }
    return [{ hostname: host, port, family: literal }];
  }
  return await lookupAll(host, port, family);
}

async function lookupAll(host: string, port: number, family: Family): Promise<Candidate[]> {
  const { lookup } = await import("node:dns/promises");
  let found: { address: string; family: number }[];
  try {
    found = await lookup(host, {
      all: true,
      family: family === "any" ? 0 : family,
      verbatim: true,
    });
  } catch (err) {
    if (err instanceof Deno.errors.NotCapable || (err as { code?: string }).code === "EPERM") {
      const denied = err instanceof Deno.errors.NotCapable
        ? err
        : new Deno.errors.NotCapable(`Requires net access to "${host}"`);
      throw new ResolveError(host, "permission denied", denied);
    }
    const code = (err as { code?: string }).code ?? "";
    throw new ResolveError(host, REASONS[code] ?? (err as Error).message, err);
  }
  const seen = new Set<string>();
  const out: Candidate[] = [];
  for (const { address, family: f } of found) {
    if (seen.has(address) || (f !== 4 && f !== 6)) continue;
    seen.add(address);
    out.push({ hostname: address, port, family: f });
  }
  if (out.length === 0) throw new ResolveError(host, REASONS.ENODATA!);
  return out;
}
