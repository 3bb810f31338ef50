// The views' cost: `listener -k --json` against `listener -k` (lines to a file) at 100k
// datagrams/s, and `server --json` against the server's human lines, each receiving the
// same load. Standalone: `deno run --allow-all bench/views.ts [--quick]`; bench.ts can call
// `benchViews()` and print its rows.
import {
  compileFlood,
  cpuTicks,
  denoRun,
  freePort,
  ROOT,
  sleep,
  spawn,
  stop,
  udpDrops,
} from "./_bench_tools.ts";

const CLK_TCK = 100;

/** One view's figures for one tool. */
export interface ViewRow {
  /** `listener -k` or `server`. */
  tool: string;
  /** `human` or `json`. */
  view: "human" | "json";
  /** Offered load: datagrams/s (listener) or concurrent connections (server). */
  offered: number;
  /** What arrived and was reported: datagrams or connections served. */
  done: number;
  /** Of what was sent, per second of the run. */
  perSec: number;
  /** The tool's CPU seconds per second of the run. */
  cpu: number;
  /** Microseconds of the tool's CPU per datagram or connection. */
  cpuMicros: number;
  /** Kernel receive-queue drops (listener), when /proc can be read. */
  kernelDrops: number | null;
}

/** Options for {@linkcode benchViews}. */
export interface ViewBenchOptions {
  /** Trials per row; the median (by `done`) is kept. @default {3} */
  trials?: number;
  /** Seconds of load per trial. @default {2} */
  seconds?: number;
  /** Datagrams per second offered to the listener. @default {100000} */
  rate?: number;
  /** Concurrent connections offered to the server. @default {32} */
  concurrency?: number;
}

/**
 * Measures the human and JSON views of the listener and the server under the same load.
 *
 * @param options Trials, duration, rate and concurrency.
 * @returns One row per tool and view (listener rows only when a C compiler builds the sender).
 */
export async function benchViews(options: ViewBenchOptions = {}): Promise<ViewRow[]> {
  const trials = options.trials ?? 3;
  const seconds = options.seconds ?? 2;
  const rows: ViewRow[] = [];
  const tmp = await Deno.makeTempDir({ prefix: "bench-views-" });
  try {
    const flood = await compileFlood(`${ROOT}bench/peers/udp_flood.c`, `${tmp}/udp_flood`);
    for (const view of ["human", "json"] as const) {
      const runs: ViewRow[] = [];
      for (let i = 0; i < trials; i++) {
        if (flood) {
          runs.push(await listenerTrial(flood, view, options.rate ?? 100_000, seconds, tmp));
        }
      }
      if (runs.length) rows.push(median(runs));
      const served: ViewRow[] = [];
      for (let i = 0; i < trials; i++) {
        served.push(await serverTrial(view, options.concurrency ?? 32, seconds, tmp));
      }
      rows.push(median(served));
    }
  } finally {
    await Deno.remove(tmp, { recursive: true });
  }
  return rows;
}

function median(rows: ViewRow[]): ViewRow {
  return [...rows].sort((a, b) => a.done - b.done)[Math.floor(rows.length / 2)]!;
}

async function listenerTrial(
  flood: string,
  view: "human" | "json",
  rate: number,
  seconds: number,
  tmp: string,
): Promise<ViewRow> {
  const port = freePort("udp");
  const file = `${tmp}/listener-${view}.out`;
  const args = ["-k", "-p", String(port), ...(view === "json" ? ["--json"] : [])];
  const proc = spawn(denoRun("cmd/listener.ts", ...args), file);
  try {
    await sleep(400);
    const drops0 = udpDrops(port);
    const cpu0 = cpuTicks(proc.pid);
    const t0 = performance.now();
    const sender = await new Deno.Command(flood, {
      args: ["::1", String(port), String(rate), String(Math.round(rate * seconds)), "32"],
      stdout: "piped",
    }).output();
    await sleep(300);
    const wall = (performance.now() - t0) / 1000;
    const cpu = (cpuTicks(proc.pid) - cpu0) / CLK_TCK;
    const drops = udpDrops(port);
    const sent = Number(/sent (\d+)/.exec(new TextDecoder().decode(sender.stdout))?.[1] ?? 0);
    proc.child.kill("SIGINT");
    await proc.child.status;
    const said = await Deno.readTextFile(file);
    const done = Number(
      (view === "json" ? /"datagrams":(\d+)/ : /received (\d+) datagrams/).exec(said)?.[1] ?? NaN,
    );
    console.error(`bench views: listener ${view} at ${rate}/s: ${done}/${sent}`);
    return {
      tool: "listener -k",
      view,
      offered: rate,
      done,
      perSec: done / (wall - 0.3),
      cpu: cpu / wall,
      cpuMicros: cpu * 1e6 / done,
      kernelDrops: drops === undefined || drops0 === undefined ? null : drops - drops0,
    };
  } finally {
    await stop(proc);
  }
}

async function serverTrial(
  view: "human" | "json",
  concurrency: number,
  seconds: number,
  tmp: string,
): Promise<ViewRow> {
  const port = freePort("tcp", "::1");
  const file = `${tmp}/server-${view}.out`;
  const args = ["-H", "::1", "-p", String(port), ...(view === "json" ? ["--json"] : [])];
  const proc = spawn(denoRun("cmd/server.ts", ...args), file);
  try {
    await waitFor(port);
    const cpu0 = cpuTicks(proc.pid);
    const t0 = performance.now();
    const end = t0 + seconds * 1000;
    let count = 0;
    const buf = new Uint8Array(64);
    await Promise.all(Array.from({ length: concurrency }, async () => {
      while (performance.now() < end) {
        try {
          const conn = await Deno.connect({ hostname: "::1", port });
          try {
            while (await conn.read(buf) !== null) { /* until the server closes */ }
            count++;
          } finally {
            conn.close();
          }
        } catch { /* counted as not done */ }
      }
    }));
    const wall = (performance.now() - t0) / 1000;
    const cpu = (cpuTicks(proc.pid) - cpu0) / CLK_TCK;
    proc.child.kill("SIGTERM");
    await proc.child.status;
    const said = await Deno.readTextFile(file);
    const done = Number(
      (view === "json" ? /"served":(\d+)/ : /stopped: (\d+) served/).exec(said)?.[1] ?? NaN,
    );
    console.error(`bench views: server ${view} x${concurrency}: ${done} served (${count} seen)`);
    return {
      tool: "server",
      view,
      offered: concurrency,
      done,
      perSec: done / wall,
      cpu: cpu / wall,
      cpuMicros: cpu * 1e6 / done,
      kernelDrops: null,
    };
  } finally {
    await stop(proc);
  }
}

async function waitFor(port: number): Promise<void> {
  for (let i = 0; i < 300; i++) {
    try {
      (await Deno.connect({ hostname: "::1", port })).close();
      return;
    } catch {
      await sleep(50);
    }
  }
  throw new Error(`server on [::1]:${port} never answered`);
}

if (import.meta.main) {
  const quick = Deno.args.includes("--quick");
  const rows = await benchViews(quick ? { trials: 1, seconds: 1 } : {});
  console.log("| tool | view | offered | done | per s | CPU (s/s) | CPU µs each | kernel drops |");
  console.log("|---|---|---|---|---|---|---|---|");
  for (const r of rows) {
    console.log(
      `| ${r.tool} | ${r.view} | ${r.offered} | ${r.done} | ${Math.round(r.perSec)} | ${
        r.cpu.toFixed(2)
      } | ${r.cpuMicros.toFixed(1)} | ${r.kernelDrops ?? "-"} |`,
    );
  }
  for (const tool of new Set(rows.map((r) => r.tool))) {
    const human = rows.find((r) => r.tool === tool && r.view === "human");
    const json = rows.find((r) => r.tool === tool && r.view === "json");
    if (human && json) {
      const pct = (json.done / human.done - 1) * 100;
      console.log(`${tool}: --json did ${pct >= 0 ? "+" : ""}${pct.toFixed(1)}% of human's count`);
    }
  }
}
