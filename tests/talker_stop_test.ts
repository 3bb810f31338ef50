// How the talker and a one-shot listener end when interrupted, and how the talker paces:
// real processes, real datagrams on loopback, every wait bounded.
import { assert, assertEquals, assertMatch } from "./_assert.ts";
import { bytes, ToolProcess, udpSocket } from "./_tools.ts";
import { parseEvents } from "./_events.ts";

/** Answers every datagram on `sock` with its own bytes until `stop` aborts. */
async function echo(sock: Deno.DatagramConn, stop: AbortSignal): Promise<void> {
  stop.addEventListener("abort", () => sock.close(), { once: true });
  try {
    while (!stop.aborted) {
      const [data, from] = await sock.receive();
      await sock.send(data, from);
    }
  } catch { /* closed */ }
}

/** When each datagram reached `sock` (ms since the first), `n` of them, 10 s at most. */
async function arrivals(sock: Deno.DatagramConn, n: number): Promise<number[]> {
  const times: number[] = [];
  const timer = setTimeout(() => sock.close(), 10_000);
  try {
    while (times.length < n) {
      await sock.receive();
      times.push(performance.now());
    }
  } finally {
    clearTimeout(timer);
  }
  return times.map((t) => t - times[0]!);
}

Deno.test("talker ping interrupted by Ctrl-C prints its summary and exits 130", async () => {
  using silent = udpSocket("::1"); // receives, never answers
  const args = ["-n", "100", "-i", "100ms", "-r", "300ms", "-p", String(silent.port), "::1", "hi"];
  await using proc = new ToolProcess("talker", args);
  await proc.waitFor(/no reply for seq=2 within 300ms\n/);
  proc.kill("SIGINT");
  assertEquals(await proc.exit(), 130, proc.stderr);
  assertMatch(proc.stdout, /\ntalker: (\d+) sent, 0 replies, 100% lost\n$/);
  const sent = Number(/(\d+) sent, 0 replies/.exec(proc.stdout)![1]);
  assert(sent >= 2 && sent < 100, `${sent} sent`);
  assertEquals(proc.stderr, "");
});

Deno.test("talker ping --json interrupted by Ctrl-C: sent and reply events, then the summary, exit 130", async () => {
  const peer = udpSocket("::1");
  const stop = new AbortController();
  const echoing = echo(peer, stop.signal);
  try {
    const args = ["--json", "-n", "100", "-i", "50ms", "-r", "2s", "-p", String(peer.port), "::1"];
    await using proc = new ToolProcess("talker", [...args, "hi"]);
    await proc.waitFor(/"event":"reply".*"seq":2/);
    proc.kill("SIGINT");
    assertEquals(await proc.exit(), 130, proc.stderr);
    const events = parseEvents(proc.stdout);
    const summary = events.at(-1)!;
    assertEquals(summary.event, "summary");
    const sent = events.filter((e) => e.event === "sent");
    assertEquals(summary.sent, sent.length);
    assertEquals(sent.map((e) => e.seq), sent.map((_, i) => i + 1));
    assert((summary.replies as number) >= 2);
    assert(typeof summary.rtt_avg_ms === "number", JSON.stringify(summary));
    assertEquals(events.some((e) => e.event === "error"), false, proc.stdout);
  } finally {
    stop.abort();
    await echoing;
  }
});

Deno.test("talker -r interrupted while it waits for the reply exits 130 at once", async () => {
  using silent = udpSocket("::1");
  await using proc = new ToolProcess("talker", [
    "-r",
    "30s",
    "-p",
    String(silent.port),
    "::1",
    "hi",
  ]);
  await proc.waitFor(/sent 2 bytes to ::1\n/);
  const t0 = performance.now();
  proc.kill("SIGINT");
  assertEquals(await proc.exit(), 130, proc.stderr);
  assert(performance.now() - t0 < 5000);
});

Deno.test("talker ping sends on its interval, whatever the replies do (as ping)", async () => {
  using silent = udpSocket("::1");
  const args = ["-n", "3", "-i", "100ms", "-r", "300ms", "-p", String(silent.port), "::1", "hi"];
  await using proc = new ToolProcess("talker", args);
  const times = await arrivals(silent, 3);
  // Waiting for each timeout before the next send spaced them 300 ms apart: 600 ms in all.
  assert(times[2]! < 500, `sent at ${times.map((t) => t.toFixed(0)).join(", ")} ms`);
  assert(times[2]! >= 120, `sent at ${times.map((t) => t.toFixed(0)).join(", ")} ms`);
  assertEquals(await proc.exit(), 3); // no reply at all
  assertEquals(proc.stdout.match(/no reply for seq=\d/g), [
    "no reply for seq=1",
    "no reply for seq=2",
    "no reply for seq=3",
  ]);
});

Deno.test("talker --lines sends its lines at once unless -i is given (as nc -u)", async () => {
  using peer = udpSocket("::1");
  const child = new Deno.Command(Deno.execPath(), {
    args: (await import("./_tools.ts")).toolArgs("talker", [
      "--lines",
      "-p",
      String(peer.port),
      "::1",
    ]),
    stdin: "piped",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  const w = child.stdin.getWriter();
  await w.write(bytes("one\ntwo\nthree\n"));
  await w.close();
  const times = await arrivals(peer, 3);
  const { code } = await child.output();
  assertEquals(code, 0);
  // One second between lines was the old default: 2 s for three.
  assert(times[2]! < 500, `sent at ${times.map((t) => t.toFixed(0)).join(", ")} ms`);
});

Deno.test("a one-shot listener (or -c N) stopped before its datagrams exits 130; -k exits 0", async () => {
  for (const [args, code] of [[[], 130], [["-c", "3"], 130], [["-k"], 0]] as const) {
    await using proc = new ToolProcess("listener", ["-H", "::1", "-p", "0", ...args]);
    await proc.waitFor(/waiting to recvfrom/);
    proc.kill("SIGINT");
    assertEquals(await proc.exit(), code, `${args.join(" ")}: ${proc.stderr}`);
    assertEquals(proc.stderr, "");
  }
});

Deno.test("talker --lines sends each line as it is read, and Ctrl-C while it waits for the next exits 130", async () => {
  using receiver = udpSocket("::1");
  const args = ["--lines", "-p", String(receiver.port), "::1"];
  await using proc = new ToolProcess("talker", args, { stdin: "piped" });
  const input = proc.child.stdin.getWriter();
  const got = (async () => {
    const [data] = await receiver.receive();
    return new TextDecoder().decode(data);
  })();
  await input.write(bytes("one\n"));
  // "one" arrives while standard input is still open: it was not read whole first.
  const timer = setTimeout(() => receiver.close(), 10_000);
  try {
    assertEquals(await got, "one");
  } finally {
    clearTimeout(timer);
  }
  await proc.waitFor(/sent 3 bytes to ::1\n/);
  proc.kill("SIGINT"); // waiting for a line that never comes
  assertEquals(await proc.exit(), 130, proc.stderr);
  await input.close().catch(() => {});
});

Deno.test("talker --lines ping: a line too long for a datagram ends the run with its summary, then the error", async () => {
  const peer = udpSocket("::1"); // closed by echo() when stopped
  const stop = new AbortController();
  const answering = echo(peer, stop.signal);
  const args = ["--lines", "-r", "2", "-i", "10ms", "-p", String(peer.port), "::1"];
  await using proc = new ToolProcess("talker", args, { stdin: "piped" });
  const input = proc.child.stdin.getWriter();
  try {
    await input.write(bytes("a\n"));
    await proc.waitFor(/seq=1 time=/);
    await input.write(new Uint8Array(65528).fill(121)); // 'y' × 65,528: over IPv6's 65,527
    await input.write(bytes("\n"));
    await input.close();
    assertEquals(await proc.exit(), 1, proc.stderr);
    assertMatch(proc.stdout, /talker: 1 sent, 1 reply, 0% lost/);
    assertMatch(
      proc.stderr,
      /talker: Message too long for one datagram: over 65527 bytes, the limit over IPv6 is 65527 bytes\n/,
    );
  } finally {
    stop.abort();
    await answering;
  }
});

Deno.test("talker --lines -i: a line read later than its turn goes at once, the next one -i after it", async () => {
  using peer = udpSocket("::1");
  const args = ["--lines", "-i", "400ms", "-p", String(peer.port), "::1"];
  await using proc = new ToolProcess("talker", args, { stdin: "piped" });
  const input = proc.child.stdin.getWriter();
  const got = arrivals(peer, 3);
  await input.write(bytes("a\n"));
  await proc.waitFor(/sent 1 bytes/);
  await new Promise((r) => setTimeout(r, 700)); // b read 700 ms on: past its turn at 400
  await input.write(bytes("b\nc\n")); // c ready at once: waits its 400 ms after b
  await input.close();
  const [, b, c] = await got as [number, number, number];
  assertEquals(await proc.exit(), 0, proc.stderr);
  // Before, each line waited a whole -i after it was read: b at 1,100 ms.
  assert(b >= 690 && b < 1000, `b reached the peer ${b.toFixed(0)} ms after a`);
  assert(c - b >= 370, `c reached the peer ${(c - b).toFixed(0)} ms after b`);
});

Deno.test("talker --lines ping: the requests in flight when a line is refused still get their replies", async () => {
  const peer = udpSocket("::1"); // closed by echo() when stopped
  const stop = new AbortController();
  const answering = echo(peer, stop.signal);
  const args = ["--lines", "-r", "2", "-i", "0", "-p", String(peer.port), "::1"];
  await using proc = new ToolProcess("talker", args, { stdin: "piped" });
  const input = proc.child.stdin.getWriter();
  try {
    // 'x' and the long line in one write: 'x' is sent and refused at once after it.
    await input.write(new Uint8Array([120, 10, ...new Uint8Array(65528).fill(121), 10]));
    await input.close();
    assertEquals(await proc.exit(), 1, proc.stderr);
    assertMatch(proc.stdout, /talker: 1 sent, 1 reply, 0% lost/);
  } finally {
    stop.abort();
    await answering;
  }
});

Deno.test("talker --lines says a line too long for a datagram in the datagram's terms, over IPv4 too", async () => {
  using peer = udpSocket("127.0.0.1");
  const cases: [number, string][] = [
    [65510, "65510 bytes"], // measured: under the read bound, over IPv4's limit
    [70000, "over 65507 bytes"], // cut off while read (past IPv6's 65,527), said in IPv4's terms
  ];
  for (const [size, said] of cases) {
    await using proc = new ToolProcess(
      "talker",
      ["--lines", "-p", String(peer.port), "127.0.0.1"],
      {
        stdin: "piped",
      },
    );
    const input = proc.child.stdin.getWriter();
    await input.write(new Uint8Array(size).fill(121));
    await input.write(bytes("\n"));
    await input.close().catch(() => {}); // the talker may have left before the end
    assertEquals(await proc.exit(), 1, proc.stderr);
    assertEquals(
      proc.stderr,
      `talker: Message too long for one datagram: ${said}, the limit over IPv4 is 65507 bytes\n`,
    );
  }
});

Deno.test("talker --lines ping: Ctrl-C while the requests in flight wait still says the failure that stopped the sending", async () => {
  using silent = udpSocket("::1"); // takes the datagrams, never answers
  const args = ["--lines", "--json", "-r", "10s", "-i", "0", "-p", String(silent.port), "::1"];
  await using proc = new ToolProcess("talker", args, { stdin: "piped" });
  const input = proc.child.stdin.getWriter();
  await input.write(new Uint8Array([120, 10, ...new Uint8Array(65528).fill(121), 10]));
  await input.close();
  await proc.waitFor(/"event":"sent".*"seq":1/);
  await new Promise((r) => setTimeout(r, 300)); // the long line is refused meanwhile
  proc.kill("SIGINT");
  assertEquals(await proc.exit(), 130, proc.stderr);
  const events = parseEvents(proc.stdout);
  assertEquals(events.map((e) => e.event), ["connected", "sent", "summary", "error"]);
  assertMatch(String(events[3]!.message), /^Message too long for one datagram: over 65527 bytes/);
  assertEquals(events[3]!.exit_code, 130);
});
