// Issue 20: behaviours that a change to the code slipped past. Each test here fails when its
// guard is removed: -6 with --allow/--deny, the linger deadline, the echo idle deadline.
import { assert, assertEquals } from "./_assert.ts";
import { startTool } from "./_tools.ts";

/** Reads what the server sends until it ends, or the deadline (ms) passes: "eof" or "deadline". */
async function readToEnd(conn: Deno.Conn, deadline: number): Promise<"eof" | "reset" | "deadline"> {
  const buf = new Uint8Array(4096);
  let timer: ReturnType<typeof setTimeout> | undefined;
  const expired = new Promise<"deadline">((resolve) => {
    timer = setTimeout(() => resolve("deadline"), deadline);
  });
  try {
    const reading = (async () => {
      try {
        while (await conn.read(buf) !== null) { /* discard */ }
        return "eof" as const;
      } catch {
        return "reset" as const;
      }
    })();
    return await Promise.race([reading, expired]);
  } finally {
    clearTimeout(timer);
  }
}

for (const rule of [["--allow", "127.0.0.1"], ["--deny", "10.0.0.0/8"]]) {
  Deno.test(`server -6 ${rule[0]} still refuses an IPv4 client`, async () => {
    const { proc, port } = await startTool("server", ["-6", ...rule]);
    await using _server = proc;
    using conn = await Deno.connect({ hostname: "127.0.0.1", port });
    const end = await readToEnd(conn, 5_000);
    assert(end !== "deadline", "the refused client was never closed");
    await proc.waitFor(/refused connection from 127\.0\.0\.1\n/);
    assert(!/got connection from 127\.0\.0\.1/.test(proc.stdout), proc.stdout);
  });
}

Deno.test("server --linger frees the slot of a client that never closes its side, at the deadline", async () => {
  const { proc, port } = await startTool("server", ["--linger", "300ms", "--max-connections", "1"]);
  await using _server = proc;
  // The first client reads the greeting and the lingering close's FIN, but never closes.
  using first = await Deno.connect({ hostname: "127.0.0.1", port });
  assertEquals(await readToEnd(first, 8_000), "eof");
  // The one slot is held until the linger deadline drops the first client; then the second
  // is served. Without the deadline it would wait for ever.
  using second = await Deno.connect({ hostname: "127.0.0.1", port });
  assertEquals(await readToEnd(second, 8_000), "eof");
  await proc.waitFor(/got connection from .*\n.*got connection from/s);
});

Deno.test("server --echo drops a client that neither sends nor closes after --idle-timeout", async () => {
  const { proc, port } = await startTool("server", ["--echo", "--idle-timeout", "300ms"]);
  await using _server = proc;
  using conn = await Deno.connect({ hostname: "127.0.0.1", port });
  const end = await readToEnd(conn, 8_000);
  assert(end !== "deadline", "the idle client was never dropped");
});
