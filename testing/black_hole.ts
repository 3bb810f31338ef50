/**
 * A black-holed TCP address, for the tests and the benchmark: connect() to it hangs (SYNs
 * dropped), see black_hole.py. Needs python3; stopped by `await using`.
 *
 * @module
 */
import { hasCommand } from "./commands.ts";

/** Whether black holes can be made here (python3 installed). */
export const canBlackHole: boolean = hasCommand("python3");

/** A black-holed address: `port` on `hostname`; disposing of it stops the fixture. */
export interface BlackHole extends AsyncDisposable {
  hostname: string;
  port: number;
}

/**
 * Opens a black hole on `hostname` (port 0: any free port). Rejects when the port cannot
 * be bound (taken) or the queue never filled.
 */
export async function blackHole(hostname: string, port = 0): Promise<BlackHole> {
  const child = new Deno.Command("python3", {
    args: [new URL("./black_hole.py", import.meta.url).pathname, hostname, String(port)],
    stdin: "piped",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  const errors = new Response(child.stderr).text();
  const lines = child.stdout.pipeThrough(new TextDecoderStream()).getReader();
  const stop = async () => {
    await child.stdin.close().catch(() => {});
    const timer = setTimeout(() => child.kill("SIGKILL"), 5000);
    try {
      await lines.cancel();
      await child.status;
      return await errors;
    } finally {
      clearTimeout(timer);
    }
  };
  const bound = Number(((await lines.read()).value ?? "").trim());
  if (!(bound > 0)) throw new Error(`black_hole.py ${hostname} ${port} failed: ${await stop()}`);
  return { hostname, port: bound, [Symbol.asyncDispose]: async () => void await stop() };
}
