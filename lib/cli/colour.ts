/**
 * Colour on a terminal, off otherwise: `--color auto|always|never`, and `NO_COLOR`
 * (any non-empty value) turns `auto` off. Only the views use it; the original's lines
 * sent to a pipe or a file never carry an escape sequence.
 *
 * @module
 */

/** When to colour. */
export type ColourMode = "auto" | "always" | "never";

/**
 * Whether a stream gets colour.
 *
 * @param mode The `--color` flag.
 * @param isTerminal Whether the stream is a terminal.
 * @param noColor The `NO_COLOR` variable, if set.
 * @returns Whether to colour.
 * @example
 * ```ts
 * import { useColour } from "./colour.ts";
 * import { deepStrictEqual as assertEquals } from "node:assert/strict";
 * assertEquals(useColour("auto", true, undefined), true);
 * assertEquals(useColour("auto", true, "1"), false);
 * assertEquals(useColour("auto", false, undefined), false);
 * assertEquals(useColour("always", false, "1"), true);
 * ```
 */
export function useColour(
  mode: ColourMode,
  isTerminal: boolean,
  noColor: string | undefined,
): boolean {
  if (mode !== "auto") return mode === "always";
  return isTerminal && (noColor === undefined || noColor === "");
}

/** The three styles the views use: the tool's name, errors, refusals. */
export interface Palette {
  /** The tool's name. */
  name(text: string): string;
  /** An error. */
  error(text: string): string;
  /** A refusal. */
  refusal(text: string): string;
}

const same = (text: string) => text;

/** No colour. */
export const PLAIN: Palette = { name: same, error: same, refusal: same };

/** ANSI colour: dim name, red errors, yellow refusals. */
export const ANSI: Palette = {
  name: (text) => `\x1b[2m${text}\x1b[22m`,
  error: (text) => `\x1b[31m${text}\x1b[39m`,
  refusal: (text) => `\x1b[33m${text}\x1b[39m`,
};
