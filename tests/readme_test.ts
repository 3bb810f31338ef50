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

/** The words of a meaning, lowercased, without punctuation or markup. */
const words = (text: string) => text.toLowerCase().match(/[a-z0-9]+/g) ?? [];

/** Whether every item of `needle` occurs in `haystack`, in the same order. */
function inOrder(needle: string[], haystack: string[]): boolean {
  let at = 0;
  for (const word of needle) {
    at = haystack.indexOf(word, at);
    if (at < 0) return false;
    at++;
  }
  return true;
}

Deno.test("README's exit-code table has the codes and meanings every tool prints in --help", async () => {
  const { EXIT_CODE_HELP, ExitCode } = await import("../lib/cli/exit_codes.ts");
  // The source of truth: `  CODE  meaning` lines of the --help table.
  const help = EXIT_CODE_HELP.split("\n").slice(1).map((line) => {
    const m = /^\s+(\d+)\s+(.+)$/.exec(line);
    assert(m, `not a table row: ${JSON.stringify(line)}`);
    return { code: Number(m[1]), meaning: m[2]! };
  });
  assertEquals(help.map((r) => r.code), [...new Set(Object.values(ExitCode))]);
  const readme = await read("README.md");
  const start = readme.indexOf("## Exit codes");
  assert(start >= 0, "README has no Exit codes section");
  const section = readme.slice(start, readme.indexOf("\n## ", start + 1));
  const rows = [...section.matchAll(/^\|\s*(\d+)\s*\|\s*(.*?)\s*\|\s*$/gm)].map((m) => ({
    code: Number(m[1]),
    meaning: m[2]!,
  }));
  assertEquals(rows.map((r) => r.code), help.map((r) => r.code), "README's codes");
  // README may say more (examples, "as the original"), never less: every word of the
  // --help meaning must be in README's row, in the same order.
  for (const [i, { code, meaning }] of help.entries()) {
    assert(
      inOrder(words(meaning), words(rows[i]!.meaning)),
      `exit code ${code}: README says ${JSON.stringify(rows[i]!.meaning)}, --help says ${
        JSON.stringify(meaning)
      }`,
    );
  }
});
