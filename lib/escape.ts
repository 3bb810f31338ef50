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
const utf8 = new TextDecoder();
const BACKSLASH = 0x5c;
const ESCAPES: Uint8Array[] = ASCII.map((t) => new TextEncoder().encode(t));

/**
 * The most bytes {@linkcode escapeInto} can write for `n` input bytes (every byte as `\xHH`).
 *
 * @param n The input's length.
 * @returns An upper bound on the output's length.
 * @example Size a buffer
 * ```ts
 * import { maxEscapedLength } from "./escape.ts";
 * console.log(maxEscapedLength(10)); // 40
 * ```
 */
export function maxEscapedLength(n: number): number {
  return n * 4;
}

/**
 * Writes the safe rendering of `src` (see {@linkcode escapeBytes}) as UTF-8 into `dst` at
 * `off`, with no allocation: the listener's per-datagram path. `dst` must have room for
 * {@linkcode maxEscapedLength} bytes.
 *
 * @param src What was received.
 * @param dst Where to write.
 * @param off Where in `dst` to start.
 * @returns The offset just past what was written.
 * @example Escape into a buffer
 * ```ts
 * import { escapeInto } from "./escape.ts";
 * const dst = new Uint8Array(16);
 * const end = escapeInto(new Uint8Array([0x68, 0x69, 0x07]), dst, 0);
 * console.log(new TextDecoder().decode(dst.subarray(0, end))); // hi\x07
 * ```
 */
export function escapeInto(src: Uint8Array, dst: Uint8Array, off: number): number {
  const n = src.length;
  let i = 0;
  while (i < n) {
    const b = src[i]!;
    if (b >= 0x20 && b < 0x7f && b !== BACKSLASH) {
      dst[off++] = b;
      i++;
      continue;
    }
    if (b < 0x80) {
      const e = ESCAPES[b]!;
      dst.set(e, off);
      off += e.length;
      i++;
      continue;
    }
    const cp = decodeOne(src, i);
    const size = cp < 0 ? 1 : cp < 0x800 ? 2 : cp < 0x10000 ? 3 : 4;
    if (cp >= 0 && !unsafeCodePoint(cp)) {
      for (let k = 0; k < size; k++) dst[off++] = src[i + k]!;
    } else {
      const text = cp < 0 ? `\\x${HEX[b >> 4]}${HEX[b & 15]}` : `\\u{${cp.toString(16)}}`;
      for (let k = 0; k < text.length; k++) dst[off++] = text.charCodeAt(k);
    }
    i += size;
  }
  return off;
}

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
  const dst = new Uint8Array(maxEscapedLength(bytes.length));
  return utf8.decode(dst.subarray(0, escapeInto(bytes, dst, 0)));
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
