/**
 * The stream server's story, as the original tells it: resolve the passive addresses,
 * bind the first that works, say it is waiting, and serve every client.
 *
 * @module
 */
import type { Output } from "../cli/output.ts";
import { jsonAddress } from "../cli/json.ts";
import { Reporter } from "../cli/reporter.ts";
import { joinHostPort } from "../net/address.ts";
import { bindFirst } from "../net/bind_first.ts";
import { describeCause } from "../net/errors.ts";
import type { Family } from "../net/resolve.ts";
import { type ServeLimits, type ServeStats, serveStream } from "../net/serve_stream.ts";
import { bindReported } from "./bind.ts";
import { isIPv6Peer, shown } from "./server_peer.ts";
import { startWorkers } from "./server_workers.ts";

/** Options for {@linkcode runServer}. */
export interface ServerOptions {
  /** The address to bind; none means every address (`::`, dual-stack, else `0.0.0.0`). */
  host?: string | undefined;
  /**
   * The port; 0 picks a free one, which is then printed.
   * @default {3490}
   */
  port?: number | undefined;
  /**
   * Which family to bind. With 6 the server is IPv6 only: Deno cannot set `IPV6_V6ONLY`, so
   * IPv4 clients reaching the dual-stack `::` socket (as IPv4-mapped addresses) are closed
   * at accept, sent nothing, and counted as refused.
   * @default {"any"}
   */
  family?: Family | undefined;
  /**
   * What every client is sent.
   * @default {"Hello, world!"}
   */
  message?: string | undefined;
  /**
   * Do not print a line per connection.
   * @default {false}
   */
  quiet?: boolean | undefined;
  /** The limits every accept thread applies (each its own). */
  limits?: ServeLimits | undefined;
  /**
   * Accept threads: with more than 1, each binds the same address with `SO_REUSEPORT`
   * (Linux) and the kernel spreads connections across them. Limits apply per thread.
   * @default {1}
   */
  workers?: number | undefined;
  /** Stops the server gracefully. */
  signal?: AbortSignal | undefined;
  /**
   * Reports the events in the views asked for (only this thread's: other `workers` print
   * nothing per connection in JSON mode, and are counted in the summary).
   * @default {undefined} (the original's lines)
   */
  reporter?: Reporter | undefined;
}

/**
 * Runs the stream server until `signal` aborts, printing as the original does, and a
 * one-line summary at the end.
 *
 * @param options Where to listen, what to send, limits and the stop signal.
 * @param out Where lines go.
 * @returns The counts of clients served, failed and dropped.
 * @example Serve on a free port for half a second
 * ```ts
 * import { Output } from "../cli/output.ts";
 * import { runServer } from "./server.ts";
 * import { deepStrictEqual as assertEquals } from "node:assert/strict";
 * const stats = await runServer(
 *   { host: "127.0.0.1", port: 0, quiet: true, signal: AbortSignal.timeout(300) },
 *   new Output("server"),
 * );
 * assertEquals(stats.served, 0);
 * ```
 */
export async function runServer(options: ServerOptions, out: Output): Promise<ServeStats> {
  const port = options.port ?? 3490;
  const workers = options.workers ?? 1;
  const r = options.reporter ?? Reporter.plain(out);
  const where = { host: options.host, port, family: options.family ?? "any" };
  const listener = await bindReported(
    where,
    out,
    "failed to bind",
    (candidates, onError) =>
      bindFirst(candidates, "tcp", { reusePort: workers > 1, onError, onStep: r.onStep }),
    r,
  );
  const quiet = options.quiet ?? false;
  const ipv6Only = options.family === 6;
  const message = new TextEncoder().encode(options.message ?? "Hello, world!");
  const limits = options.limits ?? {};
  const { hostname, port: bound } = listener.addr;
  const extra = await startWorkers(
    workers - 1,
    { hostname, port: bound, message, quiet: quiet || r.json, ipv6Only, limits },
    options.signal,
  ).catch((err) => {
    listener.close();
    throw err;
  });
  if (r.json) r.event("listening", { address: jsonAddress(listener.addr) });
  else {
    if (port === 0) r.say(`listening on ${joinHostPort(hostname, bound)}`);
    r.say("waiting for connections...");
  }
  out.flush();
  const onConnection = quiet
    ? undefined
    : r.json
    ? (remote: Deno.NetAddr) => r.event("connection", { from: jsonAddress(remote) })
    : (remote: Deno.NetAddr) => r.say(`got connection from ${shown(remote)}`);
  // The live view's figures (counted only when it is on).
  const seen = { accepted: 0, refused: 0 };
  const live = r.live(() => ({
    unit: "connections",
    total: seen.accepted,
    droppedLines: out.dropped,
    refused: seen.refused,
  }), quiet);
  const stats = await serveStream(listener, {
    ...limits,
    message,
    signal: options.signal,
    admit: ipv6Only ? isIPv6Peer : undefined,
    onConnection: live
      ? (remote) => {
        seen.accepted++;
        onConnection?.(remote);
      }
      : onConnection,
    onRefused: live || r.json
      ? (remote) => {
        seen.refused++;
        r.refused({ from: jsonAddress(remote), reason: "ipv4" });
      }
      : undefined,
    onAcceptError: (err, ms) => {
      if (ms === 5) r.error(`accept: ${describeCause(err)} (pausing, retrying from ${ms} ms)`);
    },
    onStep: r.onStep,
  });
  let droppedLines = out.dropped;
  for (const { stats: more, droppedLines: theirs } of await Promise.all(extra)) {
    droppedLines += theirs;
    stats.served += more.served;
    stats.failed += more.failed;
    stats.dropped += more.dropped;
    stats.acceptErrors += more.acceptErrors;
    stats.refused += more.refused;
  }
  r.summary(
    {
      served: stats.served,
      failed: stats.failed,
      dropped: stats.dropped,
      refused: stats.refused,
      accept_errors: stats.acceptErrors,
      dropped_lines: droppedLines,
    },
    `stopped: ${stats.served} served, ${stats.failed} failed, ${stats.dropped} dropped` +
      (stats.refused > 0 ? `, ${stats.refused} refused (IPv4 clients, -6)` : "") +
      (droppedLines ? `, ${droppedLines} log lines dropped` : ""),
  );
  return stats;
}
