// The dialer's time to connect when a name's first address is black-holed: one after the
// other (the original's loop, with Go's share of the deadline), racing (Happy Eyeballs v2)
// and Deno.connect's own, over a private /etc/hosts. Standalone: deno run -A bench/dial.ts
import { percentile, ROOT } from "./_bench_tools.ts";
import { blackHole, canBlackHole } from "../testing/black_hole.ts";
import { privateHostsUnavailable, withHosts } from "../testing/private_hosts.ts";

/** One way of connecting, its median and range in milliseconds over `runs` dials. */
export interface DialRow {
  name: string;
  runs: number;
  medianMs: number;
  minMs: number;
  maxMs: number;
}

const MODES: [string, string][] = [
  ["Dialer, one after the other (10 s deadline)", "sequential"],
  ["Dialer, racing (250 ms delay)", "race"],
  ["Deno.connect(hostname)", "deno"],
];

/**
 * Measures each way of connecting to a name whose first address (::1) is black-holed and
 * whose second (127.0.0.1) accepts.
 *
 * @param runs Dials per way.
 * @returns One row per way, or the reason it cannot run here.
 */
export async function benchDial(runs = 3): Promise<DialRow[] | string> {
  const unavailable = privateHostsUnavailable();
  if (unavailable) return unavailable;
  if (!canBlackHole) return "python3 is not installed";
  await using hole = await blackHole("::1");
  using server = Deno.listen({ hostname: "127.0.0.1", port: hole.port });
  const accepting = (async () => {
    for await (const conn of server) conn.close();
  })().catch(() => {});
  const hosts = await Deno.makeTempFile({ suffix: ".hosts" });
  const rows: DialRow[] = [];
  try {
    await Deno.writeTextFile(hosts, "::1 bh.test\n127.0.0.1 bh.test\n");
    for (const [name, mode] of MODES) {
      const [cmd, ...args] = [
        ...withHosts(hosts),
        Deno.execPath(),
        "run",
        "--quiet",
        `--config=${ROOT}deno.json`,
        "--allow-net",
        `${ROOT}bench/peers/dial_timer.ts`,
        mode,
        "bh.test",
        String(hole.port),
        String(runs),
      ];
      const out = await new Deno.Command(cmd!, { args, stdout: "piped", stderr: "piped" })
        .output();
      if (!out.success) return `${mode}: ${new TextDecoder().decode(out.stderr).trim()}`;
      const ms: number[] = JSON.parse(new TextDecoder().decode(out.stdout));
      const sorted = [...ms].sort((a, b) => a - b);
      rows.push({
        name,
        runs,
        medianMs: percentile(sorted, 0.5),
        minMs: sorted[0]!,
        maxMs: sorted.at(-1)!,
      });
    }
  } finally {
    await Deno.remove(hosts);
    server.close();
    await accepting;
  }
  return rows;
}

if (import.meta.main) {
  const rows = await benchDial(Number(Deno.args[0] ?? 3));
  if (typeof rows === "string") console.log(`dial: skipped: ${rows}`);
  else {
    for (const r of rows) {
      console.log(
        `${r.name}: median ${r.medianMs.toFixed(0)} ms (min ${r.minMs.toFixed(0)}, max ${
          r.maxMs.toFixed(0)
        }) over ${r.runs} dials`,
      );
    }
  }
}
