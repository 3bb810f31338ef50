/**
 * Flags shared by the tools for TLS (`--alpn`, the options that need `--tls`). Access control
 * (`--allow`, `--deny`) is in `access_flags.ts`, so that the client does not load it.
 *
 * @module
 */
import { quoteField, UsageError } from "./errors.ts";

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
        `Invalid --alpn ${quoteField(text)}: expected protocol names separated by commas`,
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
