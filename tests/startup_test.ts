// One-shot runs do not read the timer globals: in Deno 2.9 the first read of `setTimeout` or
// `clearTimeout` loads Node's timers, about 5 ms of a run that takes 20 (issue 18.8; the
// figures are in BENCHMARKS.md, "One-shot start-up"). Each run below is a real process
// against a real socket, with a preloaded module that reports any read of those globals.
// And one-shot runs load only the modules they use: each module loaded costs start-up time,
// so the views, TLS, Unix, stdin and escaping modules are imported when a run needs them.
import { deepStrictEqual as assertEquals } from "node:assert/strict";
import { runTool, toolArgs, udpSocket } from "./_tools.ts";

const GUARD = new URL("fixtures/timer_globals.ts", import.meta.url).pathname;
const PERMS = ["--allow-net", `--preload=${GUARD}`];

/**
 * The project modules a real run of `tool` loads into the runtime, as Deno's debug log names
 * each one it compiles or takes from the code cache ("... for ES module: URL, ..."). A module
 * that is only imported dynamically on another path is read to build the module graph, but
 * not loaded, so it is not named.
 */
async function loadedModules(tool: string, args: string[]): Promise<string[]> {
  const argv = toolArgs(tool, args).map((a) => a === "--quiet" ? "--log-level=debug" : a);
  const res = await new Deno.Command(Deno.execPath(), {
    args: argv,
    stdin: "null",
    stdout: "null",
    stderr: "piped",
    signal: AbortSignal.timeout(20_000),
  }).output();
  assertEquals(res.code, 0);
  const log = new TextDecoder().decode(res.stderr);
  const root = new URL("../", import.meta.url).href;
  const loaded = [...log.matchAll(/ for ES module: (\S+?),/g)]
    .map(([, url]) => url!)
    .filter((url) => url.startsWith(root))
    .map((url) => url.slice(root.length));
  // The log is read as expected: the entry point itself is named (else nothing is checked).
  assertEquals(loaded.includes(`cmd/${tool}.ts`), true, `no module named in the log of ${tool}`);
  return loaded;
}

/** The modules of `modules` that `loaded` holds: none, for a guard to pass. */
function loadedOf(loaded: string[], modules: string[]): string[] {
  return modules.filter((m) => loaded.includes(m));
}

/** The views' modules: loaded only when a view is asked for. */
const VIEWS = [
  "lib/cli/json.ts",
  "lib/cli/explain.ts",
  "lib/cli/diagram.ts",
  "lib/cli/status_line.ts",
  "lib/cli/version.ts",
];

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

Deno.test("client -z loads no view, TLS, Unix, session, stdin or escaping module", async () => {
  await using server = greeter("");
  const loaded = await loadedModules("client", ["-z", "-p", String(server.addr.port), "127.0.0.1"]);
  assertEquals(
    loadedOf(loaded, [
      ...VIEWS,
      "lib/net/escape.ts",
      "lib/net/unix_address.ts",
      "lib/net/unix_dial.ts",
      "lib/cli/stdin.ts",
      "lib/tools/client_session.ts",
      "lib/tools/tls_files.ts",
      "lib/net/_tls_client.ts",
    ]),
    [],
  );
});

Deno.test("the client fetching a greeting loads no TLS, Unix dialer or view module", async () => {
  await using server = greeter("hi");
  const loaded = await loadedModules("client", ["-p", String(server.addr.port), "127.0.0.1"]);
  assertEquals(
    loadedOf(loaded, [
      ...VIEWS.filter((m) => m !== "lib/cli/json.ts"), // the session's events use it
      "lib/net/unix_dial.ts",
      "lib/tools/tls_files.ts",
      "lib/net/_tls_client.ts",
    ]),
    [],
  );
  assertEquals(loaded.includes("lib/tools/client_session.ts"), true); // it reads: the session
});

Deno.test("a one-shot talker loads no view but the JSON encoder, and no stdin module", async () => {
  using sock = udpSocket("127.0.0.1");
  const loaded = await loadedModules("talker", ["-4", "-p", String(sock.port), "127.0.0.1", "hi"]);
  assertEquals(
    loadedOf(loaded, [...VIEWS.filter((m) => m !== "lib/cli/json.ts"), "lib/cli/stdin.ts"]),
    [],
  );
  const [data] = await sock.receive();
  assertEquals(new TextDecoder().decode(data), "hi");
});
