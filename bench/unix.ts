/**
 * Unix sockets against TCP loopback, for the same servers: connections a second (the
 * greeting, 16 clients at once) and echo MiB/s (one client), for `server` and
 * `server --echo` over `-U PATH` and over 127.0.0.1, and socat `UNIX-LISTEN` against
 * socat `TCP-LISTEN`. Each run is bounded to a few seconds.
 *
 *     deno run -A bench/unix.ts [SECONDS [SERVER]]
 *
 * @module
 */

import { ROOT, streamEcho } from "./_bench_tools.ts";
const deno = Deno.execPath();

/** One server's figures over one transport. */
export interface UnixRow {
  /** Which server. */
  server: string;
  /** `unix` or `tcp`. */
  transport: "unix" | "tcp";
  /** What was measured. */
  measure: "connections/s" | "echo MiB/s";
  /** The figure. */
  value: number;
}

type Where = { transport: "unix"; path: string } | { transport: "tcp"; port: number };

interface Spec {
  server: string;
  measure: UnixRow["measure"];
  argv: (where: Where) => string[];
}

const GREETING = 'SYSTEM:printf "Hello, world!"';
const tool = (where: Where, ...args: string[]) => [
  deno,
  "run",
  "--quiet",
  "--allow-net",
  ...(where.transport === "unix"
    ? [`--allow-read=${where.path}`, `--allow-write=${where.path}`]
    : []),
  `--config=${ROOT}deno.json`,
  `${ROOT}cmd/server.ts`,
  "-q",
  ...(where.transport === "unix"
    ? ["-U", where.path]
    : ["-H", "127.0.0.1", "-p", String(where.port)]),
  ...args,
];
const socat = (where: Where, address: string) => [
  "socat",
  "-b",
  "65536",
  where.transport === "unix"
    ? `UNIX-LISTEN:${where.path},fork,backlog=256`
    : `TCP-LISTEN:${where.port},bind=127.0.0.1,reuseaddr,fork,backlog=256`,
  address,
];

const specs: Spec[] = [
  { server: "socketkit server", measure: "connections/s", argv: (w) => tool(w) },
  { server: "socat fork", measure: "connections/s", argv: (w) => socat(w, GREETING) },
  { server: "socketkit server --echo", measure: "echo MiB/s", argv: (w) => tool(w, "--echo") },
  { server: "socat EXEC:cat", measure: "echo MiB/s", argv: (w) => socat(w, "EXEC:cat") },
];

function connect(where: Where): Promise<Deno.Conn> {
  return where.transport === "unix"
    ? Deno.connect({ transport: "unix", path: where.path })
    : Deno.connect({ hostname: "127.0.0.1", port: where.port });
}

async function waitReady(where: Where, child: Deno.ChildProcess): Promise<void> {
  let ended = false;
  child.status.then(() => ended = true);
  for (const end = performance.now() + 10_000; performance.now() < end && !ended;) {
    // A greeting server's probe connection is one more served client; it is not counted.
    const conn = await connect(where).catch(() => undefined);
    if (conn) return conn.close();
    await new Promise((r) => setTimeout(r, 20));
  }
  throw new Error(`server never listened on ${JSON.stringify(where)}`);
}

/** Connects, reads the greeting to its end, closes: as many times as it can until `until`. */
async function greetLoop(where: Where, until: number): Promise<number> {
  const buf = new Uint8Array(256);
  let done = 0;
  while (performance.now() < until) {
    const conn = await connect(where);
    try {
      while ((await conn.read(buf)) !== null) { /* to the end */ }
    } finally {
      conn.close();
    }
    done++;
  }
  return done;
}

/** One client streams for `until` and reads everything back; returns the bytes echoed. */
async function echoLoop(where: Where, until: number): Promise<number> {
  return await streamEcho(await connect(where), until);
}

/**
 * Runs every server over both transports.
 *
 * @param seconds How long each run lasts.
 * @param onRow Told of each row as it is measured.
 * @param only Run only the servers whose name contains this.
 * @returns The rows; servers whose program is missing are left out.
 */
export async function benchUnix(
  seconds = 2,
  onRow?: (row: UnixRow) => void,
  only = "",
): Promise<UnixRow[]> {
  const rows: UnixRow[] = [];
  const dir = await Deno.makeTempDir({ prefix: "socketkit-bench-unix-" });
  try {
    for (const spec of specs.filter((s) => s.server.includes(only))) {
      for (const transport of ["unix", "tcp"] as const) {
        const where: Where = transport === "unix"
          ? { transport, path: `${dir}/${rows.length}.sock` }
          : { transport, port: freePort() };
        const [cmd, ...args] = spec.argv(where);
        let child: Deno.ChildProcess;
        try {
          child = new Deno.Command(cmd!, { args, stdin: "null", stdout: "null", stderr: "null" })
            .spawn();
        } catch {
          continue; // not installed
        }
        try {
          await waitReady(where, child);
          const t0 = performance.now();
          const until = t0 + seconds * 1000;
          const clients = spec.measure === "connections/s" ? 16 : 1;
          const counts = await Promise.all(
            Array.from(
              { length: clients },
              () =>
                spec.measure === "connections/s" ? greetLoop(where, until) : echoLoop(where, until),
            ),
          );
          const took = (performance.now() - t0) / 1000;
          const total = counts.reduce((a, b) => a + b, 0);
          const value = spec.measure === "connections/s" ? total / took : total / took / (1 << 20);
          const row = { server: spec.server, transport, measure: spec.measure, value };
          rows.push(row);
          onRow?.(row);
        } finally {
          try {
            child.kill("SIGTERM");
          } catch { /* gone */ }
          const timer = setTimeout(() => child.kill("SIGKILL"), 3000);
          await child.status;
          clearTimeout(timer);
        }
      }
    }
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
  return rows;
}

function freePort(): number {
  using l = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  return l.addr.port;
}

if (import.meta.main) {
  const report = (r: UnixRow) => {
    console.log(
      `${r.server.padEnd(26)} ${r.transport.padEnd(5)} ${
        r.value.toFixed(0).padStart(7)
      } ${r.measure}`,
    );
  };
  await benchUnix(Number(Deno.args[0] ?? 2), report, Deno.args[1] ?? "");
}
