// How the client ends its read, over real processes: a size limit, a reset, a server that
// sends nothing, Ctrl-C. Each ending has its own line and exit code.
import { assertEquals, assertMatch } from "./_assert.ts";
import { bytes, hasCommand, runTool, startTool, ToolProcess } from "./_tools.ts";
import { waitRead } from "../testing/ready.ts";

/** Starts fixtures/reset_server.py with `args`; returns its port and a way to stop it. */
async function resetServer(args: string[]) {
  const child = new Deno.Command("python3", {
    args: [new URL("./fixtures/reset_server.py", import.meta.url).pathname, ...args],
    stdout: "piped",
  }).spawn();
  const lines = child.stdout.pipeThrough(new TextDecoderStream()).getReader();
  const port = ((await lines.read()).value ?? "").trim();
  return {
    port,
    async [Symbol.asyncDispose]() {
      try {
        child.kill("SIGKILL");
      } catch { /* it already exited: it serves one connection */ }
      await lines.cancel();
      await child.status;
    },
  };
}

/** A server on 127.0.0.1 that accepts, sends `greeting`, and keeps the connection open. */
function silentServer(greeting: string) {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const accepted = listener.accept().then(async (conn) => {
    await conn.write(bytes(greeting));
    return conn;
  });
  return {
    port: listener.addr.port,
    /** Resolves once the greeting was written. */
    accepted,
    async [Symbol.asyncDispose]() {
      listener.close();
      (await accepted.catch(() => undefined))?.close();
    },
  };
}

Deno.test("client --max-bytes stops reading at the limit and says so", async () => {
  const { proc, port } = await startTool("server", ["-H", "127.0.0.1"]);
  await using _server = proc;
  const res = await runTool("client", ["--max-bytes", "5", "-p", String(port), "127.0.0.1"]);
  assertEquals(res.code, 0, res.stderr);
  assertEquals(res.stdout, "client: connecting to 127.0.0.1\nclient: received 'Hello'\n");
  assertEquals(res.stderr, "client: stopped reading after 5 bytes (--max-bytes)\n");
});

Deno.test({
  name: "client prints what came before a reset, says the connection was reset, exit 1",
  ignore: !hasCommand("python3"),
  async fn() {
    await using server = await resetServer([]);
    const res = await runTool("client", ["-p", server.port, "127.0.0.1"]);
    assertEquals(res.code, 1, res.stderr);
    assertEquals(
      res.stdout,
      "client: connecting to 127.0.0.1\nclient: received 'partial greeting'\n",
    );
    assertEquals(res.stderr, "client: recv: Connection reset by peer after 16 bytes\n");
  },
});

Deno.test({
  name: "client: a reset before any byte is the recv: line of a reset, with the address, exit 1",
  ignore: !hasCommand("python3"),
  async fn() {
    // The server resets right after accept: connect() itself may see the reset, or the
    // first read; either way the connection was made, so it is not "failed to connect".
    await using server = await resetServer(["--data=", "--loop"]);
    for (let i = 0; i < 3; i++) {
      const res = await runTool("client", ["-p", server.port, "127.0.0.1"]);
      assertEquals(res.code, 1, res.stderr);
      assertEquals(res.stdout, "client: connecting to 127.0.0.1\n");
      // In the words of a reset after data (recv:), not the library's `read tcp …`.
      assertEquals(
        res.stderr,
        `client: recv: Connection reset by peer before any data (127.0.0.1:${server.port})\n`,
      );
    }
    // --json: the same line, with its errno.
    const res = await runTool("client", ["-p", server.port, "--json", "127.0.0.1"]);
    const last = JSON.parse(res.stdout.trim().split("\n").at(-1)!);
    assertEquals([last.event, last.errno, last.exit_code], ["error", "ECONNRESET", 1]);
    assertEquals(
      last.message,
      `recv: Connection reset by peer before any data (127.0.0.1:${server.port})`,
    );
  },
});

Deno.test({
  name: "client: a reset while reading, before any byte, is the same recv: line, exit 1",
  ignore: !hasCommand("python3"),
  async fn() {
    // Accepts, lets the client start reading, then resets (SO_LINGER 0) without a byte.
    const script = "import socket,struct,time\n" +
      "s=socket.socket(); s.bind(('127.0.0.1',0)); s.listen(1)\n" +
      "print(s.getsockname()[1], flush=True)\n" +
      "c,_=s.accept(); time.sleep(0.3)\n" +
      "c.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack('ii',1,0)); c.close()\n";
    const child = new Deno.Command("python3", { args: ["-c", script], stdout: "piped" }).spawn();
    const lines = child.stdout.pipeThrough(new TextDecoderStream()).getReader();
    try {
      const port = ((await lines.read()).value ?? "").trim();
      const res = await runTool("client", ["-p", port, "127.0.0.1"]);
      assertEquals(res.code, 1, res.stderr);
      assertEquals(res.stdout, "client: connecting to 127.0.0.1\n");
      assertEquals(
        res.stderr,
        `client: recv: Connection reset by peer before any data (127.0.0.1:${port})\n`,
      );
    } finally {
      try {
        child.kill("SIGKILL");
      } catch { /* it exited after its one connection */ }
      await lines.cancel();
      await child.status;
    }
  },
});

Deno.test("client says so when nothing came within --read-timeout, exit 3", async () => {
  await using server = silentServer("");
  const res = await runTool("client", [
    "--read-timeout",
    "300ms",
    "-p",
    String(server.port),
    "127.0.0.1",
  ]);
  assertEquals(res.code, 3, res.stderr);
  assertEquals(res.stdout, "client: connecting to 127.0.0.1\n");
  assertEquals(
    res.stderr,
    `client: recv: nothing received from 127.0.0.1:${server.port} within 300ms\n`,
  );
});

Deno.test("client prints what came when the server does not close within --read-timeout, exit 3", async () => {
  await using server = silentServer("partial");
  const res = await runTool("client", [
    "--read-timeout",
    "300ms",
    "-p",
    String(server.port),
    "127.0.0.1",
  ]);
  assertEquals(res.code, 3, res.stderr);
  assertEquals(res.stdout, "client: connecting to 127.0.0.1\nclient: received 'partial'\n");
  assertEquals(
    res.stderr,
    `client: recv: 127.0.0.1:${server.port} did not close the connection within 300ms\n`,
  );
});

Deno.test("client on Ctrl-C while reading prints what came so far and exits 130", async () => {
  await using server = silentServer("partial");
  const proc = new ToolProcess("client", ["-p", String(server.port), "127.0.0.1"]);
  await using _client = proc;
  await proc.waitFor(/client: connecting to 127\.0\.0\.1\n/);
  const conn = await server.accepted;
  await waitRead("tcp", (conn.remoteAddr as Deno.NetAddr).port); // the client has read it
  proc.kill("SIGINT");
  assertEquals(await proc.exit(), 130);
  assertEquals(proc.stdout, "client: connecting to 127.0.0.1\nclient: received 'partial'\n");
  assertMatch(proc.stderr, /^client: interrupted after 7 bytes\n$/);
});
