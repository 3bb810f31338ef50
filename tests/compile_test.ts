// The single-binary path, as far as this machine allows: the targets and permission flags
// are checked here always; the compiled binaries are built and run only where deno compile
// has its runtime (DENORT_BIN or Deno's cache), and the test says "skipped: <reason>" otherwise.
import { assert, assertEquals, assertMatch } from "./_assert.ts";
import { text } from "./_tools.ts";

/** What `scripts/compile.ts --plan` says a build does: read as a user would, not imported. */
interface Plan {
  targets: string[];
  host: string;
  missing: string | null;
  binaries: Record<string, { binary: string; flags: string[]; args: string[] }>;
}

async function buildPlan(outDir = "/tmp/out"): Promise<Plan> {
  const script = new URL("../scripts/compile.ts", import.meta.url).pathname;
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["run", "--allow-read", "--allow-env", "--allow-run", script, "--plan", "--out", outDir],
    stdout: "piped",
    stderr: "piped",
  }).output();
  assert(out.success, text(out.stderr));
  return JSON.parse(text(out.stdout));
}

const { targets: TARGETS, host, missing: missingReason, binaries: BINARIES } = await buildPlan();

Deno.test("every release target is one that deno compile --target accepts", async () => {
  // An invalid target makes deno compile list the valid ones, before it downloads anything.
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["compile", "--target", "no-such-target", "mod.ts"],
    env: { NO_COLOR: "1" },
    stdout: "piped",
    stderr: "piped",
  }).output();
  const listed = /possible values: ([^\n]+)/.exec(text(out.stderr));
  assert(listed, text(out.stderr));
  const valid = listed[1]!.split(",").map((t) => t.trim());
  for (const target of TARGETS) assert(valid.includes(target), `${target} not in ${valid}`);
});

Deno.test("each binary is built with exactly the permissions the README documents", async () => {
  const readme = await Deno.readTextFile(new URL("../README.md", import.meta.url));
  for (const [tool, { binary, flags }] of Object.entries(BINARIES)) {
    const row = new RegExp(`\\|\\s*\`${binary}\`\\s*\\|\\s*${tool}\\s*\\|\\s*\`([^\`]+)\`\\s*\\|`)
      .exec(readme);
    assert(row, `README has no row for ${binary}`);
    assertEquals(row[1], flags.join(" "));
    const args = BINARIES[tool]!.args;
    for (const f of flags) assert(args.includes(f));
    assert(
      !args.some((a) => /^--allow-(read|write|env|run|sys|ffi|all)|^-A$/.test(a)),
      args.join(" "),
    );
    assert(args.includes("--unstable-net"));
  }
});

const missing = missingReason ?? undefined;
if (missing) console.log(`skipped: compiled-binary tests: ${missing}`);

Deno.test({
  name: "compiled server and client talk to each other with no Deno installed",
  ignore: missing !== undefined,
  async fn() {
    const dir = await Deno.makeTempDir();
    try {
      const plan = await buildPlan(dir);
      for (const tool of ["server", "client"]) {
        const res = await new Deno.Command(Deno.execPath(), { args: plan.binaries[tool]!.args })
          .output();
        assert(res.success, text(res.stderr));
      }
      // No deno on PATH, an empty Deno cache: the binaries carry everything.
      const env = { PATH: "/usr/bin:/bin", DENO_DIR: `${dir}/empty`, HOME: dir };
      const server = new Deno.Command(`${dir}/sk-server`, {
        args: ["-p", "0", "-H", "127.0.0.1"],
        env,
        clearEnv: true,
        stdout: "piped",
      }).spawn();
      const reader = server.stdout.pipeThrough(new TextDecoderStream()).getReader();
      let said = "";
      while (!/listening on .*:(\d+)\n/.test(said)) said += (await reader.read()).value ?? "";
      const port = /listening on .*:(\d+)\n/.exec(said)![1]!;
      const client = await new Deno.Command(`${dir}/sk-client`, {
        args: ["-p", port, "127.0.0.1"],
        env,
        clearEnv: true,
      }).output();
      assertEquals(
        text(client.stdout),
        "client: connecting to 127.0.0.1\nclient: received 'Hello, world!'\n",
      );
      const version = await new Deno.Command(`${dir}/sk-client`, {
        args: ["--version"],
        env,
        clearEnv: true,
      })
        .output();
      assertMatch(
        text(version.stdout),
        new RegExp(`^client \\(socketkit .*\\) deno .* ${host}\\n$`),
      );
      server.kill("SIGTERM");
      reader.releaseLock();
      await server.stdout.cancel();
      assertEquals((await server.status).code, 0);
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  },
});

Deno.test({
  name: "a compiled binary refuses network access outside what it was granted, without a prompt",
  ignore: missing !== undefined,
  async fn() {
    const dir = await Deno.makeTempDir();
    try {
      const res = await new Deno.Command(Deno.execPath(), {
        args: (await buildPlan(dir)).binaries.client!.args
          .map((a) => a === "--allow-net" ? "--allow-net=127.0.0.1" : a),
      }).output();
      assert(res.success, text(res.stderr));
      const out = await new Deno.Command(`${dir}/sk-client`, { args: ["::1"], stdin: "null" })
        .output();
      assertEquals(out.code, 4);
      assertMatch(text(out.stderr), /permission denied: run again with --allow-net=\[::1\]:3490/);
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  },
});
