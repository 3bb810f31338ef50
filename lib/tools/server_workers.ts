/**
 * The extra accept threads of `server --workers N`: each is a Worker that binds the same
 * address with `SO_REUSEPORT` and serves it as the main thread does.
 *
 * @module
 */
import { PermissionError, UsageError } from "../cli/errors.ts";
import { opError } from "../net/errors.ts";
import type { ServeStats } from "../net/serve_stream.ts";
import type { PortableStep, WorkerReply, WorkerStart } from "./server_worker.ts";
import type { OnStep, Step } from "../net/steps.ts";
import type { Tally } from "./server_serving.ts";

/** What an accept thread did, reported when it stops. */
export interface WorkerResult {
  /** Its clients' counts. */
  stats: ServeStats;
  /** What its clients did that the library does not count (bytes echoed). */
  tally: Tally;
  /** Log lines its own output had to drop. */
  droppedLines: number;
}

/**
 * Starts `count` accept threads and waits until each has bound the address.
 *
 * @param count How many threads besides the main one.
 * @param job What each thread serves, and where.
 * @param signal Stops every thread.
 * @param stopNow Cuts every thread's drain short.
 * @param onDrain Told each thread's clients in flight when its stop begins.
 * @param onStep Told each thread's steps, as the main thread's (for `--explain`, `--diagram`).
 * @returns One promise per thread, settling with its counts (and its dropped log lines)
 * after a stop.
 * @throws {UsageError} In a compiled binary, which cannot load worker modules.
 * @throws {PermissionError} Without read access to `lib/`, where the worker's modules are.
 * @throws {NetError} When a thread could not bind the address.
 */
export async function startWorkers(
  count: number,
  job: WorkerStart,
  signal: AbortSignal | undefined,
  stopNow?: AbortSignal | undefined,
  onDrain?: (clients: number) => void,
  onStep?: OnStep,
): Promise<Promise<WorkerResult>[]> {
  if (count === 0) return [];
  if (Deno.mainModule.includes("/deno-compile-")) {
    throw new UsageError(
      "--workers is not available in a compiled binary: run from source (deno task server --workers N)",
    );
  }
  await checkReadable(new URL("../", import.meta.url), count + 1); // --workers N: N - 1 extra
  const started = Array.from(
    { length: count },
    () => start({ ...job, steps: onStep !== undefined }, signal, stopNow, onDrain, onStep),
  );
  for (const w of started) {
    const err = await w.isReady;
    if (err !== undefined) {
      for (const o of started) o.worker.terminate();
      throw opError("listen", "tcp", job.hostname, job.port, new Error(err));
    }
  }
  return started.map((w) => w.stats);
}

/**
 * A worker's modules are read from disk, so `--workers` needs read access to `lib/`. The
 * message names the whole `deno run` line: `deno task server` has its permissions fixed in
 * deno.json, and a grant given after the task's name would reach the server as an argument.
 */
async function checkReadable(lib: URL, workers: number): Promise<void> {
  if (lib.protocol !== "file:") return;
  const dir = decodeURIComponent(lib.pathname);
  const { state } = await Deno.permissions.query({ name: "read", path: dir });
  if (state !== "granted") {
    const main = Deno.mainModule.startsWith("file:")
      ? decodeURIComponent(new URL(Deno.mainModule).pathname)
      : "cmd/server.ts";
    throw new PermissionError(
      `--workers ${dir}: permission denied: the workers read their modules there: run ` +
        `deno run --no-prompt --allow-net --allow-read=${dir} ${main} --workers ${workers} … ` +
        "(deno task server cannot be given the grant)",
    );
  }
}

function start(
  job: WorkerStart,
  signal: AbortSignal | undefined,
  now?: AbortSignal,
  onDrain?: (clients: number) => void,
  onStep?: OnStep,
) {
  const worker = new Worker(new URL("./server_worker.ts", import.meta.url), { type: "module" });
  let ready!: (err?: string) => void;
  const isReady = new Promise<string | undefined>((r) => ready = r);
  const stats = new Promise<WorkerResult>((resolve) => {
    worker.onmessage = (e: MessageEvent<WorkerReply>) => {
      if (e.data.type === "ready") ready();
      else if (e.data.type === "error") ready(e.data.message);
      else if (e.data.type === "draining") onDrain?.(e.data.clients);
      else if (e.data.type === "step") onStep?.(revive(e.data.step));
      else {
        worker.terminate();
        resolve({ stats: e.data.stats, tally: e.data.tally, droppedLines: e.data.droppedLines });
      }
    };
  });
  signal?.addEventListener("abort", () => worker.postMessage("stop"), { once: true });
  now?.addEventListener("abort", () => worker.postMessage("now"), { once: true });
  worker.postMessage(job);
  return { isReady, stats, worker };
}

/** A worker's step with its error an Error again (errno kept as its `code`). */
function revive(step: PortableStep): Step {
  if (step.error === undefined) return step as Step;
  const err = Object.assign(new Error(step.error.message), { code: step.error.code });
  err.name = step.error.name;
  return { ...step, error: err };
}
