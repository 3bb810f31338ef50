// How an echoing listener ends: Ctrl-C while echoes are flowing is a clean stop, and a
// missing permission to answer a sender is an error, not a success.
import { assert, assertEquals, assertMatch } from "./_assert.ts";
import { bytes, ToolProcess, udpSocket } from "./_tools.ts";

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * Floods `port` on 127.0.0.1 from senders on 127.0.0.2, 127.0.0.3, … (each with its own
 * echo allowance, so every datagram is answered) until `stop` aborts.
 */
async function flood(port: number, stop: AbortSignal): Promise<number> {
  const senders = Array.from({ length: 200 }, (_, i) => udpSocket(`127.0.0.${i + 2}`));
  const payload = bytes("echo me");
  const to = { transport: "udp" as const, hostname: "127.0.0.1", port };
  let sent = 0;
  try {
    for (let round = 0; round < 90 && !stop.aborted; round++) {
      for (const s of senders) {
        await s.send(payload, to);
        sent++;
      }
      await sleep(1);
    }
  } finally {
    for (const s of senders) s.close();
  }
  return sent;
}

Deno.test("Ctrl-C or SIGTERM while echoing prints the summary, no error, and exits 0", async () => {
  // A signal that lands while an echo is being sent closed the socket under the send:
  // "sendto: Socket has been closed". Several listeners make that moment likely.
  const runs = ["SIGINT", "SIGTERM", "SIGINT", "SIGTERM"] as const;
  const procs = runs.map(() => new ToolProcess("listener", ["-p", "0", "-k", "--echo"]));
  try {
    for (const [i, proc] of procs.entries()) {
      const port = await proc.port();
      const stop = new AbortController();
      const sending = flood(port, stop.signal);
      await proc.waitFor(/packet contains "echo me"\n/);
      await sleep(50); // echoes are flowing
      proc.kill(runs[i]);
      const code = await proc.exit();
      stop.abort();
      const sent = await sending;
      assertEquals(proc.stderr, "", `${runs[i]}: ${proc.stderr}`);
      assertEquals(code, 0);
      const m =
        /listener: received (\d+) datagrams, \d+ bytes, echoed (\d+)(, \d+ log lines? dropped)?\n$/
          .exec(proc.stdout);
      assert(m, proc.stdout.slice(-300));
      assert(Number(m[1]) >= 1 && Number(m[1]) <= sent, `${m[0]} of ${sent}`);
    }
  } finally {
    for (const proc of procs) await proc[Symbol.asyncDispose]();
  }
});

Deno.test("listener --echo without leave to answer the sender exits 4 and says to grant --allow-net", async () => {
  const proc = new ToolProcess("listener", ["-p", "0", "-k", "--echo"], {
    perms: ["--allow-net=[::]:0"], // may listen, may not send anywhere
  });
  await using _listener = proc;
  const port = await proc.port();
  using sender = udpSocket("::1");
  await sender.send(bytes("hi"), { transport: "udp", hostname: "::1", port });
  assertEquals(await proc.exit(), 4, proc.stderr);
  assertMatch(
    proc.stderr,
    new RegExp(
      `^listener: write udp \\[::1\\]:${sender.port}: permission denied: run again with --allow-net \\(`,
    ),
  );
  assertEquals(proc.stderr.split("\n").length, 2, proc.stderr); // one line
});
