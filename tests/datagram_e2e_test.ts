import { assert, assertEquals, assertMatch } from "./_assert.ts";
import { bytes, runTool, startTool, ToolProcess, udpSocket } from "./_tools.ts";
import { escapeBytes } from "../lib/net/escape.ts";

/** Whether text holds a control character other than the line ends the tool writes. */
// deno-lint-ignore no-control-regex -- finding control characters is the point
const hasControl = (text: string) => /[\x00-\x09\x0b-\x1f\x7f\x80-\x9f]/.test(text);

for (const host of ["127.0.0.1", "::1", "localhost"]) {
  Deno.test(`talker's datagram to ${host} reaches the IPv6 listener`, async () => {
    const { proc, port } = await startTool("listener", []);
    await using _listener = proc;
    const res = await runTool("talker", ["-p", String(port), host, "hello there"]);
    assertEquals(res.code, 0, res.stderr);
    assertEquals(res.stdout, `talker: sent 11 bytes to ${host}\n`);
    assertEquals(await proc.exit(), 0);
    const from = host === "::1" ? "::1" : "::ffff:127.0.0.1";
    assertEquals(
      proc.stdout.replace(/^listener: listening on .*\n/, ""),
      `listener: waiting to recvfrom...\nlistener: got packet from ${from}\n` +
        `listener: packet is 11 bytes long\nlistener: packet contains "hello there"\n`,
    );
  });
}

Deno.test("talker -4 sends from an IPv4 socket", async () => {
  const { proc, port } = await startTool("listener", ["-4"]);
  await using _listener = proc;
  const res = await runTool("talker", ["-4", "-p", String(port), "localhost", "v4"]);
  assertEquals(res.code, 0, res.stderr);
  await proc.waitFor(/got packet from 127\.0\.0\.1\n/);
});

Deno.test("connected talker gets the echo listener's reply", async () => {
  const { proc, port } = await startTool("listener", ["--echo"]);
  await using _listener = proc;
  const res = await runTool("talker", ["-p", String(port), "-c", "-r", "5s", "::1", "ping"]);
  assertEquals(res.code, 0, res.stderr);
  assertEquals(
    res.stdout,
    `talker: connected to [::1]:${port}\ntalker: sent 4 bytes to ::1\n` +
      `talker: got reply from ::1\ntalker: reply is 4 bytes long\ntalker: reply contains "ping"\n`,
  );
});

Deno.test("connected talker ignores a third socket's datagram and keeps waiting for its peer", async () => {
  // The "peer" is a plain socket we drive by hand: first a stranger answers, then the peer.
  using peer = udpSocket();
  using stranger = udpSocket();
  const port = (peer.addr as Deno.NetAddr).port;
  const talker = new ToolProcess("talker", ["-p", String(port), "-r", "5s", "::1", "hi"]);
  await using _talker = talker;
  const [, from] = await peer.receive(new Uint8Array(65536));
  // Sent one after the other to the talker's one socket: the kernel queues them in order.
  await stranger.send(bytes("from a stranger"), from);
  await peer.send(bytes("from the peer"), from);
  assertEquals(await talker.exit(), 0, talker.stderr);
  assertMatch(talker.stdout, /reply contains "from the peer"\n/);
  assertMatch(talker.stdout, /ignored 1 datagram from other addresses\n/);
  assert(!talker.stdout.includes("stranger"));
});

Deno.test("connected talker exits 3 when no reply comes", async () => {
  using silent = udpSocket();
  const port = (silent.addr as Deno.NetAddr).port;
  const res = await runTool("talker", ["-p", String(port), "-r", "300ms", "::1", "anyone?"]);
  assertEquals(res.code, 3);
  assertEquals(res.stderr, `talker: no reply from [::1]:${port} within 300ms\n`);
});

Deno.test("listener escapes a terminal escape sequence instead of printing it", async () => {
  const { proc, port } = await startTool("listener", []);
  await using _listener = proc;
  const res = await runTool("talker", ["-p", String(port), "::1", "\x1b]0;pwned\x07"]);
  assertEquals(res.code, 0);
  assertEquals(await proc.exit(), 0);
  assertMatch(proc.stdout, /packet contains "\\x1b\]0;pwned\\x07"\n/);
  assert(!proc.stdout.includes("\x1b"));
});

Deno.test("listener --raw writes the exact bytes to stdout and status to stderr", async () => {
  const proc = new ToolProcess("listener", ["-p", "0", "--raw"]);
  await using _listener = proc;
  const m = await proc.waitFor(/listening on .*:(\d+)\n/, { stderr: true });
  using sock = udpSocket();
  await sock.send(new Uint8Array([0, 0x1b, 0x5b, 0x32, 0x4a, 0x62, 0x69, 0x6e, 0xff]), {
    transport: "udp",
    hostname: "::1",
    port: Number(m[1]),
  });
  assertEquals(await proc.exit(), 0);
  assertEquals(
    proc.stdoutBytes,
    new Uint8Array([0, 0x1b, 0x5b, 0x32, 0x4a, 0x62, 0x69, 0x6e, 0xff]),
  );
  assertMatch(proc.stderr, /listener: packet is 9 bytes long\n/);
});

Deno.test("a 65,527-byte datagram over ::1 arrives whole", async () => {
  const { proc, port } = await startTool("listener", ["-q"]);
  await using _listener = proc;
  const res = await runTool("talker", ["-p", String(port), "::1", "x".repeat(65527)]);
  assertEquals(res.code, 0, res.stderr);
  assertEquals(await proc.exit(), 0);
  assertMatch(proc.stdout, /received 1 datagram, 65527 bytes\n/);
});

Deno.test("listener --max-size says a datagram was cut and keeps its true length", async () => {
  const { proc, port } = await startTool("listener", ["--max-size", "5"]);
  await using _listener = proc;
  await runTool("talker", ["-p", String(port), "::1", "0123456789"]);
  assertEquals(await proc.exit(), 0);
  assertMatch(
    proc.stdout,
    /packet is 10 bytes long\nlistener: packet was cut to 5 bytes \(--max-size\)\nlistener: packet contains "01234"\n/,
  );
});

Deno.test("listener --max-size cuts a datagram of control bytes and prints the cut part escaped", async () => {
  const { proc, port } = await startTool("listener", ["--max-size", "6"]);
  await using _listener = proc;
  using sock = udpSocket();
  const payload = new Uint8Array([0x1b, 0x5b, 0x32, 0x4a, 0x00, 0xff, 0x07, 0x0a, 0x41, 0x42]);
  await sock.send(payload, { transport: "udp", hostname: "::1", port });
  assertEquals(await proc.exit(), 0);
  assertMatch(
    proc.stdout,
    /packet is 10 bytes long\nlistener: packet was cut to 6 bytes \(--max-size\)\nlistener: packet contains "\\x1b\[2J\\x00\\xff"\n$/,
  );
  assert(!hasControl(proc.stdout), JSON.stringify(proc.stdout));
});

Deno.test("a 60,000-byte datagram of control bytes and invalid UTF-8 is printed whole and escaped", async () => {
  // 4 bytes of output per input byte would overflow the 64 KiB line buffer: the slow path.
  const { proc, port } = await startTool("listener", []);
  await using _listener = proc;
  using sock = udpSocket();
  const payload = new Uint8Array(60_000);
  for (let i = 0; i < payload.length; i++) payload[i] = (i * 7919) % 256; // every byte value
  payload.set([0xe2, 0x82, 0xac, 0xc3, 0x28, 0x1b, 0x5d, 0x30, 0x3b, 0x07], 100); // €, bad, OSC
  await sock.send(payload, { transport: "udp", hostname: "::1", port });
  assertEquals(await proc.exit(), 0);
  const m = /packet is (\d+) bytes long\nlistener: packet contains "(.*)"\n$/s.exec(proc.stdout);
  assert(m, proc.stdout.slice(0, 300));
  assertEquals(Number(m[1]), 60_000);
  assertEquals(m[2], escapeBytes(payload));
  assert(m[2]!.length > 60_000 && !m[2]!.includes("\n"), "escaped, on one line");
  assert(!hasControl(proc.stdout), "no raw control byte on stdout");
  new TextDecoder("utf-8", { fatal: true }).decode(proc.stdoutBytes); // valid UTF-8 throughout
});

Deno.test("an empty message is a legal 0-byte datagram", async () => {
  const { proc, port } = await startTool("listener", []);
  await using _listener = proc;
  const res = await runTool("talker", ["-p", String(port), "::1", ""]);
  assertEquals(res.stdout, "talker: sent 0 bytes to ::1\n");
  assertEquals(await proc.exit(), 0);
  assertMatch(proc.stdout, /packet is 0 bytes long\nlistener: packet contains ""\n/);
});

Deno.test("listener -c 3 receives three datagrams and prints a summary", async () => {
  const { proc, port } = await startTool("listener", ["-c", "3"]);
  await using _listener = proc;
  for (const m of ["a", "bb", "ccc"]) await runTool("talker", ["-p", String(port), "::1", m]);
  assertEquals(await proc.exit(), 0);
  assertMatch(proc.stdout, /received 3 datagrams, 6 bytes\n$/);
});

Deno.test("listener -k stops on SIGINT with an honest summary", async () => {
  const { proc, port } = await startTool("listener", ["-k", "-q"]);
  for (let i = 0; i < 5; i++) await runTool("talker", ["-p", String(port), "::1", "x"]);
  proc.kill("SIGINT");
  assertEquals(await proc.exit(), 0);
  assertMatch(proc.stdout, /received 5 datagrams, 5 bytes\n$/);
});
