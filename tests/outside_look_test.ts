// What an outside tester found in the tools, each reproduced over real sockets and processes.
import { assert, assertEquals, assertMatch } from "./_assert.ts";
import { bytes, text, toolArgs, ToolProcess, udpSocket } from "./_tools.ts";
import { delay, waitUntil } from "../testing/ready.ts";

/** A tool whose stdout nobody reads (until it has exited) and whose stderr is collected. */
class UnreadStdout implements AsyncDisposable {
  readonly child: Deno.ChildProcess;
  stderr = "";
  #reading: Promise<void>;

  constructor(tool: string, args: string[]) {
    this.child = new Deno.Command(Deno.execPath(), {
      args: toolArgs(tool, args),
      stdin: "null",
      stdout: "piped",
      stderr: "piped",
    }).spawn();
    const errors = this.child.stderr;
    this.#reading = (async () => {
      const dec = new TextDecoder();
      for await (const chunk of errors) this.stderr += dec.decode(chunk);
    })();
  }

  /** Waits for the process to end (SIGKILL after `timeout` ms); then reads its stdout. */
  async exit(timeout = 15_000): Promise<{ code: number; stdoutBytes: number }> {
    const timer = setTimeout(() => this.#kill("SIGKILL"), timeout);
    try {
      const { code } = await this.child.status;
      let stdoutBytes = 0;
      for await (const chunk of this.child.stdout) stdoutBytes += chunk.length;
      await this.#reading;
      return { code, stdoutBytes };
    } finally {
      clearTimeout(timer);
    }
  }

  #kill(signal: Deno.Signal): void {
    try {
      this.child.kill(signal);
    } catch { /* already gone */ }
  }

  kill(signal: Deno.Signal): void {
    this.#kill(signal);
  }

  async [Symbol.asyncDispose](): Promise<void> {
    this.#kill("SIGKILL");
    await this.exit().catch(() => {});
  }
}

Deno.test("listener --raw with a stdout nobody reads: stderr keeps every line and the summary counts what stdout lost", async () => {
  await using proc = new UnreadStdout("listener", ["--raw", "-k", "-H", "::1", "-p", "0"]);
  await waitUntil(() => /listening on .*:(\d+)\n/.test(proc.stderr), { what: "the port" });
  const port = Number(/listening on .*:(\d+)\n/.exec(proc.stderr)![1]);
  using sender = udpSocket("::1");
  const to = { transport: "udp" as const, hostname: "::1", port };
  const payload = bytes("x".repeat(99) + "\n");
  // 300 KB: far more than a pipe holds (64 KiB), less than the output bound (1 MiB).
  const total = 3000;
  for (let i = 0; i < total; i++) {
    await sender.send(payload, to);
    if (i % 100 === 99) await new Promise((r) => setTimeout(r, 2)); // UDP: let it keep up
  }
  // Once stdout is full, stderr's lines must go on (they stopped at the pipe's size before).
  const gotPackets = () => proc.stderr.match(/got packet from/g)?.length ?? 0;
  await waitUntil(() => gotPackets() > 2000, {
    timeout: 10_000,
    what: `"got packet" lines on stderr past the pipe's size (${gotPackets()} so far)`,
  });
  proc.kill("SIGINT");
  const { code, stdoutBytes } = await proc.exit();
  assertEquals(code, 0, proc.stderr.slice(-500));
  const m =
    /listener: received (\d+) datagrams, (\d+) bytes(?:, (\d+) bytes of data dropped on stdout \(not read in time\))?\n$/
      .exec(proc.stderr);
  assert(m, `no summary on stderr: ${JSON.stringify(proc.stderr.slice(-300))}`);
  const [received, bytesIn, lost] = [Number(m[1]), Number(m[2]), Number(m[3] ?? 0)];
  assert(received > 2000, m[0]);
  assertEquals(gotPackets(), received, "a got-packet line for every datagram received");
  assert(lost > 0, `${m[0]}: stdout lost ${bytesIn - stdoutBytes} bytes, unsaid`);
  assertEquals(stdoutBytes + lost, bytesIn, `stdout got ${stdoutBytes} of ${bytesIn}`);
});

Deno.test("server --idle-timeout without --echo is a usage error naming --echo", async () => {
  const child = new Deno.Command(Deno.execPath(), {
    args: toolArgs("server", ["-p", "0", "--idle-timeout", "1s"]),
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  const timer = setTimeout(() => child.kill("SIGKILL"), 15_000);
  const { code, stdout, stderr } = await child.output().finally(() => clearTimeout(timer));
  assertEquals(code, 1, text(stdout));
  assertMatch(text(stderr), /^server: .*--idle-timeout.*--echo/m);
  assertEquals(text(stdout).includes("waiting for connections"), false);
});

/** Opens `n` clients that send nothing and wait; closed by `using`. */
async function idleClients(port: number, n: number): Promise<Disposable> {
  const conns: Deno.Conn[] = [];
  try {
    for (let i = 0; i < n; i++) conns.push(await Deno.connect({ hostname: "127.0.0.1", port }));
  } catch (err) {
    for (const c of conns) c.close();
    throw err;
  }
  return {
    [Symbol.dispose]() {
      for (const c of conns) {
        try {
          c.close();
        } catch { /* closed by the server */ }
      }
    },
  };
}

const LIB = new URL("../lib/", import.meta.url).pathname;

for (const workers of [1, 2]) {
  Deno.test(
    `server${
      workers > 1 ? ` --workers ${workers}` : ""
    }: the first Ctrl-C says it is draining (every thread's clients); a second drops them, still prints the summary, exits 130`,
    async () => {
      await using proc = new ToolProcess(
        "server",
        ["-e", "-H", "127.0.0.1", "-p", "0", "--drain-timeout", "60s", "--workers", `${workers}`],
        { perms: ["--allow-net", `--allow-read=${LIB}`] },
      );
      const port = await proc.port();
      using _clients = await idleClients(port, 20);
      await proc.waitFor(/(got connection from 127\.0\.0\.1\n[^]*){20}/);
      proc.kill("SIGINT");
      await proc.waitFor(
        /^server: draining 20 clients \(up to 60s\); Ctrl-C again to stop now\n/m,
        { stderr: true },
      );
      await delay(300); // past the window in which a repeat is the same Ctrl-C (a wrapper's)
      const stopping = Date.now();
      proc.kill("SIGINT");
      assertEquals(await proc.exit(10_000), 130);
      assert(Date.now() - stopping < 5000, "the second Ctrl-C stops at once");
      assertMatch(
        proc.stdout,
        /server: stopped: 0 served, 0 failed, 20 dropped, 0 bytes echoed\n$/,
      );
      assertEquals(proc.stderr.match(/draining/g)?.length, 1, proc.stderr);
    },
  );
}

Deno.test("deno task server: Ctrl-C, which reaches the task and the server, is one stop (exit 0)", async () => {
  // A terminal sends SIGINT to its whole foreground group; `deno task` forwards a copy.
  const child = new Deno.Command("setsid", {
    args: [
      Deno.execPath(),
      "task",
      "--quiet",
      "server",
      "-e",
      "-H",
      "127.0.0.1",
      "-p",
      "0",
      "--drain-timeout",
      "1s",
    ],
    cwd: new URL("../", import.meta.url).pathname,
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  let stdout = "";
  const reading = (async () => {
    for await (const chunk of child.stdout) stdout += text(chunk);
  })();
  const errors = child.stderr.pipeThrough(new TextDecoderStream()).getReader();
  const timer = setTimeout(() => child.kill("SIGKILL"), 20_000);
  try {
    await waitUntil(() => /listening on .*:\d+\n/.test(stdout), { what: "the port" });
    const port = Number(/listening on .*:(\d+)\n/.exec(stdout)![1]);
    using _client = await idleClients(port, 1);
    await waitUntil(() => stdout.includes("got connection"), { what: "the connection" });
    Deno.kill(-child.pid, "SIGINT"); // the group, as a terminal's Ctrl-C
    await waitUntil(() => stdout.includes("server: stopped:"), { what: "the summary" });
  } finally {
    const { code } = await child.status;
    clearTimeout(timer);
    await reading;
    let err = "";
    for (let r = await errors.read(); !r.done; r = await errors.read()) err += r.value;
    assertEquals(code, 0, err);
  }
  // The client was idle: dropped at the end of the drain (1 s), not by a second Ctrl-C.
  assertMatch(stdout, /server: stopped: 0 served, 0 failed, 1 dropped, 0 bytes echoed\n$/);
});

Deno.test("BoundedWriter: a stdout write that starts and hangs lets stderr's later lines through", async () => {
  const { BoundedWriter } = await import("../lib/cli/bounded_writer.ts");
  let taken = 0;
  // Takes 4 KiB, a write at a time (a pipe), then hangs for good (nobody reads it).
  const stdout = {
    write: (p: Uint8Array) =>
      taken >= 8192
        ? new Promise<number>(() => {})
        : Promise.resolve(taken += Math.min(p.length, 100)).then(() => Math.min(p.length, 100)),
  };
  let errors = "";
  const stderr = {
    write: (p: Uint8Array) => Promise.resolve((errors += text(p), p.length)),
  };
  const w = new BoundedWriter([stdout, stderr], { flushDelayMs: 5 });
  const data = bytes("x".repeat(99) + "\n");
  for (let i = 0; i < 500; i++) {
    w.put(1, `line ${i}\n`);
    w.put(0, data);
    if (i % 50 === 49) await delay(1);
  }
  w.put(1, "summary\n");
  await waitUntil(() => errors.endsWith("summary\n"), {
    timeout: 5000,
    what: `stderr's lines (${errors.split("\n").length - 1} of 501 written)`,
  });
  assertEquals(errors.split("\n").length - 1, 501);
  assertEquals(await w.settle(100), true);
  assertEquals(w.lost(0).bytes + taken, 50_000);
});

Deno.test("an error line stays one line whatever a path holds: a newline cannot forge a line", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const path = `${dir}/x\nserver: got connection from 10.6.6.6\nx.sock`;
    await using server = new ToolProcess("server", ["-U", path]); // --allow-net only
    assertEquals(await server.exit(), 4, server.stderr);
    assertEquals(server.stderr.split("\n").length, 2, server.stderr); // one line, then the end
    assert(!server.stderr.includes("\nserver: got connection"), server.stderr);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("server -U: SIGHUP (the terminal closed) stops it as SIGTERM does: file removed, summary", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const path = `${dir}/hup.sock`;
    const perms = ["--allow-net", `--allow-read=${dir}`, `--allow-write=${dir}`];
    await using server = new ToolProcess("server", ["-U", path], { perms });
    await server.waitFor(/waiting for connections/);
    server.kill("SIGHUP");
    assertEquals(await server.exit(), 0, server.stderr);
    assertMatch(server.stdout + server.stderr, /server: stopped: /);
    assertEquals(await Deno.lstat(path).then(() => "left", () => "removed"), "removed");
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
