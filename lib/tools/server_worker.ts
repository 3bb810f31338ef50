/**
 * One extra accept thread of `server --workers N`: binds the server's address with
 * `SO_REUSEPORT` and serves it with the same options as the main thread, printing its own
 * lines.
 *
 * @module
 */
import { Output } from "../cli/output.ts";
import { Reporter } from "../cli/reporter.ts";
import { type ServeStats, serveStream } from "../net/serve_stream.ts";
import type { Step } from "../net/steps.ts";
import { errnoName } from "../cli/errno.ts";
import { buildServing, type ServeJob, type Tally } from "./server_serving.ts";

/** What the main thread sends a worker to start it: the job, and where it was bound. */
export interface WorkerStart extends ServeJob {
  /** The address the main thread bound. */
  hostname: string;
  /** Its port (already chosen if 0 was asked). */
  port: number;
  /** Send each step to the main thread (its `--explain` or `--diagram` draws every thread). */
  steps?: boolean | undefined;
}

/** A step as it crosses to the main thread: its error as name, message and errno. */
export type PortableStep = Omit<Step, "error"> & {
  error?: { name: string; message: string; code: string | undefined } | undefined;
};

/** What a worker answers: `ready` once bound, then its counts after a stop. */
export type WorkerReply =
  | { type: "ready" }
  | { type: "error"; message: string }
  | { type: "draining"; clients: number }
  | { type: "step"; step: PortableStep }
  | { type: "stats"; stats: ServeStats; tally: Tally; droppedLines: number };

/** The worker's own scope, typed without a triple-slash `lib` directive (JSR bans them). */
const scope = self as unknown as {
  onmessage: ((e: MessageEvent<WorkerStart | "stop" | "now">) => void) | null;
  postMessage(message: WorkerReply): void;
  close(): void;
};

const stop = new AbortController();
const now = new AbortController();
scope.onmessage = async (e: MessageEvent<WorkerStart | "stop" | "now">) => {
  if (e.data === "stop" || e.data === "now") {
    (e.data === "stop" ? stop : now).abort();
    return;
  }
  const job = e.data;
  const out = new Output("server");
  let listener: Deno.TcpListener;
  let serving;
  try {
    serving = await buildServing(job, Reporter.plain(out));
    listener = Deno.listen({ hostname: job.hostname, port: job.port, reusePort: true });
  } catch (err) {
    scope.postMessage({ type: "error", message: String(err) });
    return;
  }
  scope.postMessage({ type: "ready" });
  const stats = await serveStream(listener, {
    ...serving.options,
    ...(job.steps
      ? { onStep: (step: Step) => scope.postMessage({ type: "step", step: portable(step) }) }
      : {}),
    signal: stop.signal,
    stopNow: now.signal,
    onDrain: (clients) => scope.postMessage({ type: "draining", clients }),
  });
  serving.flush();
  await out.close(); // its last lines, before the main thread ends it
  scope.postMessage({ type: "stats", stats, tally: serving.tally, droppedLines: out.dropped });
  scope.close();
};

/** A step that structured cloning keeps whole (an error's class and errno would be lost). */
function portable(step: Step): PortableStep {
  if (step.error === undefined) return step as PortableStep;
  const err = step.error instanceof Error ? step.error : new Error(String(step.error));
  return { ...step, error: { name: err.name, message: err.message, code: errnoName(err) } };
}
