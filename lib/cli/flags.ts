/**
 * Flag parsing shared by the tools: a strict `parseArgs` whose mistakes become usage
 * errors, and parsers for counts, sizes, durations and the `-4`/`-6` pair.
 *
 * @module
 */
import { UsageError } from "./errors.ts";
import type { Family } from "../net/resolve.ts";
import { formatDuration } from "../net/errors.ts";

/** One option: a string that takes a value, or a boolean switch. */
export interface FlagSpec {
  /** `string` takes a value (`-p 80`, `-p80`, `--port 80`, `--port=80`); `boolean` does not. */
  type: "string" | "boolean";
  /** A one-character alias, used as `-x`. */
  short?: string;
  /** The value when the option is not given (strings only). */
  default?: string;
  /**
   * Repeatable (strings only): every value given, in order, as a `string[]` (empty when the
   * option is not given), instead of the last one.
   * @default {false}
   */
  multiple?: boolean;
}

/** The option table, by long name. */
export type FlagTable = Record<string, FlagSpec>;

/** What {@linkcode parseFlags} returns. */
export interface ParsedFlags {
  /** Option values by long name (`string[]` for a `multiple` option). */
  values: Record<string, string | boolean | string[] | undefined>;
  /** The arguments that are not options. */
  positionals: string[];
}

/**
 * Parses a command line strictly, in the manner of `node:util`'s `parseArgs` (whose import
 * alone costs a one-shot tool about 14 ms of start-up): unknown options, missing values and
 * values that look like options become a {@linkcode UsageError}. `--` ends the options, so
 * what follows may begin with `-`; short options combine as getopt reads them (`-kq`, and a
 * run may end in one that takes a value: `-cr 1s`, `-cr1s`, `-p0`); a lone `-` is a
 * positional.
 *
 * @param args The arguments (`Deno.args`).
 * @param table The option table.
 * @returns Values and positionals.
 * @example Parse a port flag
 * ```ts
 * import { parseFlags } from "./flags.ts";
 * import { deepStrictEqual as assertEquals } from "node:assert/strict";
 *
 * const table = {
 *   port: { type: "string", short: "p", default: "3490" },
 *   keep: { type: "boolean", short: "k" },
 * } as const;
 * assertEquals(parseFlags(["-kp80", "host", "--", "-x"], table), {
 *   values: { port: "80", keep: true },
 *   positionals: ["host", "-x"],
 * });
 * assertEquals(parseFlags([], table).values, { port: "3490" });
 * ```
 */
export function parseFlags(args: string[], table: FlagTable): ParsedFlags {
  const values: ParsedFlags["values"] = {};
  const positionals: string[] = [];
  const byShort = new Map<string, string>();
  for (const [name, spec] of Object.entries(table)) {
    if (spec.short) byShort.set(spec.short, name);
    if (spec.default !== undefined) values[name] = spec.default;
    if (spec.multiple) values[name] = [];
  }
  const label = (name: string) => {
    const short = table[name]!.short;
    return short ? `'-${short}, --${name} <value>'` : `'--${name}'`;
  };
  for (let i = 0; i < args.length; i++) {
    const arg = args[i]!;
    if (arg === "--") {
      positionals.push(...args.slice(i + 1));
      break;
    }
    if (!arg.startsWith("-") || arg === "-") {
      positionals.push(arg);
      continue;
    }
    let name: string | undefined;
    let inline: string | undefined;
    if (arg.startsWith("--")) {
      const eq = arg.indexOf("=");
      name = arg.slice(2, eq < 0 ? undefined : eq);
      if (eq >= 0) inline = arg.slice(eq + 1);
      if (!Object.hasOwn(table, name)) throw new UsageError(`Unknown option '--${name}'`);
    } else {
      // A run of short options, read as getopt reads it: switches until one that takes a
      // value, which takes the rest of the argument (-cr1s, -p0) or the next one (-cr 1s).
      for (let j = 1; j < arg.length && name === undefined; j++) {
        const c = arg[j]!;
        const found = byShort.get(c);
        if (found === undefined) throw new UsageError(`Unknown option '-${c}'`);
        if (table[found]!.type === "boolean") {
          values[found] = true;
          continue;
        }
        name = found;
        if (j + 1 < arg.length) inline = arg.slice(j + 1);
      }
      if (name === undefined) continue; // only switches: -kq
    }
    const spec = table[name]!;
    if (spec.type === "boolean") {
      if (inline !== undefined) {
        throw new UsageError(`Option '--${name}' does not take an argument`);
      }
      values[name] = true;
      continue;
    }
    if (inline === undefined) {
      const next = args[i + 1];
      if (next === undefined) throw new UsageError(`Option ${label(name)} argument missing`);
      if (next.startsWith("-") && next !== "-") {
        throw new UsageError(
          `Option ${
            label(name)
          } argument is ambiguous: to pass a value starting with '-', write --${name}=${next}`,
        );
      }
      inline = next;
      i++;
    }
    if (spec.multiple) (values[name] as string[]).push(inline);
    else values[name] = inline;
  }
  return { values, positionals };
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
 * import { deepStrictEqual as assertEquals } from "node:assert/strict";
 *
 * assertEquals(parseInteger("--count", "5", 1, 1e9), 5);
 * let message = "";
 * try {
 *   parseInteger("--count", "0", 1, 1e9);
 * } catch (e) {
 *   message = (e as Error).message;
 * }
 * assertEquals(message, 'Invalid --count "0": expected a whole number from 1 to 1000000000');
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

/** Options for {@linkcode parseDuration}. */
export interface ParseDurationOptions {
  /**
   * The shortest duration allowed, in milliseconds: 0 where "don't wait" makes sense
   * (`--linger 0`, `--drain-timeout 0`), more for a deadline that must leave some time.
   * @default {1}
   */
  min?: number;
  /**
   * The longest duration allowed, in milliseconds.
   * @default {86400000}
   */
  max?: number;
}

const UNIT_MS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 };

/**
 * Parses a duration as `nc -w` and `ncat -w` read one: a bare number is seconds (`2`,
 * `1.5`, `.5`), or it takes a unit (`500ms`, `2s`, `1m`, `1h`). Decimals are allowed with
 * any unit and rounded up to a whole millisecond; signs, exponents and blanks are not.
 *
 * @param flag The flag's name, for the message.
 * @param text The value as typed.
 * @param options The range allowed (default 1 ms to 24 hours).
 * @returns Milliseconds.
 * @throws {UsageError} Naming the flag, the value and the range.
 * @example Bare numbers are seconds
 * ```ts
 * import { parseDuration } from "./flags.ts";
 * import { deepStrictEqual as assertEquals } from "node:assert/strict";
 *
 * assertEquals(parseDuration("--timeout", "2"), 2000);
 * assertEquals(parseDuration("--timeout", ".5"), 500);
 * assertEquals(parseDuration("--timeout", "500ms"), 500);
 * assertEquals(parseDuration("--timeout", "1m"), 60_000);
 * assertEquals(parseDuration("--linger", "0", { min: 0 }), 0);
 * ```
 */
export function parseDuration(
  flag: string,
  text: string,
  options: ParseDurationOptions = {},
): number {
  const min = options.min ?? 1;
  const max = options.max ?? 86_400_000;
  const m = /^([0-9]{0,9})(?:\.([0-9]{1,9}))?(ms|s|m|h)?$/.exec(text);
  let ms = NaN;
  if (m && (m[1] || m[2])) {
    const unit = UNIT_MS[m[3] ?? "s"]!;
    const fraction = m[2] ?? "";
    // Whole part and fraction apart, so 0.07s is 70 ms, not 70.00000000000001.
    ms = Number(m[1] || "0") * unit +
      Math.ceil(Number(fraction || "0") * unit / 10 ** fraction.length);
  }
  if (!(ms >= min && ms <= max)) {
    throw new UsageError(
      `Invalid ${flag} ${JSON.stringify(text)}: expected a duration from ${
        formatDuration(min)
      } to ${formatDuration(max)} (2, 2s, 500ms, 1m)`,
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
 * @example One flag, neither, or both
 * ```ts
 * import { familyFlag } from "./flags.ts";
 * import { UsageError } from "./errors.ts";
 * import { deepStrictEqual as assertEquals } from "node:assert/strict";
 *
 * assertEquals([familyFlag(true, undefined, "any"), familyFlag(false, false, "any")], [4, "any"]);
 * let err: unknown;
 * try {
 *   familyFlag(true, true, "any");
 * } catch (e) {
 *   err = e;
 * }
 * assertEquals(err instanceof UsageError, true);
 * assertEquals((err as UsageError).message, "Options -4 and -6 cannot be used together");
 * ```
 */
export function familyFlag(ipv4: unknown, ipv6: unknown, fallback: Family): Family {
  if (ipv4 && ipv6) throw new UsageError("Options -4 and -6 cannot be used together");
  return ipv4 ? 4 : ipv6 ? 6 : fallback;
}
