// `listener --echo` against the loop attacks of CVE-2024-2169: a datagram forged to come from
// the listener itself, two echo listeners bouncing one datagram, low source ports, and a
// sender that asks for more echoes than its share. Forged sources need a raw socket (root).
import { assert, assertEquals, assertMatch } from "./_assert.ts";
import { bytes, hasCommand, startTool, ToolProcess, udpSocket } from "./_tools.ts";

const isRoot =
  new TextDecoder().decode(new Deno.Command("id", { args: ["-u"] }).outputSync().stdout)
    .trim() === "0";
const canSpoof = isRoot && hasCommand("python3");
const SPOOF = new URL("./fixtures/spoof_udp.py", import.meta.url).pathname;

/** Sends `count` datagrams to host:port whose UDP source port is forged to `srcPort`. */
async function spoof(host: string, port: number, srcPort: number, payload: string, count = 1) {
  const out = await new Deno.Command("python3", {
    args: [SPOOF, host, String(port), String(srcPort), payload, String(count)],
    stderr: "piped",
  }).output();
  assertEquals(out.code, 0, new TextDecoder().decode(out.stderr));
}

/** Stops a `-k` listener with SIGINT and returns its summary line's counts. */
async function stopAndCount(proc: ToolProcess) {
  proc.kill("SIGINT");
  assertEquals(await proc.exit(), 0, proc.stderr);
  assertEquals(proc.stderr, "");
  const m = /listener: received (\d+) datagrams?, \d+ bytes, echoed (\d+)(.*)\n$/.exec(
    proc.stdout,
  );
  assert(m, proc.stdout);
  return { received: Number(m[1]), echoed: Number(m[2]), rest: m[3]!, line: m[0] };
}

/** A datagram socket on ::1 bound to a free port below 1024 (root may bind one). */
function lowPortSocket(): Deno.DatagramConn & Disposable {
  for (let port = 1023; port > 900; port--) {
    try {
      const conn = Deno.listenDatagram({ transport: "udp", hostname: "::1", port });
      return Object.assign(conn, {
        [Symbol.dispose]: () => {
          try {
            conn.close();
          } catch { /* closed already, to end a pending receive */ }
        },
      });
    } catch { /* in use: try the next */ }
  }
  throw new Error("no free port below 1024 on ::1");
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

for (const host of ["127.0.0.1", "::1"]) {
  Deno.test({
    name: `listener --echo -k does not answer a datagram forged to come from itself (${host})`,
    ignore: !canSpoof,
    async fn() {
      const { proc, port } = await startTool("listener", ["--echo", "-k", "-q"]);
      await using _listener = proc;
      await spoof(host, port, port, "loop");
      await sleep(1000); // unguarded, this second held over 100,000 echoes to itself
      const { received, echoed, line } = await stopAndCount(proc);
      assertEquals([received, echoed], [1, 0], line);
      assertEquals(
        line,
        "listener: received 1 datagram, 4 bytes, echoed 0, not echoed 1 (loop 1)\n",
      );
    },
  });
}

Deno.test({
  name: "two echo listeners stop bouncing a forged datagram once a rate limit is spent",
  ignore: !canSpoof,
  async fn() {
    const a = await startTool("listener", ["--echo", "-k", "-q"]);
    await using _a = a.proc;
    const b = await startTool("listener", ["--echo", "-k", "-q"]);
    await using _b = b.proc;
    await spoof("127.0.0.1", a.port, b.port, "ping-pong"); // to A, "from" B
    await sleep(1000); // unguarded, the pair bounced it about 15,000 times a second each
    const ca = await stopAndCount(a.proc);
    const cb = await stopAndCount(b.proc);
    // Each bucket holds 100 echoes (and refills 100/s): the datagram dies at the first
    // empty one, well within the second.
    assert(ca.echoed >= 100 && ca.echoed <= 300, ca.line);
    assert(cb.echoed >= 100 && cb.echoed <= 300, cb.line);
    assertMatch(ca.rest + cb.rest, /rate 1\)/);
    assertEquals(ca.received + cb.received, ca.echoed + cb.echoed + 1);
  },
});

Deno.test({
  name: "listener --echo does not answer source port 0",
  ignore: !canSpoof,
  async fn() {
    const { proc, port } = await startTool("listener", ["--echo", "-k", "-q"]);
    await using _listener = proc;
    await spoof("::1", port, 0, "zero");
    await spoof("127.0.0.1", port, 0, "zero");
    await sleep(300); // time for the datagrams to arrive
    const { line } = await stopAndCount(proc);
    assertEquals(
      line,
      "listener: received 2 datagrams, 8 bytes, echoed 0, not echoed 2 (low port 2)\n",
    );
  },
});

Deno.test({
  name: "listener --echo does not answer a sender on a port below 1024",
  ignore: !isRoot,
  async fn() {
    const { proc, port } = await startTool("listener", ["--echo", "-k"]);
    await using _listener = proc;
    using sender = lowPortSocket();
    using ordinary = udpSocket("::1");
    const to = { transport: "udp" as const, hostname: "::1", port };
    await sender.send(bytes("from a service port"), to);
    await ordinary.send(bytes("from a client port"), to);
    // The ordinary sender gets its echo; by then the low port's would have come too.
    const [echo] = await ordinary.receive();
    assertEquals(new TextDecoder().decode(echo), "from a client port");
    const lowEcho = sender.receive();
    const nothing = await Promise.race([lowEcho.then(() => "echo"), sleep(300).then(() => "")]);
    assertEquals(nothing, "");
    const { line } = await stopAndCount(proc);
    assertMatch(line, /received 2 datagrams, 37 bytes, echoed 1, not echoed 1 \(low port 1\)\n$/);
    sender.close(); // ends the pending receive
    await lowEcho.catch(() => {});
  },
});

Deno.test("listener --echo answers one sender a burst of 100, then 100 a second", async () => {
  const { proc, port } = await startTool("listener", ["--echo", "-k", "-q"]);
  await using _listener = proc;
  const sender = udpSocket("::1");
  let got = 0;
  const counting = (async () => {
    const buf = new Uint8Array(64);
    try {
      while (true) {
        await sender.receive(buf);
        got++;
      }
    } catch { /* closed: the count is done */ }
  })();
  const to = { transport: "udp" as const, hostname: "::1", port };
  const payload = bytes("rate");
  let seconds = 0;
  try {
    const t0 = performance.now();
    // 1,000 datagrams in batches, paced so that the receive queue drops none.
    for (let i = 0; i < 20; i++) {
      for (let k = 0; k < 50; k++) await sender.send(payload, to);
      await sleep(15);
    }
    seconds = (performance.now() - t0) / 1000;
    await sleep(300);
  } finally {
    sender.close();
    await counting;
  }
  const { received, echoed, rest } = await stopAndCount(proc);
  // Paced, none should be dropped; on a loaded machine a few may be, which changes nothing.
  assert(received >= 900 && received <= 1000, `received ${received} of 1000`);
  assert(echoed >= 100 && echoed <= 100 + Math.ceil(100 * seconds) + 2, `echoed ${echoed}`);
  assertEquals(rest, `, not echoed ${received - echoed} (rate ${received - echoed})`);
  assertEquals(got, echoed);
});
