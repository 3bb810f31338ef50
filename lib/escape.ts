/**
 * A safe rendering of received bytes, so that a datagram or a stream can never drive the
 * user's terminal.
 *
 * @module
 */

const HEX = "0123456789abcdef";
const ASCII: string[] = [];
for (let b = 0; b < 128; b++) {
  if (b === 0x5c) ASCII.push("\\\\");
  else if (b === 0x0a) ASCII.push("\\n");
  else if (b === 0x0d) ASCII.push("\\r");
  else if (b === 0x09) ASCII.push("\\t");
  else if (b < 0x20 || b === 0x7f) ASCII.push(`\\x${HEX[b >> 4]}${HEX[b & 15]}`);
  else ASCII.push(String.fromCharCode(b));
}
const latin1 = new TextDecoder("latin1");

/**
 * Renders bytes as text that is safe to print: printable text (ASCII and valid UTF-8) as
 * it is; a backslash, tab, CR and LF as `\\`, `\t`, `\r`, `\n`; every other control
 * character, escape sequence byte and invalid UTF-8 byte as `\xHH`; C1 controls and
 * Unicode bidirectional and invisible format characters as `\u{HHHH}`.
 *
 * @param bytes What was received.
 * @returns A string with no control characters in it.
 * @example An escape sequence is shown, not run
 * ```ts
 * import { escapeBytes } from "./escape.ts";
 * console.log(escapeBytes(new TextEncoder().encode("\x1b]0;pwned\x07"))); // \x1b]0;pwned\x07
 * ```
 */
export function escapeBytes(bytes: Uint8Array): string {
  const n = bytes.length;
  let plain = true;
  for (let i = 0; i < n; i++) {
    const b = bytes[i]!;
    if (b < 0x20 || b >= 0x7f || b === 0x5c) {
      plain = false;
      break;
    }
  }
  if (plain) return latin1.decode(bytes);
  let out = "";
  let i = 0;
  while (i < n) {
    const b = bytes[i]!;
    if (b < 0x80) {
      out += ASCII[b];
      i++;
      continue;
    }
    const cp = decodeOne(bytes, i);
    if (cp < 0) {
      out += `\\x${HEX[b >> 4]}${HEX[b & 15]}`;
      i++;
      continue;
    }
    const size = cp < 0x800 ? 2 : cp < 0x10000 ? 3 : 4;
    out += unsafeCodePoint(cp) ? `\\u{${cp.toString(16)}}` : String.fromCodePoint(cp);
    i += size;
  }
  return out;
}

/** Decodes one UTF-8 sequence at `i`, or returns -1 if it is not valid (strictly). */
function decodeOne(bytes: Uint8Array, i: number): number {
  const b0 = bytes[i]!;
  const cont = (k: number): number => {
    const b = bytes[i + k];
    return b !== undefined && (b & 0xc0) === 0x80 ? b & 0x3f : -1;
  };
  if (b0 >= 0xc2 && b0 <= 0xdf) {
    const c1 = cont(1);
    return c1 < 0 ? -1 : ((b0 & 0x1f) << 6) | c1;
  }
  if (b0 >= 0xe0 && b0 <= 0xef) {
    const c1 = cont(1), c2 = cont(2);
    if (c1 < 0 || c2 < 0) return -1;
    const cp = ((b0 & 0x0f) << 12) | (c1 << 6) | c2;
    return cp < 0x800 || (cp >= 0xd800 && cp <= 0xdfff) ? -1 : cp;
  }
  if (b0 >= 0xf0 && b0 <= 0xf4) {
    const c1 = cont(1), c2 = cont(2), c3 = cont(3);
    if (c1 < 0 || c2 < 0 || c3 < 0) return -1;
    const cp = ((b0 & 0x07) << 18) | (c1 << 12) | (c2 << 6) | c3;
    return cp < 0x10000 || cp > 0x10ffff ? -1 : cp;
  }
  return -1;
}

/** C1 controls, bidi controls, zero-width and other invisible format characters. */
function unsafeCodePoint(cp: number): boolean {
  return (cp >= 0x80 && cp <= 0x9f) || cp === 0xad || (cp >= 0x200b && cp <= 0x200f) ||
    (cp >= 0x2028 && cp <= 0x202e) || (cp >= 0x2060 && cp <= 0x206f) || cp === 0xfeff ||
    (cp >= 0xfff9 && cp <= 0xfffb);
}
