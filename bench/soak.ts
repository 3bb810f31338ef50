// deno task soak: the long, bounded run that does not fit in CI. The server under steady
// load with bursts of resetting clients for SOAK_SECONDS (default 60), its memory sampled;
// then the listener under 1,000,000 datagrams at 100k/s. Prints its figures; exits 1 if a
// client got anything but the greeting or the counts do not add up.
import {
  compileFlood,
  denoRun,
  freePort,
  hasCommand,
  memoryKiB,
  ROOT,
  sleep,
  spawn,
  stop,
  udpDrops,
  waitForTcp,
} from "./_bench_tools.ts";

const SECONDS = Number(Deno.env.get("SOAK_SECONDS") ?? 60);
let ok = true;

// ---- server
const port = freePort();
const server = spawn(denoRun("cmd/server.ts", "-q", "-p", String(port)), undefined, true);
await waitForTcp(port);
const rss: number[] = [memoryKiB(server.pid, "VmRSS")];
let clients = 0, wrong = 0, resets = 0;
const deadline = performance.now() + SECONDS * 1000;
const workers = [0, 1].map(() =>
  new Promise<{ count: number; errors: number; wrong: number }>((resolve) => {
    const w = new Worker(new URL("./load_worker.ts", import.meta.url), { type: "module" });
    w.onmessage = (e) => resolve(e.data);
    w.postMessage({
      hostname: "::1",
      port,
      concurrency: 32,
      durationMs: SECONDS * 1000,
      expect: 13,
    });
  })
);
while (performance.now() < deadline) {
  await sleep(5000);
  rss.push(memoryKiB(server.pid, "VmRSS"));
  if (hasCommand("python3")) {
    const burst = await new Deno.Command("python3", {
      args: [`${ROOT}tests/fixtures/reset_burst.py`, String(port), "100"],
      stdout: "null",
      stderr: "null",
    }).output();
    if (burst.success) resets += 100;
  }
}
for (const r of await Promise.all(workers)) {
  clients += r.count;
  wrong += r.wrong + r.errors;
}
server.child.kill("SIGTERM");
await server.child.status;
const summary = (await server.stdout()).trim().split("\n").at(-1) ?? "";
const served = Number(/(\d+) served/.exec(summary)?.[1] ?? NaN);
console.log(
  `soak server: ${SECONDS} s, ${clients} clients (${Math.round(clients / SECONDS)}/s) with ` +
    `${resets} resetting clients in bursts; ${wrong} errors or wrong replies; server says "${summary}"`,
);
console.log(`soak server RSS MiB every 5 s: ${rss.map((k) => (k / 1024).toFixed(1)).join(" ")}`);
if (wrong > 0 || served < clients) ok = false;
await stop(server);

// ---- listener
const flood = await compileFlood(
  `${ROOT}bench/peers/udp_flood.c`,
  `${ROOT}bench/results/udp_flood.tmp`,
);
if (!flood) {
  console.log("skipped: soak listener: no C compiler (cc) to build the sender");
} else {
  const uport = freePort("udp");
  const listener = spawn(
    denoRun("cmd/listener.ts", "-k", "-q", "-p", String(uport)),
    undefined,
    true,
  );
  await sleep(500);
  const drops0 = udpDrops(uport) ?? 0;
  const sent = await new Deno.Command(flood, {
    args: ["::1", String(uport), "100000", "1000000", "32"],
    stdout: "piped",
  }).output();
  await sleep(500);
  const drops = (udpDrops(uport) ?? NaN) - drops0;
  listener.child.kill("SIGINT");
  await listener.child.status;
  const said = (await listener.stdout()).trim().split("\n").at(-1) ?? "";
  const received = Number(/received (\d+)/.exec(said)?.[1] ?? NaN);
  console.log(
    `soak listener: ${new TextDecoder().decode(sent.stdout).trim()} at 100k/s; ` +
      `listener received ${received}, kernel dropped ${drops}; sum ${received + drops}`,
  );
  if (Number.isFinite(drops) && received + drops !== 1_000_000) ok = false;
  await stop(listener);
}
Deno.exit(ok ? 0 : 1);
