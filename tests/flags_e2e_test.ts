// Durations and flags as nc users type them, proved on real processes and loopback sockets:
// a bare number is seconds, short options bundle, `--` ends the options, 0 means "don't wait"
// where that makes sense, and a port may have leading zeros.
import { assert, assertEquals, assertMatch } from "./_assert.ts";
import { bytes, fetchAll, runTool, startTool, text, udpSocket } from "./_tools.ts";
import { parseClientArgs } from "../cmd/client.ts";
import { parseServerArgs } from "../cmd/server.ts";
import { parseTalkerArgs } from "../cmd/talker.ts";

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

Deno.test("every duration flag reads a bare number as seconds", () => {
  const client = parseClientArgs(["-t", "2", "--read-timeout", "1.5", "x"]).options;
  assertEquals([client.connectTimeout, client.readTimeout], [2000, 1500]);
  assertEquals(parseTalkerArgs(["-r", "1", "::1", "x"]).options.replyTimeout, 1000);
  const { limits } = parseServerArgs([
    "--write-timeout",
    "3",
    "--drain-timeout",
    "0.5",
    "--linger",
    "2",
  ]);
  assertEquals(limits, {
    maxConnections: 1024,
    writeTimeout: 3000,
    drainTimeout: 500,
    lingerTimeout: 2000,
    handshakeTimeout: 10_000,
    maxHandshakesPerAddress: 64,
    idleTimeout: 60_000,
  });
});

Deno.test("client --read-timeout 1 waits a second, not a millisecond, for a slow server", async () => {
  using slow = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const serve = (async () => {
    using conn = await slow.accept();
    await sleep(300); // the scenario, not a synchronisation: a server 300 ms late
    await conn.write(bytes("late"));
  })();
  const res = await runTool("client", [
    "--read-timeout",
    "1",
    "-p",
    String(slow.addr.port),
    "127.0.0.1",
  ]);
  await serve;
  assertEquals(res.code, 0, res.stderr);
  assertEquals(res.stdout, "client: connecting to 127.0.0.1\nclient: received 'late'\n");
});

for (const spelling of [["-cr", "1"], ["-cr1s"], ["-c", "-r", "0.9"], ["-cr", "900ms"]]) {
  Deno.test(`talker ${spelling.join(" ")} waits long enough for a reply 200 ms late`, async () => {
    using peer = udpSocket();
    const talker = runTool("talker", ["-p", String(peer.port), ...spelling, "::1", "ping"]);
    const received = peer.receive(new Uint8Array(64));
    const first = await Promise.race([received, talker]);
    if ("code" in first) {
      received.catch(() => {}); // cancelled when the socket closes
      throw new Error(`talker exited ${first.code} without sending: ${first.stderr}`);
    }
    const [got, from] = first;
    await sleep(200); // the scenario, not a synchronisation: a reply 200 ms late
    await peer.send(got, from);
    const res = await talker;
    assertEquals(res.code, 0, res.stderr);
    assertEquals(
      res.stdout,
      `talker: connected to [::1]:${peer.port}\ntalker: sent 4 bytes to ::1\n` +
        `talker: got reply from ::1\ntalker: reply is 4 bytes long\ntalker: reply contains "ping"\n`,
    );
  });
}

Deno.test("talker sends a message that begins with - when it follows --", async () => {
  using peer = udpSocket();
  for (const message of ["-hello", "--help", "-h", "--version", "--"]) {
    const res = await runTool("talker", ["-p", String(peer.port), "::1", "--", message]);
    assertEquals(res.code, 0, res.stderr);
    assertEquals(res.stdout, `talker: sent ${message.length} bytes to ::1\n`);
    const [got] = await peer.receive(new Uint8Array(64));
    assertEquals(text(got), message);
  }
});

Deno.test("server --linger 0 closes at once, as without --linger", async () => {
  const { proc, port } = await startTool("server", ["-H", "127.0.0.1", "--linger", "0"]);
  await using _server = proc;
  assertEquals(text(await fetchAll("127.0.0.1", port)), "Hello, world!");
});

Deno.test("server --drain-timeout 0 closes clients in flight at once on SIGTERM", async () => {
  // A lingering client that never closes stays in flight until the drain ends.
  const { proc, port } = await startTool("server", [
    "-H",
    "127.0.0.1",
    "--linger",
    "1m",
    "--drain-timeout",
    "0",
  ]);
  await using _server = proc;
  using conn = await Deno.connect({ hostname: "127.0.0.1", port });
  const buf = new Uint8Array(64);
  let got = "", n: number | null;
  // The server shuts its side after the message (EOF here), then lingers for our close.
  while ((n = await conn.read(buf)) !== null) got += text(buf.subarray(0, n));
  assertEquals(got, "Hello, world!");
  const start = performance.now();
  proc.kill("SIGTERM");
  assertEquals(await proc.exit(), 0, proc.stderr);
  const took = performance.now() - start;
  assert(took < 1000, `took ${took.toFixed(0)} ms to stop`);
  assertMatch(proc.stdout, /server: stopped: 1 served, 0 failed, 0 dropped\n$/);
});

Deno.test("a port with leading zeros is decimal: client -p 0NNNNN reaches port NNNNN", async () => {
  const { proc, port } = await startTool("server", ["-H", "127.0.0.1"]);
  await using _server = proc;
  const padded = String(port).padStart(6, "0");
  const res = await runTool("client", ["-p", padded, "127.0.0.1"]);
  assertEquals(res.code, 0, res.stderr);
  assertEquals(res.stdout, "client: connecting to 127.0.0.1\nclient: received 'Hello, world!'\n");
});
