// --diagram: each tool draws its session as a sequence diagram from real runs. Every .mmd made
// here is rendered by the real Mermaid in headless Chromium and must render without error;
// every .svg must be well-formed XML and rasterise with rsvg-convert. Hostile payloads go
// through each format and stay text.
import { assert, assertEquals, assertMatch } from "./_assert.ts";
import { runTool, ToolProcess, udpSocket } from "./_tools.ts";
import {
  CHROMIUM,
  HAS_RSVG,
  MERMAID_VERSION,
  rasterise,
  renderMermaid,
} from "./_diagram_render.ts";
import { blackHole, canBlackHole } from "../testing/black_hole.ts";
import { hasCommand } from "../testing/commands.ts";
import { makeCerts } from "../testing/certs.ts";
import { DiagramRecorder } from "../lib/cli/diagram_model.ts";
import { toMermaid } from "../lib/cli/diagram_mermaid.ts";
import { xmlText } from "../lib/cli/diagram_svg.ts";
import { escapeBytes } from "../lib/net/escape.ts";

const HAS_PYTHON = hasCommand("python3");

/** A temporary directory for one test's diagrams, removed at the end. */
async function tempDir(): Promise<{ path: string } & AsyncDisposable> {
  const path = await Deno.makeTempDir({ prefix: "socketkit-diagram-" });
  return { path, [Symbol.asyncDispose]: () => Deno.remove(path, { recursive: true }) };
}

/** The permissions a tool needs to draw into `dir`. */
const perms = (dir: string) => ["--allow-net", `--allow-write=${dir}`];

/** Mermaid lines that are arrows (`p0->>p1: …`). */
const arrowLines = (mmd: string) => mmd.split("\n").filter((l) => /^ {4}p\d+-/.test(l));

/** Holds every `.mmd` to the real Mermaid: each renders, nothing injected, text stays text. */
async function checkMermaid(sources: string[]): Promise<string[]> {
  if (CHROMIUM === undefined) {
    console.log("  skipped Mermaid rendering: chromium is not installed");
    return [];
  }
  const results = await renderMermaid(sources);
  assertEquals(results.length, sources.length);
  return results.map((result, i) => {
    assert(
      result.ok,
      `mermaid ${MERMAID_VERSION} failed:\n${!result.ok && result.error}\n${sources[i]}`,
    );
    const svg = result.svg;
    assert(!/<script/i.test(svg), "a script in Mermaid's SVG");
    assert(!/<[^>]*\son\w+\s*=/i.test(svg), "an event attribute in Mermaid's SVG");
    // One drawn message per arrow written: no arrow was injected, none was lost.
    const drawn = (svg.match(/class="messageText"/g) ?? []).length;
    assertEquals(drawn, arrowLines(sources[i]!).length, sources[i]);
    return svg;
  });
}

/** Holds an `.svg` to XML (python's strict parser) and to rsvg-convert. */
async function checkSvg(path: string): Promise<string> {
  const svg = await Deno.readTextFile(path);
  assert(!/<script/i.test(svg), "a script in the SVG");
  assert(!/<[^>]*\son\w+\s*=/i.test(svg), "an event attribute in the SVG");
  assert(!/href/i.test(svg), "a link in the SVG");
  if (HAS_PYTHON) {
    const out = await new Deno.Command("python3", {
      args: ["-c", "import sys, xml.dom.minidom as m; m.parse(sys.argv[1])", path],
      stderr: "piped",
    }).output();
    assert(out.success, `not well-formed XML: ${new TextDecoder().decode(out.stderr)}`);
  } else console.log("  skipped the XML check: python3 is not installed");
  if (HAS_RSVG) {
    const png = await rasterise(path);
    assertEquals([...png.subarray(1, 4)], [0x50, 0x4e, 0x47]); // "PNG"
  } else console.log("  skipped rasterising: rsvg-convert is not installed");
  return svg;
}

Deno.test("client and server draw their sessions: calls, bytes, FIN, close, in order, with times", async () => {
  await using dir = await tempDir();
  const server = new ToolProcess("server", [
    ...["-p", "0", "-H", "127.0.0.1", "--echo", "--diagram", `${dir.path}/server.mmd`],
  ], { perms: perms(dir.path) });
  await using _server = server;
  const port = await server.port();
  const send = ["--send", "Hello, world!", "-p", String(port), "127.0.0.1"];
  for (const file of ["client.mmd", "client.svg"]) {
    const res = await runTool("client", [...send, "--diagram", `${dir.path}/${file}`], {
      perms: perms(dir.path),
    });
    assertEquals(res.code, 0, res.stderr);
  }
  server.kill("SIGINT"); // Ctrl-C: the diagram is written all the same
  assert([0, 130].includes(await server.exit()), server.stderr);

  const client = await Deno.readTextFile(`${dir.path}/client.mmd`);
  const lines = arrowLines(client);
  assertMatch(
    client,
    /^sequenceDiagram\n {4}participant p0 as client\n {4}participant p1 as 127\.0\.0\.1#58;\d+\n/,
  );
  const labels = lines.map((l) => l.replace(/^.*?: \+\d+\.\dms /, ""));
  assertEquals(
    labels,
    [
      "getaddrinfo(#34;127.0.0.1#34;) #45;#62; [127.0.0.1]",
      "socket(AF_INET, SOCK_STREAM)",
      "connect()",
      "send 13 bytes #34;Hello, world!#34;",
      "shutdown(SHUT_WR) (FIN)",
      ...labels.slice(5, -1).map(() => "recv"), // what came back, in pieces
      "close() (FIN)",
    ].map((l, i) => l === "recv" ? labels[i]! : l),
  );
  assert(labels.slice(5, -1).some((l) => l.startsWith("recv 13 bytes #34;Hello")), client);
  assert(labels.slice(5, -1).some((l) => l === "recv 0 bytes (FIN)"), client);
  assertMatch(lines[2]!, /^ {4}p0->>p1: /); // a call, from the client to the server
  assertMatch(lines[5]!, /^ {4}p1-->>p0: /); // what came back, from the server
  const times = lines.map((l) => Number(/: \+(\d+\.\d)ms /.exec(l)![1]));
  assertEquals(times, [...times].sort((a, b) => a - b));

  const served = await Deno.readTextFile(`${dir.path}/server.mmd`);
  const serverLabels = arrowLines(served).map((l) => l.replace(/^.*?: \+\d+\.\dms /, ""));
  assertEquals(serverLabels.slice(0, 4), [
    "getaddrinfo(#34;127.0.0.1#34;) #45;#62; [127.0.0.1]",
    "socket(AF_INET, SOCK_STREAM)",
    `bind(127.0.0.1#58;${port})`,
    "listen()",
  ]);
  assertEquals(serverLabels.filter((l) => l === "accept()").length, 2);
  assertEquals(serverLabels.filter((l) => l === "send 13 bytes #34;Hello, world!#34;").length, 2);
  assertMatch(
    served,
    /participant p1 as 127\.0\.0\.1#58;\d+\n {4}participant p2 as 127\.0\.0\.1#58;\d+/,
  );

  const svg = await checkSvg(`${dir.path}/client.svg`);
  assert(svg.includes("send 13 bytes &quot;Hello, world!&quot;"), svg);
  assert(svg.includes(">client</text>"), svg);
  await checkMermaid([client, served]);
});

Deno.test("failures are drawn: ECONNREFUSED, a TLS failure, a --deny refusal, a timeout", async () => {
  await using dir = await tempDir();
  using closed = udpSocket("127.0.0.1"); // its port, over TCP: nobody listens (very likely)
  const refused = await runTool("client", [
    ...["-p", String(closed.port), "--diagram", `${dir.path}/refused.mmd`, "127.0.0.1"],
  ], { perms: perms(dir.path) });
  assertEquals(refused.code, 2);
  const refusedMmd = await Deno.readTextFile(`${dir.path}/refused.mmd`);
  assertMatch(refusedMmd, /\n {4}p0-xp1: \+\d+\.\dms connect\(\) #45;#62; ECONNREFUSED\n/);

  const server = new ToolProcess("server", [
    ...["-p", "0", "-H", "127.0.0.1", "--deny", "127.0.0.1", "--diagram", `${dir.path}/deny.mmd`],
  ], { perms: perms(dir.path) });
  await using _server = server;
  const serverPort = await server.port();
  // A plain server, so the client's TLS handshake fails.
  const tls = await runTool("client", [
    ...["--tls", "-p", String(serverPort), "--diagram", `${dir.path}/tls.svg`, "127.0.0.1"],
  ], { perms: [...perms(dir.path), "--allow-read"] });
  assert(tls.code !== 0, tls.stderr);
  server.kill("SIGTERM");
  assertEquals(await server.exit(), 0);
  const deny = await Deno.readTextFile(`${dir.path}/deny.mmd`);
  assertMatch(
    deny,
    /\n {4}p0-xp1: \+\d+\.\dms close\(\) refused \(#45;#45;allow\/#45;#45;deny\)\n/,
  );
  const tlsSvg = await checkSvg(`${dir.path}/tls.svg`);
  assertMatch(tlsSvg, /fill="#c0392b"[^>]*>\+\d+\.\dms TLS handshake -&gt; error: [^<]+<\/text>/);
  // A reply that never comes: the wait ends in a timeout, drawn from the silent peer.
  const silent = await runTool("talker", [
    ...["-p", String(closed.port), "-r", "300ms", "--diagram", `${dir.path}/silent.mmd`],
    ...["127.0.0.1", "anyone?"],
  ], { perms: perms(dir.path) });
  assertEquals(silent.code, 3, silent.stderr);
  const silentMmd = await Deno.readTextFile(`${dir.path}/silent.mmd`);
  assertMatch(silentMmd, /\n {4}p1-xp0: \+\d+\.\dms recvfrom\(\) #45;#62; ETIMEDOUT\n/);
  await checkMermaid([refusedMmd, deny, silentMmd]);
});

Deno.test({
  name: "a connect that never answers is drawn failing at the deadline, or cancelled by Ctrl-C",
  ignore: !canBlackHole,
  async fn() {
    await using dir = await tempDir();
    await using hole = await blackHole("127.0.0.1");
    const res = await runTool("client", [
      ...["-t", "1s", "-p", String(hole.port), "--diagram", `${dir.path}/hole.mmd`, "127.0.0.1"],
    ], { perms: perms(dir.path) });
    assertEquals(res.code, 3, res.stderr);
    const mmd = await Deno.readTextFile(`${dir.path}/hole.mmd`);
    assertMatch(mmd, /\n {4}p0-xp1: \+\d+\.\dms connect\(\) #45;#62; abandoned#58; deadline\n/);
    // Ctrl-C while it waits: the diagram is written, the connect drawn as cancelled.
    const file = `${dir.path}/interrupted.svg`;
    const args = ["--explain", "-p", String(hole.port), "--diagram", file, "127.0.0.1"];
    await using client = new ToolProcess("client", args, { perms: perms(dir.path) });
    await client.waitFor(/connect\(127\.0\.0\.1:\d+\) \.\.\./, { stderr: true });
    client.kill("SIGINT");
    assertEquals(await client.exit(), 130);
    const svg = await checkSvg(file);
    assertMatch(svg, /fill="#c0392b"[^>]*>\+\d+\.\dms connect\(\) -&gt; abandoned: cancelled</);
    await checkMermaid([mmd]);
  },
});

/** Payloads that try to break out of each format (each within the 32 bytes a label shows). */
const HOSTILE = [
  '%%{init:{"theme":"forest"}}%%',
  "\np0->>p1: injected;p1-xp0",
  "<script>alert(1)</script>",
  '<img src=x onerror="alert(1)">',
  "#quot;#35;&amp; \x1b[31m",
].map((text) => new TextEncoder().encode(text));
const hex = (bytes: Uint8Array) => [...bytes].map((b) => b.toString(16).padStart(2, "0")).join("");

/** What a label shows of a payload: escaped as the escaper does, `"` as `\"`. */
const shown = (bytes: Uint8Array) => escapeBytes(bytes).replaceAll('"', '\\"');

Deno.test("hostile payloads stay text in both formats, in both directions", async () => {
  await using dir = await tempDir();
  const payloads = [...HOSTILE, new Uint8Array([0x61, 0xff, 0xc3, 0x0d])]; // invalid UTF-8, CR
  const mmds: string[] = [];
  const svgs: string[] = [];
  const passes: [string, string][] = [["l.mmd", "svg"], ["l.svg", "mmd"]];
  for (const [listenerFile, talkerExt] of passes) {
    const listener = new ToolProcess("listener", [
      ...["-p", "0", "-H", "127.0.0.1", "--echo", "-c", String(payloads.length)],
      ...["--diagram", `${dir.path}/${listenerFile}`],
    ], { perms: perms(dir.path) });
    await using _listener = listener;
    const port = await listener.port();
    for (const [i, payload] of payloads.entries()) {
      const file = `${dir.path}/t${i}.${talkerExt}`;
      const res = await runTool("talker", [
        ...["-p", String(port), "-r", "5s", "--hex", "--diagram", file, "127.0.0.1", hex(payload)],
      ], { perms: perms(dir.path) });
      assertEquals(res.code, 0, res.stderr);
      (talkerExt === "mmd" ? mmds : svgs).push(file);
    }
    assertEquals(await listener.exit(), 0);
    (listenerFile.endsWith(".mmd") ? mmds : svgs).push(`${dir.path}/${listenerFile}`);
  }
  const sources = await Promise.all(mmds.map((f) => Deno.readTextFile(f)));
  for (const mmd of sources) {
    // Nothing of the payloads' syntax survives in the source: one line per item, no directive.
    assert(!mmd.includes("%%"), mmd);
    const labels = mmd.split("\n").slice(1).map((l) => l.replace(/^ {4}(\S+ \S+ as |\S+: )/, ""));
    for (const label of labels) assert(!/[<>;"&%\n]/.test(label.replaceAll(/#\w+;/g, "")), label);
  }
  const rendered = await checkMermaid(sources);
  const drawn = await Promise.all(svgs.map((f) => checkSvg(f)));
  for (const payload of payloads) {
    // Each payload is in the pictures as the escaper shows it, XML-escaped, as text.
    const text = xmlText(`"${shown(payload)}"`);
    // (the browser serialises text with `&`, `<` and `>` escaped, quotes as they are)
    const html = `"${shown(payload)}"`.replaceAll("&", "&amp;").replaceAll("<", "&lt;")
      .replaceAll(">", "&gt;");
    if (rendered.length > 0) assert(rendered.some((svg) => svg.includes(html)), html);
    assert(drawn.some((svg) => svg.includes(text)), text);
  }
});

Deno.test("the listener draws its first N sessions, then says how many more; a long payload is shortened", async () => {
  await using dir = await tempDir();
  const listener = new ToolProcess("listener", [
    ...["-p", "0", "-H", "127.0.0.1", "-c", "4", "--diagram-limit", "2"],
    ...["--diagram", `${dir.path}/limit.mmd`],
  ], { perms: perms(dir.path) });
  await using _listener = listener;
  const port = await listener.port();
  using sock = udpSocket("127.0.0.1");
  const long = new Uint8Array(1000).fill(0x61);
  for (let i = 0; i < 4 && listener.stdout.split("packet").length <= 4; i++) {
    await sock.send(long, { transport: "udp", hostname: "127.0.0.1", port });
    await listener.waitFor(new RegExp(`(packet[^]*){${i + 1}}`));
  }
  assertEquals(await listener.exit(), 0);
  const mmd = await Deno.readTextFile(`${dir.path}/limit.mmd`);
  const recvs = arrowLines(mmd).filter((l) => l.includes("recvfrom"));
  assertEquals(recvs.length, 2, mmd);
  assertMatch(recvs[0]!, /recvfrom 1000 bytes #34;a{32}#8230;#34;$/);
  assertMatch(mmd, /Note over p0: 2 more sessions not drawn \(#45;#45;diagram#45;limit 2\)\n/);
  await checkMermaid([mmd]);
});

Deno.test("a diagram is bounded whatever the peers do", () => {
  const recorder = new DiagramRecorder("server", { sessionsStartAt: "accept", limit: 3 });
  const data = new Uint8Array(65536);
  for (let i = 0; i < 10_000; i++) {
    const address = { hostname: "10.0.0.1", port: 1024 + i };
    recorder.onStep({ call: "accept", address });
    for (let j = 0; j < 50; j++) {
      recorder.onStep({ call: "recv", bytes: data.length, data, address });
    }
  }
  const diagram = recorder.finish();
  assertEquals(diagram.participants.length, 4);
  assert(diagram.items.length <= 3 * 16 + 4, String(diagram.items.length));
  const notes = diagram.items.filter((i) => i.kind === "note").map((i) => i.text);
  assert(notes.includes("9997 more sessions not drawn (--diagram-limit 3)"), notes.join("\n"));
  assert(
    notes.some((n) => /^35 more calls with 10\.0\.0\.1:1024 not drawn$/.test(n)),
    notes.join("\n"),
  );
  assert(toMermaid(diagram).length < 20_000);
});

Deno.test("the worst payloads for size still make a diagram Mermaid renders", async () => {
  const recorder = new DiagramRecorder("client");
  const address = { hostname: "::1", port: 3490 };
  const data = new Uint8Array(65536).fill(0x5c); // each byte escaped twice over: \\ as #92;#92;
  recorder.onStep({ call: "connect", phase: "end", address });
  for (let i = 0; i < 1000; i++) recorder.onStep({ call: "recv", bytes: data.length, data });
  const mmd = toMermaid(recorder.finish());
  assert(mmd.length <= 45_000, String(mmd.length));
  assertMatch(mmd, /Note over p0: \d+ more (items|calls) not drawn/);
  await checkMermaid([mmd]);
});

Deno.test("--diagram: a bad name, a missing grant and a lone --diagram-limit are one line each", async () => {
  const png = await runTool("client", ["--diagram", "x.png", "127.0.0.1"]);
  assertEquals([png.code, png.stderr], [
    1,
    'client: Invalid --diagram "x.png": expected a file name ending in .mmd or .svg\n',
  ]);
  const lone = await runTool("server", ["--diagram-limit", "3"]);
  assertEquals([lone.code, lone.stderr], [
    1,
    "server: Option --diagram-limit needs --diagram FILE\n",
  ]);
  await using dir = await tempDir();
  const denied = await runTool("talker", ["--diagram", `${dir.path}/t.mmd`, "127.0.0.1", "x"]);
  assertEquals(denied.code, 4);
  assertMatch(
    denied.stderr,
    /^talker: --diagram "[^"]+t\.mmd": writing the file needs --allow-write=[^\n]+t\.mmd\n$/,
  );
});

Deno.test("a call still waiting when the tool ends is drawn as waiting, failed", () => {
  let t = 0;
  const recorder = new DiagramRecorder("client", { now: () => t += 5 });
  const address = { hostname: "192.0.2.1", port: 80 };
  recorder.onStep({ call: "connect", phase: "start", address });
  const diagram = recorder.finish();
  assertEquals(diagram.participants, ["client", "192.0.2.1:80"]);
  assertEquals(diagram.items, [
    { kind: "arrow", from: 0, to: 1, text: "connect() ... no answer", ms: 5, failed: true },
  ]);
});

Deno.test({
  name: "the TLS server draws a client that never finishes its handshake",
  ignore: !hasCommand("openssl"),
  async fn() {
    await using dir = await tempDir();
    using certs = await makeCerts();
    const file = `${dir.path}/tls-server.mmd`;
    const server = new ToolProcess("server", [
      ...["-p", "0", "-H", "127.0.0.1", "--tls", "--cert", certs.serverCert, "--key"],
      ...[certs.serverKey, "--handshake-timeout", "300ms", "--diagram", file],
    ], { perms: [...perms(dir.path), `--allow-read=${certs.dir}`] });
    await using _server = server;
    const port = await server.port();
    {
      using _silent = await Deno.connect({ hostname: "127.0.0.1", port }); // no ClientHello
      await server.waitFor(/handshake failed/, { stderr: true });
    }
    server.kill("SIGTERM");
    assertEquals(await server.exit(), 0);
    const mmd = await Deno.readTextFile(file);
    assertMatch(mmd, /\n {4}p1-->>p0: \+\d+\.\dms accept\(\)\n/);
    assertMatch(mmd, /\n {4}p1-xp0: \+\d+\.\dms TLS handshake #45;#62; ETIMEDOUT#58; [^\n]+\n/);
    await checkMermaid([mmd]);
  },
});

Deno.test("the listener draws a datagram refused by --deny", async () => {
  await using dir = await tempDir();
  const file = `${dir.path}/deny.mmd`;
  const listener = new ToolProcess("listener", [
    ...["-p", "0", "-H", "127.0.0.1", "-k", "--deny", "127.0.0.1", "--explain", "--diagram", file],
  ], { perms: perms(dir.path) });
  await using _listener = listener;
  const port = await listener.port();
  using sock = udpSocket("127.0.0.1");
  await sock.send(new TextEncoder().encode("hi"), {
    transport: "udp",
    hostname: "127.0.0.1",
    port,
  });
  await listener.waitFor(/recvfrom\(\) -> 2 bytes from [^\n]*, refused \(--allow\/--deny\)/, {
    stderr: true,
  });
  listener.kill("SIGTERM");
  assert([0, 130, 143].includes(await listener.exit()), listener.stderr);
  const mmd = await Deno.readTextFile(file);
  assertMatch(
    mmd,
    /\n {4}p1-xp0: \+\d+\.\dms recvfrom 2 bytes #34;hi#34; refused \(#45;#45;allow\/#45;#45;deny\)\n/,
  );
  await checkMermaid([mmd]);
});

Deno.test("a hostile name's failed lookup: each tool's diagram has the name as escaped text, and ends with a newline", async () => {
  await using dir = await tempDir();
  const name = "\x1b]2;HIJACKED\x07\x1b[41mx\u202e";
  const runs: [string, string, string[]][] = [
    ["client", "client.mmd", [name]],
    ["client", "client.svg", [name]],
    ["talker", "talker.mmd", [name, "hi"]],
    ["server", "server.mmd", ["-H", name]],
    ["listener", "listener.mmd", ["-H", name]],
  ];
  const mmds: string[] = [];
  for (const [tool, file, args] of runs) {
    const path = `${dir.path}/${file}`;
    const res = await runTool(tool, ["--diagram", path, ...args], { perms: perms(dir.path) });
    assertEquals(res.code, 1, res.stderr);
    const text = await Deno.readTextFile(path);
    assert(text.endsWith("\n"), `${file} does not end with a newline:\n${text}`);
    // deno-lint-ignore no-control-regex
    assert(!/[\x00-\x08\x0b-\x1f\x7f\u202e]/.test(text), `a raw control in ${file}`);
    if (file.endsWith(".svg")) {
      const svg = await checkSvg(path);
      assert(
        svg.includes("getaddrinfo(&quot;\\x1b]2;HIJACKED\\x07\\x1b[41mx\\u{202e}&quot;)"),
        svg,
      );
      continue;
    }
    // No entity of a control either (Mermaid would draw the character it stands for).
    assert(!/#(7|27|8238);/.test(text), text);
    assertMatch(
      text,
      /getaddrinfo\(#34;#92;x1b\]2#59;HIJACKED#92;x07#92;x1b\[41mx#92;u#123;202e#125;#34;\) #45;#62; /,
    );
    mmds.push(text);
  }
  await checkMermaid(mmds);
});

Deno.test("a lookup still waiting when the tool ends is drawn as waiting, with the name escaped", () => {
  let t = 0;
  const recorder = new DiagramRecorder("client", { now: () => t += 5 });
  const query = { host: "slow.example\u202e", port: 3490, passive: false };
  recorder.onStep({ call: "getaddrinfo", phase: "start", family: "any", query });
  assertEquals(recorder.finish().items, [
    {
      kind: "arrow",
      from: 0,
      to: 0,
      text: 'getaddrinfo("slow.example\\u{202e}") ... no answer',
      ms: 5,
      failed: true,
    },
  ]);
});
