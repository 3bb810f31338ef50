/**
 * Flag parsing shared by the tools: a strict `parseArgs` whose mistakes become usage
 * errors, and parsers for counts, sizes, durations and the `-4`/`-6` pair.
 *
 * @module
 */
import { parseArgs, type ParseArgsConfig } from "node:util";
import { UsageError } from "./errors.ts";
import type { Family } from "./resolve.ts";

/** The option table handed to `parseArgs`. */
export type FlagTable = NonNullable<ParseArgsConfig["options"]>;

/** What {@linkcode parseFlags} returns. */
export interface ParsedFlags {
  /** Option values by long name. */
  values: Record<string, string | boolean | undefined>;
  /** The arguments that are not options. */
  positionals: string[];
}

/**
 * Parses a command line strictly: unknown options, missing option values and bad
 * combinations become a {@linkcode UsageError}.
 *
 * @param args The arguments (`Deno.args`).
 * @param options The option table.
 * @returns Values and positionals.
 * @example Parse a port flag
 * ```ts
 * import { parseFlags } from "./flags.ts";
 * const { values } = parseFlags(["-p", "80"], { port: { type: "string", short: "p" } });
 * console.log(values.port); // 80
 * ```
 */
export function parseFlags(args: string[], options: FlagTable): ParsedFlags {
  try {
    const { values, positionals } = parseArgs({
      args,
      options,
      strict: true,
      allowPositionals: true,
    });
    return { values: values as ParsedFlags["values"], positionals };
  } catch (err) {
    const message = err instanceof Error ? err.message : String(err);
    throw new UsageError(message.split("\n")[0]!.split(". ")[0]!.replace(/\.$/, ""));
  }
}

/**
 * Parses a whole number in a range.
 *
 * @param flag The flag's name, for the message.
 * @param text The value as typed.
 * @param min The smallest allowed.
 * @param max The largest allowed.
 * @returns The number.
 * @throws {UsageError} Naming the flag and the value.
 * @example Parse a count
 * ```ts
 * import { parseInteger } from "./flags.ts";
 * console.log(parseInteger("--count", "5", 1, 1e9)); // 5
 * ```
 */
export function parseInteger(flag: string, text: string, min: number, max: number): number {
  const n = /^[0-9]{1,16}$/.test(text) ? Number(text) : NaN;
  if (!(n >= min && n <= max)) {
    throw new UsageError(
      `Invalid ${flag} ${JSON.stringify(text)}: expected a whole number from ${min} to ${max}`,
    );
  }
  return n;
}

/**
 * Parses a duration: milliseconds (`1500`, `1500ms`) or seconds (`1.5s`).
 *
 * @param flag The flag's name, for the message.
 * @param text The value as typed.
 * @returns Milliseconds, at least 1 and at most 24 hours.
 * @throws {UsageError} Naming the flag and the value.
 * @example Parse seconds
 * ```ts
 * import { parseDuration } from "./flags.ts";
 * console.log(parseDuration("--timeout", "2s")); // 2000
 * ```
 */
export function parseDuration(flag: string, text: string): number {
  const m = /^([0-9]{1,9}(?:\.[0-9]{1,3})?)(ms|s)?$/.exec(text);
  const ms = m ? Math.round(Number(m[1]) * (m[2] === "s" ? 1000 : 1)) : NaN;
  if (!(ms >= 1 && ms <= 86_400_000)) {
    throw new UsageError(
      `Invalid ${flag} ${JSON.stringify(text)}: expected milliseconds (500, 500ms) or seconds (2s)`,
    );
  }
  return ms;
}

/**
 * Turns the `-4` and `-6` flags into a family, refusing both at once.
 *
 * @param ipv4 Whether `-4` was given.
 * @param ipv6 Whether `-6` was given.
 * @param fallback The family when neither was.
 * @returns 4, 6 or the fallback.
 * @example Neither flag
 * ```ts
 * import { familyFlag } from "./flags.ts";
 * console.log(familyFlag(false, false, "any")); // any
 * ```
 */
export function familyFlag(ipv4: unknown, ipv6: unknown, fallback: Family): Family {
  if (ipv4 && ipv6) throw new UsageError("Options -4 and -6 cannot be used together");
  return ipv4 ? 4 : ipv6 ? 6 : fallback;
}
