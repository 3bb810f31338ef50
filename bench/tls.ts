// TLS handshakes per second and server CPU per TLS connection: socketkit server --tls against a
// plain Deno TLS loop and ncat --ssl -k, each for a few seconds over loopback, with certificates
// made by openssl for the run. Standalone: deno run -A bench/tls.ts [SECONDS]
import { cpuTicks, denoRun, freePort, hasCommand, spawn, stop } from "./_bench_tools.ts";
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

if (import.meta.main) {
  const { rows, skipped } = await benchTls(Number(Deno.args[0] ?? 3));
  for (const r of rows) {
    console.log(
      `${r.name}: ${r.handshakesPerSec.toFixed(0)} handshakes/s, ${
        r.cpuUsPerConn.toFixed(0)
      } µs CPU per connection, ${r.errors} errors`,
    );
  }
  for (const s of skipped) console.log(`skipped: ${s}`);
}
