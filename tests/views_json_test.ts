// --json: every line every tool writes is one event, valid against the schema (ajv).
import { assert, assertEquals, assertMatch } from "./_assert.ts";
import { fetchAll, runTool, startTool, text, toolArgs, ToolProcess, udpSocket } from "./_tools.ts";
import { runWithInput } from "../testing/run_with_input.ts";
import { parseEvents } from "./_events.ts";

const names = (events: { event: string }[]) => events.map((e) => e.event);

/** Starts a tool with --json on port 0 and reads the port from its `listening` event. */
async function startJson(tool: string, args: string[]) {
  const proc = new ToolProcess(tool, ["-p", "0", "--json", ...args]);
  try {
    const m = await proc.waitFor(/"event":"listening".*"port":(\d+)/);
    return { proc, port: Number(m[1]) };
  } catch (err) {
    await proc[Symbol.asyncDispose]();
    throw err;
  }
}

Deno.test("server and client --json: events only, each valid, the greeting exact", async () => {
  const { proc, port } = await startJson("server", ["-H", "::1"]);
  await using _server = proc;
  const res = await runTool("client", ["--json", "-p", String(port), "::1"]);
  assertEquals(res.code, 0, res.stderr);
  assertEquals(res.stderr, "");
  const client = parseEvents(res.stdout);
  assertEquals(names(client), ["attempt", "connected", "received"]);
  const received = client[2]!;
  assertEquals(received.from, { address: "::1", port, family: "IPv6" });
  assertEquals([received.size, received.data, received.end], [13, "Hello, world!", "eof"]);
  assertEquals(atob(received.data_base64 as string), "Hello, world!");
  assert(client.every((e) => e.tool === "client"));

  await proc.waitFor(/"event":"connection"/);
  proc.kill("SIGTERM");
  assertEquals(await proc.exit(), 0);
  const server = parseEvents(proc.stdout);
  assertEquals(names(server), ["listening", "connection", "summary"]);
  assertEquals(server[0]!.address, { address: "::1", port, family: "IPv6" });
  assertEquals((server[1]!.from as { address: string }).address, "::1");
  assertEquals([server[2]!.served, server[2]!.failed, server[2]!.dropped], [1, 0, 0]);
});

Deno.test("listener and talker --json: datagram, echo reply and summary, bytes exact", async () => {
  const { proc, port } = await startJson("listener", ["-H", "::1", "-k", "--echo"]);
  await using _listener = proc;
  const res = await runTool("talker", ["--json", "-p", String(port), "-r", "5s", "::1", "hi\n"]);
  assertEquals(res.code, 0, res.stderr);
  const talker = parseEvents(res.stdout);
  assertEquals(names(talker), ["connected", "sent", "reply"]);
  assertEquals([talker[1]!.size, talker[1]!.host], [3, "::1"]);
  assertEquals([talker[2]!.data, talker[2]!.data_base64], ["hi\\n", "aGkK"]);

  // Bytes that are not text: `data` escaped as the human line shows it, base64 exact.
  using sender = udpSocket("::1");
  await sender.send(new Uint8Array([0xff, 0x00, 0x41]), {
    transport: "udp",
    hostname: "::1",
    port,
  });
  await proc.waitFor(/"data_base64":"\/wBB"/);
  proc.kill("SIGTERM");
  assertEquals(await proc.exit(), 0);
  const listener = parseEvents(proc.stdout);
  assertEquals(names(listener), ["listening", "datagram", "datagram", "summary"]);
  assertEquals(listener[2]!.data, "\\xff\\x00A");
  assertEquals(listener[2]!.size, 3);
  const summary = listener[3]!;
  assertEquals([summary.datagrams, summary.bytes, summary.echoed], [2, 6, 2]);
});

Deno.test("listener --json --echo: a datagram not echoed is a refused event", async () => {
  const { proc, port } = await startJson("listener", ["-H", "127.0.0.1", "-c", "1", "--echo"]);
  await using _listener = proc;
  // From the listener's own port (on another loopback address): echoing would loop.
  const sender = Deno.listenDatagram({ transport: "udp", hostname: "127.0.0.2", port });
  try {
    const to = { transport: "udp", hostname: "127.0.0.1", port } as const;
    await sender.send(new TextEncoder().encode("x"), to);
    assertEquals(await proc.exit(), 0);
  } finally {
    sender.close();
  }
  const events = parseEvents(proc.stdout);
  assertEquals(names(events), ["listening", "datagram", "refused", "summary"]);
  assertEquals(events[2]!.reason, "loop");
  assertEquals(events[2]!.from, { address: "127.0.0.2", port, family: "IPv4" });
  assertEquals(events[3]!.not_echoed, { loop: 1, low_port: 0, rate: 0, failed: 0 });
});

Deno.test("errors in --json mode are events on stdout too, the line stays on stderr", async () => {
  using closed = udpSocket("127.0.0.1"); // a port nobody listens on over TCP (very likely)
  const refused = await runTool("client", ["--json", "-p", String(closed.port), "127.0.0.1"]);
  assertEquals(refused.code, 2);
  const events = parseEvents(refused.stdout);
  assertEquals(names(events), ["attempt", "error", "error"]);
  assertEquals(events[1]!.errno, "ECONNREFUSED");
  assertEquals(events[1]!.message, `connect: Connection refused (127.0.0.1:${closed.port})`);
  assertEquals(
    refused.stderr,
    `client: connect: Connection refused (127.0.0.1:${closed.port})\nclient: failed to connect\n`,
  );

  const usage = await runTool("talker", ["--json", "::1"]);
  assertEquals(usage.code, 1);
  const [error] = parseEvents(usage.stdout);
  assertEquals([error!.event, error!.exit_code], ["error", 1]);
  assertMatch(usage.stderr, /^usage: talker/);

  const unresolved = await runTool("talker", ["--json", "no-such-host.invalid", "x"]);
  assertEquals(unresolved.code, 1);
  const [lookup] = parseEvents(unresolved.stdout);
  assertEquals(lookup!.event, "error");
  assertEquals(lookup!.message, unresolved.stderr.trimEnd());
});

Deno.test("--json and --raw do not mix", async () => {
  const res = await runTool("client", ["--json", "--raw", "::1"]);
  assertEquals(res.code, 1);
  assertMatch(res.stderr, /Options --json and --raw cannot be used together/);
  parseEvents(res.stdout);
});

Deno.test("--color always colours even a pipe; by default a pipe gets none", async () => {
  using closed = udpSocket("127.0.0.1");
  const args = ["-p", String(closed.port), "127.0.0.1"];
  const always = await runTool("client", ["--color", "always", ...args]);
  assertEquals(
    always.stderr.split("\n")[1],
    "\x1b[2mclient\x1b[22m: \x1b[31mfailed to connect\x1b[39m",
  );
  const auto = await runTool("client", args);
  assertEquals(auto.stderr.includes("\x1b"), false);
  const bad = await runTool("client", ["--color", "sometimes", ...args]);
  assertEquals(bad.code, 1);
  assertMatch(bad.stderr, /Cannot parse --color "sometimes": expected auto, always or never/);
});

Deno.test("README's --json examples are valid events, one per tool at least", async () => {
  const readme = await Deno.readTextFile(new URL("../README.md", import.meta.url));
  const lines = readme.split("\n").filter((l) => l.startsWith('{"event":'));
  const events = parseEvents(lines.join("\n") + "\n");
  assertEquals(
    [...new Set(events.map((e) => e.tool))].sort(),
    ["client", "listener", "server", "talker"],
  );
});

Deno.test("server -6 --json: an IPv4 client is a refused event, counted in the summary", async () => {
  const { proc, port } = await startJson("server", ["-6"]);
  await using _server = proc;
  await fetchAll("127.0.0.1", port); // closed at accept, sent nothing
  await proc.waitFor(/"event":"refused"/);
  proc.kill("SIGTERM");
  assertEquals(await proc.exit(), 0);
  const events = parseEvents(proc.stdout);
  assertEquals(names(events), ["listening", "refused", "summary"]);
  assertEquals(events[1]!.from, {
    address: "127.0.0.1",
    port: (events[1]!.from as { port: number }).port,
    family: "IPv4",
  });
  assertEquals(events[1]!.reason, "ipv4");
  assertEquals([events[2]!.served, events[2]!.refused], [0, 1]);
});

Deno.test("talker ping --json: a reply event per seq with its round trip, then a summary", async () => {
  const { proc, port } = await startJson("listener", ["-H", "::1", "-k", "--echo"]);
  await using _listener = proc;
  const args = ["--json", "-p", String(port), "-n", "2", "-i", "50ms", "-r", "2s", "::1", "hi"];
  const res = await runTool("talker", args);
  assertEquals(res.code, 0, res.stderr);
  const all = parseEvents(res.stdout);
  // Each request is a sent event too, with its seq (a reply may come before the next send).
  assertEquals(all.filter((e) => e.event === "sent").map((e) => [e.seq, e.size]), [[1, 2], [
    2,
    2,
  ]]);
  const events = all.filter((e) => e.event !== "sent");
  assertEquals(names(events), ["connected", "reply", "reply", "summary"]);
  assertEquals([events[1]!.seq, events[2]!.seq], [1, 2]);
  assert(typeof events[1]!.rtt_ms === "number");
  assertEquals([events[3]!.sent, events[3]!.replies, events[3]!.lost_pct], [2, 2, 0]);
});

Deno.test("listener --deny --json: a denied sender is a refused event", async () => {
  const args = ["-H", "127.0.0.1", "-c", "1", "--deny", "127.0.0.2"];
  const { proc, port } = await startJson("listener", args);
  await using _listener = proc;
  const to = { transport: "udp", hostname: "127.0.0.1", port } as const;
  const denied = Deno.listenDatagram({ transport: "udp", hostname: "127.0.0.2", port: 0 });
  try {
    await denied.send(new TextEncoder().encode("no"), to);
  } finally {
    denied.close();
  }
  await proc.waitFor(/"event":"refused"/);
  using heard = udpSocket("127.0.0.1");
  await heard.send(new TextEncoder().encode("yes"), to);
  assertEquals(await proc.exit(), 0);
  const events = parseEvents(proc.stdout);
  assertEquals(names(events), ["listening", "refused", "datagram", "summary"]);
  assertEquals([events[1]!.reason, events[2]!.data, events[3]!.refused], ["denied", "yes", 1]);
});

Deno.test("--color always shows a refusal line in yellow, and a pipe by default gets it plain", async () => {
  for (const [flags, coloured] of [[["--color", "always"], true], [[], false]] as const) {
    const { proc, port } = await startTool("server", [
      ...flags,
      "-H",
      "127.0.0.1",
      "--deny",
      "127.0.0.1",
    ]);
    await using _server = proc;
    assertEquals(text(await fetchAll("127.0.0.1", port)), "");
    const line = coloured
      // deno-lint-ignore no-control-regex -- the escape sequence is what is tested
      ? /\x1b\[33mrefused connection from 127\.0\.0\.1\x1b\[39m\n/
      : /server: refused connection from 127\.0\.0\.1\n/;
    await proc.waitFor(line);
  }
});

Deno.test("--json: the error that ends a run carries the exit code the tool ends with", async () => {
  const closed = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = closed.addr.port;
  closed.close();
  using quiet = udpSocket("::1");
  const cases: [string, string[], number][] = [
    ["client", ["--json", "-p", String(port), "127.0.0.1"], 2],
    ["talker", ["--json", "-r", "200ms", "-p", String(quiet.port), "::1", "hi"], 3],
    ["talker", [
      "--json",
      "-n",
      "2",
      "-i",
      "10ms",
      "-r",
      "200ms",
      "-p",
      String(quiet.port),
      "::1",
      "hi",
    ], 3],
  ];
  for (const [tool, args, code] of cases) {
    const res = await runTool(tool, args);
    assertEquals(res.code, code, res.stderr);
    const events = parseEvents(res.stdout);
    const last = events.filter((e) => e.event === "error").at(-1);
    assert(last !== undefined, `${tool}: no error event in ${res.stdout}`);
    assertEquals(last.exit_code, code, JSON.stringify(last));
  }
});

Deno.test("--json error messages never carry the tool's name; the event's tool says it", async () => {
  const cases: [string, string[]][] = [
    ["client", ["--json", "--bogus", "::1"]],
    ["talker", ["--json", "--bogus", "::1", "x"]],
    ["server", ["--json", "--bogus"]],
    ["listener", ["--json", "--bogus"]],
  ];
  for (const [tool, args] of cases) {
    const res = await runTool(tool, args);
    assertEquals(res.code, 1, res.stderr);
    const [error] = parseEvents(res.stdout);
    assertEquals(error!.event, "error");
    assertEquals(error!.tool, tool);
    const message = error!.message as string;
    assertEquals(message.startsWith(`${tool}:`), false, message);
    assertEquals(res.stderr, `${tool}: ${message}\n`); // the line is the message, named
  }
});

Deno.test("client --json: an idle end (exit 0) is no error event; --send and --stdin are sent events", async () => {
  const { proc, port } = await startTool("server", ["-H", "127.0.0.1", "--echo"]);
  await using _server = proc;
  const idle = await runTool("client", ["--json", "-i", "300ms", "-p", String(port), "127.0.0.1"]);
  assertEquals(idle.code, 0, idle.stderr);
  const idleEvents = parseEvents(idle.stdout);
  assertEquals(idleEvents.some((e) => e.event === "error"), false, idle.stdout);
  assertMatch(idle.stderr, /idle for 300ms: closing/);
  // Stopping at --max-bytes is such an end too: the received event's `end` says it.
  const greeter = await startTool("server", ["-H", "127.0.0.1"]);
  await using _greeter = greeter.proc;
  const capped = await runTool("client", [
    "--json",
    "--max-bytes",
    "5",
    "-p",
    String(greeter.port),
    "127.0.0.1",
  ]);
  assertEquals(capped.code, 0, capped.stderr);
  const cappedEvents = parseEvents(capped.stdout);
  assertEquals(cappedEvents.some((e) => e.event === "error"), false, capped.stdout);
  assertEquals(cappedEvents.find((e) => e.event === "received")?.end, "limit");

  const sent = await runTool("client", [
    "--json",
    "--send",
    "hello",
    "-p",
    String(port),
    "127.0.0.1",
  ]);
  assertEquals(sent.code, 0, sent.stderr);
  const events = parseEvents(sent.stdout);
  const send = events.find((e) => e.event === "sent");
  assert(send !== undefined, sent.stdout);
  assertEquals([send.size, (send.to as { port: number }).port], [5, port]);
  assertEquals(names(events).indexOf("sent") < names(events).indexOf("received"), true);

  const args = toolArgs("client", ["--json", "--stdin", "-p", String(port), "127.0.0.1"]);
  const piped = await runWithInput(Deno.execPath(), args, new TextEncoder().encode("from stdin"));
  assertEquals(piped.code, 0, piped.stderr);
  const fromStdin = parseEvents(new TextDecoder().decode(piped.stdout));
  const sizes = fromStdin.filter((e) => e.event === "sent").map((e) => e.size as number);
  assertEquals(sizes.reduce((a, b) => a + b, 0), 10);
});

Deno.test("the schema says what each tool's events carry: an event missing a field is refused", () => {
  const t = `"time":"2026-12-06T14:00:00.000Z"`;
  const invalid = [
    `{"event":"summary",${t},"tool":"server","failed":0,"dropped":0,"refused":0,"accept_errors":0,"dropped_lines":0}`,
    `{"event":"summary",${t},"tool":"listener","datagrams":1,"bytes":1}`,
    `{"event":"summary",${t},"tool":"talker","ignored":0,"sent":2,"replies":2}`,
    `{"event":"error",${t},"tool":"client","message":"x","exit_code":5}`,
    `{"event":"sent",${t},"tool":"talker","to":{"address":"::1","port":1,"family":"IPv6"},"size":1}`,
  ];
  for (const line of invalid) {
    let refused = false;
    try {
      parseEvents(`${line}\n`);
    } catch {
      refused = true;
    }
    assert(refused, `accepted: ${line}`);
  }
  const valid =
    `{"event":"summary",${t},"tool":"talker","ignored":0,"sent":2,"replies":0,"lost_pct":100,"late":0,"unmatched":0}`;
  assertEquals(parseEvents(`${valid}\n`).length, 1);
});
