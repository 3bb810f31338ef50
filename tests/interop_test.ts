// Our tools against real peers nobody here wrote: nc (OpenBSD), socat and ncat, byte for byte.
// Each is skipped, with the reason printed, where the peer is not installed (CI installs them).
import { assertEquals, assertMatch } from "./_assert.ts";
import { bytes, hasCommand, runTool, startTool, ToolProcess, udpSocket } from "./_tools.ts";
import { runWithInput as peer } from "../testing/run_with_input.ts";
import { bound, waitBound, waitUntil } from "../testing/ready.ts";
import { freePort } from "../testing/ports.ts";

const peers = { nc: hasCommand("nc"), socat: hasCommand("socat"), ncat: hasCommand("ncat") };
for (const [name, present] of Object.entries(peers)) {
  if (!present) console.log(`skipped: interop tests with ${name}: ${name} is not installed`);
}

/** A free UDP port on ::1 (bound, read back and released). */
function freeUdpPort(): number {
  using s = udpSocket("::1");
  return s.port;
}

const HELLO = bytes("Hello, world!");
const BINARY = new Uint8Array(256).map((_, i) => i);

Deno.test({
  name: "nc as the client of our server receives exactly the 13 bytes",
  ignore: !peers.nc,
  async fn() {
    const { proc, port } = await startTool("server", []);
    await using _server = proc;
    for (const host of ["127.0.0.1", "::1"]) {
      const res = await peer("nc", [host, String(port)]);
      assertEquals(res.stdout, HELLO, res.stderr);
    }
  },
});

Deno.test({
  name: "socat as the client of our server receives exactly the 13 bytes",
  ignore: !peers.socat,
  async fn() {
    const { proc, port } = await startTool("server", []);
    await using _server = proc;
    const res = await peer("socat", ["-u", `TCP6:[::1]:${port}`, "-"]);
    assertEquals(res.stdout, HELLO, res.stderr);
  },
});

Deno.test({
  name: "ncat as the client of our server receives exactly the 13 bytes",
  ignore: !peers.ncat,
  async fn() {
    const { proc, port } = await startTool("server", []);
    await using _server = proc;
    const res = await peer("ncat", ["--recv-only", "127.0.0.1", String(port)]);
    assertEquals(res.stdout, HELLO, res.stderr);
  },
});

/**
 * A socat server on 127.0.0.1 that sends `reply` to its one client. A port that was free a
 * moment ago may be taken before socat binds it (the suite dials out all the time): socat then
 * exits, and another port is tried.
 */
async function socatServer(reply: Uint8Array): Promise<{ port: number; child: Deno.ChildProcess }> {
  for (let attempt = 1;; attempt++) {
    const port = freePort("tcp", "127.0.0.1");
    const child = new Deno.Command("socat", {
      args: ["-u", "OPEN:/dev/stdin", `TCP-LISTEN:${port},bind=127.0.0.1,reuseaddr`],
      stdin: "piped",
      stdout: "null",
      stderr: "null",
    }).spawn();
    const w = child.stdin.getWriter();
    await w.write(reply);
    await w.close();
    let exited = false;
    child.status.then(() => exited = true);
    await waitUntil(async () => exited || await bound("tcp", port), {
      what: `socat bound to port ${port}`,
    });
    if (!exited) return { port, child };
    if (attempt === 3) throw new Error("socat could not bind a free port three times");
  }
}

Deno.test({
  name: "our client reads a socat server's binary reply exactly (--raw)",
  ignore: !peers.socat,
  async fn() {
    const { port, child: server } = await socatServer(BINARY);
    try {
      const res = await runTool("client", ["--raw", "-p", String(port), "127.0.0.1"]);
      assertEquals(res.code, 0, res.stderr);
      assertEquals(res.stdoutBytes, BINARY);
    } finally {
      try {
        server.kill();
      } catch { /* exited */ }
      await server.status;
    }
  },
});

Deno.test({
  name: "socat's binary datagram reaches our listener byte for byte (--raw)",
  ignore: !peers.socat,
  async fn() {
    const proc = new ToolProcess("listener", ["-p", "0", "--raw"]);
    await using _listener = proc;
    const port = Number((await proc.waitFor(/listening on .*:(\d+)\n/, { stderr: true }))[1]);
    const sent = await peer("socat", ["-u", "-", `UDP6-SENDTO:[::1]:${port}`], BINARY);
    assertEquals(sent.code, 0, sent.stderr);
    assertEquals(await proc.exit(), 0);
    assertEquals(proc.stdoutBytes, BINARY);
    assertMatch(proc.stderr, /listener: packet is 256 bytes long\n/);
  },
});

Deno.test({
  name: "nc's datagram reaches our listener and is printed escaped",
  ignore: !peers.nc,
  async fn() {
    const { proc, port } = await startTool("listener", []);
    await using _listener = proc;
    const sent = await peer(
      "nc",
      ["-u", "-w", "1", "127.0.0.1", String(port)],
      bytes("from nc\x1b[2J"),
    );
    assertEquals(sent.code, 0, sent.stderr);
    assertEquals(await proc.exit(), 0);
    assertMatch(
      proc.stdout,
      /got packet from ::ffff:127\.0\.0\.1\n.*packet is 11 bytes long\n.*packet contains "from nc\\x1b\[2J"\n/s,
    );
  },
});

for (
  const [name, cmd, args] of [
    ["socat", "socat", (port: number) => ["-u", `UDP6-RECVFROM:${port},bind=[::1]`, "-"]],
    ["nc", "nc", (port: number) => ["-u", "-l", "-W", "1", "::1", String(port)]],
  ] as const
) {
  Deno.test({
    name: `${name} receives our talker's datagram byte for byte`,
    ignore: !peers[name],
    async fn() {
      const port = freeUdpPort();
      const message = "héllo\x01\x7f wörld";
      const receiver = new Deno.Command(cmd, { args: args(port), stdout: "piped", stderr: "piped" })
        .spawn();
      const timer = setTimeout(() => receiver.kill("SIGKILL"), 10_000);
      try {
        const got = receiver.output();
        await waitBound("udp", port);
        const res = await runTool("talker", ["-p", String(port), "::1", message]);
        assertEquals(res.code, 0, res.stderr);
        const out = await got;
        assertEquals(out.stdout, bytes(message));
      } finally {
        clearTimeout(timer);
      }
    },
  });
}
