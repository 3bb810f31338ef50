/**
 * The stream server's story, as the original tells it: resolve the passive addresses,
 * bind the first that works, say it is waiting, and serve every client.
 *
 * @module
 */
import { fromV4Mapped, joinHostPort } from "../net/address.ts";
import { bindFirst } from "../net/bind_first.ts";
import { describeCause, NetError, PermissionError, UsageError } from "../net/errors.ts";
import type { Output } from "../cli/output.ts";
import { type Family, resolve } from "../net/resolve.ts";
import { type ServeStats, serveStream } from "../net/serve_stream.ts";
import type { WorkerReply, WorkerStart } from "./server_worker.ts";

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
  /** See {@linkcode ServeStreamOptions.maxConnections}. */
  maxConnections?: number | undefined;
  /** See {@linkcode ServeStreamOptions.writeTimeout}. */
  writeTimeout?: number | undefined;
  /** See {@linkcode ServeStreamOptions.lingerTimeout}. */
  lingerTimeout?: number | undefined;
  /** See {@linkcode ServeStreamOptions.drainTimeout}. */
  drainTimeout?: number | undefined;
  /**
   * Accept threads: with more than 1, each binds the same address with `SO_REUSEPORT`
   * (Linux) and the kernel spreads connections across them. Limits apply per thread.
   * @default {1}
   */
  workers?: number | undefined;
  /** Stops the server gracefully. */
  signal?: AbortSignal | undefined;
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
 * await runServer({ host: "127.0.0.1", port: 0, signal: AbortSignal.timeout(500) }, new Output("server"));
 * ```
 */
export async function runServer(options: ServerOptions, out: Output): Promise<ServeStats> {
  const port = options.port ?? 3490;
  const candidates = await resolve(options.host, port, {
    passive: true,
    family: options.family ?? "any",
  });
  const workers = options.workers ?? 1;
  const listener = bindFirst(candidates, "tcp", {
    reusePort: workers > 1,
    onError: (c, err) =>
      out.error(`bind: ${describeCause(err.cause)} (${joinHostPort(c.hostname, c.port)})`),
  });
  const quiet = options.quiet ?? false;
  const ipv6Only = options.family === 6;
  const message = new TextEncoder().encode(options.message ?? "Hello, world!");
  const extra = await startWorkers(workers - 1, {
    hostname: listener.addr.hostname,
    port: listener.addr.port,
    message,
    quiet,
    ipv6Only,
    maxConnections: options.maxConnections,
    writeTimeout: options.writeTimeout,
    drainTimeout: options.drainTimeout,
    lingerTimeout: options.lingerTimeout,
  }, options.signal).catch((err) => {
    listener.close();
    throw err;
  });
  if (port === 0) {
    out.say(`listening on ${joinHostPort(listener.addr.hostname, listener.addr.port)}`);
  }
  out.say("waiting for connections...");
  out.flush();
  const stats = await serveStream(listener, {
    message,
    maxConnections: options.maxConnections,
    writeTimeout: options.writeTimeout,
    drainTimeout: options.drainTimeout,
    lingerTimeout: options.lingerTimeout,
    signal: options.signal,
    admit: ipv6Only ? isIPv6Peer : undefined,
    onConnection: quiet ? undefined : (remote) => out.say(`got connection from ${shown(remote)}`),
    onAcceptError: (err, ms) => {
      if (ms === 5) out.error(`accept: ${describeCause(err)} (pausing, retrying from ${ms} ms)`);
    },
  });
  for (const more of await Promise.all(extra)) {
    stats.served += more.served;
    stats.failed += more.failed;
    stats.dropped += more.dropped;
    stats.acceptErrors += more.acceptErrors;
    stats.refused += more.refused;
  }
  out.say(
    `stopped: ${stats.served} served, ${stats.failed} failed, ${stats.dropped} dropped` +
      (stats.refused > 0 ? `, ${stats.refused} refused (IPv4 clients, -6)` : "") +
      (out.dropped ? `, ${out.dropped} log lines dropped` : ""),
  );
  return stats;
}

/**
 * A client's address as the original server prints it: an IPv4 client of the dual-stack
 * socket as `127.0.0.1`, not `::ffff:127.0.0.1`.
 *
 * @param remote The client's address.
 * @returns The address to print.
 */
export function shown(remote: Deno.NetAddr): string {
  return fromV4Mapped(remote.hostname) ?? remote.hostname;
}

/**
 * Whether a client came over IPv6 proper (not as an IPv4-mapped address): the test of an
 * IPv6-only server.
 *
 * @param remote The client's address.
 * @returns False for an IPv4 client of a dual-stack socket.
 */
export function isIPv6Peer(remote: Deno.NetAddr): boolean {
  return fromV4Mapped(remote.hostname) === undefined;
}

/** Starts `count` accept threads; each promise settles with that thread's counts after a stop. */
async function startWorkers(
  count: number,
  job: WorkerStart,
  signal: AbortSignal | undefined,
): Promise<Promise<ServeStats>[]> {
  if (count === 0) return [];
  if (Deno.mainModule.includes("/deno-compile-")) {
    throw new UsageError(
      "--workers is not available in a compiled binary: run from source (deno task server --workers N)",
    );
  }
  // A worker's modules are read from disk, so --workers needs read access to lib/.
  const lib = new URL("../", import.meta.url);
  if (lib.protocol === "file:") {
    const dir = decodeURIComponent(lib.pathname);
    const { state } = await Deno.permissions.query({ name: "read", path: dir });
    if (state !== "granted") {
      throw new PermissionError("--workers", dir, undefined, "read");
    }
  }
  const started = Array.from({ length: count }, () => {
    const worker = new Worker(new URL("./server_worker.ts", import.meta.url), { type: "module" });
    let ready!: (err?: string) => void;
    const isReady = new Promise<string | undefined>((r) => ready = r);
    const stats = new Promise<ServeStats>((resolve) => {
      worker.onmessage = (e: MessageEvent<WorkerReply>) => {
        if (e.data.type === "ready") ready();
        else if (e.data.type === "error") ready(e.data.message);
        else {
          worker.terminate();
          resolve(e.data.stats);
        }
      };
    });
    signal?.addEventListener("abort", () => worker.postMessage("stop"), { once: true });
    worker.postMessage(job);
    return { isReady, stats, worker };
  });
  for (const w of started) {
    const err = await w.isReady;
    if (err !== undefined) {
      for (const o of started) o.worker.terminate();
      throw new NetError("listen", "tcp", joinHostPort(job.hostname, job.port), new Error(err));
    }
  }
  return started.map((w) => w.stats);
}
