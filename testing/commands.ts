/**
 * Helpers shared by the tests and the benchmark: whether a peer program is installed.
 *
 * @module
 */

/**
 * Whether a program is on PATH (an interop peer, a compiler).
 *
 * @param name The program's name.
 * @returns True when `command -v name` finds it.
 */
export function hasCommand(name: string): boolean {
  try {
    return new Deno.Command("sh", {
      args: ["-c", `command -v ${name}`],
      stdout: "null",
      stderr: "null",
    }).outputSync().success;
  } catch {
    return false;
  }
}
