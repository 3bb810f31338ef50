import { assert, assertEquals, assertRejects } from "./_assert.ts";
import { escapeBytes, escapeInto, maxEscapedLength } from "../lib/net/escape.ts";

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

// The reference: this runtime's own Unicode tables, by General_Category.
const UNSAFE = /\p{gc=Cc}|\p{gc=Cf}|\p{gc=Zl}|\p{gc=Zp}|\p{gc=Co}|\p{gc=Cn}/u;

/** What the escaper must make of one code point. */
function expected(cp: number): string {
  const ascii: Record<number, string> = { 0x09: "\\t", 0x0a: "\\n", 0x0d: "\\r" };
  if (cp < 0x80 && UNSAFE.test(String.fromCodePoint(cp))) {
    return ascii[cp] ?? `\\x${cp.toString(16).padStart(2, "0")}`;
  }
  if (cp === 0x5c) return "\\\\";
  if (cp === 0x22) return '\\"'; // quotes: a payload cannot end its quoted field
  if (cp === 0x27) return "\\'";
  return UNSAFE.test(String.fromCodePoint(cp))
    ? `\\u{${cp.toString(16)}}`
    : String.fromCodePoint(cp);
}

/** Checks every code point from `from` to `to` (surrogates skipped), 4096 at a time. */
function checkRange(from: number, to: number, select: (unsafe: boolean) => boolean): number {
  let checked = 0;
  for (let start = from; start <= to; start += 4096) {
    const cps: number[] = [];
    for (let cp = start; cp < Math.min(start + 4096, to + 1); cp++) {
      if (cp >= 0xd800 && cp <= 0xdfff) continue;
      if (select(UNSAFE.test(String.fromCodePoint(cp)))) cps.push(cp);
    }
    const input = String.fromCodePoint(...cps);
    if (escapeBytes(enc(input)) === cps.map(expected).join("")) {
      checked += cps.length;
      continue;
    }
    for (const cp of cps) { // find the first culprit, for the message
      const got = escapeBytes(enc(String.fromCodePoint(cp)));
      assertEquals(got, expected(cp), `U+${cp.toString(16).toUpperCase().padStart(4, "0")}`);
    }
  }
  return checked;
}

Deno.test("escapeBytes() escapes every code point of General_Category Cc, Cf, Zl, Zp, Co, Cn", () => {
  const checked = checkRange(0, 0x10ffff, (unsafe) => unsafe);
  // Sanity: the categories are as large as Unicode says (Cn alone is over 800,000).
  assert(checked > 950_000, `only ${checked} code points selected`);
});

Deno.test("escapeBytes() passes every other code point through unchanged", () => {
  const checked = checkRange(0, 0x10ffff, (unsafe) => !unsafe);
  assert(checked > 150_000, `only ${checked} code points selected`);
});

Deno.test("escapeBytes() escapes the Arabic letter mark, tags, isolates and noncharacters", () => {
  const cases: [string, string][] = [
    ["a\u061cb", "a\\u{61c}b"], // Arabic letter mark (Cf, bidi)
    ["\u2066x\u2069", "\\u{2066}x\\u{2069}"], // left-to-right isolate ... pop isolate
    ["\u{e0001}\u{e0041}\u{e007f}", "\\u{e0001}\\u{e0041}\\u{e007f}"], // tag characters (Cf)
    ["\u{e0000}\u{e0080}", "\\u{e0000}\\u{e0080}"], // unassigned in the tag block (Cn)
    ["\u0085\u2028\u2029", "\\u{85}\\u{2028}\\u{2029}"], // NEL (Cc), line/paragraph separator
    ["\ufffe\uffff\u{10ffff}", "\\u{fffe}\\u{ffff}\\u{10ffff}"], // noncharacters (Cn)
    ["\ue000\u{f0000}", "\\u{e000}\\u{f0000}"], // private use (Co)
    ["\u00ad\u200d\ufeff", "\\u{ad}\\u{200d}\\u{feff}"], // soft hyphen, ZWJ, BOM (Cf)
  ];
  for (const [input, want] of cases) assertEquals(escapeBytes(enc(input)), want);
});

Deno.test("escapeBytes() prints letters of many scripts, CJK and emoji as they are", () => {
  const samples = [
    "Ünïcödé façade", // Latin
    "αβγ Ωμέγα", // Greek
    "Привет, мир", // Cyrillic
    "שלום", // Hebrew
    "مرحبا بالعالم", // Arabic
    "नमस्ते", // Devanagari, with combining marks
    "สวัสดี", // Thai
    "日本語 中文 𠀀𪜀", // CJK, BMP and supplementary
    "한국어", // Hangul
    "😀 🎉 🦀 ❤️ 👍🏽", // emoji, a variation selector, a skin tone modifier
    "∑∫√ ≤≥ €£¥ ½ ™", // symbols
    "\u00a0\u3000", // no-break and ideographic spaces (Zs: visible as space)
  ];
  for (const text of samples) assertEquals(escapeBytes(enc(text)), text);
});

Deno.test("escapeInto() stays within maxEscapedLength() for the widest escapes", () => {
  // 2-byte U+0080 grows 3x, 4-byte U+10FFFF 2.5x, a lone byte 4x.
  for (const input of ["\u0080".repeat(50), "\u{10ffff}".repeat(50), "\uffff".repeat(50)]) {
    const src = enc(input);
    const dst = new Uint8Array(maxEscapedLength(src.length) + 8).fill(0xaa);
    const end = escapeInto(src, dst, 0);
    assert(end <= maxEscapedLength(src.length), `${end} > ${maxEscapedLength(src.length)}`);
    assertEquals(new TextDecoder().decode(dst.subarray(0, end)), escapeBytes(src));
  }
  const bytes = new Uint8Array(64).fill(0xff);
  assertEquals(escapeInto(bytes, new Uint8Array(maxEscapedLength(64)), 0), 256);
});

Deno.test("a host name in a getaddrinfo line is escaped as every other line is (\\x1b, \\u{202e}), its quote too", async () => {
  const { runTool } = await import("./_tools.ts");
  const res = await runTool("client", ['a"\x1b[2J\u202eb.invalid']);
  assertEquals(res.code, 1, res.stderr);
  assert(
    res.stderr.endsWith(` (host "a\\"\\x1b[2J\\u{202e}b.invalid")\n`),
    res.stderr,
  ); // JSON's \u001b before, beside the \xHH of the rest
});

Deno.test("a value in a usage error is escaped as every error line is: \\x1b, \\r, \\\" (never JSON's \\u001b)", async () => {
  const { runTool } = await import("./_tools.ts");
  const res = await runTool("client", ["-p", 'a\x1b\r"b\u202e', "x"]);
  assertEquals(res.code, 1, res.stderr);
  assertEquals(
    res.stderr,
    'client: Invalid port "a\\x1b\\r\\"b\\u{202e}": expected a whole number from 1 to 65535\n',
  );
});

Deno.test("--explain quotes a host name whole: a quote in it cannot end the field and forge a result", async () => {
  const { runTool } = await import("./_tools.ts");
  const res = await runTool("client", ["--explain", 'x.invalid", "80") -> [127.0.0.1]  // ok']);
  assertEquals(res.code, 1, res.stderr);
  assert(
    res.stderr.includes('getaddrinfo("x.invalid\\", \\"80\\") -> [127.0.0.1]  // ok", "3490", '),
    res.stderr,
  );
  // Nor does the lookup's error repeat the name unquoted after the result.
  assert(!res.stderr.includes('ENOTFOUND x.invalid"'), res.stderr);
});

Deno.test("a grant hint for a --diagram or --cert path is quoted for the shell: pasted back, it grants that path and runs nothing", async () => {
  const { runTool, toolArgs } = await import("./_tools.ts");
  const dir = await Deno.makeTempDir();
  try {
    const cases: [string, string[], RegExp][] = [
      ["client", [
        "-z",
        "-p",
        "1",
        "--diagram",
        `${dir}/a \`touch ${dir}/PWNED\`\u202e.mmd`,
        "127.0.0.1",
      ], /writing the file needs (.*)\n$/],
      [
        "server",
        ["-p", "0", "--tls", "--cert", `${dir}/c d'$x.pem`, "--key", `${dir}/k ey.pem`],
        /run again with (--allow-read=\S+(?: \S+)*) \(or give/,
      ],
    ];
    for (const [tool, args, hintAt] of cases) {
      const denied = await runTool(tool, args, { perms: ["--allow-net"] });
      const hint = hintAt.exec(denied.stderr)?.[1];
      assert(denied.code === 4 && hint !== undefined, denied.stderr);
      // Run again as a user pastes it: bash reads the hint's flags; the grant is enough.
      const argv = toolArgs(tool, args, ["--allow-net"]);
      const script = argv.indexOf("--quiet") + 1;
      const line = `exec "$0" ${argv.slice(0, script).join(" ")} ${hint} "$@"`;
      const pasted = await new Deno.Command("bash", {
        args: ["-c", line, Deno.execPath(), ...argv.slice(script)],
        env: { LC_ALL: "C" }, // a shell in any locale reads it back (bash's \u needs UTF-8)
        stdout: "piped",
        stderr: "piped",
        signal: AbortSignal.timeout(20_000),
      }).output();
      const said = new TextDecoder().decode(pasted.stderr);
      assert(!/permission denied|writing the file needs/.test(said), said);
    }
    await assertRejects(() => Deno.stat(`${dir}/PWNED`)); // nothing in the hint ran
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("a zone or interface name in an error is quoted whole: a quote in it cannot end the field", async () => {
  const { runTool } = await import("./_tools.ts");
  const zone = await runTool("talker", ["-p", "1", '::1%\x1b"z', "hi"]);
  assert(zone.stderr.includes('unknown zone "\\x1b\\"z"'), zone.stderr);
  const iface = await runTool("listener", ["--interface", 'eth\x1b"9', "--join", "239.1.2.3"], {
    perms: ["--allow-net", "--allow-sys=networkInterfaces"],
  });
  assert(iface.stderr.includes('no interface "eth\\x1b\\"9"'), iface.stderr);
  // --explain says the resolver's words alone: the name is in the call's quoted field.
  const explained = await runTool("client", ["--explain", "-p", "9", '::1%1", "9") -> [::1]) (x']);
  assert(
    explained.stderr.includes(
      ' -> [::1]) (x", "9", AF_UNSPEC, SOCK_STREAM) -> EAI_NONAME (Name or service not known)\n',
    ),
    explained.stderr,
  );
});
