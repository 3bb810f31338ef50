// deno task bench: the tools as a user runs them, over loopback, side by side with real peers,
// bounded in time. Prints one table with ratios and writes bench/results/latest.json,
// bench/results/table.md and bench/results/chart.svg.
//
// Environment: BENCH_SECONDS (per stream run, default 3), BENCH_QUICK=1 (shorter runs).
import { chartSvg } from "./chart.ts";
import { benchDial } from "./dial.ts";
import { benchTls, benchTlsEcho } from "./tls.ts";
import { echoThroughput, udpPingRtt } from "./echo.ts";
import { benchUnix } from "./unix.ts";
import { benchViews } from "./views.ts";
import { benchStartup } from "./startup.ts";
import type { DgramRow, StreamRow } from "./_rows.ts";
import {
  compileFlood,
  cpuTicks,
  denoRun,
  freePort,
  hasCommand,
  memoryKiB,
  percentile,
  type Proc,
  ROOT,
  sleep,
  spawn,
  stop,
  udpDrops,
  waitForTcp,
} from "./_bench_tools.ts";

const RESULTS = `${ROOT}bench/results/`;
const QUICK = Deno.env.get("BENCH_QUICK") === "1";
const SECONDS = Number(Deno.env.get("BENCH_SECONDS") ?? (QUICK ? 1 : 3));
const CLK_TCK = 100;

await Deno.mkdir(RESULTS, { recursive: true });
const skipped: string[] = [];
const results: Record<string, unknown> = {
  machine: {
    cores: navigator.hardwareConcurrency,
    deno: Deno.version.deno,
    os: `${Deno.build.os} ${Deno.build.arch}`,
    cpu: (await Deno.readTextFile("/proc/cpuinfo").catch(() => "")).match(/model name\s*:\s*(.*)/)
      ?.[1] ?? "unknown",
    date: new Date().toISOString(),
  },
};

// ---------------------------------------------------------------- stream servers
interface StreamSpec {
  name: string;
  argv: (port: number) => string[];
  needs?: string;
  forking?: boolean;
  /** Send the server's stdout to a file (the per-connection lines are printed). */
  toFile?: boolean;
}
const outFile = `${RESULTS}server-output.tmp`;
const streamSpecs: StreamSpec[] = [
  { name: "socketkit server -q", argv: (p) => denoRun("cmd/server.ts", "-q", "-p", String(p)) },
  {
    name: "socketkit server (lines to file)",
    argv: (p) => denoRun("cmd/server.ts", "-p", String(p)),
    toFile: true,
  },
  {
    name: "socketkit server --workers 2 -q",
    // Worker threads load their modules from lib/, hence the read permission.
    argv: (p) =>
      denoRun("cmd/server.ts", "-q", "--workers", "2", "-p", String(p))
        .toSpliced(4, 0, `--allow-read=${ROOT}lib`),
  },
  {
    name: "plain Deno accept loop",
    argv: (p) => denoRun("bench/peers/plain_server.ts", String(p)),
  },
  {
    name: "Node net server",
    argv: (p) => ["node", `${ROOT}bench/peers/node_server.mjs`, String(p)],
    needs: "node",
  },
  {
    name: "socat fork",
    argv: (
      p,
    ) => ["socat", "-U", `TCP6-LISTEN:${p},fork,reuseaddr`, 'SYSTEM:"printf \\"Hello, world!\\""'],
    needs: "socat",
    forking: true,
  },
  {
    name: "ncat -k",
    argv: (p) => ["ncat", "-lk", "--send-only", "-c", "printf 'Hello, world!'", "::", String(p)],
    needs: "ncat",
    forking: true,
  },
];

interface LoadResult {
  count: number;
  errors: number;
  wrong: number;
  seconds: number;
  latencies: number[];
  generatorCpu: number;
}

/** Runs the load from 2 worker threads, `concurrency` connections at once in all. */
async function load(port: number, concurrency: number, seconds: number): Promise<LoadResult> {
  const threads = concurrency === 1 ? 1 : 2;
  const cpu0 = cpuTicks(Deno.pid);
  const t0 = performance.now();
  const parts = await Promise.all(
    Array.from(
      { length: threads },
      (_, i) =>
        new Promise<{ count: number; errors: number; wrong: number; latencies: number[] }>(
          (resolve) => {
            const w = new Worker(new URL("./load_worker.ts", import.meta.url), { type: "module" });
            w.onmessage = (e) => resolve(e.data);
            w.postMessage({
              hostname: "::1",
              port,
              concurrency: Math.ceil(concurrency / threads) - (i && concurrency % threads ? 1 : 0),
              durationMs: seconds * 1000,
              expect: 13,
            });
          },
        ),
    ),
  );
  const wall = (performance.now() - t0) / 1000;
  const generatorCpu = (cpuTicks(Deno.pid) - cpu0) / CLK_TCK / wall;
  return {
    count: parts.reduce((a, p) => a + p.count, 0),
    errors: parts.reduce((a, p) => a + p.errors, 0),
    wrong: parts.reduce((a, p) => a + p.wrong, 0),
    seconds: wall,
    latencies: parts.flatMap((p) => p.latencies).sort((a, b) => a - b),
    generatorCpu,
  };
}

const streamRows: StreamRow[] = [];

// Every server is started at once (each on its own port; an idle one costs nothing), then
// measured in turns, TRIALS times round-robin, so that drift on the machine hits all alike;
// each figure is the median of the trials.
const TRIALS = QUICK ? 1 : 3;
const median = (xs: number[]) => percentile([...xs].sort((a, b) => a - b), 0.5);
const running: {
  spec: StreamSpec;
  port: number;
  proc: Proc;
  trials: LoadResult[];
  cpu: number[];
}[] = [];
for (const spec of streamSpecs) {
  if (spec.needs && !hasCommand(spec.needs)) {
    skipped.push(`${spec.name}: ${spec.needs} is not installed`);
    continue;
  }
  const port = freePort();
  const proc = spawn(spec.argv(port), spec.toFile ? outFile : undefined);
  try {
    await waitForTcp(port);
    await load(port, 8, 0.3); // warm-up
    running.push({ spec, port, proc, trials: [], cpu: [] });
  } catch (err) {
    skipped.push(
      `${spec.name}: ${err instanceof Error ? err.message : err} (${await proc.stderr()})`,
    );
    await stop(proc);
  }
}
for (let trial = 0; trial < TRIALS; trial++) {
  for (const s of running) {
    const seconds = s.spec.forking ? Math.min(SECONDS, 2) : SECONDS;
    if (s.spec.forking && trial > 0) continue; // one trial is plenty for a forking server
    const cpu0 = cpuTicks(s.proc.pid, true);
    const r = await load(s.port, 64, seconds);
    s.cpu.push((cpuTicks(s.proc.pid, true) - cpu0) / CLK_TCK * 1e6 / Math.max(1, r.count));
    s.trials.push(r);
    console.error(`bench: ${s.spec.name}: ${Math.round(r.count / r.seconds)} conns/s`);
  }
}
for (const s of running) {
  const one = await load(s.port, 1, Math.min(SECONDS, 2));
  const all = s.trials.flatMap((t) => t.latencies).sort((a, b) => a - b);
  streamRows.push({
    name: s.spec.name,
    connsPerSec: median(s.trials.map((t) => t.count / t.seconds)),
    p50us: percentile(all, 0.5),
    p99us: percentile(all, 0.99),
    lat1p50us: percentile(one.latencies, 0.5),
    lat1p99us: percentile(one.latencies, 0.99),
    cpuUsPerConn: median(s.cpu),
    peakKiB: memoryKiB(s.proc.pid, "VmHWM"),
    errors: s.trials.reduce((a, t) => a + t.errors, 0) + one.errors,
    wrong: s.trials.reduce((a, t) => a + t.wrong, 0) + one.wrong,
    generatorCpuPct: median(s.trials.map((t) => t.generatorCpu)) * 100,
  });
  await stop(s.proc);
}
await Deno.remove(outFile).catch(() => {});
results.stream = streamRows;

// ---------------------------------------------------------------- memory with idle clients
async function idleMemory(): Promise<Record<string, number>> {
  const port = freePort();
  const proc = spawn(denoRun("cmd/server.ts", "-q", "-p", String(port)));
  const out: Record<string, number> = {};
  try {
    await waitForTcp(port);
    out.startKiB = memoryKiB(proc.pid, "VmRSS");
    for (let round = 1; round <= 3; round++) {
      const conns: Deno.TcpConn[] = [];
      for (let i = 0; i < 1000; i++) conns.push(await Deno.connect({ hostname: "::1", port }));
      await sleep(100);
      out[`round${round}ConnectedKiB`] = memoryKiB(proc.pid, "VmRSS");
      for (const c of conns) c.close();
      await sleep(1500);
      out[`round${round}AfterKiB`] = memoryKiB(proc.pid, "VmRSS");
    }
  } finally {
    await stop(proc);
  }
  return out;
}
results.idleMemory = await idleMemory();

// ---------------------------------------------------------------- datagrams
interface DgramSpec {
  name: string;
  argv: (port: number) => string[];
  toFile?: boolean;
}
const dgramSpecs: DgramSpec[] = [
  {
    name: "socketkit listener -k (lines to file)",
    argv: (p) => denoRun("cmd/listener.ts", "-k", "-p", String(p)),
    toFile: true,
  },
  {
    name: "socketkit listener -k -q",
    argv: (p) => denoRun("cmd/listener.ts", "-k", "-q", "-p", String(p)),
  },
  {
    name: "plain loop, reused buffer",
    argv: (p) => denoRun("bench/peers/plain_receive.ts", String(p), "reuse"),
  },
  {
    name: "plain loop, buffer per datagram",
    argv: (p) => denoRun("bench/peers/plain_receive.ts", String(p), "alloc"),
  },
];
const rates = QUICK ? [50_000, 200_000] : [50_000, 100_000, 200_000];
const dgramRows: DgramRow[] = [];
const flood = await compileFlood(`${ROOT}bench/peers/udp_flood.c`, `${RESULTS}udp_flood.tmp`);
if (!flood) skipped.push("datagrams: no C compiler (cc) to build the sender");
const dgramOut = `${RESULTS}listener-output.tmp`;
/** One receiver at one rate: start it, offer `rate`/s for up to 2 s, stop it, count. */
async function dgramTrial(spec: DgramSpec, rate: number): Promise<DgramRow> {
  const port = freePort("udp");
  const proc = spawn(spec.argv(port), spec.toFile ? dgramOut : undefined, true);
  try {
    await sleep(400); // bound and waiting
    const drops0 = udpDrops(port);
    const count = Math.round(rate * Math.min(SECONDS, 2));
    const t0 = performance.now();
    const sender = await new Deno.Command(flood!, {
      args: ["::1", String(port), String(rate), String(count), "32"],
      stdout: "piped",
    }).output();
    const seconds = (performance.now() - t0) / 1000;
    const sent = Number(/sent (\d+)/.exec(new TextDecoder().decode(sender.stdout))?.[1] ?? 0);
    await sleep(300);
    const drops = udpDrops(port);
    proc.child.kill("SIGINT");
    await proc.child.status;
    const said = spec.toFile ? await Deno.readTextFile(dgramOut) : await proc.stdout();
    const received = Number(/received (\d+) datagrams/.exec(said)?.[1] ?? NaN);
    console.error(`bench: ${spec.name} at ${rate}/s: ${received}/${sent}`);
    return {
      name: spec.name,
      offered: rate,
      sent,
      received,
      receivedPerSec: received / seconds,
      lossPct: sent ? (1 - received / sent) * 100 : NaN,
      kernelDrops: drops === undefined || drops0 === undefined ? null : drops - drops0,
    };
  } finally {
    await stop(proc);
  }
}

// Trials round-robin over receivers and rates; each row is the trial with the median count.
const dgramTrials = new Map<string, DgramRow[]>();
for (let trial = 0; trial < (flood ? TRIALS : 0); trial++) {
  for (const rate of rates) {
    for (const spec of dgramSpecs) {
      const key = `${spec.name}@${rate}`;
      dgramTrials.set(key, [...dgramTrials.get(key) ?? [], await dgramTrial(spec, rate)]);
    }
  }
}
for (const spec of dgramSpecs) {
  for (const rate of rates) {
    const trials = (dgramTrials.get(`${spec.name}@${rate}`) ?? []).sort((a, b) =>
      a.received - b.received
    );
    if (trials.length) dgramRows.push(trials[Math.floor(trials.length / 2)]!);
  }
}
await Deno.remove(dgramOut).catch(() => {});
results.datagrams = dgramRows;

// ---------------------------------------------------------------- one-shot start-up
// client -z, the client's greeting and a one-shot talker, each beside a bare Deno script that
// makes the same call (bench/startup.ts; hyperfine when installed, module cache warm).
const startup = await benchStartup(QUICK ? 18 : 60);
results.startup = startup;

// ---------------------------------------------------------------- dialing a black hole
const dial = await benchDial(QUICK ? 1 : 3);
if (typeof dial === "string") skipped.push(`dialer: ${dial}`);
else results.dial = dial;

// ---------------------------------------------------------------- TLS handshakes
const tls = await benchTls(QUICK ? 1 : SECONDS);
skipped.push(...tls.skipped);
results.tls = tls.rows;
const tlsEcho = await benchTlsEcho(QUICK ? 1 : 2, QUICK ? 3 : 10);
skipped.push(...tlsEcho.skipped);
results.tlsEcho = tlsEcho.echo;
results.tlsMemory = tlsEcho.memory;

// ---------------------------------------------------------------- echo and UDP ping
const echo = await echoThroughput(QUICK ? 1 : 2);
const ping = await udpPingRtt(50);
results.echo = echo;
results.ping = ping;

// ---------------------------------------------------------------- Unix sockets against TCP
const unix = await benchUnix(QUICK ? 1 : 2);
results.unix = unix;

// ---------------------------------------------------------------- the views' cost
const views = await benchViews(QUICK ? { trials: 1, seconds: 1 } : {});
results.views = views;
results.skipped = skipped;

// ---------------------------------------------------------------- report
const f0 = (n: number) => Number.isFinite(n) ? Math.round(n).toLocaleString("en-US") : "–";
const f1 = (n: number) => Number.isFinite(n) ? n.toFixed(1) : "–";
const f2 = (n: number) => Number.isFinite(n) ? n.toFixed(2) : "–";
const plain = streamRows.find((r) => r.name === "plain Deno accept loop");
const lines: string[] = [];
lines.push(
  `Stream server: ${SECONDS} s at 64 clients at once (2 load threads), then 1 at a time; ` +
    `ratios against the plain Deno loop`,
  "",
  "| server | conns/s | × plain | p50 µs | p99 µs | 1-client p50 µs | CPU µs/conn | × plain | peak RSS MiB | errors | load gen CPU |",
  "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
);
for (const r of streamRows) {
  lines.push(
    `| ${r.name} | ${f0(r.connsPerSec)} | ${
      plain ? f2(r.connsPerSec / plain.connsPerSec) : "–"
    } | ${f0(r.p50us)} | ${f0(r.p99us)} | ${f0(r.lat1p50us)} | ${f1(r.cpuUsPerConn)} | ${
      plain ? f2(r.cpuUsPerConn / plain.cpuUsPerConn) : "–"
    } | ${f1(r.peakKiB / 1024)} | ${r.errors + r.wrong} | ${f0(r.generatorCpuPct)}% |`,
  );
}
const im = results.idleMemory as Record<string, number>;
lines.push(
  "",
  `Server memory (RSS MiB): at start ${f1(im.startKiB! / 1024)}; with 1,000 idle clients ` +
    [1, 2, 3].map((r) =>
      `${f1(im[`round${r}ConnectedKiB`]! / 1024)} → after they leave ${
        f1(im[`round${r}AfterKiB`]! / 1024)
      }`
    ).join("; "),
  "",
  `Datagrams: 32-byte payloads offered by a C sender over ::1 for ${Math.min(SECONDS, 2)} s`,
  "",
  "| receiver | offered/s | sent | received | received/s | loss % | kernel drops | × plain reused |",
  "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
);
for (const r of dgramRows) {
  const base = dgramRows.find((b) =>
    b.name === "plain loop, reused buffer" && b.offered === r.offered
  );
  lines.push(
    `| ${r.name} | ${f0(r.offered)} | ${f0(r.sent)} | ${f0(r.received)} | ${
      f0(r.receivedPerSec)
    } | ${f2(r.lossPct)} | ${r.kernelDrops ?? "–"} | ${
      base ? f2(r.received / base.received) : "–"
    } |`,
  );
}
lines.push(
  "",
  `One-shot start-up (${startup.timer}, median of ${startup.runs} runs each, module cache warm)`,
  "",
  "| run | tool ms | bare script ms | × bare |",
  "| --- | ---: | ---: | ---: |",
  ...startup.rows.map((r) => `| ${r.name} | ${f1(r.toolMs)} | ${f1(r.bareMs)} | ${f2(r.ratio)} |`),
);
if (typeof dial !== "string") {
  lines.push(
    "",
    "Time to connect to a name whose first address (::1) is black-holed and whose second " +
      "(127.0.0.1) accepts (median ms, min–max)",
    "",
    "| dialer | median ms | min–max |",
    "| --- | ---: | ---: |",
    ...dial.map((r) => `| ${r.name} | ${f0(r.medianMs)} | ${f0(r.minMs)}–${f0(r.maxMs)} |`),
  );
}
if (tls.rows.length) {
  const plainTls = tls.rows.find((r) => r.name === "plain Deno TLS loop");
  lines.push(
    "",
    `TLS: ${QUICK ? 1 : SECONDS} s of 16 clients at once over ::1, each a full handshake ` +
      "(TLS 1.3, P-256) and the greeting",
    "",
    "| server | handshakes/s | CPU µs/conn | × plain | errors |",
    "| --- | ---: | ---: | ---: | ---: |",
    ...tls.rows.map((r) =>
      `| ${r.name} | ${f0(r.handshakesPerSec)} | ${f0(r.cpuUsPerConn)} | ${
        plainTls ? f2(r.cpuUsPerConn / plainTls.cpuUsPerConn) : "–"
      } | ${r.errors} |`
    ),
  );
}
if (tlsEcho.echo.length) {
  const plain = (clients: number) =>
    tlsEcho.echo.find((r) => r.name.startsWith("plain Deno") && r.clients === clients);
  lines.push(
    "",
    "TLS echo over ::1 (MiB/s; each client sends and reads back at once, ≤ 1 MiB in flight)",
    "",
    "| server | clients | MiB/s | × plain |",
    "| --- | ---: | ---: | ---: |",
    ...tlsEcho.echo.map((r) => {
      const base = plain(r.clients);
      return `| ${r.name} | ${r.clients} | ${f0(r.mibPerSec)} | ${
        base ? f2(r.mibPerSec / base.mibPerSec) : "–"
      } |`;
    }),
    "",
    `TLS echo with one client that sends for ${QUICK ? 3 : 10} s and never reads (server RSS)`,
    "",
    "| server | idle MB | peak MB | above idle MB | client sent MiB |",
    "| --- | ---: | ---: | ---: | ---: |",
    ...tlsEcho.memory.map((r) =>
      `| ${r.name} | ${f0(r.idleKiB / 1024)} | ${f0(r.peakKiB / 1024)} | ${
        f0((r.peakKiB - r.idleKiB) / 1024)
      } | ${f0(r.sent / 1048576)} |`
    ),
  );
}
{
  const plainEcho = (clients: number) =>
    echo.find((r) => r.server.startsWith("plain Deno") && r.clients === clients);
  lines.push(
    "",
    "Echo over loopback (MiB/s; each client sends and reads back at once)",
    "",
    "| server | clients | MiB/s | × plain |",
    "| --- | ---: | ---: | ---: |",
    ...echo.map((r) => {
      const base = plainEcho(r.clients);
      return `| ${r.server} | ${r.clients} | ${f0(r.mibPerSec)} | ${
        base ? f2(r.mibPerSec / base.mibPerSec) : "–"
      } |`;
    }),
    "",
    "UDP ping (talker -n 50 -i 10ms --connect -r 1s)",
    "",
    ...ping.map((r) => `- against ${r.peer}: ${r.summary}`),
  );
}
if (unix.length) {
  const tcp = (r: typeof unix[number]) =>
    unix.find((t) => t.server === r.server && t.measure === r.measure && t.transport === "tcp");
  lines.push(
    "",
    "Unix sockets against TCP loopback (the greeting, 16 clients at once; echo, 1 client)",
    "",
    "| server | measure | Unix | TCP 127.0.0.1 | × TCP |",
    "| --- | --- | ---: | ---: | ---: |",
    ...unix.filter((r) => r.transport === "unix").map((r) => {
      const t = tcp(r);
      return `| ${r.server} | ${r.measure} | ${f0(r.value)} | ${t ? f0(t.value) : "–"} | ${
        t ? f2(r.value / t.value) : "–"
      } |`;
    }),
  );
}
if (views.length) {
  lines.push(
    "",
    "The views' cost: the same load with human lines (to a file) and with --json (median of trials)",
    "",
    "| tool | view | offered | done | per second | × human | CPU µs each |",
    "| --- | --- | ---: | ---: | ---: | ---: | ---: |",
    ...views.map((r) => {
      const human = views.find((h) => h.tool === r.tool && h.view === "human");
      return `| ${r.tool} | ${r.view} | ${f0(r.offered)} | ${f0(r.done)} | ${f0(r.perSec)} | ${
        human ? f2(r.done / human.done) : "–"
      } | ${f1(r.cpuMicros)} |`;
    }),
  );
}
for (const s of skipped) lines.push(`skipped: ${s}`);
const table = lines.join("\n");
console.log(table);
await Deno.writeTextFile(`${RESULTS}table.md`, table + "\n");
await Deno.writeTextFile(`${RESULTS}latest.json`, JSON.stringify(results, null, 2) + "\n");
await Deno.writeTextFile(`${RESULTS}chart.svg`, chartSvg(streamRows, dgramRows));
console.log(`\nwrote bench/results/latest.json, table.md, chart.svg`);
