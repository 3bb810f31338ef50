/**
 * The flags every tool shares for its views: `--json`, `--explain`, `--color WHEN`,
 * `--diagram FILE`; for the tools that serve sessions, `--diagram-limit N`; and for the tools
 * with a live status line (the server, the listener's `-k`), `--progress` and `--no-progress`.
 *
 * @module
 */
import { quoteField, UsageError } from "./errors.ts";
import { booleanFlag, choiceFlag, integerFlag, stringFlag } from "./flag_kinds.ts";
import type { Flag } from "./flags.ts";
import { DIAGRAM_LIMIT_DEFAULT } from "./defaults.ts";
import type { ViewOptions } from "./reporter.ts";

/** The views' entries for a tool's option table. */
export const VIEW_FLAGS = {
  json: booleanFlag(
    "JSON Lines on stdout instead of the human lines (one object per event; errors too; " +
      "schema/events.schema.json)",
  ),
  explain: booleanFlag(
    "each step on stderr as the BSD socket call it stands for, with its result, the time " +
      "since start and why",
  ),
  color: choiceFlag("WHEN", "auto (off with NO_COLOR), always or never", [
    "auto",
    "always",
    "never",
  ], { default: "auto" }),
  diagram: stringFlag(
    "FILE",
    "the session as a sequence diagram, written when the tool ends: FILE.mmd (Mermaid) or " +
      "FILE.svg (needs --allow-write=FILE)",
  ),
};

/** `--diagram-limit N`, for the tools that serve sessions (the server and the listener). */
export const DIAGRAM_LIMIT_FLAGS = {
  "diagram-limit": integerFlag("sessions drawn in the --diagram; a note counts the others", {
    min: 0,
    max: 1_000_000,
    shownDefault: String(DIAGRAM_LIMIT_DEFAULT),
  }),
};

/**
 * `--progress` and `--no-progress`, for a tool that has a live status line (the client and
 * the talker have none, so they do not take these flags).
 *
 * @param line What the status line is, for the help: `"the live status line"`.
 * @returns The two entries for the tool's table.
 * @example
 * ```ts
 * import { progressFlags } from "./view_flags.ts";
 * import { parseFlags } from "./flags.ts";
 * import { deepStrictEqual as assertEquals } from "node:assert/strict";
 * const table = progressFlags("the live status line");
 * assertEquals(parseFlags(["--no-progress"], table).values, { progress: false, "no-progress": true });
 * ```
 */
export function progressFlags(
  line: string,
): { progress: Flag<boolean>; "no-progress": Flag<boolean> } {
  return {
    progress: booleanFlag(`force ${line} on (default: on when stderr is a terminal)`),
    "no-progress": booleanFlag(`force ${line} off`),
  };
}

/** What {@linkcode parseViewFlags} reads: the values of {@linkcode VIEW_FLAGS}, and `--raw`. */
export interface ViewFlagValues {
  /** `--json`. */
  json: boolean;
  /** `--explain`. */
  explain: boolean;
  /** `--progress`, where the tool has it. */
  progress?: boolean | undefined;
  /** `--no-progress`, where the tool has it. */
  "no-progress"?: boolean | undefined;
  /** `--color`. */
  color: "auto" | "always" | "never";
  /** `--diagram`. */
  diagram?: string | undefined;
  /** `--diagram-limit`, where the tool has it. */
  "diagram-limit"?: number | undefined;
  /** `--raw`, where the tool has it (not with `--json`). */
  raw?: boolean | undefined;
}

/**
 * The views asked for on the command line.
 *
 * @param values Parsed flags (with {@linkcode VIEW_FLAGS} in the table).
 * @returns The view options.
 * @throws {UsageError} For `--json` with `--raw`, both progress flags, a `--diagram` that is
 * not `.mmd` or `.svg`, or `--diagram-limit` without `--diagram`.
 * @example
 * ```ts
 * import { parseViewFlags } from "./view_flags.ts";
 * import { deepStrictEqual as assertEquals } from "node:assert/strict";
 * assertEquals(parseViewFlags({ json: true, explain: false, color: "never" }), {
 *   json: true,
 *   explain: false,
 *   progress: undefined,
 *   color: "never",
 * });
 * ```
 */
export function parseViewFlags(values: ViewFlagValues): ViewOptions {
  if (values.json && values.raw) {
    throw new UsageError("Options --json and --raw cannot be used together");
  }
  if (values.progress && values["no-progress"]) {
    throw new UsageError("Options --progress and --no-progress cannot be used together");
  }
  const limit = values["diagram-limit"];
  if (limit !== undefined && values.diagram === undefined) {
    throw new UsageError("Option --diagram-limit needs --diagram FILE");
  }
  const path = values.diagram;
  if (path !== undefined) diagramFormat(path);
  return {
    ...(path === undefined ? {} : { diagram: { path, limit } }),
    json: values.json,
    explain: values.explain,
    progress: values.progress ? true : values["no-progress"] ? false : undefined,
    color: values.color,
  };
}

/**
 * The format a diagram's path asks for.
 *
 * @param path The `--diagram` value.
 * @returns `mermaid` for `.mmd`, `svg` for `.svg`.
 * @throws {UsageError} For any other extension.
 * @example
 * ```ts
 * import { diagramFormat } from "./view_flags.ts";
 * import { deepStrictEqual as assertEquals } from "node:assert/strict";
 * assertEquals([diagramFormat("a.mmd"), diagramFormat("b.SVG")], ["mermaid", "svg"]);
 * ```
 */
export function diagramFormat(path: string): "mermaid" | "svg" {
  const lower = path.toLowerCase();
  if (lower.endsWith(".mmd")) return "mermaid";
  if (lower.endsWith(".svg")) return "svg";
  throw new UsageError(
    `Invalid --diagram ${quoteField(path)}: expected a file name ending in .mmd or .svg`,
  );
}
