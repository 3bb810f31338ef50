// Helpers for bench.ts and soak.ts: processes, /proc accounting, ports.

/** The checkout's root, with a final slash. */
export { hasCommand } from "../testing/commands.ts";
export { freePort } from "../testing/ports.ts";
export { udpDrops } from "../testing/udp_drops.ts";
import { hasCommand } from "../testing/commands.ts";

export const ROOT: string = new URL("../", import.meta.url).pathname;

/** The command line that runs one of the project's scripts as a user does (net only). */
export function denoRun(script: string, ...args: string[]): string[] {
  return [
    Deno.execPath(),
    "run",
    "--no-prompt",
    "--quiet",
    "--allow-net",
    `--config=${ROOT}deno.json`,
    `${ROOT}${script}`,
    ...args,
  ];
}

/** A process the benchmark started. */
export interface Proc {
  child: Deno.ChildProcess;
  pid: number;
  /** Everything it printed on stdout (when captured). */
  stdout: () => Promise<string>;
  /** Everything it printed on stderr so far. */
  stderr: () => Promise<string>;
}

/**
 * Starts `argv` with stdout to `outFile` (or /dev/null), or captured with `capture`; stderr
 * goes to a file of its own, for the report when something fails. The shell `exec`s, so
 * the pid is the program's own.
 */
export function spawn(argv: string[], outFile?: string, capture = false): Proc {
  const errFile = Deno.makeTempFileSync({ prefix: "bench-stderr-" });
  const out = capture && !outFile ? "" : `> '${outFile ?? "/dev/null"}'`;
  const child = new Deno.Command("sh", {
    args: ["-c", `exec "$@" ${out} 2> '${errFile}'`, "sh", ...argv],
    stdin: "null",
    stdout: capture && !outFile ? "piped" : "null",
    stderr: "null",
  }).spawn();
  let text: Promise<string> | undefined;
  return {
    child,
    pid: child.pid,
    stdout: () =>
      text ??= capture && !outFile ? new Response(child.stdout).text() : Promise.resolve(""),
    stderr: () => Deno.readTextFile(errFile).catch(() => ""),
  };
}

/** Stops a process: SIGTERM, then SIGKILL after 3 s. */
export async function stop(proc: Proc): Promise<void> {
  try {
    proc.child.kill("SIGTERM");
  } catch { /* gone */ }
  const timer = setTimeout(() => {
    try {
      proc.child.kill("SIGKILL");
    } catch { /* gone */ }
  }, 3000);
  await proc.child.status;
  clearTimeout(timer);
}

/** CPU time of a process in clock ticks (user + system, plus reaped children if asked). */
export function cpuTicks(pid: number, children = false): number {
  try {
    const stat = Deno.readTextFileSync(`/proc/${pid}/stat`);
    const f = stat.slice(stat.lastIndexOf(")") + 2).split(" ").map(Number);
    return f[11]! + f[12]! + (children ? f[13]! + f[14]! : 0);
  } catch {
    return NaN;
  }
}

/** A memory figure from /proc/PID/status (VmRSS, VmHWM), in KiB. */
export function memoryKiB(pid: number, key: "VmRSS" | "VmHWM"): number {
  try {
    const status = Deno.readTextFileSync(`/proc/${pid}/status`);
    return Number(new RegExp(`${key}:\\s+(\\d+)`).exec(status)?.[1] ?? NaN);
  } catch {
    return NaN;
  }
}

/** The kernel's drop counter for the UDP socket on `port`, from /proc/net/udp6. */

/** The drop counter of the socket bound to `port` in the text of /proc/net/udp6. */

/** Waits until something accepts TCP connections on [::1]:port. */
export async function waitForTcp(port: number, timeoutMs = 15_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (true) {
    try {
      const c = await Deno.connect({ hostname: "::1", port });
      c.close();
      return;
    } catch (err) {
      if (Date.now() > deadline) throw new Error(`nothing listens on [::1]:${port}: ${err}`);
      await sleep(50);
    }
  }
}

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** The value at fraction `p` of a sorted list. */
export function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))]!;
}

/** Builds the C datagram sender; undefined when there is no C compiler. */
export async function compileFlood(source: string, out: string): Promise<string | undefined> {
  if (!hasCommand("cc")) return undefined;
  const res = await new Deno.Command("cc", { args: ["-O2", "-o", out, source] }).output();
  return res.success ? out : undefined;
}

/**
 * Streams 64 KiB writes on `conn` until `until` (a `performance.now()` time), with at most
 * 1 MiB in flight so that the figure is throughput, not buffering, then half-closes and
 * reads the rest back; closes the connection.
 *
 * @returns The bytes echoed back.
 */
export async function streamEcho(
  conn: Deno.Conn | Deno.TlsConn,
  until: number,
): Promise<number> {
  const out = new Uint8Array(64 * 1024).fill(0x61);
  const buf = new Uint8Array(64 * 1024);
  let sent = 0, got = 0;
  const reading = (async () => {
    for (let n; (n = await conn.read(buf)) !== null;) got += n;
  })();
  try {
    while (performance.now() < until) {
      sent += await conn.write(out).catch((err) => {
        throw new Error(`write after ${sent} sent, ${got} back: ${err}`);
      });
      while (sent - got > (1 << 20)) await new Promise((r) => setTimeout(r, 0));
    }
    await conn.closeWrite();
    await reading;
  } finally {
    conn.close();
  }
  return got;
}
