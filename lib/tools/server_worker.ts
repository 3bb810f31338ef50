/**
 * One extra accept thread of `server --workers N`: binds the server's address with
 * `SO_REUSEPORT` and serves it like the main thread, printing its own lines.
 *
 * @module
 */
import { Output } from "../cli/output.ts";
import { type ServeLimits, type ServeStats, serveStream } from "../net/serve_stream.ts";
import type { TlsServerConfig } from "../net/tls_server.ts";
import { type AccessRules, admission, shown } from "./server_peer.ts";
import { LimitedLines } from "./limited_lines.ts";

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
  /** `--allow` and `--deny`. */
  access?: AccessRules | undefined;
  /** `--tls`: the PEM text and ALPN protocols. */
  tls?: TlsServerConfig | undefined;
  /** Echo mode. */
  echo?: boolean | undefined;
}

/** What a worker answers: `ready` once bound, then its counts after a stop. */
export type WorkerReply =
  | { type: "ready" }
  | { type: "error"; message: string }
  | { type: "stats"; stats: ServeStats; droppedLines: number };

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
  const layer = job.tls
    ? (await import("../net/tls_server.ts")).tlsServerLayer(job.tls)
    : undefined;
  const refusals = new LimitedLines(out, "refusals");
  scope.postMessage({ type: "ready" });
  const stats = await serveStream(listener, {
    ...job.limits,
    message: job.message,
    echo: job.echo,
    signal: stop.signal,
    admit: admission(job.ipv6Only, job.access),
    layer,
    onRefused: job.access
      ? (remote) => refusals.add(`refused connection from ${shown(remote)}`)
      : undefined,
    onConnection: job.quiet
      ? undefined
      : (remote, tls) => out.say(`got connection from ${shown(remote)}${tls ? ` (${tls})` : ""}`),
  });
  refusals.flush();
  await out.close(); // its last lines, before the main thread ends it
  scope.postMessage({ type: "stats", stats, droppedLines: out.dropped });
  scope.close();
};
