/**
 * The types that every tool's entry point (`cmd/*.ts`) has in its signatures (`info`, `main`),
 * re-exported in one place so that each entry's docs are complete.
 *
 * @module
 */
export type { ToolInfo } from "./tool.ts";
export type { Flag, FlagTable } from "./flags.ts";
export type { Reporter, Terminal, ViewOptions } from "./reporter.ts";
export type { StatusFigures } from "./status_line.ts";
export type { ColourMode } from "./colour.ts";
export type { EventName, JsonAddress } from "./json.ts";
export type { Lost, Output } from "./output.ts";
