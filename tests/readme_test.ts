import { assert, assertEquals } from "./_assert.ts";
import { type FlagTable, scanFlags } from "../lib/cli/flags.ts";

const read = (path: string) => Deno.readTextFile(new URL(`../${path}`, import.meta.url));

Deno.test("README's quick start pins the same Deno version as .deno-version and CI, and gives the npx form of every step", async () => {
  const version = (await read(".deno-version")).trim();
  const readme = await read("README.md");
  const start = readme.indexOf("## Quick start");
  const quickStart = readme.slice(start, readme.indexOf("\n## ", start + 1));
  const pinned = [...readme.matchAll(/npx -y deno@([0-9.]+) task (\w+)/g)];
  assertEquals(
    [...quickStart.matchAll(/npx -y deno@([0-9.]+) task (\w+)/g)].map((m) => m[2]),
    ["server", "test", "client"],
  );
  for (const m of pinned) assertEquals(m[1], version);
  // The reader with only Node.js gets the npx form of every `deno task` step.
  const tasks = (pattern: RegExp) => new Set([...quickStart.matchAll(pattern)].map((m) => m[1]));
  assertEquals(tasks(/(?<!@[0-9.]+ )task (\w+)/g), tasks(/npx -y deno@[0-9.]+ task (\w+)/g));
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

/** The tools' option tables, by name. */
async function toolTables(): Promise<Map<string, FlagTable>> {
  const tables = new Map<string, FlagTable>();
  for (const name of ["server", "client", "listener", "talker"]) {
    const { info } = await import(`../cmd/${name}.ts`);
    tables.set(name, info.flags);
  }
  return tables;
}

/** Why `words` is not a command line `table` reads (an unknown option, …), or undefined. */
function refusal(words: string[], table: FlagTable): string | undefined {
  try {
    scanFlags(words, table);
    return undefined;
  } catch (err) {
    return (err as Error).message;
  }
}

/** Deno's own flags and other programs' words, which README shows beside the tools' flags. */
const NOT_OURS = /^(--allow-|--no-prompt|--unstable|-hello$|-$|--$)/;

Deno.test("every flag README shows for a tool is in that tool's table", async () => {
  const readme = await read("README.md");
  const tables = await toolTables();
  const problems: string[] = [];
  // 1. A command line in a code span or a shell block: `talker -n 5 -r 1s ::1 hi`,
  //    `deno task server --tls …`, `sk-client …`, `$ deno task talker --json …`.
  const spans = [...readme.matchAll(/`([^`\n]+(?:\n[^`\n]+)?)`/g)].map((m) => m[1]!);
  const lines = [...readme.matchAll(/```sh\n([^]*?)```/g)].flatMap((m) => m[1]!.split("\n"));
  for (const text of [...spans, ...lines]) {
    const command = text.replace(/\s+/g, " ").replace(/^\$ /, "")
      .replace(/^(npx -y deno@\S+ task |deno task |sk-)/, "");
    const [tool, ...rest] = command.split(" ");
    const table = tables.get(tool!);
    if (!table || rest.length === 0) continue;
    const end = rest.findIndex((w) => /^(\||<|>|#|&&|2>)/.test(w));
    const words = (end < 0 ? rest : rest.slice(0, end)).map((w) => w.replace(/^\[|\]$/g, ""))
      .filter((w) => w !== "");
    const why = refusal(words, table);
    if (why && !/argument missing$/.test(why)) problems.push(`\`${text}\`: ${why}`);
  }
  // 2. A bullet headed by tools' names (`- **client**:`, `- **Client and talker**:`): each
  //    flag it shows belongs to each of them.
  for (const m of readme.matchAll(/^- \*\*([^*]+)\*\*:?([^]*?)(?=\n- |\n\n)/gm)) {
    const names = m[1]!.toLowerCase().split(/,? and |, /);
    if (!names.every((name) => tables.has(name))) continue;
    for (const span of m[2]!.matchAll(/`(-[^`]*)`/g)) {
      for (const flag of span[1]!.split("/")) {
        const word = flag.split(" ")[0]!;
        if (NOT_OURS.test(word)) continue;
        for (const name of names) {
          const why = refusal([word], tables.get(name)!);
          if (why?.startsWith("Unknown option")) problems.push(`${name} \`${word}\`: ${why}`);
        }
      }
    }
  }
  // 3. Any flag shown alone belongs to some tool.
  for (const span of readme.matchAll(/`(-[^`]*)`/g)) {
    for (const flag of span[1]!.split("/")) {
      const word = flag.split(" ")[0]!;
      if (NOT_OURS.test(word)) continue;
      const whys = [...tables.values()].map((table) => refusal([word], table));
      if (whys.every((why) => why?.startsWith("Unknown option"))) {
        problems.push(`\`${word}\`: in no tool's table`);
      }
    }
  }
  assertEquals(problems, []);
});

Deno.test("the version has one source: deno.json, which the CHANGELOG's newest entry and README's archives name", async () => {
  const { version } = JSON.parse(await read("deno.json"));
  const { VERSION } = await import("../lib/cli/version.ts");
  assertEquals(VERSION, version);
  const newest = /^## (\d+\.\d+\.\d+)/m.exec(await read("CHANGELOG.md"))?.[1];
  assertEquals(newest, version, "a release adds its CHANGELOG entry and bumps deno.json's version");
  const archives = [...(await read("README.md")).matchAll(/socketkit-(\d+\.\d+\.\d+)-/g)];
  assert(archives.length > 0);
  for (const m of archives) assertEquals(m[1], version);
});

Deno.test("README's library table names every value mod.ts exports, and the serveStream example shows the real ServeStats", async () => {
  const readme = await read("README.md");
  const start = readme.indexOf("| export ");
  assert(start >= 0, "README has no library table");
  const table = readme.slice(start, readme.indexOf("\n\n", start));
  const listed = new Set(
    [...table.matchAll(/^\|([^|]*)\|/gm)].flatMap((m) =>
      [...m[1]!.matchAll(/`(\w+)`/g)].map((n) => n[1]!)
    ),
  );
  const mod = await import("../mod.ts");
  const missing = Object.keys(mod).filter((name) => !listed.has(name));
  assertEquals(missing, [], "exports of mod.ts the README's table does not list");
  // The comment under `console.log(await serving)` is what serveStream really returns.
  const m = /console\.log\(await serving\);\n\/\/ (\{[^\n]*\})/.exec(readme);
  assert(m, "no serveStream result shown");
  const shown = [...m[1]!.matchAll(/(\w+):/g)].map((k) => k[1]!);
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const stats = await mod.serveStream(listener, {
    handler: mod.greeting(new Uint8Array(0)),
    signal: AbortSignal.abort(),
  });
  assertEquals(shown, Object.keys(stats));
});
