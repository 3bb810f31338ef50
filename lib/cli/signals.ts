/**
 * Ctrl-C and SIGTERM as an AbortSignal, for tools that stop gracefully.
 *
 * @module
 */
import { ExitCode } from "./exit_codes.ts";

const stopping = new AbortController();

/**
 * Whether the process was asked to stop (a first SIGINT or SIGTERM reached an
 * {@linkcode onTermination} signal): it is draining, and the live status line says so.
 *
 * @returns `true` once a stop was asked for.
 * @example Nothing asked a fresh process to stop
 * ```ts
 * import { stopRequested } from "./signals.ts";
 * import { deepStrictEqual as assertEquals } from "node:assert/strict";
 * assertEquals(stopRequested(), false);
 * ```
 */
export function stopRequested(): boolean {
  return stopping.signal.aborted;
}

/** A stop signal tied to SIGINT and SIGTERM; dispose of it to remove the handlers. */
export interface TerminationSignal extends Disposable {
  /** Aborts on the first SIGINT or SIGTERM. */
  signal: AbortSignal;
}

/**
 * Turns the first SIGINT or SIGTERM into an aborted signal, so a tool can stop cleanly;
 * a second one exits at once with 128 + the signal's number, as a shell reports it: 130 for
 * Ctrl-C pressed twice, 143 for SIGTERM. The `^C` a terminal echoed for the first is erased,
 * so that what the tool prints next (its summary) starts at the first column.
 *
 * @returns The signal, disposable.
 * @example SIGTERM aborts the signal instead of killing the process
 * ```ts
 * import { onTermination } from "./signals.ts";
 * import { deepStrictEqual as assertEquals } from "node:assert/strict";
 *
 * using stop = onTermination();
 * assertEquals(stop.signal.aborted, false);
 * Deno.kill(Deno.pid, "SIGTERM"); // as `kill PID` from a shell
 * // A signal listener does not keep the event loop alive: poll, for 1 s at most.
 * for (let i = 0; i < 100 && !stop.signal.aborted; i++) {
 *   await new Promise((resolve) => setTimeout(resolve, 10));
 * }
 * assertEquals(stop.signal.aborted, true);
 * ```
 */
export function onTermination(): TerminationSignal {
  const controller = new AbortController();
  controller.signal.addEventListener("abort", () => stopping.abort(), { once: true });
  const names: Deno.Signal[] = Deno.build.os === "windows" ? ["SIGINT"] : ["SIGINT", "SIGTERM"];
  const handlers = names.map((name) => {
    const handler = () => {
      if (controller.signal.aborted) Deno.exit(name === "SIGTERM" ? 143 : ExitCode.Interrupted);
      if (name === "SIGINT") clearEchoedInterrupt();
      controller.abort();
    };
    Deno.addSignalListener(name, handler);
    return [name, handler] as const;
  });
  return {
    signal: controller.signal,
    [Symbol.dispose]() {
      for (const [name, handler] of handlers) Deno.removeSignalListener(name, handler);
    },
  };
}

/**
 * Erases the `^C` the terminal echoed where the cursor was (at the start of a line: the
 * tools print whole lines), so that the next line is not indented by it.
 */
function clearEchoedInterrupt(): void {
  const erase = new TextEncoder().encode("\r\x1b[K");
  for (const stream of [Deno.stderr, Deno.stdout]) {
    try {
      if (!stream.isTerminal()) continue;
      stream.writeSync(erase);
      return;
    } catch {
      return; // a terminal that is gone: nothing to tidy
    }
  }
}
