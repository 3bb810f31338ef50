import { assert, assertEquals } from "./_assert.ts";
import { escapeBytes } from "../lib/escape.ts";

const enc = (s: string) => new TextEncoder().encode(s);

Deno.test("escapeBytes() prints printable text as it is", () => {
  assertEquals(escapeBytes(enc("Hello, world!")), "Hello, world!");
  assertEquals(escapeBytes(enc("héllo wörld ✓ 日本")), "héllo wörld ✓ 日本");
});

Deno.test("escapeBytes() escapes a terminal title sequence", () => {
  assertEquals(escapeBytes(enc("\x1b]0;pwned\x07")), "\\x1b]0;pwned\\x07");
});

Deno.test("escapeBytes() escapes NUL, controls, DEL and the backslash itself", () => {
  assertEquals(
    escapeBytes(new Uint8Array([0, 1, 0x7f, 0x5c, 0x0a, 0x0d, 0x09])),
    "\\x00\\x01\\x7f\\\\\\n\\r\\t",
  );
});

Deno.test("escapeBytes() shows invalid UTF-8 byte by byte", () => {
  assertEquals(
    escapeBytes(new Uint8Array([0x61, 0xff, 0xc3, 0x28, 0xe2, 0x82])),
    "a\\xff\\xc3(\\xe2\\x82",
  );
  // overlong "/" and an encoded surrogate are invalid too
  assertEquals(escapeBytes(new Uint8Array([0xc0, 0xaf])), "\\xc0\\xaf");
  assertEquals(escapeBytes(new Uint8Array([0xed, 0xa0, 0x80])), "\\xed\\xa0\\x80");
});

Deno.test("escapeBytes() escapes C1 controls and bidi overrides encoded as UTF-8", () => {
  assertEquals(escapeBytes(enc("\u009b31m")), "\\u{9b}31m");
  assertEquals(escapeBytes(enc("a\u202eb")), "a\\u{202e}b");
});

Deno.test("escapeBytes() never lets a control character through, for every byte", () => {
  for (let b = 0; b < 256; b++) {
    const out = escapeBytes(new Uint8Array([b, b, 0x41]));
    // deno-lint-ignore no-control-regex
    assert(!/[\x00-\x1f\x7f-\x9f]/.test(out), `byte ${b}: ${JSON.stringify(out)}`);
  }
});
