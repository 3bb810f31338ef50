// The client's one receive path over plain TCP: --raw streams everything, -z --json reports
// one connected event, a read timeout's error event carries its errno with or without --send.
import { assertEquals } from "./_assert.ts";
import { runTool } from "./_tools.ts";
import { parseEvents } from "./_events.ts";

/** A server that sends `payload` to each client, then closes (or holds it open). */
function serve(payload: Uint8Array, hold = false) {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const held: Deno.Conn[] = [];
  const serving = (async () => {
    for await (const conn of listener) {
      try {
        for (let off = 0; off < payload.length;) off += await conn.write(payload.subarray(off));
      } catch { /* the client left */ }
      if (hold) held.push(conn);
      else conn.close();
    }
  })();
  return {
    port: listener.addr.port,
    async [Symbol.asyncDispose]() {
      listener.close();
      await serving.catch(() => {});
      for (const c of held) c.close();
    },
  };
}

/** The --json lines, each checked against schema/events.schema.json. */
function events(stdout: string): Record<string, unknown>[] {
  return parseEvents(stdout);
}

Deno.test("client --raw streams everything the server sends, past 64 KiB, exit 0", async () => {
  const payload = new Uint8Array(100_000).map((_, i) => (i * 7) & 255);
  await using server = serve(payload);
  const res = await runTool("client", ["-p", String(server.port), "--raw", "127.0.0.1"]);
  assertEquals([res.code, res.stderr], [0, "client: connecting to 127.0.0.1\n"]);
  assertEquals(res.stdoutBytes, payload);
  // --max-bytes still bounds it, and says so.
  const bounded = await runTool("client", [
    "-p",
    String(server.port),
    "--raw",
    "--max-bytes",
    "1000",
    "127.0.0.1",
  ]);
  assertEquals(bounded.stdoutBytes, payload.subarray(0, 1000));
  assertEquals(
    bounded.stderr.split("\n").at(-2),
    "client: stopped reading after 1000 bytes (--max-bytes)",
  );
});

Deno.test("client -z --json reports the connected event once", async () => {
  await using server = serve(new Uint8Array(0));
  const res = await runTool("client", ["-p", String(server.port), "-z", "--json", "127.0.0.1"]);
  assertEquals(res.code, 0, res.stderr);
  assertEquals(events(res.stdout).filter((e) => e.event === "connected").length, 1);
});

Deno.test("client --json: a read timeout's error event carries ETIMEDOUT, with or without --send", async () => {
  await using server = serve(new TextEncoder().encode(""), true);
  for (const send of [[], ["--send", "x"]]) {
    const res = await runTool("client", [
      "-p",
      String(server.port),
      ...send,
      "--read-timeout",
      "300ms",
      "--json",
      "127.0.0.1",
    ]);
    const last = events(res.stdout).at(-1)!;
    assertEquals([res.code, last.event, last.errno, last.exit_code], [3, "error", "ETIMEDOUT", 3]);
  }
});
