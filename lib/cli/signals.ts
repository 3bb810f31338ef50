/**
 * Ctrl-C and SIGTERM as an AbortSignal, for tools that stop gracefully.
 *
 * @module
 */
import { ExitCode } from "./exit_codes.ts";

const stopping = new AbortController();
/** When the last stop was taken (`performance.now()`): a repeat this soon is the same press. */
let lastStop = -Infinity;

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
  /**
   * With `drain`: aborts on the second SIGINT or SIGTERM (stop now; the tool still prints
   * its summary, then exits with {@linkcode TerminationSignal.code}).
   */
  now: AbortSignal;
  /** The exit code the second signal asks for: 130 (SIGINT) or 143 (SIGTERM); 0 before. */
  readonly code: number;
  /** The exit code of the signal that aborted `signal`, as a shell reports it; 0 before. */
  readonly firstCode: number;
}

/** Options for {@linkcode onTermination}. */
export interface TerminationOptions {
  /**
   * The tool drains after the first signal: a second aborts `now` instead of exiting at
   * once (a third still exits at once).
   * @default {false}
   */
  drain?: boolean | undefined;
}

/**
 * A repeat of the first signal this soon is the same Ctrl-C: a terminal sends SIGINT to the
 * whole foreground group, and a wrapper in it (`deno task`, npx) forwards its own copy.
 */
const SAME_PRESS_MS = 100;

/**
 * Turns the first SIGINT or SIGTERM into an aborted signal, so a tool can stop cleanly;
 * a second one exits at once with 128 + the signal's number, as a shell reports it: 130 for
 * Ctrl-C pressed twice, 143 for SIGTERM; with `drain`, the second aborts `now` instead (the
 * tool cuts its drain short, prints its summary and exits with `code`), a third exits. A
 * repeat within 100 ms of the first is the same Ctrl-C (forwarded by `deno task`), ignored.
 *
 * @param options Whether the tool drains after the first signal. The `^C` a terminal echoed for the first is erased,
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
export function onTermination(options: TerminationOptions = {}): TerminationSignal {
  const controller = new AbortController();
  const now = new AbortController();
  let code = 0;
  let firstCode = 0;
  controller.signal.addEventListener("abort", () => stopping.abort(), { once: true });
  // SIGHUP (the terminal closed) stops as SIGTERM does: socket files removed, summary said.
  const names: Deno.Signal[] = Deno.build.os === "windows"
    ? ["SIGINT"]
    : ["SIGINT", "SIGTERM", "SIGHUP"];
  const handlers = names.map((name) => {
    const handler = () => {
      const signalCode = name === "SIGTERM" ? 143 : name === "SIGHUP" ? 129 : ExitCode.Interrupted;
      // One Ctrl-C, forwarded (also when it reaches the exit after the tool's own handler).
      if (performance.now() - lastStop < SAME_PRESS_MS) return;
      if (controller.signal.aborted) {
        if (!options.drain || now.signal.aborted) Deno.exit(signalCode);
        code = signalCode;
        now.abort();
        return;
      }
      lastStop = performance.now();
      firstCode = signalCode;
      if (name === "SIGINT") clearEchoedInterrupt();
      controller.abort();
    };
    Deno.addSignalListener(name, handler);
    return [name, handler] as const;
  });
  return {
    signal: controller.signal,
    now: now.signal,
    get code() {
      return code;
    },
    get firstCode() {
      return firstCode;
    },
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
