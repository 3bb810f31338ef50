/**
 * The stream server's story, as the original tells it: resolve the passive addresses,
 * bind the first that works, say it is waiting, and serve every client.
 *
 * @module
 */
import { DEFAULT_STREAM_PORT, DEFAULT_WORKERS } from "../cli/defaults.ts";
import type { Output } from "../cli/output.ts";
import { jsonAddress } from "../cli/json.ts";
import { Reporter } from "../cli/reporter.ts";
import { joinHostPort } from "../net/address.ts";
import { bindFirst } from "../net/bind_first.ts";
import type { Family } from "../net/resolve.ts";
import { type ServeLimits, type ServeStats, serveStream } from "../net/serve_stream.ts";
import type { TlsServerConfig } from "../net/tls_server.ts";
import { bindReported } from "./bind.ts";
import { bindUnixReported } from "./unix_bind.ts";
import { listenUnix } from "../net/unix_listen.ts";
import type { AccessRules } from "./server_peer.ts";
import { buildServing, type ServeJob } from "./server_serving.ts";
import { startWorkers } from "./server_workers.ts";
import type { TlsFiles } from "./tls_files.ts";

/** Options for {@linkcode runServer}. */
export interface ServerOptions {
  /**
   * Listen on a Unix stream socket at this path instead (`@name`: a Linux abstract name): a
   * stale socket file is taken over, a live one refused; the file is removed at the end.
   * @default {undefined} (TCP)
   */
  unix?: string | undefined;
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
   * What every client is sent: text, or bytes as they are.
   * @default {"Hello, world!"; nothing in echo mode}
   */
  message?: string | Uint8Array | undefined;
  /**
   * Echo mode: send every client's bytes back as they arrive, until it half-closes (after
   * `message`, if one is given).
   * @default {false}
   */
  echo?: boolean | undefined;
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
  /**
   * `--allow` and `--deny`: which peers are served (ncat's rules: with any allow rule only
   * matching peers; a deny rule wins). A refused client is closed before a byte is sent,
   * printed (at most 10 lines a second) and counted.
   * @default {undefined} (everyone is served)
   */
  access?: AccessRules | undefined;
  /**
   * `--tls`: serve every client over TLS, with these files (read once, before binding) and
   * ALPN protocols; with `clientCa`, a client certificate is required (mutual TLS).
   * @default {undefined} (plain TCP)
   */
  tls?: (TlsFiles & { alpn?: string[] | undefined }) | undefined;
  /** Stops the server gracefully. */
  signal?: AbortSignal | undefined;
  /**
   * Cuts the drain short (a second Ctrl-C): clients in flight are dropped, the summary
   * still printed.
   * @default {undefined}
   */
  stopNow?: AbortSignal | undefined;
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
 * const out = new Output("server");
 * const stats = await runServer(
 *   { host: "127.0.0.1", port: 0, quiet: true, signal: AbortSignal.timeout(300) },
 *   out,
 * );
 * await out.close(); // its summary is written before the example ends
 * assertEquals(stats.served, 0);
 * ```
 */
export async function runServer(options: ServerOptions, out: Output): Promise<ServeStats> {
  const port = options.port ?? DEFAULT_STREAM_PORT;
  const workers = options.workers ?? DEFAULT_WORKERS;
  const r = options.reporter ?? Reporter.plain(out);
  let tls: TlsServerConfig | undefined;
  if (options.tls) {
    const pem = await (await import("./tls_files.ts")).loadTlsFiles(options.tls);
    tls = { cert: pem.cert!, key: pem.key!, clientCa: pem.clientCa, alpn: options.tls.alpn };
  }
  const echo = options.echo ?? false;
  const job: ServeJob = {
    message: typeof options.message === "string"
      ? new TextEncoder().encode(options.message)
      : options.message ?? (echo ? new Uint8Array(0) : new TextEncoder().encode("Hello, world!")),
    echo,
    quiet: options.quiet ?? false,
    ipv6Only: options.family === 6,
    limits: options.limits ?? {},
    access: options.access,
    tls,
  };
  const serving = await buildServing(job, r);
  const where = { host: options.host, port, family: options.family ?? "any" };
  const listener = options.unix !== undefined
    ? await bindUnixReported((onStep) => listenUnix(options.unix!, { onStep }), "failed to bind", r)
    : await bindReported(
      where,
      out,
      "failed to bind",
      (candidates, onError) =>
        bindFirst(candidates, "tcp", { reusePort: workers > 1, onError, onStep: r.onStep }),
      r,
    );
  const tcp = listener.addr.transport === "tcp" ? listener.addr : undefined;
  // One line when a stop finds clients in flight, counting every thread's, said on stderr
  // (terminal or not): the server is not hung, and how to stop it now.
  const threads = tcp === undefined ? 1 : workers;
  const draining = { reported: 0, clients: 0, ms: 0 };
  const onDrain = (n: number, ms?: number) => {
    draining.clients += n;
    if (ms !== undefined) draining.ms = ms;
    if (++draining.reported < threads || draining.clients === 0) return;
    const { clients } = draining;
    out.error(
      `draining ${clients} ${clients === 1 ? "client" : "clients"} (up to ${draining.ms / 1000}s)` +
        (options.stopNow ? "; Ctrl-C again to stop now" : ""),
    );
  };
  const extra = tcp === undefined ? [] : await startWorkers(
    workers - 1,
    { ...job, hostname: tcp.hostname, port: tcp.port, quiet: job.quiet || r.json },
    options.signal,
    options.stopNow,
    onDrain,
    r.onStep,
  ).catch((err) => {
    listener.close();
    throw err;
  });
  if (r.json) r.event("listening", { address: jsonAddress(listener.addr) });
  else {
    if (port === 0 && tcp) r.say(`listening on ${joinHostPort(tcp.hostname, tcp.port)}`);
    r.say("waiting for connections...");
  }
  out.flush();
  // The live view's figures.
  const { tally } = serving;
  r.live(() => ({
    unit: "connections",
    total: tally.accepted,
    droppedLines: out.dropped,
    refused: tally.refused,
  }), job.quiet);
  const stats = await serveStream(listener, {
    ...serving.options,
    signal: options.signal,
    stopNow: options.stopNow,
    onDrain,
  });
  let droppedLines = 0;
  let echoed = tally.echoed;
  for (const { stats: more, tally: theirs, droppedLines: dropped } of await Promise.all(extra)) {
    droppedLines += dropped;
    echoed += theirs.echoed;
    stats.served += more.served;
    stats.failed += more.failed;
    stats.dropped += more.dropped;
    stats.acceptErrors += more.acceptErrors;
    stats.refused += more.refused;
    stats.failedHandshakes += more.failedHandshakes;
  }
  serving.flush();
  droppedLines += out.dropped;
  out.markReported(); // the summary says what was dropped: the exit need not
  const byAccess = options.access !== undefined &&
    (options.access.allow?.length || options.access.deny?.length);
  r.summary(
    {
      served: stats.served,
      failed: stats.failed,
      dropped: stats.dropped,
      refused: stats.refused,
      accept_errors: stats.acceptErrors,
      ...(tls ? { failed_handshakes: stats.failedHandshakes } : {}),
      ...(echo ? { echoed_bytes: echoed } : {}),
      dropped_lines: droppedLines,
    },
    `stopped: ${stats.served} served, ${stats.failed} failed, ${stats.dropped} dropped` +
      (stats.refused > 0
        ? `, ${stats.refused} refused${byAccess ? "" : " (IPv4 clients, -6)"}`
        : "") +
      (tls ? `, ${stats.failedHandshakes} failed handshakes` : "") +
      (echo ? `, ${echoed} bytes echoed` : "") +
      (droppedLines
        ? `, ${droppedLines} log ${droppedLines === 1 ? "line" : "lines"} dropped`
        : ""),
  );
  return stats;
}
