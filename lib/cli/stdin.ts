/**
 * Standard input as a payload (`server --message -`, `talker -`, `--lines`, `--cert -`,
 * `client --stdin`): the one place it is read, so that an input that cannot be read (a
 * directory: `talker ::1 - </tmp`) is one line and exit 1 for every tool; and, read whole,
 * binary-safe and bounded, so a stream that is too large is refused before anything is sent.
 *
 * @module
 */
import { describeCause } from "../net/errors.ts";
import type { StreamSource } from "../net/read_all.ts";
import { LineTooLongError, UsageError } from "./errors.ts";

/**
 * Standard input that cannot be read (a directory, a closed descriptor): a usage error,
 * exit 1, whose message names the option that reads it.
 */
export class InputError extends UsageError {
  /**
   * The error for `what`, read from standard input.
   *
   * @param what The option or argument that reads standard input (`--lines`).
   * @param cause What reading it threw.
   */
  constructor(what: string, cause: unknown) {
    super(`${what}: cannot read standard input: ${describeCause(cause)}`);
    this.name = "InputError";
  }
}

/**
 * Standard input as a stream whose read errors are {@linkcode InputError}s, for a tool that
 * sends it as it comes (`client --stdin`).
 *
 * @param what The option that reads it, for the error.
 * @param source The stream.
 * @returns The stream.
 * @example A directory as standard input is one clear error
 * ```ts
 * import { InputError, standardInput } from "./stdin.ts";
 * import { deepStrictEqual as assertEquals } from "node:assert/strict";
 * const dir = { read: () => Promise.reject(new Deno.errors.IsADirectory("Is a directory (os error 21)")) };
 * const err = await standardInput("--stdin", dir).read(new Uint8Array(8)).catch((e) => e);
 * assertEquals([err instanceof InputError, err.message], [true, "--stdin: cannot read standard input: Is a directory"]);
 * ```
 */
export function standardInput(what: string, source: StreamSource = Deno.stdin): StreamSource {
  return {
    read: async (p) => {
      try {
        return await source.read(p);
      } catch (err) {
        throw new InputError(what, err);
      }
    },
  };
}

/**
 * Reads `source` to its end, refusing more than `limit` bytes.
 *
 * @param what What the bytes are, for the error (`--message -`).
 * @param limit The most bytes accepted.
 * @param source The stream.
 * @returns Every byte, in order.
 * @throws {UsageError} When the stream holds more than `limit` bytes.
 * @throws {InputError} When it cannot be read (a directory).
 * @example Read a small stream
 * ```ts
 * import { readInput } from "./stdin.ts";
 * import { deepStrictEqual as assertEquals } from "node:assert/strict";
 * const data = [1, 2, 3];
 * const source = { read: (p: Uint8Array) => Promise.resolve(data.length ? (p[0] = data.shift()!, 1) : null) };
 * assertEquals(await readInput("--message -", 10, source), new Uint8Array([1, 2, 3]));
 * ```
 */
export async function readInput(
  what: string,
  limit: number,
  source: StreamSource = Deno.stdin,
): Promise<Uint8Array> {
  const input = standardInput(what, source);
  // One byte more than the limit tells a stream at the limit from one over it.
  const buf = new Uint8Array(limit + 1);
  let used = 0;
  while (used < buf.length) {
    const n = await input.read(buf.subarray(used));
    if (n === null) return buf.slice(0, used);
    used += n;
  }
  throw new UsageError(`${what}: standard input is over ${limit} bytes, the limit`);
}

/**
 * Standard input line by line, each as it comes (`talker --lines`: a datagram a line, sent
 * while the next is typed), without its `\n`; a last unterminated line counts.
 *
 * @param what The option that reads it, for the errors.
 * @param maxLine The longest line accepted, in bytes.
 * @param source The stream.
 * @returns The lines, in order.
 * @throws {LineTooLongError} When a line is longer than `maxLine` (thrown when it is reached).
 * @throws {InputError} When the stream cannot be read.
 * @example Lines as they come, a last one without its newline
 * ```ts
 * import { readLines } from "./stdin.ts";
 * import { deepStrictEqual as assertEquals } from "node:assert/strict";
 * const chunks = [new TextEncoder().encode("one\ntw"), new TextEncoder().encode("o\nthree")];
 * const source = {
 *   read: (p: Uint8Array) => {
 *     const c = chunks.shift();
 *     if (c === undefined) return Promise.resolve(null);
 *     p.set(c);
 *     return Promise.resolve(c.length);
 *   },
 * };
 * const lines: string[] = [];
 * for await (const line of readLines("--lines", 100, source)) {
 *   lines.push(new TextDecoder().decode(line));
 * }
 * assertEquals(lines, ["one", "two", "three"]);
 * ```
 */
export async function* readLines(
  what: string,
  maxLine: number,
  source: StreamSource = Deno.stdin,
): AsyncGenerator<Uint8Array> {
  const input = standardInput(what, source);
  // A line and its newline fit; one byte more tells a line at the limit from one over it.
  const buf = new Uint8Array(maxLine + 2);
  let used = 0;
  while (true) {
    const n = used < buf.length ? await input.read(buf.subarray(used)) : 0;
    if (n === null) {
      if (used > 0) yield bounded(buf.slice(0, used));
      return;
    }
    used += n;
    let start = 0;
    for (let i = buf.indexOf(10, start); i !== -1 && i < used; i = buf.indexOf(10, start)) {
      yield bounded(buf.slice(start, i));
      start = i + 1;
    }
    buf.copyWithin(0, start, used);
    used -= start;
    if (used > maxLine) bounded(buf.subarray(0, used));
  }

  // One rule however the bytes were split into reads: a line over maxLine is refused.
  function bounded(line: Uint8Array): Uint8Array {
    if (line.length > maxLine) {
      throw new LineTooLongError(what, maxLine);
    }
    return line;
  }
}
