/**
 * `deno task diagrams`: makes the README's pictures from real runs, not by hand. A server
 * greets two clients on loopback; the first client and the server each draw their session
 * with `--diagram` (`docs/client.svg`, `docs/server.svg`). Bounded: each run is killed after
 * 20 s.
 *
 * @module
 */

const ROOT = new URL("../", import.meta.url);
const DOCS = new URL("docs/", ROOT).pathname;
const CONFIG = new URL("deno.json", ROOT).pathname;
const TIMEOUT_MS = 20_000;

/** The command line of a tool that may write `file`, as a user runs it. */
function tool(name: string, file: string | undefined, args: string[]): Deno.Command {
  const write = file === undefined ? [] : [`--allow-write=${file}`];
  const diagram = file === undefined ? [] : ["--diagram", file];
  return new Deno.Command(Deno.execPath(), {
    args: [
      ...["run", "--no-prompt", "--quiet", `--config=${CONFIG}`, "--allow-net", ...write],
      new URL(`cmd/${name}.ts`, ROOT).pathname,
      ...diagram,
      ...args,
    ],
    stdin: "null",
    stdout: "piped",
    stderr: "inherit",
  });
}

/** Runs a client to its end (killed after {@linkcode TIMEOUT_MS}); throws unless it exits 0. */
async function client(file: string | undefined, port: number): Promise<void> {
  const child = tool("client", file, ["-p", String(port), "127.0.0.1"]).spawn();
  const timer = setTimeout(() => child.kill("SIGKILL"), TIMEOUT_MS);
  try {
    const { code } = await child.output();
    if (code !== 0) throw new Error(`client exited ${code}`);
  } finally {
    clearTimeout(timer);
  }
}

await Deno.mkdir(DOCS, { recursive: true });
const server = tool("server", `${DOCS}server.svg`, ["-H", "127.0.0.1", "-p", "0"]).spawn();
const killer = setTimeout(() => server.kill("SIGKILL"), TIMEOUT_MS * 2);
try {
  // The port from the server's `listening on 127.0.0.1:PORT` line.
  const lines = server.stdout.pipeThrough(new TextDecoderStream()).getReader();
  let seen = "";
  let port: number | undefined;
  while (port === undefined) {
    const { value, done } = await lines.read();
    if (done) throw new Error(`the server ended before listening: ${seen}`);
    seen += value;
    const m = /listening on 127\.0\.0\.1:(\d+)\n/.exec(seen);
    if (m) port = Number(m[1]);
  }
  const draining = (async () => {
    while (!(await lines.read()).done) { /* the server's lines, not needed */ }
  })();
  await client(`${DOCS}client.svg`, port);
  await client(undefined, port);
  server.kill("SIGINT"); // as Ctrl-C: the server writes its diagram as it stops
  await draining;
  const { code } = await server.status;
  if (code !== 0 && code !== 130) throw new Error(`server exited ${code}`);
} finally {
  clearTimeout(killer);
  try {
    server.kill("SIGKILL");
  } catch { /* ended */ }
}
console.log(`diagrams: wrote ${DOCS}client.svg and ${DOCS}server.svg`);
