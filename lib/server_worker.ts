/**
 * One extra accept thread of `server --workers N`: binds the server's address with
 * `SO_REUSEPORT` and serves it like the main thread, printing its own lines.
 *
 * @module
 */
/// <reference lib="deno.worker" />
import { Output } from "./output.ts";
import { type ServeStats, serveStream } from "./serve_stream.ts";

/** What the main thread sends a worker to start it. */
export interface WorkerStart {
  /** The address the main thread bound. */
  hostname: string;
  /** Its port (already chosen if 0 was asked). */
  port: number;
  /** The message's bytes. */
  message: Uint8Array;
  /** No line per connection. */
  quiet: boolean;
  /** Limits, as for the main thread. */
  maxConnections: number | undefined;
  /** Write deadline. */
  writeTimeout: number | undefined;
  /** Drain bound. */
  drainTimeout: number | undefined;
  /** Lingering close. */
  lingerTimeout: number | undefined;
}

/** What a worker answers: `ready` once bound, then its counts after a stop. */
export type WorkerReply =
  | { type: "ready" }
  | { type: "error"; message: string }
  | { type: "stats"; stats: ServeStats };

const stop = new AbortController();
self.onmessage = async (e: MessageEvent<WorkerStart | "stop">) => {
  if (e.data === "stop") {
    stop.abort();
    return;
  }
  const job = e.data;
  const out = new Output("server");
  let listener: Deno.TcpListener;
  try {
    listener = Deno.listen({ hostname: job.hostname, port: job.port, reusePort: true });
  } catch (err) {
    self.postMessage({ type: "error", message: String(err) } satisfies WorkerReply);
    return;
  }
  self.postMessage({ type: "ready" } satisfies WorkerReply);
  const stats = await serveStream(listener, {
    message: job.message,
    maxConnections: job.maxConnections,
    writeTimeout: job.writeTimeout,
    drainTimeout: job.drainTimeout,
    lingerTimeout: job.lingerTimeout,
    signal: stop.signal,
    onConnection: job.quiet
      ? undefined
      : (remote) => out.say(`got connection from ${remote.hostname}`),
  });
  out.flush();
  self.postMessage({ type: "stats", stats } satisfies WorkerReply);
  self.close();
};
