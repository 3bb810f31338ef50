/**
 * A safe rendering of received bytes, so that a datagram or a stream can never drive the
 * user's terminal.
 *
 * @module
 */

const HEX = "0123456789abcdef";
const HEX_BYTES = new TextEncoder().encode(HEX);
const utf8 = new TextDecoder();
const BACKSLASH = 0x5c;
const QUOTE = 0x22;
const APOSTROPHE = 0x27;
/** Each ASCII byte's rendering as UTF-8; built on the first escape, not at every start. */
let escapes: Uint8Array[] | undefined;

function asciiEscapes(): Uint8Array[] {
  const encoder = new TextEncoder();
  const table: Uint8Array[] = [];
  for (let b = 0; b < 128; b++) {
    let text: string;
    if (b === BACKSLASH) text = "\\\\";
    else if (b === QUOTE) text = '\\"'; // a quote cannot end the quoted field early
    else if (b === APOSTROPHE) text = "\\'";
    else if (b === 0x0a) text = "\\n";
    else if (b === 0x0d) text = "\\r";
    else if (b === 0x09) text = "\\t";
    else if (b < 0x20 || b === 0x7f) text = `\\x${HEX[b >> 4]}${HEX[b & 15]}`;
    else text = String.fromCharCode(b);
    table.push(encoder.encode(text));
  }
  return table;
}

/**
 * The most bytes {@linkcode escapeInto} can write for `n` input bytes (every byte as `\xHH`).
 *
 * @param n The input's length.
 * @returns An upper bound on the output's length.
 * @example Size a buffer
 * ```ts
 * import { escapeInto, maxEscapedLength } from "./escape.ts";
 * import { deepStrictEqual as assertEquals } from "node:assert/strict";
 *
 * const worst = new Uint8Array(10).fill(0xff); // invalid UTF-8: every byte becomes \xff
 * const dst = new Uint8Array(maxEscapedLength(worst.length));
 * assertEquals([dst.length, escapeInto(worst, dst, 0)], [40, 40]);
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
 * import { deepStrictEqual as assertEquals } from "node:assert/strict";
 *
 * const dst = new Uint8Array(16);
 * const end = escapeInto(new Uint8Array([0x68, 0x69, 0x07]), dst, 0);
 * assertEquals(new TextDecoder().decode(dst.subarray(0, end)), "hi\\x07");
 * ```
 */
export function escapeInto(src: Uint8Array, dst: Uint8Array, off: number): number {
  const n = src.length;
  const table = escapes ??= asciiEscapes();
  let i = 0;
  while (i < n) {
    const b = src[i]!;
    if (b >= 0x20 && b < 0x7f && b !== BACKSLASH && b !== QUOTE && b !== APOSTROPHE) {
      dst[off++] = b;
      i++;
      continue;
    }
    if (b < 0x80) {
      const e = table[b]!;
      dst.set(e, off);
      off += e.length;
      i++;
      continue;
    }
    const cp = decodeOne(src, i, n);
    if (cp < 0) {
      dst[off++] = BACKSLASH;
      dst[off++] = 0x78; // x
      dst[off++] = HEX_BYTES[b >> 4]!;
      dst[off++] = HEX_BYTES[b & 15]!;
      i++;
      continue;
    }
    const size = cp < 0x800 ? 2 : cp < 0x10000 ? 3 : 4;
    if (unsafeCodePoint(cp)) {
      off = writeCodePointEscape(cp, dst, off);
    } else {
      dst[off++] = b;
      dst[off++] = src[i + 1]!;
      if (size > 2) dst[off++] = src[i + 2]!;
      if (size > 3) dst[off++] = src[i + 3]!;
    }
    i += size;
  }
  return off;
}

/**
 * Renders bytes as text that is safe to print: printable text (ASCII and valid UTF-8) as
 * it is; a backslash, tab, CR and LF as `\\`, `\t`, `\r`, `\n`; both quotes as `\"` and
 * `\'`, so that a payload cannot end the quoted field it is shown in (`packet contains
 * "..."`, `received '...'`) and every line can be parsed back; every other control
 * character, escape sequence byte and invalid UTF-8 byte as `\xHH`; every code point that
 * is a control (C1 included), a format character (bidi controls, zero-width characters,
 * the Arabic letter mark, tags), a line or paragraph separator, private use, or unassigned
 * — General_Category Cc, Cf, Zl, Zp, Co or Cn, as this runtime's Unicode tables define
 * them — as `\u{hhhh}` (lowercase hex, no padding).
 *
 * Needs no permission.
 *
 * @param bytes What was received.
 * @returns A string with no control characters in it.
 * @throws {TypeError} When `bytes` is not a `Uint8Array`.
 * @example An escape sequence is shown, not run
 * ```ts
 * import { escapeBytes } from "@socketkit/socketkit";
 * import { deepStrictEqual as assertEquals } from "node:assert/strict";
 *
 * // A terminal title sequence, then "hé", a right-to-left override and a newline.
 * const bytes = new TextEncoder().encode("\x1b]0;pwned\x07 h\u00e9\u202e\n");
 * assertEquals(escapeBytes(bytes), "\\x1b]0;pwned\\x07 hé\\u{202e}\\n");
 * ```
 */
export function escapeBytes(bytes: Uint8Array): string {
  if (!(bytes instanceof Uint8Array)) {
    throw new TypeError(`Invalid bytes "${String(bytes)}": expected a Uint8Array`);
  }
  const dst = new Uint8Array(maxEscapedLength(bytes.length));
  return utf8.decode(dst.subarray(0, escapeInto(bytes, dst, 0)));
}

/** Decodes one UTF-8 sequence at `i`, or returns -1 if it is not valid (strictly). */
function decodeOne(bytes: Uint8Array, i: number, n: number): number {
  const b0 = bytes[i]!;
  if (b0 < 0xc2 || b0 > 0xf4) return -1;
  const c1 = i + 1 < n ? bytes[i + 1]! ^ 0x80 : 0xff;
  if (c1 > 0x3f) return -1;
  if (b0 < 0xe0) return ((b0 & 0x1f) << 6) | c1;
  const c2 = i + 2 < n ? bytes[i + 2]! ^ 0x80 : 0xff;
  if (c2 > 0x3f) return -1;
  if (b0 < 0xf0) {
    const cp = ((b0 & 0x0f) << 12) | (c1 << 6) | c2;
    return cp < 0x800 || (cp >= 0xd800 && cp <= 0xdfff) ? -1 : cp;
  }
  const c3 = i + 3 < n ? bytes[i + 3]! ^ 0x80 : 0xff;
  if (c3 > 0x3f) return -1;
  const cp = ((b0 & 0x07) << 18) | (c1 << 12) | (c2 << 6) | c3;
  return cp < 0x10000 || cp > 0x10ffff ? -1 : cp;
}

/** Writes `\u{hhhh}` for `cp` at `off`; returns the offset past it. */
function writeCodePointEscape(cp: number, dst: Uint8Array, off: number): number {
  dst[off++] = BACKSLASH;
  dst[off++] = 0x75; // u
  dst[off++] = 0x7b; // {
  let shift = 20;
  while (shift > 0 && (cp >> shift) === 0) shift -= 4;
  for (; shift >= 0; shift -= 4) dst[off++] = HEX_BYTES[(cp >> shift) & 15]!;
  dst[off++] = 0x7d; // }
  return off;
}

// The code points never printed as they are: General_Category Cc (controls), Cf (format: bidi
// controls, zero-width characters, the Arabic letter mark, tags), Zl, Zp (line and paragraph
// separators), Co (private use) and Cn (unassigned, noncharacters included), as the runtime's
// own Unicode tables define them. Each code point is looked up once, the first time it is
// seen, and the answer kept as a bit. The pattern is compiled on the first non-ASCII code
// point (about 1 ms, once), so an ASCII-only run pays nothing; classifying all of Unicode up
// front would add about 50 ms to every start.
const UNSAFE_SOURCE = "[\\p{gc=Cc}\\p{gc=Cf}\\p{gc=Zl}\\p{gc=Zp}\\p{gc=Co}\\p{gc=Cn}]";
let unsafePattern: RegExp | undefined;
let known: Uint32Array | undefined;
let unsafeBits: Uint32Array | undefined;

/** Whether `cp` (a valid, non-ASCII code point) must be escaped. */
function unsafeCodePoint(cp: number): boolean {
  const word = cp >> 5, bit = 1 << (cp & 31);
  if (known === undefined || unsafeBits === undefined || (known[word]! & bit) === 0) {
    return lookUp(cp);
  }
  return (unsafeBits[word]! & bit) !== 0;
}

function lookUp(cp: number): boolean {
  unsafePattern ??= new RegExp(UNSAFE_SOURCE, "u");
  known ??= new Uint32Array(0x110000 >> 5);
  unsafeBits ??= new Uint32Array(0x110000 >> 5);
  const unsafe = unsafePattern.test(String.fromCodePoint(cp));
  known[cp >> 5]! |= 1 << (cp & 31);
  if (unsafe) unsafeBits[cp >> 5]! |= 1 << (cp & 31);
  return unsafe;
}

/**
 * Text from a peer that is not a quoted field (a certificate's subject, an ALPN name, an
 * error message that carries them) as it can be shown safely: backslash, control, format,
 * separator, private-use and unassigned characters are escaped as {@linkcode escapeBytes}
 * escapes them; quotes stay as they are.
 *
 * @param text The peer's text.
 * @returns The text with nothing in it that can drive a terminal.
 * @example
 * ```ts
 * import { escapeText } from "./escape.ts";
 * import { deepStrictEqual as assertEquals } from "node:assert/strict";
 *
 * assertEquals(escapeText('CN="a"\x1b]0;x\x07\u202e'), 'CN="a"\\x1b]0;x\\x07\\u{202e}');
 * ```
 */
export function escapeText(text: string): string {
  return text.replace(/[\\\p{Cc}\p{Cf}\p{Zl}\p{Zp}\p{Co}\p{Cn}]/gu, (c) => {
    if (c === "\\") return "\\\\";
    if (c === "\n") return "\\n";
    if (c === "\r") return "\\r";
    if (c === "\t") return "\\t";
    const cp = c.codePointAt(0)!;
    return cp < 0x100 ? `\\x${cp.toString(16).padStart(2, "0")}` : `\\u{${cp.toString(16)}}`;
  });
}
