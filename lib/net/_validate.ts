/**
 * Checks of the values callers pass to the library's exports, in one place: each throws a
 * `TypeError` (not a number, not a signal) or a `RangeError` (out of range) naming the
 * option and quoting the value (internal to the library).
 *
 * @module
 */

/**
 * A name in a message, in double quotes: `"` and `\` escaped, so that it cannot end the
 * field; what else it holds is the printer's to escape (a terminal line, JSON).
 *
 * @param text The name.
 * @returns It, quoted.
 */
export function quoteName(text: string): string {
  return `"${text.replace(/["\\]/g, "\\$&")}"`;
}

/** The longest timer `setTimeout` keeps: 2^31 - 1 ms, about 24.8 days. */
export const MAX_TIMEOUT_MS = 2 ** 31 - 1;

/** `"1.5"`, `"NaN"`, `"-1"`: a value as messages quote it. */
function quote(value: unknown): string {
  return typeof value === "string" ? JSON.stringify(value) : `"${String(value)}"`;
}

/**
 * A deadline in milliseconds, as Go reads one: undefined, 0 or `Infinity` mean none.
 *
 * @param name The option's name, for the message.
 * @param value The value given.
 * @returns The milliseconds, or undefined for no deadline.
 * @throws {TypeError} When the value is not a number.
 * @throws {RangeError} When it is negative, NaN or longer than a timer can wait.
 * @example Zero is no deadline
 * ```ts
 * import { timeoutOption } from "./_validate.ts";
 * import { deepStrictEqual as assertEquals, throws } from "node:assert/strict";
 *
 * assertEquals([timeoutOption("timeout", 0), timeoutOption("timeout", 250)], [undefined, 250]);
 * throws(() => timeoutOption("timeout", -1), /Invalid timeout "-1": expected 0 \(no deadline\)/);
 * ```
 */
export function timeoutOption(name: string, value: unknown): number | undefined {
  if (value === undefined || value === 0 || value === Infinity) return undefined;
  if (typeof value !== "number") {
    throw new TypeError(`Invalid ${name} ${quote(value)}: expected milliseconds (a number)`);
  }
  if (!(value > 0 && value <= MAX_TIMEOUT_MS)) {
    throw new RangeError(
      `Invalid ${name} ${
        quote(value)
      }: expected 0 (no deadline) or milliseconds from above 0 to ${MAX_TIMEOUT_MS}`,
    );
  }
  return value;
}

/**
 * A whole number in `min…max`: a size, a count, a port.
 *
 * @param name The option's name, for the message.
 * @param value The value given.
 * @param min The least value allowed.
 * @param max The greatest value allowed.
 * @returns The value.
 * @throws {TypeError} When the value is not a number.
 * @throws {RangeError} When it is not a whole number from `min` to `max`.
 * @example A fractional size is refused
 * ```ts
 * import { integerOption } from "./_validate.ts";
 * import { throws } from "node:assert/strict";
 *
 * throws(() => integerOption("limit", 1.5, 0, 10), /Invalid limit "1.5": expected a whole number from 0 to 10/);
 * ```
 */
export function integerOption(name: string, value: unknown, min: number, max: number): number {
  if (typeof value !== "number") {
    throw new TypeError(`Invalid ${name} ${quote(value)}: expected a number`);
  }
  if (!Number.isInteger(value) || value < min || value > max) {
    throw new RangeError(
      `Invalid ${name} ${quote(value)}: expected a whole number from ${min} to ${max}`,
    );
  }
  return value;
}

/**
 * A port number, 0 to 65535.
 *
 * @param value The value given.
 * @param name The option's name, for the message.
 * @returns The port.
 * @throws {TypeError} When the value is not a number.
 * @throws {RangeError} When it is not a whole number from 0 to 65535.
 */
export function portOption(value: unknown, name = "port"): number {
  return integerOption(name, value, 0, 65535);
}

/**
 * A milliseconds count that is not a deadline (a pace, a delay): finite and at least 0.
 *
 * @param name The option's name, for the message.
 * @param value The value given.
 * @returns The value.
 * @throws {TypeError} When the value is not a number.
 * @throws {RangeError} When it is negative, NaN or not finite.
 */
export function millisOption(name: string, value: unknown): number {
  if (typeof value !== "number") {
    throw new TypeError(`Invalid ${name} ${quote(value)}: expected milliseconds (a number)`);
  }
  if (!(value >= 0 && value <= MAX_TIMEOUT_MS)) {
    throw new RangeError(
      `Invalid ${name} ${quote(value)}: expected milliseconds from 0 to ${MAX_TIMEOUT_MS}`,
    );
  }
  return value;
}

/**
 * An optional `AbortSignal`.
 *
 * @param value The value given.
 * @returns The signal, or undefined.
 * @throws {TypeError} When the value is neither.
 */
export function signalOption(value: unknown): AbortSignal | undefined {
  if (value === undefined || value instanceof AbortSignal) return value;
  throw new TypeError(`Invalid signal ${quote(value)}: expected an AbortSignal`);
}

/**
 * An IP literal or host name: a non-empty string.
 *
 * @param name The option's name, for the message.
 * @param value The value given.
 * @returns The string.
 * @throws {TypeError} When the value is not a string.
 */
export function stringOption(name: string, value: unknown): string {
  if (typeof value !== "string") {
    throw new TypeError(`Invalid ${name} ${quote(value)}: expected a string`);
  }
  return value;
}
