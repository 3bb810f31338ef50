/**
 * Standard input as a payload (`server --message -`, `talker -`): read whole, binary-safe,
 * and bounded, so a stream that does not end in time or is too large is refused before
 * anything is sent.
 *
 * @module
 */
import { UsageError } from "./errors.ts";
import type { StreamSource } from "../net/read_all.ts";

/**
 * Reads `source` to its end, refusing more than `limit` bytes.
 *
 * @param what What the bytes are, for the error (`--message -`).
 * @param limit The most bytes accepted.
 * @param source The stream.
 * @returns Every byte, in order.
 * @throws {UsageError} When the stream holds more than `limit` bytes.
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
  // One byte more than the limit tells a stream at the limit from one over it.
  const buf = new Uint8Array(limit + 1);
  let used = 0;
  while (used < buf.length) {
    const n = await source.read(buf.subarray(used));
    if (n === null) return buf.slice(0, used);
    used += n;
  }
  throw new UsageError(`${what}: standard input is over ${limit} bytes, the limit`);
}
