/**
 * A hex dump as `hexdump -C` prints one: offset, sixteen bytes in hex, and the printable
 * column, where anything but printable ASCII shows as `.`.
 *
 * @module
 */

const HEX = "0123456789abcdef";

/**
 * Formats `bytes` as a hex dump, one line per 16 bytes, each ending in `\n`:
 * `00000000  48 65 6c 6c 6f 0a                                 |Hello.|`. An empty input
 * gives an empty string.
 *
 * @param bytes What to show.
 * @returns The dump.
 * @example Six bytes
 * ```ts
 * import { hexDump } from "@socketkit/socketkit";
 * import { deepStrictEqual as assertEquals } from "node:assert/strict";
 * assertEquals(
 *   hexDump(new TextEncoder().encode("Hello\n")),
 *   "00000000  48 65 6c 6c 6f 0a                                 |Hello.|\n",
 * );
 * ```
 */
export function hexDump(bytes: Uint8Array): string {
  let out = "";
  for (let off = 0; off < bytes.length; off += 16) {
    const row = bytes.subarray(off, off + 16);
    let hex = "";
    let text = "";
    for (let i = 0; i < 16; i++) {
      if (i === 8) hex += " ";
      const b = row[i];
      if (b === undefined) {
        hex += "   ";
        continue;
      }
      hex += HEX[b >> 4]! + HEX[b & 15]! + " ";
      text += b >= 0x20 && b < 0x7f ? String.fromCharCode(b) : ".";
    }
    out += `${off.toString(16).padStart(8, "0")}  ${hex} |${text}|\n`;
  }
  return out;
}
