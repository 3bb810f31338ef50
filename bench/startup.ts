// One-shot start-up: each one-shot tool against a bare Deno script that makes the same call,
// with the module cache warm, timed by hyperfine (warm-up runs, then the median), else by a
// loop of our own. Standalone: deno run -A bench/startup.ts
import {
  denoRun,
  freePort,
  hasCommand,
  percentile,
  ROOT,
  spawn,
  stop,
  waitForTcp,
} from "./_bench_tools.ts";

/** Rounds the runs are split into. */
const ROUNDS = 6;

/** A tool's run and the bare script it is held to, their medians and the ratio. */
export interface StartupRow {
  name: string;
  toolMs: number;
  bareMs: number;
  ratio: number;
}

/** What {@linkcode benchStartup} returns. */
export interface Startup {
  /** `hyperfine` or `loop` (when hyperfine is not installed). */
  timer: string;
  runs: number;
  rows: StartupRow[];
}

/**
 * Each command's run times in milliseconds: `runs` runs after one warm-up, by hyperfine when
 * it is installed, else by a loop of our own (which adds its own spawn time to each alike).
 */
async function times(commands: string[][], runs: number): Promise<number[][]> {
  if (hasCommand("hyperfine")) {
    const json = await Deno.makeTempFile({ suffix: ".json" });
    try {
      const quoted = commands.map((argv) => argv.map((a) => `'${a}'`).join(" "));
      const res = await new Deno.Command("hyperfine", {
        args: ["-N", "--warmup", "1", "--runs", String(runs), "--export-json", json, ...quoted],
        stdout: "null",
        stderr: "piped",
      }).output();
      if (!res.success) throw new Error(new TextDecoder().decode(res.stderr));
      const { results } = JSON.parse(await Deno.readTextFile(json));
      return results.map((r: { times: number[] }) => r.times.map((t) => t * 1000));
    } finally {
      await Deno.remove(json).catch(() => {});
    }
  }
  const out: number[][] = commands.map(() => []);
  for (let i = 0; i <= runs; i++) {
    for (const [k, argv] of commands.entries()) {
      const t0 = performance.now();
      await new Deno.Command(argv[0]!, { args: argv.slice(1), stdout: "null", stderr: "null" })
        .output();
      if (i > 0) out[k]!.push(performance.now() - t0);
    }
  }
  return out;
}

/**
 * Times `client -z` against an open port, the client fetching the greeting, and a one-shot
 * `talker`, each beside the bare script that does the same connect, read or send.
 *
 * @param runs Runs per command, in all.
 * @returns The rows.
 */
export async function benchStartup(runs = 30): Promise<Startup> {
  const port = freePort();
  const server = spawn(denoRun("cmd/server.ts", "-q", "-H", "::1", "-p", String(port)));
  try {
    await waitForTcp(port);
    const pairs: [string, string[], string[]][] = [
      [
        "client -z (port check)",
        denoRun("cmd/client.ts", "-z", "-p", String(port), "::1"),
        denoRun("bench/peers/bare_connect.ts", String(port)),
      ],
      [
        "talker ::1 hi (one datagram)",
        denoRun("cmd/talker.ts", "::1", "hi"),
        denoRun("bench/peers/bare_send.ts", "4950"),
      ],
      [
        "client ::1 (greeting)",
        denoRun("cmd/client.ts", "-p", String(port), "::1"),
        denoRun("bench/peers/bare_client.ts", String(port)),
      ],
    ];
    // Short rounds, each pair side by side, so that the load of the machine, which drifts,
    // weighs on a tool and its bare script alike; the medians are over all rounds.
    const pooled = pairs.map(() => [[] as number[], [] as number[]]);
    for (let round = 0; round < ROUNDS; round++) {
      for (const [i, [, tool, bare]] of pairs.entries()) {
        const [t, b] = await times([tool, bare], Math.ceil(runs / ROUNDS));
        pooled[i]![0]!.push(...t!);
        pooled[i]![1]!.push(...b!);
      }
    }
    const median = (xs: number[]) => percentile(xs.sort((a, b) => a - b), 0.5);
    return {
      timer: hasCommand("hyperfine") ? "hyperfine" : "loop",
      runs: pooled[0]![0]!.length,
      rows: pairs.map(([name], i) => {
        const toolMs = median(pooled[i]![0]!);
        const bareMs = median(pooled[i]![1]!);
        return { name, toolMs, bareMs, ratio: toolMs / bareMs };
      }),
    };
  } finally {
    await stop(server);
  }
}

if (import.meta.main) {
  const { timer, runs, rows } = await benchStartup(Number(Deno.args[0] ?? 30));
  console.log(
    `one-shot start-up (${timer}, median of ${runs} runs each, in ${ROUNDS} rounds, module cache warm; ${ROOT})`,
  );
  for (const r of rows) {
    console.log(
      `${r.name.padEnd(30)} ${r.toolMs.toFixed(1).padStart(6)} ms  bare ${
        r.bareMs.toFixed(1).padStart(6)
      } ms  × ${r.ratio.toFixed(2)}`,
    );
  }
}
