/**
 * Port parsing shared by every tool.
 *
 * @module
 */
import { quoteField, UsageError } from "./errors.ts";

/** Options for {@linkcode parsePort}. */
export interface ParsePortOptions {
  /**
   * Whether 0 ("any free port") is allowed: true for listening tools, false for tools that
   * send to or connect to a port.
   * @default {true}
   */
  allowZero?: boolean;
}

/**
 * Parses a port number: a whole decimal number from 0 to 65535 and nothing else. Leading
 * zeros are decimal, as `strtonum()` in nc reads them (`036004` is 36004, not octal);
 * `abc`, `-1`, `+80`, `65536`, `1.5`, `0x10`, blanks and the empty string are refused.
 *
 * @param text The port as typed.
 * @param options Whether 0 is allowed.
 * @returns The port number.
 * @throws {UsageError} Naming the bad value.
 * @example Parse a port
 * ```ts
 * import { parsePort } from "./port.ts";
 * import { deepStrictEqual as assertEquals } from "node:assert/strict";
 *
 * assertEquals([parsePort("3490"), parsePort("036004"), parsePort("0")], [3490, 36004, 0]);
 * let message = "";
 * try {
 *   parsePort("0", { allowZero: false });
 * } catch (e) {
 *   message = (e as Error).message;
 * }
 * assertEquals(message, 'Invalid port "0": expected a whole number from 1 to 65535');
 * ```
 */
export function parsePort(text: string, options: ParsePortOptions = {}): number {
  const allowZero = options.allowZero ?? true;
  const low = allowZero ? 0 : 1;
  const expected = `expected a whole number from ${low} to 65535`;
  const port = /^[0-9]+$/.test(text) ? Number(text) : NaN;
  if (!(port >= low && port <= 65535)) {
    throw new UsageError(`Invalid port ${quoteField(text)}: ${expected}`);
  }
  return port;
}
