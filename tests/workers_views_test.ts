// `server --workers N`: every thread's steps reach the main thread's --explain and --diagram,
// so the picture shows every client, not only those the main thread accepted.
import { assertEquals } from "./_assert.ts";
import { fetchAll, ToolProcess } from "./_tools.ts";

const LIB = new URL("../lib/", import.meta.url).pathname;

Deno.test("server --workers 2 --diagram draws the sessions of every thread", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const file = `${dir}/workers.mmd`;
    const perms = ["--allow-net", `--allow-read=${LIB}`, `--allow-write=${file}`];
    const args = ["-p", "0", "-H", "127.0.0.1", "--workers", "2", "-q", "--diagram", file];
    await using server = new ToolProcess("server", [...args, "--diagram-limit", "50"], { perms });
    const port = await server.port();
    // 16 clients from 16 source ports: SO_REUSEPORT spreads them over both threads.
    for (let i = 0; i < 16; i++) await fetchAll("127.0.0.1", port);
    server.kill("SIGTERM");
    assertEquals(await server.exit(), 0, server.stderr);
    const mmd = await Deno.readTextFile(file);
    assertEquals(mmd.match(/accept\(\)/g)?.length, 16, mmd);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
