/**
 * Builds the four tools as standalone executables with `deno compile`, each with exactly
 * the permissions it needs.
 *
 *     deno task compile              # the host's target, into dist/<target>/
 *     deno task compile:all          # every release target
 *     deno run -A scripts/compile.ts --target aarch64-apple-darwin
 *
 * `deno compile` needs its runtime, `denort`, for each target, which it downloads from
 * Deno's servers. Where that host cannot be reached, provide it: `DENORT_BIN=/path/to/denort`
 * (a runtime for the host's target), or the release zip in Deno's cache
 * (`$DENO_DIR/dl/release/v<version>/denort-<target>.zip`). Without either, the build stops
 * with one line that says what is missing and exits 2.
 *
 * @module
 */

/** The release targets, as `deno compile --target` names them. */
export const TARGETS: readonly string[] = [
  "x86_64-unknown-linux-gnu",
  "aarch64-unknown-linux-gnu",
  "x86_64-apple-darwin",
  "aarch64-apple-darwin",
  "x86_64-pc-windows-msvc",
];

/** Each tool's binary name and the permission flags baked into it. */
export const BINARIES: Readonly<Record<string, { binary: string; flags: readonly string[] }>> = {
  server: { binary: "sk-server", flags: ["--allow-net", "--no-prompt"] },
  client: { binary: "sk-client", flags: ["--allow-net", "--no-prompt"] },
  listener: { binary: "sk-listener", flags: ["--allow-net", "--no-prompt"] },
  talker: { binary: "sk-talker", flags: ["--allow-net", "--no-prompt"] },
};

const ROOT = new URL("../", import.meta.url).pathname;

/**
 * The `deno compile` arguments for one tool and target.
 *
 * @param tool `server`, `client`, `listener` or `talker`.
 * @param target A `deno compile --target` value.
 * @param outDir Where the binary goes.
 * @param flags The permission flags (the tool's own by default).
 * @returns The arguments after `deno`.
 */
export function compileArgs(
  tool: string,
  target: string,
  outDir: string,
  flags: readonly string[] = BINARIES[tool]!.flags,
): string[] {
  const { binary } = BINARIES[tool]!;
  return [
    "compile",
    "--quiet",
    `--config=${ROOT}deno.json`,
    "--unstable-net",
    ...flags,
    `--target=${target}`,
    ...(tool === "server" ? [`--include=${ROOT}lib/tools/server_worker.ts`] : []),
    `--output=${outDir}/${binary}${target.includes("windows") ? ".exe" : ""}`,
    `${ROOT}cmd/${tool}.ts`,
  ];
}

/** The host's target, as `deno compile --target` names it. */
export function hostTarget(): string {
  return Deno.build.target;
}

/**
 * Why `deno compile` cannot build `target` here, or undefined when it can: DENORT_BIN is
 * set (host target only), or the runtime's zip is in Deno's cache.
 *
 * @param target A `deno compile --target` value.
 * @returns The missing piece, in one line, or undefined.
 */
export async function missingRuntime(target: string): Promise<string | undefined> {
  const denort = Deno.env.get("DENORT_BIN");
  if (denort && target === hostTarget()) {
    try {
      await Deno.stat(denort);
      return undefined;
    } catch {
      return `DENORT_BIN=${denort} does not exist`;
    }
  }
  const zip = `${await denoDir()}/dl/release/v${Deno.version.deno}/denort-${target}.zip`;
  try {
    await Deno.stat(zip);
    return undefined;
  } catch {
    return `deno compile needs its runtime for ${target}, which cannot be downloaded here: ` +
      (target === hostTarget() ? "set DENORT_BIN=/path/to/denort, or " : "") +
      `put denort-${target}.zip in ${zip.slice(0, zip.lastIndexOf("/"))}/`;
  }
}

async function denoDir(): Promise<string> {
  const out = await new Deno.Command(Deno.execPath(), { args: ["info", "--json"], stdout: "piped" })
    .output();
  return JSON.parse(new TextDecoder().decode(out.stdout)).denoDir;
}

/**
 * What a build would do, as JSON on stdout (`--plan [--out DIR]`): the targets, the host's,
 * why its runtime is missing (or null), and each tool's binary, flags and `deno compile`
 * arguments. The tests read the build from here, as a user would, instead of importing it.
 */
async function plan(outDir: string): Promise<void> {
  const host = hostTarget();
  const binaries = Object.fromEntries(
    Object.entries(BINARIES).map((
      [tool, b],
    ) => [tool, { ...b, args: compileArgs(tool, host, outDir) }]),
  );
  const missing = (await missingRuntime(host)) ?? null;
  console.log(JSON.stringify({ targets: TARGETS, host, missing, binaries }));
}

async function main(): Promise<number> {
  const args = Deno.args;
  if (args.includes("--plan")) {
    await plan(
      args.includes("--out") ? args[args.indexOf("--out") + 1]! : `${ROOT}dist/${hostTarget()}`,
    );
    return 0;
  }
  const targets = args.includes("--all")
    ? [...TARGETS]
    : args.includes("--target")
    ? [args[args.indexOf("--target") + 1]!]
    : [hostTarget()];
  let built = 0;
  for (const target of targets) {
    const missing = await missingRuntime(target);
    if (missing) {
      console.log(`compile: skipped ${target}: ${missing}`);
      continue;
    }
    const outDir = `${ROOT}dist/${target}`;
    for (const tool of Object.keys(BINARIES)) {
      const res = await new Deno.Command(Deno.execPath(), {
        args: compileArgs(tool, target, outDir),
      }).output();
      if (!res.success) {
        console.log(
          `compile: ${tool} for ${target} failed:\n${new TextDecoder().decode(res.stderr)}`,
        );
        return 1;
      }
      built++;
    }
    console.log(
      `compile: ${target}: ${
        Object.values(BINARIES).map((b) => b.binary).join(", ")
      } in dist/${target}/`,
    );
  }
  return built > 0 ? 0 : 2;
}

if (import.meta.main) Deno.exit(await main());
