// The echo server under load: many clients at once, every byte back identical; a client
// that sends and never reads is dropped at the write deadline while the others are served.
import { assert, assertEquals, assertMatch } from "./_assert.ts";
import { startTool } from "./_tools.ts";

/** Sends `data` on a new connection, half-closes, reads everything back. */
async function echoOnce(port: number, data: Uint8Array): Promise<Uint8Array> {
  using conn = await Deno.connect({ hostname: "127.0.0.1", port });
  const back = new Uint8Array(data.length + 1);
  let got = 0;
  const reading = (async () => {
    while (true) {
      const n = await conn.read(back.subarray(got));
      if (n === null) return;
      got += n;
    }
  })();
  let off = 0;
  while (off < data.length) off += await conn.write(data.subarray(off));
  await conn.closeWrite();
  await reading;
  return back.subarray(0, got);
}

function same(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

Deno.test("server --echo: 1,000 clients × 64 KiB, 100 at once, every byte back identical", async () => {
  const { proc, port } = await startTool("server", ["--echo", "-q", "-H", "127.0.0.1"]);
  await using server = proc;
  const data = new Uint8Array(64 * 1024);
  crypto.getRandomValues(data);
  let next = 0, bad = 0;
  const deadline = performance.now() + 60_000;
  await Promise.all(Array.from({ length: 100 }, async () => {
    while (next < 1000 && performance.now() < deadline) {
      next++;
      if (!same(await echoOnce(port, data), data)) bad++;
    }
  }));
  assertEquals([next, bad], [1000, 0]);
  server.kill("SIGTERM");
  await server.exit();
  assertMatch(
    server.stdout,
    new RegExp(`stopped: 1000 served, 0 failed, 0 dropped, ${1000 * 65536} bytes echoed`),
  );
});

Deno.test("server --echo: a client sending 16 MiB and never reading is dropped at the write deadline; others are served", async () => {
  const { proc, port } = await startTool("server", [
    "--echo",
    "-q",
    "-H",
    "127.0.0.1",
    "--write-timeout",
    "1s",
  ]);
  await using server = proc;
  const hog = await Deno.connect({ hostname: "127.0.0.1", port });
  const big = new Uint8Array(16 << 20);
  const t0 = performance.now();
  const hogging = (async () => {
    let off = 0;
    try {
      while (off < big.length) off += await hog.write(big.subarray(off));
    } catch { /* dropped: reset */ }
    return off;
  })();
  const small = new Uint8Array(4096).fill(7);
  for (let i = 0; i < 20; i++) assert(same(await echoOnce(port, small), small));
  const written = await hogging;
  const took = performance.now() - t0;
  hog.close();
  assert(written < big.length, `the hog wrote all ${written} bytes`);
  assert(took < 8000, `the hog was dropped after ${took} ms`);
  server.kill("SIGTERM");
  await server.exit();
  assertMatch(server.stdout, /stopped: 20 served, 0 failed, 1 dropped/);
});
