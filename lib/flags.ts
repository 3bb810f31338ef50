/**
 * Flag parsing shared by the tools: a strict `parseArgs` whose mistakes become usage
 * errors, and parsers for counts, sizes, durations and the `-4`/`-6` pair.
 *
 * @module
 */
import { UsageError } from "./errors.ts";
import type { Family } from "./resolve.ts";

/** One option: a string that takes a value, or a boolean switch. */
export interface FlagSpec {
  /** `string` takes a value (`-p 80`, `-p80`, `--port 80`, `--port=80`); `boolean` does not. */
  type: "string" | "boolean";
  /** A one-character alias, used as `-x`. */
  short?: string;
  /** The value when the option is not given (strings only). */
  default?: string;
}

/** The option table, by long name. */
export type FlagTable = Record<string, FlagSpec>;

/** What {@linkcode parseFlags} returns. */
export interface ParsedFlags {
  /** Option values by long name. */
  values: Record<string, string | boolean | undefined>;
  /** The arguments that are not options. */
  positionals: string[];
}

/**
 * Parses a command line strictly, in the manner of `node:util`'s `parseArgs` (whose import
 * alone costs a one-shot tool about 14 ms of start-up): unknown options, missing values and
 * values that look like options become a {@linkcode UsageError}. `--` ends the options;
 * short booleans combine (`-kq`); a lone `-` is a positional.
 *
 * @param args The arguments (`Deno.args`).
 * @param table The option table.
 * @returns Values and positionals.
 * @example Parse a port flag
 * ```ts
 * import { parseFlags } from "./flags.ts";
 * const { values } = parseFlags(["-p", "80"], { port: { type: "string", short: "p" } });
 * console.log(values.port); // 80
 * ```
 */
export function parseFlags(args: string[], table: FlagTable): ParsedFlags {
  const values: ParsedFlags["values"] = {};
  const positionals: string[] = [];
  const byShort = new Map<string, string>();
  for (const [name, spec] of Object.entries(table)) {
    if (spec.short) byShort.set(spec.short, name);
    if (spec.default !== undefined) values[name] = spec.default;
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
      name = byShort.get(arg[1]!);
      if (name === undefined) throw new UsageError(`Unknown option '-${arg[1]}'`);
      if (table[name]!.type === "boolean") {
        // -kq: a run of short switches
        for (const c of arg.slice(2)) {
          const other = byShort.get(c);
          if (other === undefined || table[other]!.type !== "boolean") {
            throw new UsageError(`Unknown option '-${c}'`);
          }
          values[other] = true;
        }
      } else if (arg.length > 2) inline = arg.slice(2);
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
    values[name] = inline;
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
