import { assertEquals, assertMatch } from "./_assert.ts";
import { fetchAll, runTool, startTool, text, ToolProcess } from "./_tools.ts";

for (const host of ["127.0.0.1", "::1"]) {
  Deno.test(`client receives the server's greeting over ${host}`, async () => {
    const { proc, port } = await startTool("server", ["-H", host]);
    await using _server = proc;
    const res = await runTool("client", ["-p", String(port), host]);
    assertEquals(res.code, 0, res.stderr);
    assertEquals(res.stdout, `client: connecting to ${host}\nclient: received 'Hello, world!'\n`);
    await proc.waitFor(new RegExp(`server: got connection from ${host.replace(/\./g, "\\.")}\n`));
  });
}

Deno.test("server on the default address takes IPv4 and IPv6 clients (dual-stack)", async () => {
  const { proc, port } = await startTool("server", []);
  await using _server = proc;
  assertEquals(text(await fetchAll("127.0.0.1", port)), "Hello, world!");
  assertEquals(text(await fetchAll("::1", port)), "Hello, world!");
  await proc.waitFor(/got connection from 127\.0\.0\.1\n/); // unmapped, as the original prints it
  await proc.waitFor(/got connection from ::1\n/);
});

Deno.test("client resolves localhost through /etc/hosts and connects", async () => {
  const { proc, port } = await startTool("server", ["--message", "custom greeting"]);
  await using _server = proc;
  const res = await runTool("client", ["-p", String(port), "localhost"]);
  assertEquals(res.code, 0, res.stderr);
  assertMatch(res.stdout, /^client: connecting to (127\.0\.0\.1|::1)\n/);
  assertMatch(res.stdout, /client: received 'custom greeting'\n$/);
});

Deno.test("server serves 200 concurrent clients, each the whole greeting", async () => {
  const { proc, port } = await startTool("server", ["-q"]);
  await using _server = proc;
  const got = await Promise.all(
    Array.from({ length: 200 }, (_, i) => fetchAll(i % 2 ? "::1" : "127.0.0.1", port)),
  );
  for (const g of got) assertEquals(text(g), "Hello, world!");
});

Deno.test("client prints the original's refusal lines and exits 2 when nothing listens", async () => {
  const { proc, port } = await startTool("server", ["-H", "127.0.0.1"]);
  proc.kill();
  await proc.exit();
  const res = await runTool("client", ["-p", String(port), "127.0.0.1"]);
  assertEquals(res.code, 2);
  assertEquals(
    res.stderr,
    `client: connect: Connection refused (127.0.0.1:${port})\nclient: failed to connect\n`,
  );
});

Deno.test("server stops on SIGTERM with a summary and exit 0", async () => {
  const { proc, port } = await startTool("server", []);
  await fetchAll("::1", port);
  proc.kill("SIGTERM");
  assertEquals(await proc.exit(), 0);
  assertMatch(proc.stdout, /server: stopped: 1 served, 0 failed, 0 dropped\n$/);
});

Deno.test("server --workers 2 serves from two threads and sums their counts on stop", async () => {
  const proc = new ToolProcess("server", ["-p", "0", "-q", "--workers", "2"], {
    perms: ["--allow-net", `--allow-read=${new URL("../lib/", import.meta.url).pathname}`],
  });
  const port = await proc.port();
  const got = await Promise.all(Array.from({ length: 100 }, () => fetchAll("::1", port)));
  for (const g of got) assertEquals(text(g), "Hello, world!");
  proc.kill("SIGTERM");
  assertEquals(await proc.exit(), 0);
  assertMatch(proc.stdout, /server: stopped: 100 served, 0 failed, 0 dropped\n$/);
});

Deno.test("server --workers without read access to lib/ names the deno run line to use, exit 4", async () => {
  const res = await runTool("server", ["-p", "0", "--workers", "2"]);
  assertEquals(res.code, 4);
  // The whole command: a deno task (deno task server) cannot be given the grant.
  assertMatch(
    res.stderr,
    /^server: --workers (\/.*\/lib\/): permission denied: the workers read their modules there: run deno run --no-prompt --allow-net --allow-read=\1 \/.*\/cmd\/server\.ts --workers 2 … \(deno task server cannot be given the grant\)\n$/,
  );
  assertEquals(res.stdout, "");
});

Deno.test("server --linger: a client that sent data first gets the greeting and a clean end", async () => {
  const { proc, port } = await startTool("server", ["--linger", "2s"]);
  await using _server = proc;
  using conn = await Deno.connect({ hostname: "::1", port });
  await conn.write(new TextEncoder().encode("unexpected request\r\n".repeat(50)));
  await new Promise((r) => setTimeout(r, 100));
  const buf = new Uint8Array(64);
  let got = "", n: number | null;
  while ((n = await conn.read(buf)) !== null) got += text(buf.subarray(0, n));
  assertEquals(got, "Hello, world!");
});
