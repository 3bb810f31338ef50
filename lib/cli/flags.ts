/**
 * Flag parsing shared by the tools: one table per tool, whose entries (made by
 * `lib/cli/flag_kinds.ts`) parse and check their own values, so that the parser returns
 * typed values and the help is generated from the same table (`lib/cli/flag_help.ts`).
 * Also the parsers for counts and durations, and the `-4`/`-6` pair.
 *
 * @module
 */
import { quoteField, UsageError } from "./errors.ts";
import type { Family } from "../net/resolve.ts";
import { formatDuration } from "../net/errors.ts";

/**
 * One option of a tool: how it is spelled, what it means (for the help), and how the texts
 * given for it become its value. Made by the functions of `lib/cli/flag_kinds.ts`
 * (`portFlag`, `durationFlag`, `booleanFlag`, …), not by hand.
 */
export interface Flag<T> {
  /** A one-character alias, used as `-x`. */
  readonly short?: string | undefined;
  /**
   * The value's name in the help (`PORT`, `DUR`, `N`); undefined for a switch, which
   * takes no value.
   */
  readonly arg?: string | undefined;
  /** What the option does, for the help: one sentence, wrapped by the help's layout. */
  readonly help: string;
  /** The default as the help shows it (`3490`, `10s`, `"Hello, world!"`), if any. */
  readonly shownDefault?: string | undefined;
  /** Whether every value given is kept (`--allow A --allow B`), not only the last. */
  readonly repeatable?: boolean | undefined;
  /**
   * Turns what was given into the value: `texts` holds each occurrence's text in order
   * (`""` for a switch), and is empty when the option was not given.
   *
   * @param texts What was given.
   * @param name The option's long name, for messages.
   * @returns The value.
   * @throws {UsageError} Naming the option and the bad value.
   */
  value(texts: readonly string[], name: string): T;
}

/** A tool's option table, by long name. */
// deno-lint-ignore no-explicit-any
export type FlagTable = Record<string, Flag<any>>;

/** The typed values of a table: each option's value type, by long name. */
export type FlagValues<T extends FlagTable> = {
  -readonly [K in keyof T]: T[K] extends Flag<infer V> ? V : never;
};

/** What {@linkcode parseFlags} returns. */
export interface ParsedFlags<T extends FlagTable> {
  /** Every option's value, by long name (its default when not given). */
  values: FlagValues<T>;
  /** The arguments that are not options. */
  positionals: string[];
  /** The long names of the options given on the command line. */
  given: ReadonlySet<keyof T & string>;
}

/** What {@linkcode scanFlags} returns: the texts given, not yet turned into values. */
export interface ScannedFlags {
  /** Each option given, by long name: its texts in order (`""` for a switch). */
  texts: Map<string, string[]>;
  /** The arguments that are not options. */
  positionals: string[];
}

/**
 * Reads a command line's shape strictly, in the manner of `node:util`'s `parseArgs` (whose
 * import alone costs a one-shot tool about 14 ms of start-up), without turning the texts
 * into values: unknown options, missing values and values that look like options become a
 * {@linkcode UsageError}. `--` ends the options, so what follows may begin with `-`; short
 * options combine as getopt reads them (`-kq`, and a run may end in one that takes a value:
 * `-cr 1s`, `-cr1s`, `-p0`); a lone `-` is a positional.
 *
 * @param args The arguments (`Deno.args`).
 * @param table The option table.
 * @returns The texts given for each option, and the positionals.
 * @throws {UsageError} For an unknown option, a missing or ambiguous value, or a value
 * given to a switch.
 * @example A bundle of switches ending in an option that takes a value
 * ```ts
 * import { scanFlags } from "./flags.ts";
 * import { booleanFlag, portFlag } from "./flag_kinds.ts";
 * import { deepStrictEqual as assertEquals } from "node:assert/strict";
 *
 * const table = {
 *   keep: booleanFlag("keep going", { short: "k" }),
 *   port: portFlag("port", { short: "p" }),
 * };
 * const { texts, positionals } = scanFlags(["-kp80", "host"], table);
 * assertEquals([...texts], [["keep", [""]], ["port", ["80"]]]);
 * assertEquals(positionals, ["host"]);
 * ```
 */
export function scanFlags(args: readonly string[], table: FlagTable): ScannedFlags {
  const texts = new Map<string, string[]>();
  const positionals: string[] = [];
  const byShort = new Map<string, string>();
  for (const [name, spec] of Object.entries(table)) {
    if (spec.short) byShort.set(spec.short, name);
  }
  const add = (name: string, text: string) => {
    const list = texts.get(name);
    if (list) list.push(text);
    else texts.set(name, [text]);
  };
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
        if (found === undefined) {
          // Inside a bundle, the whole argument says what was typed: '-e' in '-hello'.
          const where = arg.length > 2 ? ` in '${arg}'` : "";
          throw new UsageError(`Unknown option '-${c}'${where}`);
        }
        if (table[found]!.arg === undefined) {
          add(found, "");
          continue;
        }
        name = found;
        if (j + 1 < arg.length) inline = arg.slice(j + 1);
      }
      if (name === undefined) continue; // only switches: -kq
    }
    const spec = table[name]!;
    if (spec.arg === undefined) {
      if (inline !== undefined) {
        throw new UsageError(`Option '--${name}' does not take an argument`);
      }
      add(name, "");
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
    add(name, inline);
  }
  return { texts, positionals };
}

/**
 * Parses a command line against a tool's table: {@linkcode scanFlags}, then each option's
 * texts become its typed value (its default when not given), in the table's order, each
 * option checking its own value.
 *
 * @param args The arguments (`Deno.args`).
 * @param table The option table.
 * @returns Typed values, positionals, and which options were given.
 * @throws {UsageError} For a command line that does not fit the table, or a bad value.
 * @example Parse a port flag and a switch
 * ```ts
 * import { parseFlags } from "./flags.ts";
 * import { booleanFlag, portFlag } from "./flag_kinds.ts";
 * import { deepStrictEqual as assertEquals } from "node:assert/strict";
 *
 * const table = {
 *   port: portFlag("port to listen on", { short: "p", default: 3490 }),
 *   keep: booleanFlag("keep going", { short: "k" }),
 * };
 * const { values, positionals } = parseFlags(["-kp80", "host", "--", "-x"], table);
 * const port: number = values.port; // typed: no cast
 * assertEquals([port, values.keep, positionals], [80, true, ["host", "-x"]]);
 * assertEquals(parseFlags([], table).values, { port: 3490, keep: false });
 * ```
 */
export function parseFlags<T extends FlagTable>(
  args: readonly string[],
  table: T,
): ParsedFlags<T> {
  const { texts, positionals } = scanFlags(args, table);
  const values: Record<string, unknown> = {};
  for (const [name, spec] of Object.entries(table)) {
    values[name] = spec.value(texts.get(name) ?? [], name);
  }
  return {
    values: values as FlagValues<T>,
    positionals,
    given: new Set(texts.keys()) as ReadonlySet<keyof T & string>,
  };
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
      `Invalid ${flag} ${quoteField(text)}: expected a whole number from ${min} to ${max}`,
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
      `Invalid ${flag} ${quoteField(text)}: expected a duration from ${formatDuration(min)} to ${
        formatDuration(max)
      } (2, 2s, 500ms, 1m)`,
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
