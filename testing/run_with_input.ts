/**
 * Helpers shared by the tests and the benchmark: run a program with bytes on its standard
 * input, bounded in time.
 *
 * @module
 */

/** What a finished program left. */
export interface Finished {
  /** Its exit code. */
  code: number;
  /** Its stdout, exactly. */
  stdout: Uint8Array;
  /** Its stderr, as text. */
  stderr: string;
}

/**
 * Runs `cmd` with `stdin` piped in (none: an empty input), killing it after `timeout` ms.
 *
 * @param cmd The program.
 * @param args Its arguments.
 * @param stdin What it reads on standard input.
 * @param timeout Milliseconds before it is killed.
 * @returns Its exit code and outputs.
 */
export async function runWithInput(
  cmd: string,
  args: string[],
  stdin?: Uint8Array,
  timeout = 20_000,
): Promise<Finished> {
  const child = new Deno.Command(cmd, {
    args,
    stdin: stdin ? "piped" : "null",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  const timer = setTimeout(() => child.kill("SIGKILL"), timeout);
  try {
    if (stdin) {
      const w = child.stdin.getWriter();
      await w.write(stdin).catch(() => {});
      await w.close().catch(() => {});
    }
    const out = await child.output();
    return { code: out.code, stdout: out.stdout, stderr: new TextDecoder().decode(out.stderr) };
  } finally {
    clearTimeout(timer);
  }
}
