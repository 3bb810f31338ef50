// The server's sockets do what its flags say: -6 means IPv6 only, --workers never joins a port
// another server holds, and a second Ctrl-C ends a drain at once.
import { assert, assertEquals, assertMatch } from "./_assert.ts";
import { fetchAll, runTool, startTool, text } from "./_tools.ts";

Deno.test("server -6 closes IPv4 clients at accept without a byte and counts them", async () => {
  const { proc, port } = await startTool("server", ["-6"]);
  await using _server = proc;
  assertEquals(text(await fetchAll("::1", port)), "Hello, world!");
  for (let i = 0; i < 3; i++) assertEquals(text(await fetchAll("127.0.0.1", port)), "");
  assertEquals(text(await fetchAll("::1", port)), "Hello, world!");
  proc.kill("SIGTERM");
  assertEquals(await proc.exit(), 0);
  assert(!proc.stdout.includes("127.0.0.1"), proc.stdout);
  assertMatch(
    proc.stdout,
    /server: stopped: 2 served, 0 failed, 0 dropped, 3 refused \(IPv4 clients, -6\)\n$/,
  );
});

Deno.test("server prints an IPv4 client of its dual-stack socket as the original does", async () => {
  const { proc, port } = await startTool("server", []);
  await using _server = proc;
  await fetchAll("127.0.0.1", port);
  await proc.waitFor(/server: got connection from 127\.0\.0\.1\n/);
  assert(!proc.stdout.includes("::ffff:"), proc.stdout);
});

Deno.test("server --workers 2 on a port another server holds: Address already in use, exit 2", async () => {
  for (const reusePort of [false, true]) {
    using other = Deno.listen({ hostname: "127.0.0.1", port: 0, reusePort });
    const res = await runTool("server", [
      "--workers",
      "2",
      "-H",
      "127.0.0.1",
      "-p",
      String(other.addr.port),
    ], { perms: ["--allow-net", `--allow-read`] });
    assertEquals(res.code, 2, `reusePort ${reusePort}: ${res.stderr}`);
    assertMatch(res.stderr, /Address already in use/);
    assertEquals(res.stdout, "");
  }
});

Deno.test("server: a second Ctrl-C during the drain exits 130 at once", async () => {
  // A lingering close waits for the client to close first; this one never does (30 s bounds).
  const { proc, port } = await startTool("server", [
    "-H",
    "127.0.0.1",
    "--linger",
    "30s",
    "--drain-timeout",
    "30s",
  ]);
  await using _server = proc;
  using stalled = await Deno.connect({ hostname: "127.0.0.1", port });
  await proc.waitFor(/got connection from 127\.0\.0\.1\n/);
  proc.kill("SIGINT");
  await new Promise((r) => setTimeout(r, 200));
  const start = performance.now();
  proc.kill("SIGINT");
  assertEquals(await proc.exit(), 130);
  assert(performance.now() - start < 2000, "the second Ctrl-C must not wait for the drain");
  stalled.close();
});
