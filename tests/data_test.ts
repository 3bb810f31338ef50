// Issue 10: each tool carries a user's bytes both ways, binary-safe, against real peers
// (nc -N, ncat, socat, python3) and our own tools; the defaults stay as they were.
import { assert, assertEquals, assertMatch } from "./_assert.ts";
import { bytes, hasCommand, startTool, text, toolArgs, ToolProcess, udpSocket } from "./_tools.ts";
import { runWithInput as run } from "../testing/run_with_input.ts";
import { waitBound, waitUntil } from "../testing/ready.ts";

const peers = { nc: hasCommand("nc"), socat: hasCommand("socat"), ncat: hasCommand("ncat") };
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Runs one of our tools with `stdin` piped in. */
function tool(name: string, args: string[], stdin?: Uint8Array, timeout?: number) {
  return run(Deno.execPath(), toolArgs(name, args), stdin, timeout);
}

/** A free TCP port on 127.0.0.1 (bound, read back, released). */
function freePort(): number {
  using l = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  return l.addr.port;
}

/** Waits until something listens on TCP `port` (asking `ss`: no connection used up). */
async function listening(port: number): Promise<void> {
  for (let i = 0; i < 200; i++) {
    const ss = await new Deno.Command("ss", { args: ["-Hltn", `sport = :${port}`] }).output();
    if (text(ss.stdout).trim() !== "") return;
    await sleep(25);
  }
  throw new Error(`nothing listens on port ${port}`);
}

/** Starts a background peer; `stop()` kills it and returns what it wrote. */
function background(cmd: string, args: string[]) {
  const child = new Deno.Command(cmd, { args, stdin: "null", stdout: "piped", stderr: "piped" })
    .spawn();
  const output = child.output();
  return {
    async stop() {
      try {
        child.kill("SIGKILL");
      } catch { /* gone */ }
      return await output;
    },
    output,
  };
}

/** Asserts two byte arrays are equal, without a diff of megabytes when they are not. */
function assertSameBytes(actual: Uint8Array, expected: Uint8Array, note = ""): void {
  let i = 0;
  while (i < actual.length && i < expected.length && actual[i] === expected[i]) i++;
  if (i === actual.length && i === expected.length) return;
  throw new Error(
    `bytes differ at ${i}: got ${actual.length} bytes, expected ${expected.length} ${note}`,
  );
}

const random = (n: number) => {
  const b = new Uint8Array(n);
  for (let off = 0; off < n; off += 65536) crypto.getRandomValues(b.subarray(off, off + 65536));
  return b;
};

// ---- client ----

Deno.test({
  name: "client --raw --stdin: 1 MiB of random bytes through socat EXEC:cat comes back identical",
  ignore: !peers.socat,
  async fn() {
    const port = freePort();
    const echo = background("socat", [
      `TCP-LISTEN:${port},bind=127.0.0.1,reuseaddr,fork`,
      "EXEC:cat",
    ]);
    try {
      await listening(port);
      const data = random(1 << 20);
      const res = await tool("client", ["-p", String(port), "--raw", "--stdin", "127.0.0.1"], data);
      assertEquals([res.code, res.stdout.length], [0, data.length], res.stderr);
      assertSameBytes(res.stdout, data);
    } finally {
      await echo.stop();
    }
  },
});

Deno.test({
  name: "client --stdin delivers binary bytes to nc -l and half-closes, so nc -N ends the session",
  ignore: !peers.nc,
  async fn() {
    const port = freePort();
    const nc = background("nc", ["-l", "-N", "127.0.0.1", String(port)]);
    try {
      await listening(port);
      const data = random(200_000);
      const res = await tool("client", ["-p", String(port), "--raw", "--stdin", "127.0.0.1"], data);
      assertEquals(res.code, 0, res.stderr);
      const got = await nc.output;
      assertSameBytes(got.stdout, data);
    } finally {
      await nc.stop();
    }
  },
});

Deno.test({
  name: "client --send to a socat echo server prints the original's received line",
  ignore: !peers.socat,
  async fn() {
    const port = freePort();
    const ncat = background("socat", [`TCP-LISTEN:${port},bind=127.0.0.1,reuseaddr`, "EXEC:cat"]);
    try {
      await listening(port);
      const res = await tool("client", ["-p", String(port), "--send", "ping\x01", "127.0.0.1"]);
      assertEquals(res.code, 0, res.stderr);
      assertEquals(
        text(res.stdout),
        "client: connecting to 127.0.0.1\nclient: received 'ping\\x01'\n",
      );
    } finally {
      await ncat.stop();
    }
  },
});

Deno.test("client -z: 0 when it connects (reading nothing), 2 when nothing listens", async () => {
  using l = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const accepted = l.accept();
  const ok = await tool("client", ["-p", String(l.addr.port), "-z", "127.0.0.1"]);
  assertEquals(ok.code, 0, ok.stderr);
  assertMatch(text(ok.stdout), /client: connected to 127\.0\.0\.1:\d+\n$/);
  (await accepted).close();
  l.close();
  const closed = await tool("client", ["-p", String(l.addr.port), "-z", "127.0.0.1"]);
  assertEquals(closed.code, 2, closed.stderr);
});

Deno.test("client --send half-closes by default; --no-shutdown keeps writing side open", async () => {
  using l = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = String(l.addr.port);
  // True when the client's end of sending (EOF) comes within 200 ms of its bytes.
  const sawEnd = async () => {
    using conn = await l.accept();
    const buf = new Uint8Array(64);
    let got = "";
    while (!got.includes("x")) {
      const n = await conn.read(buf);
      if (n === null) return false;
      got += text(buf.subarray(0, n));
    }
    const n = await Promise.race([conn.read(buf), sleep(200).then(() => -1)]);
    if (n !== null) return false;
    await conn.write(bytes(`eof after ${got}`));
    return true;
  };
  const [half, res] = await Promise.all([
    sawEnd(),
    tool("client", ["-p", port, "--send", "x", "127.0.0.1"]),
  ]);
  assertEquals(half, true);
  assertEquals(text(res.stdout).split("\n")[1], "client: received 'eof after x'");
  const [open, kept] = await Promise.all([
    sawEnd(),
    tool("client", ["-p", port, "--send", "x", "--no-shutdown", "-i", "600ms", "127.0.0.1"]),
  ]);
  assertEquals(open, false);
  assertEquals(kept.code, 0, kept.stderr);
});

Deno.test("client --idle-timeout ends a session where nothing moves, long before --read-timeout", async () => {
  using l = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const held = l.accept(); // accepted and never answered
  const t0 = performance.now();
  const res = await tool("client", ["-p", String(l.addr.port), "-i", "300ms", "127.0.0.1"]);
  const took = performance.now() - t0;
  (await held).close();
  assertEquals(res.code, 0, res.stderr);
  assertMatch(res.stderr, /idle for 300ms: closing/);
  assert(took < 5000, `took ${took} ms`);
});

// ---- server ----

Deno.test({
  name: "server --echo: nc -N gets its binary bytes back exactly; the summary counts them",
  ignore: !peers.nc,
  async fn() {
    const { proc, port } = await startTool("server", ["--echo"]);
    await using server = proc;
    const data = random(300_000);
    const res = await run("nc", ["-N", "127.0.0.1", String(port)], data);
    assertSameBytes(res.stdout, data, res.stderr);
    server.kill("SIGTERM");
    await server.exit();
    assertMatch(server.stdout, /stopped: 1 served, 0 failed, 0 dropped, 300000 bytes echoed/);
  },
});

Deno.test({
  name: "server --echo: ncat and socat as clients get their bytes back; --message goes first",
  ignore: !peers.ncat || !peers.socat,
  async fn() {
    const { proc, port } = await startTool("server", ["--echo", "--message", "hi>"]);
    await using _server = proc;
    const data = random(100_000);
    const viaNcat = await run("ncat", ["127.0.0.1", String(port)], data);
    const viaSocat = await run("socat", ["-", `TCP:127.0.0.1:${port}`], data);
    const expected = new Uint8Array([...bytes("hi>"), ...data]);
    assertSameBytes(viaNcat.stdout, expected, viaNcat.stderr);
    assertSameBytes(viaSocat.stdout, expected, viaSocat.stderr);
  },
});

Deno.test("server --echo --idle-timeout drops a client that neither sends nor closes", async () => {
  const { proc, port } = await startTool("server", ["--echo", "--idle-timeout", "300ms"]);
  await using server = proc;
  using conn = await Deno.connect({ hostname: "127.0.0.1", port });
  const t0 = performance.now();
  const n = await conn.read(new Uint8Array(16)).catch(() => null);
  assertEquals(n, null);
  assert(performance.now() - t0 < 3000);
  server.kill("SIGTERM");
  await server.exit();
  assertMatch(server.stdout, /stopped: 0 served, 0 failed, 1 dropped, 0 bytes echoed/);
});

Deno.test({
  name: "server --message - serves standard input's binary bytes exactly (to socat)",
  ignore: !peers.socat,
  async fn() {
    const port = freePort();
    const data = random(70_000);
    const child = new Deno.Command(Deno.execPath(), {
      args: toolArgs("server", ["-p", String(port), "-H", "127.0.0.1", "--message", "-"]),
      stdin: "piped",
      stdout: "null",
      stderr: "null",
    }).spawn();
    try {
      const w = child.stdin.getWriter();
      await w.write(data);
      await w.close();
      await listening(port);
      const res = await run("socat", ["-u", `TCP:127.0.0.1:${port}`, "-"]);
      assertSameBytes(res.stdout, data);
    } finally {
      child.kill("SIGKILL");
      await child.status;
    }
  },
});

Deno.test("server with no new flag still greets with Hello, world! and no byte count", async () => {
  const { proc, port } = await startTool("server", []);
  await using server = proc;
  const res = await tool("client", ["-p", String(port), "127.0.0.1"]);
  assertEquals(text(res.stdout).split("\n")[1], "client: received 'Hello, world!'");
  server.kill("SIGTERM");
  await server.exit();
  assertMatch(server.stdout, /stopped: 1 served, 0 failed, 0 dropped\n/);
});

// ---- talker ----

Deno.test({
  name: "talker - sends standard input's binary bytes as one datagram (socat receives it)",
  ignore: !peers.socat,
  async fn() {
    const probe = udpSocket("::1");
    const port = probe.port;
    probe.close();
    // socat writes what it receives to a file, whose size says when it has it all.
    const file = await Deno.makeTempFile({ prefix: "socat-recv-" });
    const recv = background("socat", [
      "-b",
      "65536",
      "-u",
      `UDP6-RECV:${port},bind=[::1]`,
      `OPEN:${file},wronly,trunc`,
    ]);
    try {
      await waitBound("udp", port);
      const data = random(60_000);
      const res = await tool("talker", ["-p", String(port), "::1", "-"], data);
      assertEquals(res.code, 0, res.stderr);
      assertEquals(text(res.stdout), "talker: sent 60000 bytes to ::1\n");
      await waitUntil(async () => (await Deno.stat(file)).size >= data.length, {
        timeout: 10_000,
        what: "socat to have written the datagram",
      });
      await recv.stop();
      assertSameBytes(await Deno.readFile(file), data);
    } finally {
      await recv.stop();
      await Deno.remove(file);
    }
  },
});

Deno.test("talker --hex sends the bytes the digits name; --lines one datagram per line", async () => {
  using sock = udpSocket("::1");
  const hex = await tool("talker", ["-p", String(sock.port), "--hex", "::1", "00ff41"]);
  assertEquals(hex.code, 0, hex.stderr);
  const [got] = await sock.receive();
  assertEquals(got, new Uint8Array([0, 255, 65]));
  const lines = await tool(
    "talker",
    ["-p", String(sock.port), "--lines", "-i", "0", "::1"],
    bytes("a\nbb\n\x00c"),
  );
  assertEquals(lines.code, 0, lines.stderr);
  const seen: string[] = [];
  for (let i = 0; i < 3; i++) seen.push(text((await sock.receive())[0]));
  assertEquals(seen, ["a", "bb", "\x00c"]);
  const odd = await tool("talker", ["--hex", "::1", "0f0"]);
  assertEquals(odd.code, 1);
});

Deno.test("talker -n 5 --connect -r 1s against listener --echo -k: a UDP ping with a summary", async () => {
  const { proc, port } = await startTool("listener", ["--echo", "-k", "-q"]);
  await using _listener = proc;
  const res = await tool("talker", [
    "-p",
    String(port),
    "-n",
    "5",
    "-i",
    "10ms",
    "--connect",
    "-r",
    "1s",
    "::1",
    "ping",
  ]);
  assertEquals(res.code, 0, res.stderr);
  const out = text(res.stdout);
  for (let seq = 1; seq <= 5; seq++) {
    assertMatch(out, new RegExp(`4 bytes from ::1: seq=${seq} time=`));
  }
  assertMatch(
    out,
    /talker: 5 sent, 5 replies, 0% lost, rtt min\/avg\/max = [\d.]+\/[\d.]+\/[\d.]+ ms\n$/,
  );
});

Deno.test("talker ping: a reply later than --reply is counted late, never matched to the next", async () => {
  using echo = udpSocket("::1");
  // Answers request 1 only after 400 ms (past its 150 ms), the others at once.
  const serving = (async () => {
    for (let i = 0; i < 3; i++) {
      const [data, from] = await echo.receive();
      if (i === 0) setTimeout(() => echo.send(data, from).catch(() => {}), 400);
      else await echo.send(data, from);
    }
  })();
  const res = await tool("talker", [
    "-p",
    String(echo.port),
    "-n",
    "3",
    "-i",
    "300ms",
    "-r",
    "150ms",
    "::1",
    "same",
  ]);
  await serving;
  const out = text(res.stdout);
  assertEquals(res.code, 0, res.stderr);
  assertMatch(out, /no reply for seq=1 within 150ms/);
  assertMatch(out, /seq=2 time=/);
  assertMatch(out, /seq=3 time=/);
  assertMatch(out, /3 sent, 2 replies, 33% lost, rtt .*, 1 late\n$/);
});

Deno.test({
  name: "talker ping against a python3 echo peer: every reply matched",
  ignore: !hasCommand("python3"),
  async fn() {
    const script = "import socket,sys\ns=socket.socket(socket.AF_INET6,socket.SOCK_DGRAM)\n" +
      "s.bind(('::1',0))\nprint(s.getsockname()[1],flush=True)\n" +
      "while True:\n d,a=s.recvfrom(65536)\n s.sendto(d,a)\n";
    const py = new Deno.Command("python3", { args: ["-c", script], stdout: "piped", stdin: "null" })
      .spawn();
    try {
      const reader = py.stdout.getReader();
      const port = Number(text((await reader.read()).value!).trim());
      const res = await tool("talker", [
        "-p",
        String(port),
        "-n",
        "4",
        "-i",
        "10ms",
        "-r",
        "1s",
        "::1",
        "x",
      ]);
      assertMatch(text(res.stdout), /4 sent, 4 replies, 0% lost/);
      reader.releaseLock();
    } finally {
      py.kill("SIGKILL");
      await py.status;
      await py.stdout.cancel().catch(() => {});
    }
  },
});

// ---- listener ----

Deno.test({
  name: "listener --hex shows a socat datagram exactly as hexdump -C does",
  ignore: !peers.socat || !hasCommand("hexdump"),
  async fn() {
    const { proc, port } = await startTool("listener", ["--hex"]);
    await using listener = proc;
    const data = random(40);
    await run("socat", ["-u", "-", `UDP6:[::1]:${port}`], data);
    assertEquals(await listener.exit(), 0);
    const dump = await run("hexdump", ["-C"], data);
    const expected = text(dump.stdout).split("\n").slice(0, -2).join("\n") + "\n";
    const shown = listener.stdout.split("packet is 40 bytes long\n")[1]!;
    assertEquals(shown, expected);
  },
});

Deno.test({
  name: "listener --raw -d '\\n' keeps ncat's datagrams apart on a pipe",
  ignore: !peers.ncat,
  async fn() {
    await using listener = new ToolProcess("listener", [
      "-p",
      "0",
      "--raw",
      "-d",
      "\\n",
      "-c",
      "2",
    ]);
    const m = await listener.waitFor(/listening on .*:(\d+)\n/, { stderr: true });
    const port = Number(m[1]);
    // The second ncat starts once the first has sent: the kernel queues them in that order.
    await run("ncat", ["-u", "--send-only", "::1", String(port)], bytes("ab"));
    await run("ncat", ["-u", "--send-only", "::1", String(port)], bytes("c\x00d"));
    assertEquals(await listener.exit(), 0);
    assertEquals(listener.stdoutBytes, bytes("ab\nc\x00d\n"));
  },
});
