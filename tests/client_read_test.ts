// How the client ends its read, over real processes: a size limit, a reset, a server that
// sends nothing, Ctrl-C. Each ending has its own line and exit code.
import { assertEquals, assertMatch } from "./_assert.ts";
import { bytes, hasCommand, runTool, startTool, ToolProcess } from "./_tools.ts";

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
  name: "client: a reset before any byte is a receive error after connecting, exit 1",
  ignore: !hasCommand("python3"),
  async fn() {
    // The server resets right after accept: connect() itself may see the reset, or the
    // first read; either way the connection was made, so it is not "failed to connect".
    await using server = await resetServer(["--data=", "--loop"]);
    for (let i = 0; i < 3; i++) {
      const res = await runTool("client", ["-p", server.port, "127.0.0.1"]);
      assertEquals(res.code, 1, res.stderr);
      assertEquals(res.stdout, "client: connecting to 127.0.0.1\n");
      assertEquals(
        res.stderr,
        `client: read tcp 127.0.0.1:${server.port}: connection reset by peer\n`,
      );
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
  await server.accepted;
  await new Promise((r) => setTimeout(r, 200)); // let the client read it
  proc.kill("SIGINT");
  assertEquals(await proc.exit(), 130);
  assertEquals(proc.stdout, "client: connecting to 127.0.0.1\nclient: received 'partial'\n");
  assertMatch(proc.stderr, /^client: interrupted after 7 bytes\n$/);
});
