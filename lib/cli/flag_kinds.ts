/**
 * The kinds of option a tool's table is made of. Each entry parses and checks its own
 * value, carries its help sentence and its default, so that a tool's table is the one
 * place its options are written: the parser returns typed values from it, and the help's
 * Options block is generated from it (as Go's `flag.PrintDefaults` does).
 *
 * @module
 */
import { quoteField, UsageError } from "./errors.ts";
import { type Flag, parseDuration, parseInteger } from "./flags.ts";
import { formatDuration } from "../net/errors.ts";
import { parsePort } from "./port.ts";

/** What every kind of option may be given. */
export interface FlagOptions {
  /**
   * A one-character alias, used as `-x`.
   * @default {undefined} (long name only)
   */
  short?: string | undefined;
  /**
   * The default as the help shows it, when the value alone would not say it well
   * (`"65536; no limit with --raw"`); `""` shows none.
   * @default {undefined} (the default value, as the kind shows it)
   */
  shownDefault?: string | undefined;
}

/** A kind's options with the value the option has when it is not given. */
export interface WithDefault<T> {
  /** The value when the option is not given. */
  default: T;
}

/**
 * A switch: `true` when given (`-k`, `--keep`), `false` when not.
 *
 * @param help What it does.
 * @param options Its short name.
 * @returns The table entry.
 * @example
 * ```ts
 * import { booleanFlag } from "./flag_kinds.ts";
 * import { parseFlags } from "./flags.ts";
 * import { deepStrictEqual as assertEquals } from "node:assert/strict";
 * const table = { keep: booleanFlag("keep receiving", { short: "k" }) };
 * assertEquals([parseFlags(["-k"], table).values.keep, parseFlags([], table).values.keep], [
 *   true,
 *   false,
 * ]);
 * ```
 */
export function booleanFlag(help: string, options: FlagOptions = {}): Flag<boolean> {
  return {
    short: options.short,
    help,
    shownDefault: options.shownDefault,
    value: (texts) => texts.length > 0,
  };
}

/**
 * An option that takes a value: the last one given, made by `parse`; the default (or
 * undefined) when not given. The other kinds are made with it.
 *
 * @param arg The value's name in the help (`TEXT`, `FILE`).
 * @param help What it does.
 * @param options Short name, shown default, and the default.
 * @param parse Turns a text into the value, or throws a {@linkcode UsageError}.
 * @param show How the help shows the default.
 * @returns The table entry.
 * @example A value of one's own kind
 * ```ts
 * import { valueFlag } from "./flag_kinds.ts";
 * import { parseFlags } from "./flags.ts";
 * import { deepStrictEqual as assertEquals } from "node:assert/strict";
 * const table = {
 *   size: valueFlag("N", "a size", { default: 2 }, (text) => Number(text) * 2, String),
 * };
 * assertEquals(parseFlags(["--size", "5"], table).values.size, 10);
 * assertEquals(table.size.shownDefault, "2");
 * ```
 */
export function valueFlag<T>(
  arg: string,
  help: string,
  options: FlagOptions & WithDefault<T>,
  parse: (text: string, name: string) => T,
  show: (value: T) => string,
): Flag<T>;
export function valueFlag<T>(
  arg: string,
  help: string,
  options: FlagOptions,
  parse: (text: string, name: string) => T,
  show: (value: T) => string,
): Flag<T | undefined>;
export function valueFlag<T>(
  arg: string,
  help: string,
  options: FlagOptions & Partial<WithDefault<T>>,
  parse: (text: string, name: string) => T,
  show: (value: T) => string,
): Flag<T | undefined> {
  const fallback = options.default;
  return {
    short: options.short,
    arg,
    help,
    // Read by the help alone: formatted when it is read, not at every start.
    get shownDefault() {
      return options.shownDefault ?? (fallback === undefined ? undefined : show(fallback));
    },
    value: (texts, name) => texts.length === 0 ? fallback : parse(texts.at(-1)!, name),
  };
}

/**
 * A text, taken as typed.
 *
 * @param arg The value's name in the help.
 * @param help What it does.
 * @param options Short name and default.
 * @returns The table entry.
 * @example
 * ```ts
 * import { stringFlag } from "./flag_kinds.ts";
 * import { parseFlags } from "./flags.ts";
 * import { deepStrictEqual as assertEquals } from "node:assert/strict";
 * const table = { message: stringFlag("TEXT", "what to send", { default: "hi" }) };
 * assertEquals(parseFlags(["--message=yo"], table).values.message, "yo");
 * assertEquals(table.message.shownDefault, '"hi"');
 * ```
 */
export function stringFlag(
  arg: string,
  help: string,
  options: FlagOptions & WithDefault<string>,
): Flag<string>;
export function stringFlag(
  arg: string,
  help: string,
  options?: FlagOptions,
): Flag<string | undefined>;
export function stringFlag(
  arg: string,
  help: string,
  options: FlagOptions & Partial<WithDefault<string>> = {},
): Flag<string | undefined> {
  return valueFlag(arg, help, options, (text) => text, (value) => JSON.stringify(value));
}

/**
 * A repeatable text: every value given, in order (`--allow A --allow B`); empty when none.
 *
 * @param arg The value's name in the help.
 * @param help What it does (the help adds "repeatable").
 * @param options Short name.
 * @returns The table entry.
 * @example
 * ```ts
 * import { listFlag } from "./flag_kinds.ts";
 * import { parseFlags } from "./flags.ts";
 * import { deepStrictEqual as assertEquals } from "node:assert/strict";
 * const table = { allow: listFlag("SPEC", "serve only these") };
 * assertEquals(parseFlags(["--allow", "::1", "--allow=10.0.0.0/8"], table).values.allow, [
 *   "::1",
 *   "10.0.0.0/8",
 * ]);
 * assertEquals(parseFlags([], table).values.allow, []);
 * ```
 */
export function listFlag(arg: string, help: string, options: FlagOptions = {}): Flag<string[]> {
  return {
    short: options.short,
    arg,
    help,
    repeatable: true,
    shownDefault: options.shownDefault,
    value: (texts) => [...texts],
  };
}

/** Options for {@linkcode portFlag}. */
export interface PortFlagOptions extends FlagOptions {
  /**
   * Whether 0 ("any free port") is allowed: true for listening tools.
   * @default {true}
   */
  allowZero?: boolean;
}

/**
 * A port number (`PORT`), checked by `parsePort`.
 *
 * @param help What it does.
 * @param options Short name, default, and whether 0 is allowed.
 * @returns The table entry.
 * @example
 * ```ts
 * import { portFlag } from "./flag_kinds.ts";
 * import { parseFlags } from "./flags.ts";
 * import { deepStrictEqual as assertEquals, throws } from "node:assert/strict";
 * const table = { port: portFlag("server port", { short: "p", default: 3490, allowZero: false }) };
 * assertEquals(parseFlags(["-p", "036004"], table).values.port, 36004);
 * throws(() => parseFlags(["-p0"], table), { message: 'Invalid port "0": expected a whole number from 1 to 65535' });
 * ```
 */
export function portFlag(
  help: string,
  options: PortFlagOptions & WithDefault<number>,
): Flag<number>;
export function portFlag(help: string, options?: PortFlagOptions): Flag<number | undefined>;
export function portFlag(
  help: string,
  options: PortFlagOptions & Partial<WithDefault<number>> = {},
): Flag<number | undefined> {
  const allowZero = options.allowZero ?? true;
  return valueFlag("PORT", help, options, (text) => parsePort(text, { allowZero }), String);
}

/** Options for {@linkcode durationFlag}: the range allowed, in milliseconds. */
export interface DurationFlagOptions extends FlagOptions {
  /**
   * The shortest duration allowed.
   * @default {1}
   */
  min?: number;
  /**
   * The longest duration allowed.
   * @default {86400000} (24 hours)
   */
  max?: number;
}

/**
 * A duration (`DUR`), as `parseDuration` reads it (`2`, `1.5`, `500ms`, `1m`), in
 * milliseconds; the help shows the default as it may be typed (`10s`).
 *
 * @param help What it does.
 * @param options Short name, default (milliseconds) and range.
 * @returns The table entry.
 * @example
 * ```ts
 * import { durationFlag } from "./flag_kinds.ts";
 * import { parseFlags } from "./flags.ts";
 * import { deepStrictEqual as assertEquals } from "node:assert/strict";
 * const table = { wait: durationFlag("how long", { default: 10_000, min: 0 }) };
 * assertEquals(parseFlags(["--wait", "1.5"], table).values.wait, 1500);
 * assertEquals(parseFlags(["--wait=0"], table).values.wait, 0);
 * assertEquals(table.wait.shownDefault, "10s");
 * ```
 */
export function durationFlag(
  help: string,
  options: DurationFlagOptions & WithDefault<number>,
): Flag<number>;
export function durationFlag(
  help: string,
  options?: DurationFlagOptions,
): Flag<number | undefined>;
export function durationFlag(
  help: string,
  options: DurationFlagOptions & Partial<WithDefault<number>> = {},
): Flag<number | undefined> {
  const range = {
    ...(options.min === undefined ? {} : { min: options.min }),
    ...(options.max === undefined ? {} : { max: options.max }),
  };
  return valueFlag(
    "DUR",
    help,
    options,
    (text, name) => parseDuration(`--${name}`, text, range),
    formatDuration,
  );
}

/** Options for {@linkcode integerFlag}. */
export interface IntegerFlagOptions extends FlagOptions {
  /** The smallest allowed. */
  min: number;
  /** The largest allowed. */
  max: number;
  /**
   * The value's name in the help.
   * @default {"N"}
   */
  arg?: string;
}

/**
 * A whole number in a range (`N`), as `parseInteger` reads it.
 *
 * @param help What it does.
 * @param options Short name, default and range.
 * @returns The table entry.
 * @example
 * ```ts
 * import { integerFlag } from "./flag_kinds.ts";
 * import { parseFlags } from "./flags.ts";
 * import { deepStrictEqual as assertEquals, throws } from "node:assert/strict";
 * const table = { workers: integerFlag("threads", { default: 1, min: 1, max: 64 }) };
 * assertEquals(parseFlags(["--workers", "4"], table).values.workers, 4);
 * throws(() => parseFlags(["--workers", "0"], table), {
 *   message: 'Invalid --workers "0": expected a whole number from 1 to 64',
 * });
 * ```
 */
export function integerFlag(
  help: string,
  options: IntegerFlagOptions & WithDefault<number>,
): Flag<number>;
export function integerFlag(help: string, options: IntegerFlagOptions): Flag<number | undefined>;
export function integerFlag(
  help: string,
  options: IntegerFlagOptions & Partial<WithDefault<number>>,
): Flag<number | undefined> {
  return valueFlag(
    options.arg ?? "N",
    help,
    options,
    (text, name) => parseInteger(`--${name}`, text, options.min, options.max),
    String,
  );
}

/**
 * One of a few words (`--color auto|always|never`).
 *
 * @param arg The value's name in the help.
 * @param help What it does.
 * @param choices The words allowed.
 * @param options Short name and default.
 * @returns The table entry.
 * @example
 * ```ts
 * import { choiceFlag } from "./flag_kinds.ts";
 * import { parseFlags } from "./flags.ts";
 * import { deepStrictEqual as assertEquals, throws } from "node:assert/strict";
 * const table = {
 *   color: choiceFlag("WHEN", "colour", ["auto", "always", "never"], { default: "auto" }),
 * };
 * const color: "auto" | "always" | "never" = parseFlags(["--color=never"], table).values.color;
 * assertEquals(color, "never");
 * throws(() => parseFlags(["--color", "red"], table), {
 *   message: 'Cannot parse --color "red": expected auto, always or never',
 * });
 * ```
 */
export function choiceFlag<C extends string>(
  arg: string,
  help: string,
  choices: readonly C[],
  options: FlagOptions & WithDefault<NoInfer<C>>,
): Flag<C> {
  const expected = `${choices.slice(0, -1).join(", ")} or ${choices.at(-1)}`;
  return valueFlag(arg, help, options, (text, name) => {
    if (!(choices as readonly string[]).includes(text)) {
      throw new UsageError(`Cannot parse --${name} ${quoteField(text)}: expected ${expected}`);
    }
    return text as C;
  }, String);
}
