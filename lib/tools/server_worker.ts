/**
 * One extra accept thread of `server --workers N`: binds the server's address with
 * `SO_REUSEPORT` and serves it like the main thread, printing its own lines.
 *
 * @module
 */
import { Output } from "../cli/output.ts";
import { type ServeLimits, type ServeStats, serveStream } from "../net/serve_stream.ts";
import { isIPv6Peer, shown } from "./server_peer.ts";

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
  /** Refuse IPv4-mapped clients (`-6`). */
  ipv6Only: boolean;
  /** The limits, as for the main thread (each thread applies its own). */
  limits: ServeLimits;
  /** Echo mode. */
  echo?: boolean | undefined;
}

/** What a worker answers: `ready` once bound, then its counts after a stop. */
export type WorkerReply =
  | { type: "ready" }
  | { type: "error"; message: string }
  | { type: "stats"; stats: ServeStats };

/** The worker's own scope, typed without a triple-slash `lib` directive (JSR bans them). */
const scope = self as unknown as {
  onmessage: ((e: MessageEvent<WorkerStart | "stop">) => void) | null;
  postMessage(message: WorkerReply): void;
  close(): void;
};

const stop = new AbortController();
scope.onmessage = async (e: MessageEvent<WorkerStart | "stop">) => {
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
    scope.postMessage({ type: "error", message: String(err) });
    return;
  }
  scope.postMessage({ type: "ready" });
  const stats = await serveStream(listener, {
    ...job.limits,
    message: job.message,
    echo: job.echo,
    signal: stop.signal,
    admit: job.ipv6Only ? isIPv6Peer : undefined,
    onConnection: job.quiet
      ? undefined
      : (remote) => out.say(`got connection from ${shown(remote)}`),
  });
  await out.close(); // its last lines, before the main thread ends it
  scope.postMessage({ type: "stats", stats });
  scope.close();
};
