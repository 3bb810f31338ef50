// One-shot runs do not read the timer globals: in Deno 2.9 the first read of `setTimeout` or
// `clearTimeout` loads Node's timers, about 5 ms of a run that takes 20 (issue 18.8; the
// figures are in BENCHMARKS.md, "One-shot start-up"). Each run below is a real process
// against a real socket, with a preloaded module that reports any read of those globals.
import { deepStrictEqual as assertEquals } from "node:assert/strict";
import { runTool, udpSocket } from "./_tools.ts";

const GUARD = new URL("fixtures/timer_globals.ts", import.meta.url).pathname;
const PERMS = ["--allow-net", `--preload=${GUARD}`];

/** A listener on 127.0.0.1 that sends `greeting` to each client and closes it. */
function greeter(greeting: string): Deno.TcpListener & AsyncDisposable {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const serving = (async () => {
    for await (const conn of listener) {
      await conn.write(new TextEncoder().encode(greeting)).catch(() => {});
      conn.close();
    }
  })().catch(() => {});
  return Object.assign(listener, {
    [Symbol.asyncDispose]: async () => {
      listener.close();
      await serving;
    },
  });
}

Deno.test("the guard reports a read of a timer global (so the tests below can fail)", async () => {
  const res = await new Deno.Command(Deno.execPath(), {
    args: ["run", "--quiet", `--preload=${GUARD}`, "data:application/typescript,clearTimeout()"],
    stdout: "null",
    stderr: "piped",
    signal: AbortSignal.timeout(20_000),
  }).output();
  assertEquals(new TextDecoder().decode(res.stderr), "timer global read: clearTimeout\n");
});

Deno.test("client -z reads no timer global", async () => {
  await using server = greeter("");
  const res = await runTool("client", ["-z", "-p", String(server.addr.port), "127.0.0.1"], {
    perms: PERMS,
  });
  assertEquals([res.code, res.stderr], [0, ""]);
  assertEquals(res.stdout.endsWith(`connected to 127.0.0.1:${server.addr.port}\n`), true);
});

Deno.test("client fetching a greeting reads no timer global", async () => {
  await using server = greeter("hi");
  const res = await runTool("client", ["-p", String(server.addr.port), "127.0.0.1"], {
    perms: PERMS,
  });
  assertEquals([res.code, res.stderr], [0, ""]);
  assertEquals(res.stdout, "client: connecting to 127.0.0.1\nclient: received 'hi'\n");
});

Deno.test("a one-shot talker, and one that sends three paced datagrams, read no timer global", async () => {
  using sock = udpSocket("127.0.0.1");
  const port = String(sock.port);
  const once = await runTool("talker", ["-4", "-p", port, "127.0.0.1", "hi"], { perms: PERMS });
  assertEquals([once.code, once.stderr, once.stdout], [
    0,
    "",
    "talker: sent 2 bytes to 127.0.0.1\n",
  ]);
  const paced = await runTool("talker", [
    "-4",
    "-p",
    port,
    "-n",
    "3",
    "-i",
    "10ms",
    "127.0.0.1",
    "hi",
  ], {
    perms: PERMS,
  });
  assertEquals([paced.code, paced.stderr], [0, ""]);
  for (let i = 0; i < 4; i++) {
    const [data] = await sock.receive();
    assertEquals(new TextDecoder().decode(data), "hi");
  }
});
