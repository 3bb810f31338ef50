// Test helpers: run the tools as a user does, as real processes, and always stop them.
export { hasCommand } from "../testing/commands.ts";
export { freePort } from "../testing/ports.ts";
export { bytes, text } from "../testing/text.ts";
const ROOT = new URL("../", import.meta.url);
const CONFIG = new URL("deno.json", ROOT).pathname;

/** The command line that runs a tool, as the README's run lines do. */
export function toolArgs(tool: string, args: string[], perms = ["--allow-net"]): string[] {
  return [
    "run",
    "--no-prompt",
    "--quiet",
    `--config=${CONFIG}`,
    ...perms,
    new URL(`cmd/${tool}.ts`, ROOT).pathname,
    ...args,
  ];
}

/** What a finished tool process left. */
export interface ToolResult {
  code: number;
  stdout: string;
  stderr: string;
  stdoutBytes: Uint8Array;
}

/** Runs a tool to completion, killing it after `timeout` ms. */
export async function runTool(
  tool: string,
  args: string[],
  options: { timeout?: number; perms?: string[] } = {},
): Promise<ToolResult> {
  const child = new Deno.Command(Deno.execPath(), {
    args: toolArgs(tool, args, options.perms),
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  const timer = setTimeout(() => child.kill("SIGKILL"), options.timeout ?? 20_000);
  try {
    const { code, stdout, stderr } = await child.output();
    const dec = new TextDecoder();
    return { code, stdout: dec.decode(stdout), stderr: dec.decode(stderr), stdoutBytes: stdout };
  } finally {
    clearTimeout(timer);
  }
}

/** A tool running in the background; its output is collected as it comes. */
export class ToolProcess implements AsyncDisposable {
  readonly child: Deno.ChildProcess;
  stdout = "";
  stderr = "";
  /** Stdout exactly as received, for --raw. */
  stdoutBytes: Uint8Array = new Uint8Array(0);
  #changed: (() => void)[] = [];
  #done: Promise<Deno.CommandStatus>;
  #readers: Promise<void>;

  constructor(
    tool: string,
    args: string[],
    options: { wrap?: string[]; perms?: string[]; cwd?: string; stdin?: "piped" } = {},
  ) {
    const argv = toolArgs(tool, args, options.perms);
    const [cmd, ...rest] = options.wrap
      ? [...options.wrap, Deno.execPath(), ...argv]
      : [Deno.execPath(), ...argv];
    this.child = new Deno.Command(cmd!, {
      args: rest,
      ...(options.cwd === undefined ? {} : { cwd: options.cwd }),
      stdin: options.stdin ?? "null",
      stdout: "piped",
      stderr: "piped",
    }).spawn();
    this.#readers = Promise.all([
      this.#collect(this.child.stdout, (t) => this.stdout += t, (b) => {
        const all = new Uint8Array(this.stdoutBytes.length + b.length);
        all.set(this.stdoutBytes);
        all.set(b, this.stdoutBytes.length);
        this.stdoutBytes = all;
      }),
      this.#collect(this.child.stderr, (t) => this.stderr += t),
    ]).then(() => {});
    this.#done = this.child.status;
  }

  async #collect(
    stream: ReadableStream<Uint8Array>,
    add: (t: string) => void,
    addBytes?: (b: Uint8Array) => void,
  ): Promise<void> {
    const decoder = new TextDecoder();
    for await (const chunk of stream) {
      addBytes?.(chunk);
      add(decoder.decode(chunk, { stream: true }));
      for (const wake of this.#changed.splice(0)) wake();
    }
  }

  /** Waits until stdout (or stderr) matches `pattern`; returns the match. */
  async waitFor(pattern: RegExp, options: { timeout?: number; stderr?: boolean } = {}) {
    const deadline = Date.now() + (options.timeout ?? 10_000);
    while (true) {
      const m = pattern.exec(options.stderr ? this.stderr : this.stdout);
      if (m) return m;
      const left = deadline - Date.now();
      if (left <= 0) {
        throw new Error(
          `timed out waiting for ${pattern}\n--- stdout:\n${this.stdout}\n--- stderr:\n${this.stderr}`,
        );
      }
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, Math.min(left, 50));
        this.#changed.push(() => {
          clearTimeout(timer);
          resolve();
        });
      });
    }
  }

  /** The port from the tool's `listening on ADDR:PORT` line. */
  async port(): Promise<number> {
    const m = await this.waitFor(/listening on .*:(\d+)\n/);
    return Number(m[1]);
  }

  /** Waits for the process to end (killing it after `timeout` ms); returns its exit code. */
  async exit(timeout = 15_000): Promise<number> {
    const timer = setTimeout(() => this.kill("SIGKILL"), timeout);
    try {
      const status = await this.#done;
      await this.#readers;
      return status.code;
    } finally {
      clearTimeout(timer);
    }
  }

  kill(signal: Deno.Signal = "SIGTERM"): void {
    try {
      this.child.kill(signal);
    } catch { /* already gone */ }
  }

  async [Symbol.asyncDispose](): Promise<void> {
    this.kill("SIGKILL");
    await this.exit();
  }
}

/** Starts a tool on port 0 and returns it with the port it bound. */
export async function startTool(
  tool: string,
  args: string[],
  options: { wrap?: string[] } = {},
): Promise<{ proc: ToolProcess; port: number }> {
  const proc = new ToolProcess(tool, ["-p", "0", ...args], options);
  try {
    return { proc, port: await proc.port() };
  } catch (err) {
    await proc[Symbol.asyncDispose]();
    throw err;
  }
}

/** Reads everything a TCP server sends until it closes. */
export async function fetchAll(hostname: string, port: number): Promise<Uint8Array> {
  using conn = await Deno.connect({ hostname, port });
  const chunks: Uint8Array[] = [];
  const buf = new Uint8Array(4096);
  let n: number | null;
  while ((n = await conn.read(buf)) !== null) chunks.push(buf.slice(0, n));
  const out = new Uint8Array(chunks.reduce((a, c) => a + c.length, 0));
  let off = 0;
  for (const c of chunks) {
    out.set(c, off);
    off += c.length;
  }
  return out;
}

/** A datagram socket on `hostname`, port 0, that `using` closes. */
export function udpSocket(hostname = "::1"): Deno.DatagramConn & Disposable & { port: number } {
  const conn = Deno.listenDatagram({ transport: "udp", hostname, port: 0 });
  return Object.assign(conn, {
    port: (conn.addr as Deno.NetAddr).port,
    [Symbol.dispose]: () => conn.close(),
  });
}
