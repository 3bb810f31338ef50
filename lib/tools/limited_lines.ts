/**
 * Lines that a flood could repeat without end (refused peers, failed handshakes), at most so
 * many a second, so that the terminal is never filled; the counts in the summaries stay exact.
 *
 * @module
 */
import type { Output } from "../cli/output.ts";

/**
 * Prints at most `perSecond` lines in any one second; the rest are counted and said in one
 * line (`... 2 more refusals not shown`) with the next second's first line, or at
 * {@linkcode LimitedLines.flush}.
 *
 * @example At most two lines a second
 * ```ts
 * import type { Output } from "../cli/output.ts";
 * import { LimitedLines } from "./limited_lines.ts";
 * import { deepStrictEqual as assertEquals } from "node:assert/strict";
 *
 * const lines: string[] = [];
 * const out = { say: (line: string) => lines.push(line) } as unknown as Output;
 * const log = new LimitedLines(out, "refusals", { perSecond: 2 });
 * for (const peer of ["127.0.0.2", "127.0.0.3", "127.0.0.4", "127.0.0.5"]) {
 *   log.add(`refused connection from ${peer}`);
 * }
 * log.flush();
 * assertEquals(lines, [
 *   "refused connection from 127.0.0.2",
 *   "refused connection from 127.0.0.3",
 *   "... 2 more refusals not shown",
 * ]);
 * ```
 */
export class LimitedLines {
  #print: (line: string) => void;
  #what: string;
  #perSecond: number;
  #windowStart = -Infinity;
  #shown = 0;
  #hidden = 0;

  /**
   * Creates the log.
   *
   * @param out Where lines go.
   * @param what What the lines are, plural, for the count of those not shown.
   * @param options `perSecond` (default 10), `stderr` (default false: status lines), `print`
   * (how a line is printed, such as a refusal in yellow; default: `out.say` or `out.error`).
   */
  constructor(
    out: Output,
    what: string,
    options: { perSecond?: number; stderr?: boolean; print?: (line: string) => void } = {},
  ) {
    this.#print = options.print ??
      (options.stderr ? (line) => out.error(line) : (line) => out.say(line));
    this.#what = what;
    this.#perSecond = options.perSecond ?? 10;
  }

  /**
   * Prints a line unless this second's lines are used up.
   *
   * @param line The line, without the tool's name.
   */
  add(line: string): void {
    const now = performance.now();
    if (now - this.#windowStart >= 1000) {
      this.flush();
      this.#windowStart = now;
      this.#shown = 0;
    }
    if (this.#shown < this.#perSecond) {
      this.#shown++;
      this.#print(line);
    } else {
      this.#hidden++;
    }
  }

  /** Says how many lines were not shown, if any. */
  flush(): void {
    if (this.#hidden === 0) return;
    this.#print(`... ${this.#hidden} more ${this.#what} not shown`);
    this.#hidden = 0;
  }
}
