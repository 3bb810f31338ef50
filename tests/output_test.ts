// Output never stops the work: writes are asynchronous and bounded. Unit tests over real
// pipes (FIFOs whose read end the test holds) and files, then the tools as processes with a
// stdout nobody reads, a full disk, a reader that leaves, and a bug.
import { assert, assertEquals, assertMatch } from "./_assert.ts";
import { runTool, startTool, text, toolArgs, ToolProcess, udpSocket } from "./_tools.ts";
import { type ByteSink, Output, OUTPUT_DRAIN_MS } from "../lib/cli/output.ts";
import { waitRead, waitUntil } from "../testing/ready.ts";

const FIXTURES = new URL("./fixtures/", import.meta.url).pathname;
const LINUX = Deno.build.os === "linux";
const FULL = "No space left on device (output dropped from now on)";

/** A pipe whose read end the test holds: nothing is read from it unless the test reads. */
async function fifo(): Promise<
  { reader: Deno.FsFile; writer: Deno.FsFile } & AsyncDisposable
> {
  const dir = await Deno.makeTempDir();
  const path = `${dir}/pipe`;
  await new Deno.Command("mkfifo", { args: [path] }).output();
  // Opening one end of a FIFO waits for the other: open both at once.
  const [reader, writer] = await Promise.all([
    Deno.open(path, { read: true }),
    Deno.open(path, { write: true }),
  ]);
  let open = true;
  return {
    reader,
    writer,
    async [Symbol.asyncDispose]() {
      if (open) {
        open = false;
        for (const f of [reader, writer]) {
          try {
            f.close();
          } catch { /* closed by the test */ }
        }
      }
      await Deno.remove(dir, { recursive: true });
    },
  };
}

/** A temporary file open for writing; its text is read back by path. */
async function tempFile(): Promise<{ file: Deno.FsFile; read(): string } & AsyncDisposable> {
  const path = await Deno.makeTempFile();
  const file = await Deno.open(path, { write: true });
  return {
    file,
    read: () => Deno.readTextFileSync(path),
    async [Symbol.asyncDispose]() {
      file.close();
      await Deno.remove(path);
    },
  };
}

/** Everything left in a file until its writer closes. */
async function readToEnd(file: Deno.FsFile): Promise<string> {
  const buf = new Uint8Array(64 * 1024);
  const decoder = new TextDecoder();
  let all = "";
  let n: number | null;
  while ((n = await file.read(buf)) !== null) all += decoder.decode(buf.subarray(0, n));
  return all;
}

const line = (i: number) => `line ${String(i).padStart(5, "0")}`;

Deno.test("Output keeps stdout and stderr lines in the order they were printed", async () => {
  await using both = await tempFile();
  // Stdout is batched and stderr is not: the order must hold anyway.
  const out = new Output("t", { stdout: both.file, stderr: both.file, flushDelayMs: 5 });
  out.say("one");
  out.error("two");
  out.text("three\n");
  const at = out.reserve(16);
  const four = new TextEncoder().encode("four\n");
  out.buffer.set(four, at);
  out.commit(at + four.length);
  out.errorLine("five");
  out.say("six");
  await out.close();
  assertEquals(both.read(), "t: one\nt: two\nthree\nfour\nfive\nt: six\n");
  assertEquals(out.dropped, 0);
});

Deno.test("Output never waits on a pipe nobody reads: the oldest lines are dropped and counted, the newest kept", async () => {
  await using pipe = await fifo();
  await using err = await tempFile();
  // Fill the pipe first (64 KiB by default on Linux): from then on every write waits.
  const filler = new TextEncoder().encode(`${"#".repeat(64 * 1024 - 1)}\n`);
  for (let off = 0; off < filler.length;) off += await pipe.writer.write(filler.subarray(off));
  const out = new Output("t", { stdout: pipe.writer, stderr: err.file, maxPending: 16 * 1024 });
  const count = 20_000; // 280 KB of lines
  const t0 = performance.now();
  for (let i = 0; i < count; i++) out.say(line(i));
  const printing = performance.now() - t0;
  const waited0 = performance.now();
  await out.close(300); // nobody reads: gives up after its bound
  const waited = performance.now() - waited0;
  assert(waited >= 250 && waited < 1500, `close() waited ${waited.toFixed(0)} ms`);
  assert(out.dropped > 0, "nothing dropped");
  // A reader arrives: what was kept comes out, and the count says what did not.
  const reading = readToEnd(pipe.reader);
  await out.close();
  pipe.writer.close();
  const lines = (await reading).slice(filler.length).trimEnd().split("\n");
  const numbers = lines.map((l) => Number(l.slice("t: line ".length)));
  console.log(
    `${count} lines printed in ${
      printing.toFixed(0)
    } ms; ${lines.length} written, ${out.dropped} dropped`,
  );
  assertEquals(lines.length + out.dropped, count);
  assertEquals(numbers[0], 0);
  assertEquals(numbers.at(-1), count - 1); // the newest line is kept
  const gaps = numbers.filter((n, i) => i > 0 && n !== numbers[i - 1]! + 1).length;
  assertEquals(gaps, 1); // one hole, in order on both sides
  assert(lines.length < 6000, `${lines.length} lines kept: the bound did not hold`);
  assertEquals(err.read(), "");
});

Deno.test("Output lets a stderr line go ahead of a stdout write that has hung", async () => {
  await using pipe = await fifo();
  await using err = await tempFile();
  const out = new Output("t", { stdout: pipe.writer, stderr: err.file });
  for (let i = 0; i < 10_000; i++) out.say(line(i)); // 140 KB: the pipe is full
  const t0 = performance.now();
  out.error("accept: Too many open files");
  await waitUntil(() => err.read() !== "", { timeout: 3000, interval: 20, what: "the error line" });
  const waited = performance.now() - t0;
  assertEquals(err.read(), "t: accept: Too many open files\n");
  assert(waited < 1500, `the error line waited ${waited.toFixed(0)} ms`);
  // The reader leaves: stdout ends quietly (no error line), the writer stops.
  pipe.reader.close();
  await out.close();
  assert(out.closed);
  out.say("after the reader left");
  await out.close();
  assertEquals(err.read(), "t: accept: Too many open files\n");
});

Deno.test("Output on a stdout that fails to write says so once on stderr and goes on", async () => {
  const path = await Deno.makeTempFile();
  using readOnly = await Deno.open(path, { read: true }); // writing to it fails: EBADF
  await using err = await tempFile();
  const out = new Output("t", { stdout: readOnly, stderr: err.file });
  out.say("one");
  out.say("two");
  await out.close();
  out.say("three");
  out.error("still here");
  await out.close();
  assertEquals(
    err.read(),
    `t: stdout: Bad file descriptor (output dropped from now on)\nt: still here\n`,
  );
  assertEquals(out.closed, false); // not a reader that left: a tool must go on
  assertEquals(out.dropped, 3);
  await Deno.remove(path);
});

Deno.test("Output.end says what stdout lost that no summary reported: after the mark, or all when the summary did not get out", async () => {
  const ended = async (stdout: ByteSink, mark: boolean, size = 6) => {
    let err = "";
    const stderr = { writeSync: (p: Uint8Array) => (err += text(p), p.length) };
    // A stdout that takes writes at once is batched, so that lines wait; one that hangs is not.
    const flushDelayMs = "writeSync" in stdout ? 5 : undefined;
    const out = new Output("t", { stdout, stderr, maxPending: 0, flushDelayMs });
    // The reader is late: each line drops the one waiting before it (the bound is 0).
    for (const n of [1, 2, 3]) out.say(`${n}`.repeat(size));
    if (mark) out.markReported(); // the summary says what was dropped so far
    out.say(`summary: ${out.dropped} lines dropped`); // drops line 3
    await out.end(50);
    return err;
  };
  const reads = { writeSync: (p: Uint8Array) => p.length };
  assertEquals(
    await ended(reads, true),
    "t: 1 line (10 bytes) of output was not written: stdout was not read in time\n",
  );
  assertEquals(
    await ended(reads, false),
    "t: 3 lines (30 bytes) of output were not written: stdout was not read in time\n",
  );
  // A stdout that takes nothing: line 1's write hangs, line 2 is dropped, then line 3, and
  // the summary never gets out, so the exit says everything.
  const stuck = { write: (_: Uint8Array) => new Promise<number>(() => {}) };
  assertEquals(
    await ended(stuck, true, 5000), // over 4 KiB: a pipe could block on it
    "t: up to 4 lines (15040 bytes) of output were not written: stdout was not read in time " +
      "(the last line written may be cut)\n",
  );
});

// ---- The tools as processes ----

/** The command line that runs a fixture script like a tool. */
function fixtureArgs(script: string, args: string[]): string[] {
  const [run, ...rest] = toolArgs("server", args);
  const at = rest.findIndex((a) => a.endsWith("/cmd/server.ts"));
  rest[at] = `${FIXTURES}${script}`;
  return [run!, ...rest];
}

/** Reads one client's greeting; gives up after 5 s (a frozen server). */
async function greeting(port: number): Promise<string> {
  const conn = await Deno.connect({ hostname: "127.0.0.1", port });
  let timedOut = false;
  const timer = setTimeout(() => {
    timedOut = true;
    conn.close();
  }, 5000);
  try {
    const buf = new Uint8Array(64);
    let got = "";
    let n: number | null;
    while ((n = await conn.read(buf)) !== null) got += text(buf.subarray(0, n));
    return got;
  } catch {
    return "(no greeting within 5 s)";
  } finally {
    clearTimeout(timer);
    if (!timedOut) conn.close();
  }
}

/** `count` clients, `atOnce` at a time, for 20 s at most; how many got exactly the greeting. */
async function clients(port: number, count: number, atOnce: number) {
  const t0 = performance.now();
  let started = 0, exact = 0;
  const wrong = new Set<string>();
  await Promise.all(Array.from({ length: atOnce }, async () => {
    while (started < count && performance.now() - t0 < 20_000) {
      started++;
      const got = await greeting(port).catch((err) => `(${err})`);
      if (got === "Hello, world!") exact++;
      else wrong.add(got);
    }
  }));
  const ms = performance.now() - t0;
  return { exact, wrong: [...wrong], ms, perSecond: Math.round(count / ms * 1000) };
}

/** Reads a stream until `pattern` matches what was read; the rest stays unread. */
async function readUntil(
  reader: ReadableStreamDefaultReader<Uint8Array>,
  pattern: RegExp,
): Promise<{ read: string; match: RegExpExecArray }> {
  let read = "";
  const decoder = new TextDecoder();
  while (true) {
    const match = pattern.exec(read);
    if (match) return { read, match };
    const { value, done } = await reader.read();
    if (done) throw new Error(`stream ended before ${pattern}: ${read}`);
    read += decoder.decode(value, { stream: true });
  }
}

Deno.test("server whose stdout is never read serves 3,000 clients, then summarises with the dropped lines counted", async () => {
  const child = new Deno.Command(Deno.execPath(), {
    args: fixtureArgs("small_output_server.ts", ["-H", "127.0.0.1", "-p", "0"]),
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  const killer = setTimeout(() => child.kill("SIGKILL"), 60_000);
  const stderr = new Response(child.stderr).text();
  const stdout = child.stdout.getReader();
  try {
    const head = await readUntil(stdout, /listening on .*:(\d+)\n/);
    const port = Number(head.match[1]);
    // From here on nobody reads stdout until the server is told to stop.
    const load = await clients(port, 3000, 100);
    console.log(
      `never-read stdout: 3000 clients in ${load.ms.toFixed(0)} ms (${load.perSecond}/s)`,
    );
    assertEquals(load.exact, 3000, load.wrong.join("\n"));
    const t0 = performance.now();
    child.kill("SIGTERM");
    let rest = "";
    for (let r = await stdout.read(); !r.done; r = await stdout.read()) rest += text(r.value);
    const { code } = await child.status;
    const ms = performance.now() - t0;
    assertEquals(code, 0, await stderr);
    assert(ms < OUTPUT_DRAIN_MS + 1000, `exit took ${ms.toFixed(0)} ms`);
    const all = head.read + rest;
    const m = /server: stopped: 3000 served, 0 failed, 0 dropped, (\d+) log lines? dropped\n$/
      .exec(all);
    assert(m, all.slice(-300));
    const shown = all.split("server: got connection from 127.0.0.1\n").length - 1;
    assert(Number(m[1]) > 0);
    assertEquals(shown + Number(m[1]), 3000, m[0]); // every line is either shown or counted
    assertEquals(await stderr, "");
  } finally {
    clearTimeout(killer);
    try {
      child.kill("SIGKILL");
    } catch { /* already gone */ }
    await stdout.cancel();
    await child.status;
    await stderr;
  }
});

/** The line a tool says at exit of the output its stdout never took. */
const LOST_AT_EXIT =
  /^server: (up to )?\d+ lines \(\d+ bytes\) of output were not written: stdout was not read in time( \(the last line written may be cut\))?\n$/;

/**
 * A server whose stdout nobody reads, 3,000 clients' lines waiting in it, stopped by `stop`:
 * its exit status, the time from `stop` to its exit, and its stderr.
 */
async function stopUnreadServer(stop: (child: Deno.ChildProcess) => Promise<void>) {
  const child = new Deno.Command(Deno.execPath(), {
    args: toolArgs("server", ["-H", "127.0.0.1", "-p", "0"]),
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  const killer = setTimeout(() => child.kill("SIGKILL"), 60_000);
  const stderr = new Response(child.stderr).text();
  const stdout = child.stdout.getReader();
  try {
    const { match } = await readUntil(stdout, /listening on .*:(\d+)\n/);
    const load = await clients(Number(match[1]), 3000, 100); // 114 KB of lines: the pipe fills
    assertEquals(load.exact, 3000, load.wrong.join("\n"));
    const t0 = performance.now();
    await stop(child);
    const status = await child.status;
    return { status, ms: performance.now() - t0, stderr: await stderr };
  } finally {
    clearTimeout(killer);
    try {
      child.kill("SIGKILL");
    } catch { /* already gone */ }
    await stdout.cancel();
    await child.status;
    await stderr;
  }
}

Deno.test("server whose stdout reader is gone for good still exits 0 on SIGTERM, within the drain bound", async () => {
  const { status, ms, stderr } = await stopUnreadServer((child) => {
    child.kill("SIGTERM");
    return Promise.resolve();
  });
  assertEquals(status.code, 0, stderr);
  // It waited for its output (the pipe was full) but no longer than the bound.
  assert(ms > OUTPUT_DRAIN_MS - 300 && ms < OUTPUT_DRAIN_MS + 1500, `exit took ${ms} ms`);
  // What the pipe did not take, its summary among it, is said on stderr.
  assertMatch(stderr, LOST_AT_EXIT);
});

Deno.test("a Ctrl-C while a tool waits at exit for a stdout nobody reads cuts the wait short: said, exit 130", async () => {
  const { status, stderr } = await stopUnreadServer(async (child) => {
    child.kill("SIGTERM"); // the server stops, then waits up to 2 s for its stdout
    await new Promise((r) => setTimeout(r, 1000)); // the scenario: the user gives up waiting
    child.kill("SIGINT");
  });
  // Before, the default action killed it: no line, no exit code of its own.
  assertEquals([status.signal, status.code], [null, 130], stderr);
  assertMatch(stderr, LOST_AT_EXIT);
});

Deno.test({
  name: "server with stdout on a full disk serves every client, says so once and exits 0",
  ignore: !LINUX,
  async fn() {
    const port = (() => {
      using probe = Deno.listen({ hostname: "127.0.0.1", port: 0 });
      return probe.addr.port;
    })();
    await using proc = new ToolProcess("server", ["-H", "127.0.0.1", "-p", String(port)], {
      wrap: ["sh", "-c", 'exec "$@" >/dev/full', "sh"],
    });
    // Its first line ("waiting for connections...") fails: that is the one line on stderr.
    await proc.waitFor(/stdout: No space left on device/, { stderr: true });
    const load = await clients(port, 500, 50);
    assertEquals(load.exact, 500, load.wrong.join("\n"));
    proc.kill("SIGTERM");
    assertEquals(await proc.exit(), 0);
    assertEquals(proc.stderr, `server: stdout: ${FULL}\n`);
  },
});

Deno.test("listener -k --echo whose reader leaves goes on echoing, and stops cleanly on SIGTERM", async () => {
  const child = new Deno.Command(Deno.execPath(), {
    args: toolArgs("listener", ["-k", "--echo", "-H", "::1", "-p", "0"]),
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  const stderr = new Response(child.stderr).text();
  try {
    // The first line names the port; then the reader leaves, as `| head -n 1` does.
    const reader = child.stdout.getReader();
    let first = "";
    while (!first.includes("\n")) first += text((await reader.read()).value ?? new Uint8Array());
    await reader.cancel();
    const port = Number(/listening on .*:(\d+)\n/.exec(first)![1]);
    using sender = udpSocket("::1");
    const buf = new Uint8Array(64);
    for (let i = 0; i < 5; i++) {
      const sent = new TextEncoder().encode(`datagram ${i}`);
      await sender.send(sent, { transport: "udp", hostname: "::1", port });
      const timer = setTimeout(() => sender.close(), 3000);
      const [echo] = await sender.receive(buf);
      clearTimeout(timer);
      assertEquals(text(echo), `datagram ${i}`);
    }
    child.kill("SIGTERM");
    assertEquals((await child.status).code, 0);
    assertEquals(await stderr, "");
  } finally {
    try {
      child.kill("SIGKILL");
    } catch { /* gone */ }
    await child.status;
  }
});

Deno.test("a tool that leaves a rejected promise unhandled prints one internal error line, exit 70", async () => {
  const run = async (devFull: boolean) => {
    const argv = [Deno.execPath(), ...fixtureArgs("unhandled_rejection.ts", [])];
    const [cmd, ...args] = devFull ? ["sh", "-c", 'exec "$@" >/dev/full', "sh", ...argv] : argv;
    const { code, stdout, stderr } = await new Deno.Command(cmd!, {
      args,
      stdin: "null",
      stdout: "piped",
      stderr: "piped",
    }).output();
    return { code, stdout: text(stdout), stderr: text(stderr) };
  };
  const piped = await run(false);
  assertEquals(piped, {
    code: 70,
    stdout: "fixture: about to fail\n", // printed before the exit, not lost
    stderr: "fixture: internal error: Error: boom\n",
  });
  if (!LINUX) return;
  // With stdout on a full disk too: two lines, no stack trace.
  const full = await run(true);
  assertEquals(full.code, 70);
  assertEquals(full.stderr.split("\n").sort(), [
    "",
    "fixture: internal error: Error: boom",
    `fixture: stdout: ${FULL}`,
  ]);
  assertMatch(full.stdout, /^$/);
});

Deno.test("listener -k whose stdout is never read keeps receiving, then summarises with the dropped lines counted", async () => {
  const child = new Deno.Command(Deno.execPath(), {
    args: toolArgs("listener", ["-k", "-H", "::1", "-p", "0"]),
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  const killer = setTimeout(() => child.kill("SIGKILL"), 60_000);
  const stderr = new Response(child.stderr).text();
  const stdout = child.stdout.getReader();
  try {
    const head = await readUntil(stdout, /listening on .*:(\d+)\n/);
    const to = { transport: "udp" as const, hostname: "::1", port: Number(head.match[1]) };
    using sender = udpSocket("::1");
    // 20,000 datagrams of three lines each: 2.2 MB of lines, twice the bound, nobody reading.
    for (let i = 0; i < 20_000; i++) {
      await sender.send(new TextEncoder().encode(line(i)), to);
      // Pacing the load (not a synchronisation): fewer datagrams lost to a full socket.
      if (i % 1000 === 999) await new Promise((r) => setTimeout(r, 10)); // let it keep up
    }
    await waitRead("udp", to.port, 30_000); // the listener has read every datagram queued
    child.kill("SIGINT");
    let rest = "";
    for (let r = await stdout.read(); !r.done; r = await stdout.read()) rest += text(r.value);
    assertEquals((await child.status).code, 0);
    const all = head.read + rest;
    const m = /listener: received (\d+) datagrams, (\d+) bytes, (\d+) log lines? dropped\n$/
      .exec(all);
    assert(m, all.slice(-300));
    const [received, dropped] = [Number(m[1]), Number(m[3])];
    const shown = all.split("listener: got packet from ::1\n").length - 1;
    assert(received > 10_000, `${received} received`);
    assert(dropped > 0);
    assertEquals(shown * 3 + dropped, received * 3); // whole datagrams, shown or counted
    assertEquals(await stderr, "");
  } finally {
    clearTimeout(killer);
    try {
      child.kill("SIGKILL");
    } catch { /* already gone */ }
    await stdout.cancel();
    await child.status;
    await stderr;
  }
});

Deno.test("client --raw whose stdout is a full disk says so and exits 1, not 0", async () => {
  const { proc, port } = await startTool("server", ["-H", "127.0.0.1"]);
  await using _server = proc;
  const argv = [Deno.execPath(), ...toolArgs("client", ["--raw", "-p", String(port), "127.0.0.1"])];
  const run = async (sink: string) => {
    const out = await new Deno.Command("sh", {
      args: ["-c", `exec "$@" >${sink}`, "sh", ...argv],
      stdout: "null",
      stderr: "piped",
    }).output();
    return { code: out.code, stderr: text(out.stderr) };
  };
  const full = await run("/dev/full");
  assertEquals(full.code, 1, full.stderr);
  assertMatch(full.stderr, /client: stdout: No space left on device/);
  const ok = await run("/dev/null");
  assertEquals(ok.code, 0, ok.stderr);
});

Deno.test("client printing a 3 MB response: the JSON line and the human line come out whole", async () => {
  const size = 3_000_000; // the JSON line is 7 MB: far over the 1 MiB output bound
  using server = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const serve = async () => {
    using conn = await server.accept();
    const chunk = new TextEncoder().encode("A".repeat(64 * 1024));
    for (let sent = 0; sent < size;) {
      const piece = chunk.subarray(0, Math.min(chunk.length, size - sent));
      for (let off = 0; off < piece.length;) off += await conn.write(piece.subarray(off));
      sent += piece.length;
    }
  };
  const args = ["--max-bytes", String(size), "-p", String(server.addr.port), "127.0.0.1"];
  const serving = serve();
  const json = await runTool("client", ["--json", ...args], { timeout: 30_000 });
  await serving;
  assertEquals(json.code, 0, json.stderr.slice(0, 300));
  const received = json.stdout.split("\n").map((l) => JSON.parse(l || "null")).find((e) =>
    e?.event === "received"
  );
  assertEquals([received.size, received.data.length, received.data_base64.length], [
    size,
    size,
    4_000_000,
  ]);
  const serving2 = serve();
  const human = await runTool("client", args, { timeout: 30_000 });
  await serving2;
  assertEquals(human.code, 0, human.stderr.slice(0, 300));
  assertMatch(human.stdout, /^client: connecting to 127\.0\.0\.1\nclient: received 'A+'\n$/);
  assertEquals(human.stdout.length, 52 + size);
});

/** Talker's ping to a peer that never answers: 3,002 known lines on stdout, exit 3. */
function silentPing(port: number) {
  const args = ["--lines", "-r", "200ms", "-i", "0", "-p", String(port), "::1"];
  const stdout = `talker: connected to [::1]:${port}\n` +
    Array.from({ length: 3000 }, (_, i) => `talker: no reply for seq=${i + 1} within 200ms\n`)
      .join("") +
    "talker: 3000 sent, 0 replies, 100% lost\n";
  const stderr = `talker: no reply from [::1]:${port} to any of 3000 datagrams\n`;
  return { argv: [Deno.execPath(), ...toolArgs("talker", args)], stdout, stderr };
}

Deno.test("talker whose stdout nobody reads says on stderr how many lines it could not write, and keeps its exit code", async () => {
  using peer = udpSocket("::1"); // takes the datagrams, never answers
  const ping = silentPing(peer.port);
  const [cmd, ...args] = ["sh", "-c", 'seq 1 3000 | "$@"', "sh", ...ping.argv];
  const child = new Deno.Command(cmd!, { args, stdin: "null", stdout: "piped", stderr: "piped" })
    .spawn();
  const killer = setTimeout(() => child.kill("SIGKILL"), 30_000);
  try {
    const stderr = new Response(child.stderr).text();
    const { code } = await child.status; // stdout is read only once the talker is gone
    const written = await new Response(child.stdout).text();
    assertEquals(code, 3, await stderr); // no reply at all, as without the lost lines
    const m = new RegExp(
      `^${
        RegExp.escape(ping.stderr)
      }talker: (up to )?(\\d+) lines \\((\\d+) bytes\\) of output were ` +
        "not written: stdout was not read in time( \\(the last line written may be cut\\))?\n$",
    ).exec(await stderr);
    assert(m, await stderr);
    const [lines, bytes, cut] = [Number(m[2]), Number(m[3]), m[4] !== undefined];
    assertEquals(m[1] !== undefined, cut); // "up to" exactly when a write may be cut
    assert(ping.stdout.startsWith(written), written.slice(-200));
    const whole = written.split("\n").length - 1;
    assert(lines > 0 && whole + lines >= 3002 && lines <= 3002, `${whole} + ${lines}`);
    assert(bytes <= ping.stdout.length && written.length + bytes >= ping.stdout.length);
    // Counted exactly, unless a write was cut by the exit (its bytes are all counted: "up to").
    if (!cut) assertEquals([whole + lines, written.length + bytes], [3002, ping.stdout.length]);
  } finally {
    clearTimeout(killer);
    try {
      child.kill("SIGKILL");
    } catch { /* already gone */ }
    await child.status;
  }
});

Deno.test("talker whose stdout reader leaves early (| head -n 1) says nothing of the lines it did not write", async () => {
  using peer = udpSocket("::1");
  const ping = silentPing(peer.port);
  const script = 'seq 1 3000 | { "$@"; echo "rc=$?" >&2; } | head -n 1';
  const [cmd, ...args] = ["sh", "-c", script, "sh", ...ping.argv];
  const child = new Deno.Command(cmd!, { args, stdin: "null", stdout: "piped", stderr: "piped" })
    .spawn();
  const killer = setTimeout(() => child.kill("SIGKILL"), 30_000);
  try {
    const { stdout, stderr } = await child.output();
    assertEquals(text(stdout), ping.stdout.slice(0, ping.stdout.indexOf("\n") + 1));
    assertEquals(text(stderr), `${ping.stderr}rc=3\n`);
  } finally {
    clearTimeout(killer);
  }
});

Deno.test("talker --explain to a file that does not keep up: what stderr dropped is said, never lost silently", async () => {
  using peer = udpSocket("::1"); // takes the datagrams
  const file = await Deno.makeTempFile();
  try {
    const argv = [
      Deno.execPath(),
      ...toolArgs("talker", ["--explain", "-n", "20000", "-p", String(peer.port), "::1", "hi"]),
    ];
    const child = new Deno.Command("sh", {
      args: ["-c", `exec "$@" 2>"${file}" >/dev/null`, "sh", ...argv],
    }).spawn();
    const killer = setTimeout(() => child.kill("SIGKILL"), 30_000);
    const { code } = await child.status.finally(() => clearTimeout(killer));
    assertEquals(code, 0);
    const lines = (await Deno.readTextFile(file)).split("\n").slice(0, -1);
    const sent = lines.filter((l) => l.includes(" sendto(")).length;
    const m = /^talker: (\d+) lines \(\d+ bytes\) on stderr were dropped: it did not keep up$/
      .exec(lines.at(-1)!);
    // Every sendto line is in the file, or counted in the last line (an earlier line too).
    if (m === null) assertEquals(sent, 20000, lines.at(-1));
    else assert(sent < 20000 && sent + Number(m[1]) >= 20000, `${sent} + ${m[1]}`);
  } finally {
    await Deno.remove(file);
  }
});

Deno.test("Output.end on a slow stderr: its backlog is dropped and counted, and the line saying so gets out next", async () => {
  let err = "";
  const slow = {
    write: async (p: Uint8Array) => { // 8 KiB each 5 ms: far slower than the lines come
      await new Promise((r) => setTimeout(r, 5));
      const n = Math.min(p.length, 8192);
      err += new TextDecoder().decode(p.subarray(0, n));
      return n;
    },
  };
  const out = new Output("t", { stdout: { writeSync: (p: Uint8Array) => p.length }, stderr: slow });
  for (let i = 0; i < 40_000; i++) out.error(`explain line ${i} ${"x".repeat(40)}`); // 2.3 MB
  await out.end(100);
  const lines = err.split("\n").slice(0, -1);
  const m = /^t: (\d+) lines \(\d+ bytes\) on stderr were dropped: it did not keep up$/.exec(
    lines.at(-1)!,
  );
  assert(m, lines.at(-1)); // before, it waited behind the backlog and never got out
  assertEquals(lines.length - 1 + Number(m[1]), 40_000);
});

Deno.test("Output.end on a slow stderr: a stdout that keeps up still gets its last lines (the summary) out", async () => {
  const slowErr = {
    write: async (p: Uint8Array) => { // 8 KiB each 5 ms
      await new Promise((r) => setTimeout(r, 5));
      return Math.min(p.length, 8192);
    },
  };
  let got = "";
  const file = { writeSync: (p: Uint8Array) => (got += new TextDecoder().decode(p), p.length) };
  const out = new Output("t", { stdout: file, stderr: slowErr });
  for (let i = 0; i < 20_000; i++) {
    out.error(`explain line ${i} ${"x".repeat(40)}`);
    out.say(`sent ${i}`);
  }
  out.say("summary");
  await out.end(100);
  // Held behind stderr for order, stdout lost lines over its bound, never its newest ones.
  assert(got.endsWith("t: sent 19999\nt: summary\n"), got.slice(-100));
});
