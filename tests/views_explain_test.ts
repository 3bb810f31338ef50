// --explain: each tool's steps on stderr, as the BSD socket calls the library really made,
// in order, with the failing call's errno name; stdout keeps the original's lines.
import { assert, assertEquals, assertMatch } from "./_assert.ts";
import { fetchAll, runTool, startTool, ToolProcess, udpSocket } from "./_tools.ts";
import { blackHole, canBlackHole } from "../testing/black_hole.ts";

/** A call's start line: `+1.0ms connect(…) ...  // why`. */
const START = /^\S+: \+\d+\.\dms \w+\([^]*?\) \.\.\. {2}\/\//;

/**
 * The explain lines of a tool's stderr: `[call, whole line]`, in order, the calls' ends and
 * the calls told once (a call that can wait is also shown when it starts: `starts` has those).
 */
function steps(
  tool: string,
  stderr: string,
): { calls: string[]; lines: string[]; starts: string[] } {
  const all = stderr.split("\n").filter((l) => new RegExp(`^${tool}: \\+\\d+\\.\\dms `).test(l));
  const times = all.map((l) => Number(/\+(\d+\.\d)ms/.exec(l)![1]));
  assertEquals(times, [...times].sort((a, b) => a - b), "timestamps only go forward");
  const lines = all.filter((l) => !START.test(l));
  const calls = lines.map((l) => /ms (\w+)\(/.exec(l)![1]!);
  const starts = all.filter((l) => START.test(l));
  return { calls, lines, starts };
}

Deno.test("server and client --explain: the calls in order, the greeting unchanged", async () => {
  const { proc, port } = await startTool("server", ["-H", "127.0.0.1", "--explain"]);
  await using _server = proc;
  const res = await runTool("client", ["--explain", "-p", String(port), "127.0.0.1"]);
  assertEquals(res.code, 0, res.stderr);
  assertEquals(res.stdout, "client: connecting to 127.0.0.1\nclient: received 'Hello, world!'\n");
  const client = steps("client", res.stderr);
  assertEquals(client.calls, ["getaddrinfo", "socket", "connect", "recv", "close"]);
  assertMatch(
    client.lines[0]!,
    /getaddrinfo\("127\.0\.0\.1", "\d+", AF_UNSPEC, SOCK_STREAM\) -> \[127\.0\.0\.1\]/,
  );
  assertMatch(client.lines[1]!, /socket\(AF_INET, SOCK_STREAM\) -> fd/);
  assertMatch(client.lines[3]!, /recv\(\) -> 13 bytes, then eof/);

  assertEquals(new TextDecoder().decode(await fetchAll("127.0.0.1", port)), "Hello, world!");
  await proc.waitFor(/close\(\)[^\n]*\n[^]*close\(\)/, { stderr: true });
  proc.kill("SIGTERM");
  assertEquals(await proc.exit(), 0);
  const server = steps("server", proc.stderr);
  assertEquals(server.calls, [
    "getaddrinfo",
    "socket",
    "bind",
    "listen",
    ...["accept", "send", "close"],
    ...["accept", "send", "close"],
  ]);
  assertMatch(server.lines[2]!, new RegExp(`bind\\(127\\.0\\.0\\.1:${port}\\)`));
  assertMatch(server.lines[3]!, /listen\(backlog 511\)/);
  assertMatch(server.lines[4]!, /accept\(\) -> 127\.0\.0\.1:\d+ .*fork\(\).*task/);
  assertMatch(server.lines[5]!, /send\(13 bytes\)/);
  // The human lines are the original's, on stdout.
  assertMatch(
    proc.stdout,
    /^server: listening on 127\.0\.0\.1:\d+\nserver: waiting for connections/,
  );
});

Deno.test("server --explain on the wildcard says the socket is dual-stack", async () => {
  const { proc } = await startTool("server", ["--explain"]);
  await using _server = proc;
  await proc.waitFor(/bind\(\[::\]:\d+\).*dual-stack/, { stderr: true });
});

Deno.test("listener and talker --explain: recvfrom, connect in user space, sendto", async () => {
  const { proc, port } = await startTool("listener", ["-H", "::1", "--echo", "--explain"]);
  await using _listener = proc;
  const res = await runTool("talker", ["--explain", "-p", String(port), "-r", "5s", "::1", "hi"]);
  assertEquals(res.code, 0, res.stderr);
  const talker = steps("talker", res.stderr);
  assertEquals(talker.calls, [
    "getaddrinfo",
    "socket",
    "bind",
    "connect",
    "sendto",
    "recvfrom",
    "close",
  ]);
  assertMatch(talker.lines[0]!, /getaddrinfo\("::1", "\d+", AF_UNSPEC, SOCK_DGRAM\)/);
  assertMatch(talker.lines[3]!, /connect\(\[::1\]:\d+\).*fixes the peer.*user space/);
  assertMatch(talker.lines[4]!, new RegExp(`sendto\\(2 bytes, \\[::1\\]:${port}\\)`));
  assertMatch(talker.lines[5]!, new RegExp(`recvfrom\\(\\) -> 2 bytes from \\[::1\\]:${port}`));

  assertEquals(await proc.exit(), 0);
  const listener = steps("listener", proc.stderr);
  assertEquals(listener.calls, ["getaddrinfo", "socket", "bind", "recvfrom", "sendto", "close"]);
  assertMatch(listener.lines[3]!, /recvfrom\(\) -> 2 bytes from \[::1\]:\d+/);
  assertMatch(proc.stdout, /listener: packet contains "hi"\n$/);
});

Deno.test("--explain shows the failing call with its errno name", async () => {
  using closed = udpSocket("127.0.0.1"); // its port, over TCP: nobody listens (very likely)
  const refused = await runTool("client", ["--explain", "-p", String(closed.port), "127.0.0.1"]);
  assertEquals(refused.code, 2);
  const client = steps("client", refused.stderr);
  assertEquals(client.calls, ["getaddrinfo", "socket", "connect"]);
  assertMatch(
    client.lines[2]!,
    new RegExp(`connect\\(127\\.0\\.0\\.1:${closed.port}\\) -> ECONNREFUSED`),
  );

  const { proc, port } = await startTool("server", ["-H", "127.0.0.1"]);
  await using _server = proc;
  const busy = await runTool("server", ["--explain", "-H", "127.0.0.1", "-p", String(port)]);
  assertEquals(busy.code, 2);
  const server = steps("server", busy.stderr);
  assertEquals(server.calls, ["getaddrinfo", "socket", "bind"]);
  assertMatch(server.lines[2]!, new RegExp(`bind\\(127\\.0\\.0\\.1:${port}\\) -> EADDRINUSE`));

  const lookup = await runTool("talker", ["--explain", "no-such-host.invalid", "x"]);
  assertEquals(lookup.code, 1);
  const talker = steps("talker", lookup.stderr);
  assertEquals(talker.calls, ["getaddrinfo"]);
  assert(/-> EAI_NONAME|-> ENOTFOUND|-> EAI_AGAIN/.test(talker.lines[0]!), talker.lines[0]);
});

Deno.test("without --explain no step is printed", async () => {
  using closed = udpSocket("127.0.0.1");
  const res = await runTool("client", ["-p", String(closed.port), "127.0.0.1"]);
  assertEquals(
    res.stderr,
    `client: connect: Connection refused (127.0.0.1:${closed.port})\nclient: failed to connect\n`,
  );
});

Deno.test("server --echo and client --send --explain: every send, shutdown and recv, in order", async () => {
  const { proc, port } = await startTool("server", ["-H", "127.0.0.1", "--echo", "--explain"]);
  await using _server = proc;
  const res = await runTool("client", [
    "--explain",
    "--send",
    "hello",
    "-p",
    String(port),
    "127.0.0.1",
  ]);
  assertEquals(res.code, 0, res.stderr);
  assertEquals(res.stdout, "client: connecting to 127.0.0.1\nclient: received 'hello'\n");
  const client = steps("client", res.stderr);
  assertEquals(client.calls.slice(0, 5), ["getaddrinfo", "socket", "connect", "send", "shutdown"]);
  assertEquals(client.calls.at(-1), "close");
  assert(client.calls.filter((c) => c === "recv").length >= 2, client.lines.join("\n"));
  assertMatch(client.lines[3]!, /send\(5 bytes\)/);
  await proc.waitFor(/close\(\)/, { stderr: true });
  proc.kill("SIGTERM");
  assertEquals(await proc.exit(), 0);
  const server = steps("server", proc.stderr);
  // No greeting in echo mode: accept, then what the client sent comes back, then its end.
  assertEquals(server.calls.slice(4), ["accept", "recv", "send", "recv", "close"]);
  assertMatch(server.lines[5]!, /recv\(\) -> 5 bytes/);
  assertMatch(server.lines[6]!, /send\(5 bytes\)/);
  assertMatch(server.lines[7]!, /recv\(\) -> 0 bytes/);
});

Deno.test({
  name: "--explain shows a connect that hangs when it starts, and its end at the deadline",
  ignore: !canBlackHole,
  async fn() {
    await using hole = await blackHole("127.0.0.1");
    const args = ["--explain", "-t", "1500ms", "-p", String(hole.port), "127.0.0.1"];
    await using proc = new ToolProcess("client", args);
    await proc.waitFor(/connect\(127\.0\.0\.1:\d+\) \.\.\./, { stderr: true });
    // Seen while it hangs, before the deadline: the connect's start, and no end yet.
    assert(!/ -> abandoned/.test(proc.stderr), proc.stderr);
    assertEquals(await proc.exit(), 3);
    const client = steps("client", proc.stderr);
    assertEquals(client.calls, ["getaddrinfo", "socket", "connect"]);
    assertMatch(client.starts[1]!, /connect\(127\.0\.0\.1:\d+\) \.\.\. {2}\/\/ the three-way/);
    assertMatch(client.lines[2]!, /connect\(127\.0\.0\.1:\d+\) -> abandoned: deadline$/);
  },
});

Deno.test("--explain's UDP notes speak of datagrams, not of streams", async () => {
  const { proc, port } = await startTool("listener", ["-H", "::", "--explain"]);
  await using _listener = proc;
  const res = await runTool("talker", ["--explain", "-p", String(port), "::1", "hi"]);
  assertEquals(res.code, 0, res.stderr);
  assertEquals(await proc.exit(), 0);
  const listener = steps("listener", proc.stderr);
  assertMatch(listener.lines[1]!, /socket\(AF_INET6, SOCK_DGRAM\).*Deno\.listenDatagram does/);
  assert(!/listen\(\)/.test(listener.lines[1]!), listener.lines[1]);
  assertMatch(listener.lines[2]!, /bind\(\[::\]:\d+\).*IPv4 senders/);
  const closes = [...listener.lines, ...steps("talker", res.stderr).lines].filter((l) =>
    / close\(\)/.test(l)
  );
  assertEquals(closes.length, 2);
  for (const line of closes) assert(!/stream/.test(line), line);
});

Deno.test("client -z --json: one connected event", async () => {
  const { proc, port } = await startTool("server", ["-H", "127.0.0.1"]);
  await using _server = proc;
  const res = await runTool("client", ["-z", "--json", "-p", String(port), "127.0.0.1"]);
  assertEquals(res.code, 0, res.stderr);
  const events = res.stdout.trim().split("\n").map((l) => JSON.parse(l).event);
  assertEquals(events, ["attempt", "connected"]);
  const human = await runTool("client", ["-z", "-p", String(port), "127.0.0.1"]);
  assertEquals(
    human.stdout,
    `client: connecting to 127.0.0.1\nclient: connected to 127.0.0.1:${port}\n`,
  );
});

Deno.test("talker --explain shows the wait for a reply when it starts, and its timeout", async () => {
  using silent = udpSocket("127.0.0.1"); // bound, never answers
  const res = await runTool("talker", [
    ...["--explain", "-p", String(silent.port), "-r", "300ms", "127.0.0.1", "hi"],
  ]);
  assertEquals(res.code, 3, res.stderr);
  const talker = steps("talker", res.stderr);
  assertMatch(talker.starts.at(-1)!, /recvfrom\(\) \.\.\. {2}\/\/ takes one whole datagram/);
  assertMatch(talker.lines.at(-2)!, /recvfrom\(\) -> ETIMEDOUT \(.*timed out after 300ms\)$/);
  assertEquals(talker.calls.at(-1), "close");
});

/** A name that tries to drive the terminal: a title (OSC 2), BEL, a colour, a bidi override. */
const HOSTILE_NAME = "\x1b]2;HIJACKED\x07\x1b[41mx\u202e";
/** What the terminal must never get from a line we print about a peer or a name. */
// deno-lint-ignore no-control-regex
const RAW_CONTROL = /[\x00-\x08\x0b-\x1f\x7f\u0080-\u009f\u200b-\u200f\u202a-\u202e\u2066-\u2069]/;

Deno.test("--explain escapes what is not ours: a hostile name's failed lookup, in each tool", async () => {
  const runs: [string, string[]][] = [
    ["client", [HOSTILE_NAME]],
    ["talker", [HOSTILE_NAME, "hi"]],
    ["server", ["-H", HOSTILE_NAME]],
    ["listener", ["-H", HOSTILE_NAME]],
  ];
  for (const [tool, args] of runs) {
    const res = await runTool(tool, ["--explain", ...args]);
    assertEquals(res.code, 1, res.stderr);
    assert(!RAW_CONTROL.test(res.stderr), `${tool}: a raw control on stderr:\n${res.stderr}`);
    const { lines } = steps(tool, res.stderr);
    assertEquals(lines.length, 1, res.stderr);
    // The call and the runtime's reason both show the name escaped: the title is text.
    assertMatch(
      lines[0]!,
      /^\S+: \+\d+\.\dms getaddrinfo\("\\x1b\]2;HIJACKED\\x07\\x1b\[41mx\\u\{202e\}"/,
    );
    assertMatch(lines[0]!, / -> \w+ \([^)]*\)$/);
    const result = lines[0]!.slice(lines[0]!.indexOf(" -> "));
    assert(!result.includes("HIJACKED") || result.includes("\\x1b]2;HIJACKED\\x07"), result);
  }
});

/** A temporary directory, removed at the end. */
async function tempDir(): Promise<{ path: string } & AsyncDisposable> {
  const path = await Deno.makeTempDir({ prefix: "socketkit-explain-" });
  return { path, [Symbol.asyncDispose]: () => Deno.remove(path, { recursive: true }) };
}

/** The recvfrom ends of an explain log: `2 bytes from …`, `ETIMEDOUT (…)`, `abandoned: …`. */
const recvfromEnds = (tool: string, stderr: string) =>
  steps(tool, stderr).lines.filter((l) => / recvfrom\(\) -> /.test(l)).map((l) =>
    l.slice(l.indexOf(" -> ") + 4)
  );

Deno.test("a UDP ping at 0% loss shows no failed recvfrom: the wait for the next send is no timeout", async () => {
  await using dir = await tempDir();
  const { proc, port } = await startTool("listener", ["-H", "127.0.0.1", "-k", "--echo"]);
  await using _listener = proc;
  const file = `${dir.path}/ping.mmd`;
  const res = await runTool("talker", [
    ...["--explain", "-n", "3", "-i", "100ms", "-r", "5s", "-p", String(port)],
    ...["--diagram", file, "127.0.0.1", "hi"],
  ], { perms: ["--allow-net", `--allow-write=${dir.path}`] });
  assertEquals(res.code, 0, res.stderr);
  assertMatch(res.stdout, /3 sent, 3 replies, 0% lost/);
  const ends = recvfromEnds("talker", res.stderr);
  assertEquals(ends.filter((e) => e.startsWith("2 bytes from ")).length, 3, res.stderr);
  // Every other wait ended because the next request was due: no error, no timeout.
  for (const end of ends.filter((e) => !e.startsWith("2 bytes"))) {
    assertEquals(end, "abandoned: the next send is due", res.stderr);
  }
  assert(!/ETIMEDOUT|error/.test(res.stderr), res.stderr);
  const mmd = await Deno.readTextFile(file);
  assert(!/ {4}p\d+-x/.test(mmd), `a failure drawn at 0% loss:\n${mmd}`);
  assertEquals(mmd.split("\n").filter((l) => /p1-->>p0: .* recvfrom 2 bytes/.test(l)).length, 3);
  assert(mmd.endsWith("\n"), mmd);
});

Deno.test("a UDP ping's reply timeout is still a timeout; Ctrl-C ends the wait as abandoned: cancelled", async () => {
  await using dir = await tempDir();
  using silent = udpSocket("127.0.0.1"); // bound, never answers
  const file = `${dir.path}/cancelled.mmd`;
  const args = [
    ...["--explain", "-n", "50", "-i", "100ms", "-r", "250ms", "-p", String(silent.port)],
    ...["--diagram", file, "127.0.0.1", "hi"],
  ];
  await using talker = new ToolProcess("talker", args, {
    perms: ["--allow-net", `--allow-write=${dir.path}`],
  });
  await talker.waitFor(/no reply for seq=1 /);
  talker.kill("SIGINT");
  assertEquals(await talker.exit(), 130, talker.stderr);
  const ends = recvfromEnds("talker", talker.stderr);
  // The wait that ended at a request's timeout is that request's timeout.
  assert(
    ends.some((e) => /^ETIMEDOUT \(read udp \S+: timed out after \d+ms\)$/.test(e)),
    talker.stderr,
  );
  assertEquals(ends.at(-1), "abandoned: cancelled", talker.stderr);
  assert(!/aborted/.test(talker.stderr), talker.stderr);
  for (const end of ends.slice(0, -1)) {
    assertMatch(end, /^(ETIMEDOUT|abandoned: the next send is due)/);
  }
  const mmd = await Deno.readTextFile(file);
  const recvs = mmd.split("\n").filter((l) => l.includes("recvfrom"));
  assertMatch(
    recvs.at(-1)!,
    /^ {4}p1-xp0: \+\d+\.\dms recvfrom\(\) #45;#62; abandoned#58; cancelled$/,
  );
  assert(recvs.slice(0, -1).every((l) => / recvfrom\(\) #45;#62; ETIMEDOUT$/.test(l)), mmd);
  assert(mmd.endsWith("\n"), mmd);
});
