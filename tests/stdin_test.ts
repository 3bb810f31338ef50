// Standard input that cannot be read (a directory) is one clear line and exit 1 for every
// tool that reads it: never an internal error with a stack, never a wait for a timeout.
import { assert, assertEquals } from "./_assert.ts";
import { startTool, text, toolArgs } from "./_tools.ts";

/** Runs a tool with a directory as its standard input, killing it after 10 s. */
async function withDirectoryInput(tool: string, args: string[]) {
  const dir = await Deno.makeTempDir();
  const argv = [Deno.execPath(), ...toolArgs(tool, args)];
  const child = new Deno.Command("sh", {
    args: ["-c", `exec "$@" <${dir}`, "sh", ...argv],
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  const timer = setTimeout(() => child.kill("SIGKILL"), 10_000);
  const t0 = performance.now();
  try {
    const { code, stdout, stderr } = await child.output();
    return { code, stdout: text(stdout), stderr: text(stderr), ms: performance.now() - t0 };
  } finally {
    clearTimeout(timer);
    await Deno.remove(dir);
  }
}

Deno.test("a directory as standard input is one line and exit 1, for each way a tool reads it", async () => {
  const cases: [string, string[], string][] = [
    ["talker", ["::1", "-"], "talker: MESSAGE -: cannot read standard input: Is a directory\n"],
    ["talker", ["--lines", "::1"], "talker: --lines: cannot read standard input: Is a directory\n"],
    [
      "server",
      ["--message", "-", "-p", "0"],
      "server: --message -: cannot read standard input: Is a directory\n",
    ],
    [
      "server",
      ["--tls", "--cert", "-", "--key", "-", "-p", "0"],
      "server: --cert -: cannot read standard input: Is a directory\n",
    ],
  ];
  for (const [tool, args, line] of cases) {
    const res = await withDirectoryInput(tool, args);
    assertEquals([res.code, res.stderr], [1, line], `${tool} ${args.join(" ")}`);
  }
});

Deno.test("client --stdin with a directory as standard input fails at once, exit 1, sending nothing", async () => {
  const { proc, port } = await startTool("server", ["-H", "127.0.0.1", "--echo"]);
  await using _server = proc;
  const res = await withDirectoryInput("client", ["--stdin", "-p", String(port), "127.0.0.1"]);
  assertEquals(res.code, 1, res.stderr);
  assertEquals(res.stderr, "client: --stdin: cannot read standard input: Is a directory\n");
  assertEquals(res.stdout, "client: connecting to 127.0.0.1\n");
  // Not after the 10 s read deadline.
  assert(res.ms < 5000, `took ${res.ms.toFixed(0)} ms`);
});

Deno.test("readLines refuses a line over its limit however the bytes were split into reads", async () => {
  const { readLines } = await import("../lib/cli/stdin.ts");
  const { UsageError } = await import("../lib/cli/errors.ts");
  const over = new Uint8Array(9).fill(121); // one byte over a limit of 8
  const withNewline = new Uint8Array([...over, 10]);
  const splits = [[withNewline], [over, new Uint8Array([10])], [over]]; // one read, two, no newline
  for (const chunks of splits) {
    const source = {
      read: (p: Uint8Array) => {
        const c = chunks.shift();
        if (c === undefined) return Promise.resolve(null);
        p.set(c);
        return Promise.resolve(c.length);
      },
    };
    const lines = [];
    let error: unknown;
    try {
      for await (const line of readLines("--lines", 8, source)) lines.push(line);
    } catch (err) {
      error = err;
    }
    assert(error instanceof UsageError, String(error));
    assertEquals(error.message, "--lines: a line is over 8 bytes, the limit");
    assertEquals(lines.length, 0);
  }
});
