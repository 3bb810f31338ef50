/**
 * The flags every tool shares for its views: `--json`, `--explain`, `--progress`,
 * `--no-progress`, `--color WHEN`.
 *
 * @module
 */
import { UsageError } from "./errors.ts";
import { type FlagTable, parseInteger } from "./flags.ts";
import type { ViewOptions } from "./reporter.ts";
import { diagramFormat } from "./diagram.ts";

/** The views' entries for a tool's `parseFlags` table. */
export const VIEW_FLAGS: FlagTable = {
  json: { type: "boolean" },
  explain: { type: "boolean" },
  progress: { type: "boolean" },
  "no-progress": { type: "boolean" },
  color: { type: "string", default: "auto" },
  diagram: { type: "string" },
  "diagram-limit": { type: "string" },
};

/** The views' lines of a tool's help. */
export const VIEW_HELP =
  `      --json                 JSON Lines on stdout instead of the human lines (one object
                             per event; errors too; schema/events.schema.json)
      --explain              each step on stderr as the BSD socket call it stands for,
                             with its result, the time since start and why
      --progress, --no-progress
                             force the live status line on or off (default: on when
                             stderr is a terminal, for -k and the server)
      --color WHEN           auto (default; off with NO_COLOR), always or never
      --diagram FILE         the session as a sequence diagram, written when the tool ends:
                             FILE.mmd (Mermaid) or FILE.svg (needs --allow-write=FILE)
      --diagram-limit N      sessions a server or listener draws (default 10)`;

/**
 * The views asked for on the command line.
 *
 * @param values Parsed flags (with {@linkcode VIEW_FLAGS} in the table).
 * @returns The view options.
 * @throws {UsageError} For a `--color` that is not auto, always or never, or both
 * progress flags.
 * @example
 * ```ts
 * import { parseViewFlags } from "./view_flags.ts";
 * import { deepStrictEqual as assertEquals } from "node:assert/strict";
 * assertEquals(parseViewFlags({ json: true, color: "never" }), {
 *   json: true,
 *   explain: false,
 *   progress: undefined,
 *   color: "never",
 * });
 * ```
 */
export function parseViewFlags(
  values: Record<string, string | boolean | string[] | undefined>,
): ViewOptions {
  const color = (values.color as string | undefined) ?? "auto";
  if (color !== "auto" && color !== "always" && color !== "never") {
    throw new UsageError(`Cannot parse --color "${color}": expected auto, always or never`);
  }
  if (values.json === true && values.raw === true) {
    throw new UsageError("Options --json and --raw cannot be used together");
  }
  if (values.progress === true && values["no-progress"] === true) {
    throw new UsageError("Options --progress and --no-progress cannot be used together");
  }
  const diagram = values.diagram as string | undefined;
  const limitText = values["diagram-limit"] as string | undefined;
  if (limitText !== undefined && diagram === undefined) {
    throw new UsageError("Option --diagram-limit needs --diagram FILE");
  }
  if (diagram !== undefined) diagramFormat(diagram);
  const limit = limitText === undefined
    ? undefined
    : parseInteger("--diagram-limit", limitText, 0, 1_000_000);
  return {
    ...(diagram === undefined ? {} : { diagram: { path: diagram, limit } }),
    json: values.json === true,
    explain: values.explain === true,
    progress: values.progress === true ? true : values["no-progress"] === true ? false : undefined,
    color,
  };
}
