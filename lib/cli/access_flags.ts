/**
 * Flags shared by the serving tools for access control (`--allow`, `--deny`).
 *
 * @module
 */
import { AccessList, AccessSpecError } from "../net/access_list.ts";
import { quoteField, UsageError } from "./errors.ts";

/**
 * Checks `--allow` and `--deny` specs, so that a malformed one is a usage error naming it.
 *
 * @param allow The `--allow` values.
 * @param deny The `--deny` values.
 * @returns The rules, or undefined when there are none.
 * @throws {UsageError} `Invalid --allow "10.0.0.0/33": prefix length must be from 0 to 32`.
 * @example A CIDR block and an address
 * ```ts
 * import { parseAccessFlags } from "./access_flags.ts";
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
        throw new UsageError(`Invalid ${flag} ${quoteField(spec)}: ${err.reason}`);
      }
    }
  }
  return { allow, deny };
}
