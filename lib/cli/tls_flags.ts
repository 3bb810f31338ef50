/**
 * Flags shared by the tools for access control (`--allow`, `--deny`) and TLS (`--alpn`, the
 * options that need `--tls`).
 *
 * @module
 */
import { AccessList, AccessSpecError } from "../net/access_list.ts";
import { UsageError } from "./errors.ts";

/**
 * Checks `--allow` and `--deny` specs, so that a malformed one is a usage error naming it.
 *
 * @param allow The `--allow` values.
 * @param deny The `--deny` values.
 * @returns The rules, or undefined when there are none.
 * @throws {UsageError} `Invalid --allow "10.0.0.0/33": prefix length must be from 0 to 32`.
 * @example A CIDR block and an address
 * ```ts
 * import { parseAccessFlags } from "./tls_flags.ts";
 * import { deepStrictEqual as assertEquals } from "node:assert/strict";
 * assertEquals(parseAccessFlags(["10.0.0.0/8"], ["10.0.0.1"]), {
 *   allow: ["10.0.0.0/8"],
 *   deny: ["10.0.0.1"],
 * });
 * assertEquals(parseAccessFlags([], []), undefined);
 * ```
 */
export function parseAccessFlags(
  allow: string[],
  deny: string[],
): { allow: string[]; deny: string[] } | undefined {
  if (allow.length === 0 && deny.length === 0) return undefined;
  for (const [flag, specs] of [["--allow", allow], ["--deny", deny]] as const) {
    for (const spec of specs) {
      try {
        new AccessList({ allow: [spec] });
      } catch (err) {
        if (!(err instanceof AccessSpecError)) throw err;
        throw new UsageError(`Invalid ${flag} ${JSON.stringify(spec)}: ${err.reason}`);
      }
    }
  }
  return { allow, deny };
}

/**
 * Parses `--alpn h2,http/1.1`.
 *
 * @param text The value, if given.
 * @returns The protocols, or undefined.
 * @throws {UsageError} For an empty or over-long protocol name.
 * @example Two protocols
 * ```ts
 * import { parseAlpn } from "./tls_flags.ts";
 * import { deepStrictEqual as assertEquals } from "node:assert/strict";
 * assertEquals(parseAlpn("h2,http/1.1"), ["h2", "http/1.1"]);
 * ```
 */
export function parseAlpn(text: string | undefined): string[] | undefined {
  if (text === undefined) return undefined;
  const names = text.split(",");
  for (const name of names) {
    if (name.length === 0 || name.length > 255) {
      throw new UsageError(
        `Invalid --alpn ${JSON.stringify(text)}: expected protocol names separated by commas`,
      );
    }
  }
  return names;
}

/**
 * Refuses TLS options given without `--tls`.
 *
 * @param tls Whether `--tls` was given.
 * @param given The options given on the command line (`parseFlags`' `given`).
 * @param names The options that need `--tls`.
 * @throws {UsageError} `Option --cert needs --tls`.
 * @example
 * ```ts
 * import { tlsOnly } from "./tls_flags.ts";
 * import { throws } from "node:assert/strict";
 * tlsOnly(true, new Set(["cert"]), ["cert"]);
 * throws(() => tlsOnly(false, new Set(["cert"]), ["cert"]), { message: "Option --cert needs --tls" });
 * ```
 */
export function tlsOnly(tls: boolean, given: ReadonlySet<string>, names: string[]): void {
  if (tls) return;
  for (const name of names) {
    if (given.has(name)) throw new UsageError(`Option --${name} needs --tls`);
  }
}
