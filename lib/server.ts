/**
 * The stream server's story, as the original tells it: resolve the passive addresses,
 * bind the first that works, say it is waiting, and serve every client.
 *
 * @module
 */
import { joinHostPort } from "./address.ts";
import { bindFirst } from "./bind_first.ts";
import { describeCause } from "./errors.ts";
import type { Output } from "./output.ts";
import { type Family, resolve } from "./resolve.ts";
import { type ServeStats, serveStream } from "./serve_stream.ts";

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
   * Which family to bind.
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
  /** See {@linkcode ServeStreamOptions.drainTimeout}. */
  drainTimeout?: number | undefined;
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
 * import { Output } from "./output.ts";
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
  const listener = bindFirst(candidates, "tcp", {
    onError: (c, err) =>
      out.error(`bind: ${describeCause(err.cause)} (${joinHostPort(c.hostname, c.port)})`),
  });
  if (port === 0) {
    out.say(`listening on ${joinHostPort(listener.addr.hostname, listener.addr.port)}`);
  }
  out.say("waiting for connections...");
  out.flush();
  const quiet = options.quiet ?? false;
  const stats = await serveStream(listener, {
    message: new TextEncoder().encode(options.message ?? "Hello, world!"),
    maxConnections: options.maxConnections,
    writeTimeout: options.writeTimeout,
    drainTimeout: options.drainTimeout,
    signal: options.signal,
    onConnection: quiet ? undefined : (remote) => out.say(`got connection from ${remote.hostname}`),
    onAcceptError: (err, ms) => {
      if (ms === 5) out.error(`accept: ${describeCause(err)} (pausing, retrying from ${ms} ms)`);
    },
  });
  out.say(
    `stopped: ${stats.served} served, ${stats.failed} failed, ${stats.dropped} dropped`,
  );
  return stats;
}
