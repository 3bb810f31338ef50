/**
 * Address selection: socketkit's `getaddrinfo`.
 *
 * @module
 */
import type { OnStep } from "./steps.ts";
import { type IPFamily, ipFamily } from "./address.ts";
import { ResolveError } from "./errors.ts";
import { portOption, quoteName, signalOption } from "./_validate.ts";

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
  family?: Family | undefined;
  /**
   * For a listening socket: with no host (undefined), return the wildcard addresses (`::`, then
   * `0.0.0.0`), like `AI_PASSIVE`.
   * @default {false}
   */
  passive?: boolean | undefined;
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
  /**
   * Abandons the lookup when it aborts: `resolve` rejects at once with the signal's reason
   * (the system's `getaddrinfo` cannot be stopped: its answer, when it comes, is dropped).
   * Pass `AbortSignal.timeout(ms)` (or several, with `AbortSignal.any`) for a deadline.
   * @default {undefined} (the lookup takes as long as the system's resolver does)
   */
  signal?: AbortSignal | undefined;
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
 * An IPv6 literal may carry a zone: `fe80::1%2`, or `fe80::1%eth0` when the interface's
 * index can be read (with `--allow-read` on `/sys/class/net`).
 *
 * Needs `--allow-net` to look a name up (a literal needs nothing).
 *
 * @param port The port every candidate gets (0…65535).
 * @param options The family and whether the address is for listening.
 * @returns At least one candidate.
 * @throws {ResolveError} For an unknown or empty name, a name with no address of the family
 * asked for (the reason says which family it has), a literal of the wrong family, or a
 * zone that is not known.
 * @throws {RangeError} For a port that is not a whole number from 0 to 65535.
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
  portOption(port);
  if (host !== undefined && typeof host !== "string") {
    throw new TypeError(`Invalid host "${String(host)}": expected a string or undefined`);
  }
  const onStep = options.onStep;
  const signal = signalOption(options.signal);
  if (onStep === undefined) return await abandonable(resolveQuietly(host, port, options), signal);
  const family = options.family ?? "any";
  const type = options.transport === "udp" ? "dgram" : "stream";
  const query = { host, port, passive: options.passive ?? false };
  onStep({ call: "getaddrinfo", phase: "start", family, type, query });
  try {
    const found = await abandonable(resolveQuietly(host, port, options), signal);
    const addresses = found.map((c) => c.hostname);
    onStep({ call: "getaddrinfo", phase: "end", family, type, query, found: addresses });
    return found;
  } catch (error) {
    if (signal?.aborted && error === signal.reason) {
      const reason = (error as Error)?.name === "TimeoutError" ? "deadline" : "cancelled";
      onStep({ call: "getaddrinfo", phase: "end", family, type, query, reason });
    } else onStep({ call: "getaddrinfo", phase: "end", family, type, query, error });
    throw error;
  }
}

/** `lookup`, or the signal's reason as soon as it aborts (the lookup's answer then dropped). */
function abandonable<T>(lookup: Promise<T>, signal: AbortSignal | undefined): Promise<T> {
  if (signal === undefined) return lookup;
  if (signal.aborted) {
    lookup.catch(() => {});
    return Promise.reject(signal.reason);
  }
  return new Promise<T>((resolve, reject) => {
    const stop = () => reject(signal.reason);
    signal.addEventListener("abort", stop, { once: true });
    lookup.then(resolve, reject).finally(() => signal.removeEventListener("abort", stop));
  });
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
  if (host.includes("%")) return [await zoned(host, port, family)];
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
    const reason = REASONS[code] ?? (err as Error).message;
    if (family !== "any" && code in REASONS) {
      const other = await otherFamily(host, family);
      if (other) throw new ResolveError(host, `No IPv${family} address: ${other}`, err);
    }
    throw new ResolveError(host, reason, err);
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

/**
 * For a name that has no address of `family`: the words saying which it has instead
 * (`the name has only IPv4 addresses (127.0.0.1)`), or undefined when it has none at all.
 */
async function otherFamily(host: string, family: IPFamily): Promise<string | undefined> {
  const { lookup } = await import("node:dns/promises");
  try {
    const found = await lookup(host, { all: true, family: family === 4 ? 6 : 4 });
    if (found.length === 0) return undefined;
    const shown = found.slice(0, 3).map((a) => a.address).join(", ");
    return `the name has only IPv${family === 4 ? 6 : 4} addresses (${shown})`;
  } catch {
    return undefined;
  }
}

/**
 * An IPv6 literal with a zone (`fe80::1%2`, `fe80::1%eth0`): the runtime takes only a
 * numeric zone, so an interface's name is turned into its index where it can be read
 * (`/sys/class/net/NAME/ifindex`, with read permission granted), or refused in one line.
 */
async function zoned(host: string, port: number, family: Family): Promise<Candidate> {
  const at = host.indexOf("%");
  const address = host.slice(0, at);
  const zone = host.slice(at + 1);
  if (ipFamily(address) !== 6 || family === 4) {
    throw new ResolveError(
      host,
      `Name or service not known: a zone ("%${zone}") goes with an IPv6 address only`,
    );
  }
  if (/^[0-9]{1,10}$/.test(zone)) return { hostname: host, port, family: 6 };
  const index = /^[A-Za-z0-9_.:-]{1,15}$/.test(zone) ? await interfaceIndex(zone) : undefined;
  if (index === undefined) {
    throw new ResolveError(
      host,
      `Name or service not known: unknown zone ${
        quoteName(zone)
      }: give the interface index (ip link lists it), as in ${address}%1`,
    );
  }
  return { hostname: `${address}%${index}`, port, family: 6 };
}

/** The index of the network interface `name`, or undefined when it cannot be read. */
async function interfaceIndex(name: string): Promise<number | undefined> {
  const path = `/sys/class/net/${name}/ifindex`;
  try {
    if (Deno.permissions.querySync({ name: "read", path }).state !== "granted") return undefined;
    const index = Number((await Deno.readTextFile(path)).trim());
    return Number.isInteger(index) && index > 0 ? index : undefined;
  } catch {
    return undefined;
  }
}
