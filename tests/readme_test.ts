import { assert, assertEquals } from "./_assert.ts";

const read = (path: string) => Deno.readTextFile(new URL(`../${path}`, import.meta.url));

Deno.test("README's quick start pins the same Deno version as .deno-version and CI", async () => {
  const version = (await read(".deno-version")).trim();
  const readme = await read("README.md");
  const start = readme.indexOf("## Quick start");
  const quickStart = readme.slice(start, readme.indexOf("\n## ", start + 1));
  const pinned = [...readme.matchAll(/npx -y deno@([0-9.]+) task (\w+)/g)];
  assertEquals(
    [...quickStart.matchAll(/npx -y deno@([0-9.]+) task (\w+)/g)].map((m) => m[2]),
    ["server", "test"],
  );
  for (const m of pinned) assertEquals(m[1], version);
  assert(readme.includes("deno task server") && readme.includes("deno task test"));
  const ci = await read(".ci/run");
  assert(ci.includes('run_tests "deno route" . deno task test'), "CI must run `deno task test`");
  assert(
    ci.includes("! command -v deno >/dev/null && npx -y deno@$deno_version task test"),
    "CI must run the npx route with no deno on PATH",
  );
});

Deno.test("each tool's task grants the network and nothing else, and never prompts", async () => {
  const config = JSON.parse(await read("deno.json"));
  for (const tool of ["server", "client", "listener", "talker"]) {
    assertEquals(config.tasks[tool], `deno run --no-prompt --allow-net cmd/${tool}.ts`);
  }
  assertEquals(config.unstable, ["net"]);
});

Deno.test("README's exit-code table is the one every tool prints in --help", async () => {
  const { EXIT_CODE_HELP } = await import("../lib/exit_codes.ts");
  const readme = await read("README.md");
  for (const line of EXIT_CODE_HELP.split("\n").slice(1)) {
    const code = line.trim().split(/\s+/)[0]!;
    assert(
      new RegExp(`^\\|\\s*${code}\\s*\\|`, "m").test(readme),
      `README lacks exit code ${code}`,
    );
  }
});
