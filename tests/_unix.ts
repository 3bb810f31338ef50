// Helpers for the Unix socket tests: a temporary directory, waiting for a peer's socket
// file, a peer process stopped on every path, and a script run with chosen grants.
import { hasCommand } from "../testing/commands.ts";

export const peers = {
  nc: hasCommand("nc"),
  socat: hasCommand("socat"),
  python3: hasCommand("python3"),
};
for (const [name, present] of Object.entries(peers)) {
  if (!present) console.log(`skipped: Unix socket tests with ${name}: ${name} is not installed`);
}

/** A temporary directory, removed with everything in it on dispose. */
export async function tempDir(): Promise<AsyncDisposable & { path: string }> {
  const path = await Deno.makeTempDir({ prefix: "socketkit-unix-" });
  return { path, [Symbol.asyncDispose]: () => Deno.remove(path, { recursive: true }) };
}

/** Waits (polling, bounded) until `path` is a socket file: a peer is bound there. */
export async function waitForSocket(path: string, timeout = 10_000): Promise<void> {
  const end = performance.now() + timeout;
  while (performance.now() < end) {
    try {
      if ((await Deno.lstat(path)).isSocket) return;
    } catch { /* not yet */ }
    await new Promise((r) => setTimeout(r, 20));
  }
  throw new Error(`No socket at "${path}" after ${timeout}ms`);
}

/** Whether a file exists at `path`. */
export async function exists(path: string): Promise<boolean> {
  return await Deno.lstat(path).then(() => true, () => false);
}

/** A peer process, killed (if still running) and reaped on dispose. */
export interface Peer extends AsyncDisposable {
  child: Deno.ChildProcess;
  /** Its exit and outputs, once it ends (bounded by the timeout given at start). */
  done: Promise<{ code: number; stdout: Uint8Array; stderr: string }>;
}

/** Starts a peer (`socat`, `nc`, `python3`) with `stdin` written and closed. */
export function startPeer(cmd: string, args: string[], stdin?: Uint8Array, timeout = 20_000): Peer {
  const child = new Deno.Command(cmd, {
    args,
    stdin: stdin ? "piped" : "null",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  const timer = setTimeout(() => child.kill("SIGKILL"), timeout);
  if (stdin) {
    const w = child.stdin.getWriter();
    w.write(stdin).then(() => w.close()).catch(() => {});
  }
  const done = child.output().then((out) => ({
    code: out.code,
    stdout: out.stdout,
    stderr: new TextDecoder().decode(out.stderr),
  })).finally(() => clearTimeout(timer));
  return {
    child,
    done,
    async [Symbol.asyncDispose]() {
      try {
        child.kill("SIGKILL");
      } catch { /* already ended */ }
      await done.catch(() => {});
    },
  };
}

/**
 * Runs `body` (a module that may `import ... from "socketkit"`) in a Deno process with only
 * the grants given, and returns what it printed.
 */
export async function runScript(
  body: string,
  grants: string[],
  dir: string,
): Promise<{ code: number; stdout: string; stderr: string }> {
  const file = `${dir}/script.ts`;
  await Deno.writeTextFile(
    file,
    libraryScript(body),
  );
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["run", "--no-prompt", "--quiet", "--unstable-net", "--no-config", ...grants, file],
    stdout: "piped",
    stderr: "piped",
    signal: AbortSignal.timeout(20_000),
  }).output();
  const decode = (b: Uint8Array) => new TextDecoder().decode(b);
  return { code: out.code, stdout: decode(out.stdout), stderr: decode(out.stderr) };
}

/** A script's `"socketkit"`, `"socketkit/unix"` and `"socketkit/multicast"` imports, made real. */
export function libraryScript(body: string): string {
  const url = (path: string) => JSON.stringify(new URL(path, import.meta.url).href);
  return body.replaceAll('"socketkit/unix"', url("../unix.ts"))
    .replaceAll('"socketkit/multicast"', url("../multicast.ts"))
    .replaceAll('"socketkit"', url("../mod.ts"));
}
