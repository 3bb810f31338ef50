// TLS, side by side, over loopback with certificates made by openssl for the run:
// - handshakes per second and server CPU per TLS connection: socketkit server --tls against a
//   plain Deno TLS loop (Deno.listenTls), node:tls over node:net, bare node:tls over a Deno
//   connection, and ncat --ssl -k;
// - TLS echo MiB/s: server --tls --echo against a plain Deno TLS echo loop;
// - peak RSS above idle with one TLS echo client that sends and never reads, over 10 s.
// Standalone: deno run -A bench/tls.ts [SECONDS]
import {
  cpuTicks,
  denoRun,
  freePort,
  hasCommand,
  memoryKiB,
  type Proc,
  spawn,
  stop,
  streamEcho,
} from "./_bench_tools.ts";
import { makeCerts } from "../testing/certs.ts";

/** One TLS server's figures. */
export interface TlsRow {
  name: string;
  handshakesPerSec: number;
  cpuUsPerConn: number;
  errors: number;
}

const CLK_TCK = 100;
const CONCURRENCY = 16;

/** Opens TLS connections for `seconds`, `CONCURRENCY` at once; counts the greetings. */
async function load(port: number, ca: string, seconds: number) {
  const until = performance.now() + seconds * 1000;
  let done = 0, errors = 0;
  const buf = new Uint8Array(64);
  await Promise.all(Array.from({ length: CONCURRENCY }, async () => {
    while (performance.now() < until) {
      try {
        const conn = await Deno.connectTls({ hostname: "::1", port, caCerts: [ca] });
        let got = 0, n: number | null;
        while ((n = await conn.read(buf)) !== null) got += n;
        conn.close();
        if (got === 13) done++;
        else errors++;
      } catch {
        errors++;
      }
    }
  }));
  return { done, errors };
}

async function waitForTls(port: number, ca: string): Promise<void> {
  for (let i = 0; i < 300; i++) {
    try {
      const conn = await Deno.connectTls({ hostname: "::1", port, caCerts: [ca] });
      await conn.handshake();
      conn.close();
      return;
    } catch {
      await new Promise((r) => setTimeout(r, 50));
    }
  }
  throw new Error(`no TLS server on [::1]:${port}`);
}

/**
 * Measures each TLS server in turn.
 *
 * @param seconds How long each is loaded.
 * @returns One row per server; servers whose program is missing are left out.
 */
export async function benchTls(seconds = 3): Promise<{ rows: TlsRow[]; skipped: string[] }> {
  if (!hasCommand("openssl")) return { rows: [], skipped: ["tls: openssl is not installed"] };
  using certs = await makeCerts();
  const ca = await Deno.readTextFile(certs.ca);
  const { serverCert: cert, serverKey: key } = certs;
  const servers: [string, (port: number) => string[], string?][] = [
    [
      "socketkit server --tls -q",
      (p) =>
        denoRun("cmd/server.ts", "-q", "--tls", "--cert", cert, "--key", key, "-p", String(p))
          .toSpliced(4, 0, `--allow-read=${certs.dir}`),
    ],
    [
      "plain Deno TLS loop",
      (p) =>
        denoRun("bench/peers/plain_tls.ts", String(p), cert, key)
          .toSpliced(4, 0, `--allow-read=${certs.dir}`),
    ],
    [
      "node:tls over node:net",
      (p) =>
        denoRun("bench/peers/node_tls_net.ts", String(p), cert, key)
          .toSpliced(4, 0, `--allow-read=${certs.dir}`),
    ],
    [
      "node:tls over a Deno conn, bare",
      (p) =>
        denoRun("bench/peers/node_tls_wrapped.ts", String(p), cert, key)
          .toSpliced(4, 0, `--allow-read=${certs.dir}`),
    ],
    [
      "ncat --ssl -k",
      (p) => [
        "ncat",
        "--ssl",
        "--ssl-cert",
        cert,
        "--ssl-key",
        key,
        "-k",
        "-l",
        "::",
        String(p),
        "-c",
        "printf 'Hello, world!'",
      ],
      "ncat",
    ],
  ];
  const rows: TlsRow[] = [];
  const skipped: string[] = [];
  for (const [name, argv, needs] of servers) {
    if (needs && !hasCommand(needs)) {
      skipped.push(`tls: ${name}: ${needs} is not installed`);
      continue;
    }
    const port = freePort();
    const proc = spawn(argv(port));
    try {
      await waitForTls(port, ca);
      const cpu0 = cpuTicks(proc.pid, true);
      const { done, errors } = await load(port, ca, seconds);
      const cpu = (cpuTicks(proc.pid, true) - cpu0) / CLK_TCK;
      rows.push({
        name,
        handshakesPerSec: done / seconds,
        cpuUsPerConn: done ? (cpu * 1e6) / done : NaN,
        errors,
      });
    } catch (err) {
      skipped.push(`tls: ${name}: ${err instanceof Error ? err.message : err}`);
    } finally {
      await stop(proc);
    }
  }
  return { rows, skipped };
}

/** One TLS echo server's figures. */
export interface TlsEchoRow {
  name: string;
  /** Clients at once. */
  clients: number;
  /** MiB echoed per second (sent and received back, counted once). */
  mibPerSec: number;
}

/** One TLS echo server's memory with a client that never reads. */
export interface TlsMemoryRow {
  name: string;
  /** RSS before the client, KiB. */
  idleKiB: number;
  /** Highest RSS while the client sent, KiB. */
  peakKiB: number;
  /** What the client managed to send, bytes (what the server took, plus kernel buffers). */
  sent: number;
}

/** The echo servers: argv for a port and the certificate files. */
function echoServers(dir: string, cert: string, key: string): [string, (p: number) => string[]][] {
  const read = (argv: string[]) => argv.toSpliced(4, 0, `--allow-read=${dir}`);
  return [
    [
      "socketkit server --tls --echo -q",
      (p) =>
        read(denoRun(
          "cmd/server.ts",
          "-q",
          "--echo",
          "--tls",
          "--cert",
          cert,
          "--key",
          key,
          "--write-timeout",
          "60s",
          "-p",
          String(p),
        )),
    ],
    [
      "plain Deno TLS echo loop",
      (p) => read(denoRun("bench/peers/plain_tls_echo.ts", String(p), cert, key)),
    ],
    // node:tls over node:net (bench/peers/node_tls_net.ts ... echo) is left out: with one
    // non-reading client it grew by 1.7-3.8 GB in 10 s, and 16 echo clients stalled it.
  ];
}

/** One TLS client streaming until `until` and reading back: the bytes echoed. */
async function echoClient(port: number, ca: string, until: number): Promise<number> {
  return await streamEcho(await Deno.connectTls({ hostname: "::1", port, caCerts: [ca] }), until);
}

/**
 * TLS echo throughput at 1 and 16 clients, and memory with one client that never reads.
 *
 * @param seconds How long each throughput run streams.
 * @param holdSeconds How long the non-reading client sends.
 * @returns The rows; servers that could not run are named in `skipped`.
 */
export async function benchTlsEcho(
  seconds = 2,
  holdSeconds = 10,
): Promise<{ echo: TlsEchoRow[]; memory: TlsMemoryRow[]; skipped: string[] }> {
  const echo: TlsEchoRow[] = [], memory: TlsMemoryRow[] = [], skipped: string[] = [];
  if (!hasCommand("openssl")) return { echo, memory, skipped: ["tls echo: no openssl"] };
  using certs = await makeCerts();
  const ca = await Deno.readTextFile(certs.ca);
  for (const [name, argv] of echoServers(certs.dir, certs.serverCert, certs.serverKey)) {
    for (const clients of [1, 16]) {
      const port = freePort();
      const proc = spawn(argv(port));
      try {
        await waitForTls(port, ca);
        const t0 = performance.now();
        const until = t0 + seconds * 1000;
        let timer: ReturnType<typeof setTimeout> | undefined;
        const bytes = await Promise.race([
          Promise.all(Array.from({ length: clients }, () => echoClient(port, ca, until))),
          new Promise<never>((_, reject) => {
            const ms = seconds * 1000 + 10_000;
            timer = setTimeout(() => reject(new Error(`${clients} clients: stalled`)), ms);
          }),
        ]).finally(() => clearTimeout(timer));
        const took = (performance.now() - t0) / 1000;
        const total = bytes.reduce((a, b) => a + b, 0);
        echo.push({ name, clients, mibPerSec: total / took / (1 << 20) });
      } catch (err) {
        skipped.push(`tls echo: ${name}: ${err instanceof Error ? err.message : err}`);
      } finally {
        await stop(proc);
      }
    }
    const port = freePort();
    const proc = spawn(argv(port));
    try {
      await waitForTls(port, ca);
      memory.push({ name, ...await nonReader(proc, port, ca, holdSeconds) });
    } catch (err) {
      skipped.push(`tls memory: ${name}: ${err instanceof Error ? err.message : err}`);
    } finally {
      await stop(proc);
    }
  }
  return { echo, memory, skipped };
}

/** One client sends for `seconds` and never reads; the server's RSS is sampled meanwhile. */
async function nonReader(proc: Proc, port: number, ca: string, seconds: number) {
  await new Promise((r) => setTimeout(r, 300)); // settle after the readiness probe
  const idleKiB = memoryKiB(proc.pid, "VmRSS");
  let peakKiB = idleKiB;
  const sampler = setInterval(() => {
    peakKiB = Math.max(peakKiB, memoryKiB(proc.pid, "VmRSS") || 0);
  }, 100);
  const conn = await Deno.connectTls({ hostname: "::1", port, caCerts: [ca] });
  const out = new Uint8Array(64 * 1024).fill(0x62);
  let sent = 0;
  const until = performance.now() + seconds * 1000;
  try {
    while (performance.now() < until) {
      // A write the server does not take stays pending: race it against the clock.
      let timer: ReturnType<typeof setTimeout> | undefined;
      const n = await Promise.race([
        conn.write(out),
        new Promise<number>((r) => timer = setTimeout(() => r(-1), until - performance.now())),
      ]);
      clearTimeout(timer);
      if (n < 0) break;
      sent += n;
    }
  } catch { /* dropped */ }
  clearInterval(sampler);
  peakKiB = Math.max(peakKiB, memoryKiB(proc.pid, "VmRSS") || 0);
  try {
    conn.close();
  } catch { /* closed */ }
  return { idleKiB, peakKiB, sent };
}

if (import.meta.main) {
  const seconds = Number(Deno.args[0] ?? 3);
  const { rows, skipped } = await benchTls(seconds);
  for (const r of rows) {
    console.log(
      `${r.name}: ${r.handshakesPerSec.toFixed(0)} handshakes/s, ${
        r.cpuUsPerConn.toFixed(0)
      } µs CPU per connection, ${r.errors} errors`,
    );
  }
  const more = await benchTlsEcho(Math.min(seconds, 2), 10);
  for (const r of more.echo) {
    console.log(`${r.name}, ${r.clients} clients: ${r.mibPerSec.toFixed(0)} MiB/s`);
  }
  for (const r of more.memory) {
    console.log(
      `${r.name}, a non-reader over 10 s: idle ${(r.idleKiB / 1024).toFixed(0)} MB, peak ${
        (r.peakKiB / 1024).toFixed(0)
      } MB (+${((r.peakKiB - r.idleKiB) / 1024).toFixed(0)}), client sent ${
        (r.sent / 1048576).toFixed(1)
      } MiB`,
    );
  }
  for (const s of [...skipped, ...more.skipped]) console.log(`skipped: ${s}`);
}
