/**
 * The stream server's accept loop: every client served concurrently by a handler of your
 * own, and none of them able to stop the loop or stall another.
 *
 * @module
 */
import { type OnStep, stepAddress } from "./steps.ts";
import { DeadlineQueue } from "./_deadline_queue.ts";
import { drain } from "./_drain.ts";
import { formatDuration } from "./errors.ts";
import { SERVE_DEFAULTS } from "./_serve_defaults.ts";
import { Session, type Shared } from "./_session.ts";
import type { StreamHandler, TlsInfo } from "./stream_conn.ts";
import { plainLayer, type StreamLayer } from "./stream_layer.ts";

/** The limits that keep one client from hurting the others: one object, passed through. */
export interface ServeLimits {
  /**
   * At most this many clients are served at once; further clients wait in the kernel's
   * queue, since a slot is taken before `accept()` (as Go's LimitListener does). 0 means
   * no limit. With a handshaking `layer` (TLS) at most half of them (512 of 1,024) may be
   * in their handshake at once: when that half is full, a new client's handshake drops the
   * oldest one in progress (counted in `failedHandshakes`), so that stalled handshakes from
   * any number of addresses leave the other half to clients that finished theirs.
   * @default {1024}
   */
  maxConnections?: number | undefined;
  /**
   * Each write (and the in-band end of a session, TLS `close_notify`) must be taken by the
   * client within this many milliseconds, or the client is dropped.
   * @default {10000}
   */
  writeTimeout?: number | undefined;
  /**
   * Lingering close: after the handler, shut our side and wait up to this many
   * milliseconds for the client to close its own, reading and discarding what it sent.
   * Without it (0, as the original), a client that sent data we never read gets a reset
   * after the message; Linux clients still read the message first, others may not. Costs
   * two more socket operations per client (about 13 µs of CPU here).
   * @default {0}
   */
  lingerTimeout?: number | undefined;
  /**
   * On stop, how long clients in flight may take to finish before they are closed.
   * @default {5000}
   */
  drainTimeout?: number | undefined;
  /**
   * Each read must get bytes (or the end) within this many milliseconds, or the client is
   * dropped: a client that neither sends nor closes cannot hold its slot.
   * @default {60000}
   */
  idleTimeout?: number | undefined;
  /**
   * With a handshaking `layer` (TLS): a client must have finished its handshake within this
   * many milliseconds, or it is dropped and counted in `failedHandshakes`.
   * @default {10000}
   */
  handshakeTimeout?: number | undefined;
  /**
   * With a handshaking `layer` (TLS): at most this many clients from one IP address may be
   * in their handshake at once; a further one is closed at accept and counted in
   * `failedHandshakes`, so that stalled handshakes from one address cannot take the slots
   * of everyone else. 0 means no limit.
   * @default {64}
   */
  maxHandshakesPerAddress?: number | undefined;
}

/** Options for {@linkcode serveStream}. */
export interface ServeStreamOptions extends ServeLimits {
  /**
   * Serves each client: {@linkcode greeting}, {@linkcode echo} or your own. When it returns
   * the connection is ended (and the client counted as served); when it throws, the client
   * is counted as failed and its connection closed.
   */
  handler: StreamHandler;
  /**
   * A layer run on each client before its handler (TLS, from
   * {@linkcode tlsServerLayer}).
   * @default {undefined} (plain: the handler gets the accepted connection)
   */
  layer?: StreamLayer | undefined;
  /**
   * Stops the server: no more accepts, then a drain bounded by `drainTimeout`.
   * @default {undefined} (serve until the listener is closed)
   */
  signal?: AbortSignal | undefined;
  /**
   * Ends the drain early: once it aborts (a second Ctrl-C), clients still in flight are
   * dropped at once and counted in `dropped`.
   * @default {undefined} (the drain takes up to `drainTimeout`)
   */
  stopNow?: AbortSignal | undefined;
  /**
   * Called once when a stop begins, with the clients in flight (0 included) and the drain
   * timeout: to say that the server is draining.
   * @default {undefined}
   */
  onDrain?: ((clients: number, drainTimeout: number) => void) | undefined;
  /**
   * Decides, at accept, whether a client is served; one that is not (or for which `admit`
   * throws) is closed before a byte is sent and counted as refused.
   * @default {undefined} (everyone is served)
   */
  admit?: ((peer: Deno.Addr) => boolean) | undefined;
  /**
   * Called for each client about to be handled: at accept, or with a handshaking `layer`
   * once its handshake is done, with what it settled. A throw counts the client as failed.
   * @default {undefined}
   */
  onConnection?: ((peer: Deno.Addr, tls?: TlsInfo) => void) | undefined;
  /**
   * With a handshaking `layer`: called for each client whose handshake failed, timed out,
   * was refused by `maxHandshakesPerAddress` or was dropped, the oldest, when half of
   * `maxConnections` were in their handshake.
   * @default {undefined}
   */
  onHandshakeError?: ((peer: Deno.Addr, error: unknown) => void) | undefined;
  /**
   * Called for each client that failed after its handshake (its handler threw, or its
   * connection broke), with the error; not for clients our own deadlines dropped.
   * @default {undefined}
   */
  onHandlerError?: ((peer: Deno.Addr, error: unknown) => void) | undefined;
  /**
   * Called for each client that `admit` refused.
   * @default {undefined}
   */
  onRefused?: ((peer: Deno.Addr) => void) | undefined;
  /**
   * Called when `accept()` fails in a way that calls for a pause, with the pause in ms.
   * @default {undefined} (such failures are only counted in `acceptErrors`)
   */
  onAcceptError?: ((error: Error, retryMs: number) => void) | undefined;
  /**
   * Told of each `accept`, `recv`, `send` and `close`, as the socket calls they stand for.
   * @default {undefined} (no steps: nothing is built per connection)
   */
  onStep?: OnStep | undefined;
}

/** What happened to the clients of one {@linkcode serveStream} run. */
export interface ServeStats {
  /** Clients whose handler returned and whose connection was ended cleanly. */
  served: number;
  /** Clients whose handler threw or whose connection failed (reset, broken pipe). */
  failed: number;
  /** Clients dropped by a deadline (write, idle) or at the end of the drain. */
  dropped: number;
  /** `accept()` failures that made the loop pause (file descriptors exhausted, …). */
  acceptErrors: number;
  /**
   * Clients that `admit` refused, or whose address Deno cannot read (a Unix path that is not
   * UTF-8): closed at accept, sent nothing.
   */
  refused: number;
  /** With a handshaking `layer`: clients whose handshake failed, timed out or was refused. */
  failedHandshakes: number;
}

/** Accept failures that only concern one client, which went away before it was accepted. */
const CLIENT_GONE = ["ECONNABORTED", "ECONNRESET", "ENOTCONN", "EPROTO", "EPERM"];

/**
 * Serves `listener` until `options.signal` aborts, then drains and returns the counts. Each
 * client runs `options.handler` in its own task, through `options.layer`; whatever the
 * handler or the client does (stall, reset, never read, throw), its slot is freed exactly
 * once. The loop keeps accepting: an accept that fails because the client already reset is
 * skipped; running out of file descriptors pauses the loop (5 ms, doubling up to 1 s, back
 * to 5 ms after a success) until descriptors free up. Takes ownership of `listener` and
 * closes it. Needs `--allow-net` (or read and write access to a Unix socket's path).
 *
 * @param listener A listening stream socket: TCP, TLS-less; or a Unix socket.
 * @param options The handler, layer, limits, deadlines, hooks and the stop signal.
 * @returns The counts, once stopped and drained.
 * @example Serve "Hello, world!" to one client, then stop
 * ```ts
 * import { greeting, readAll, serveStream } from "@socketkit/socketkit";
 * import { deepStrictEqual as assertEquals } from "node:assert/strict";
 *
 * const stop = new AbortController();
 * const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 }); // serveStream closes it
 * const clients: Deno.Addr[] = [];
 * const serving = serveStream(listener, {
 *   handler: greeting(new TextEncoder().encode("Hello, world!")),
 *   signal: stop.signal,
 *   onConnection: (peer) => clients.push(peer),
 * });
 *
 * using conn = await Deno.connect({ hostname: "127.0.0.1", port: listener.addr.port });
 * const { bytes, end } = await readAll(conn, { timeout: 1000 });
 * assertEquals([new TextDecoder().decode(bytes), end], ["Hello, world!", "eof"]);
 *
 * stop.abort();
 * const { served, failed, dropped, refused } = await serving;
 * assertEquals({ served, failed, dropped, refused }, { served: 1, failed: 0, dropped: 0, refused: 0 });
 * assertEquals(clients.map((a) => (a as Deno.NetAddr).port), [conn.localAddr.port]);
 * ```
 * @example Your own protocol: answer each client's request in upper case
 * ```ts
 * import { serveStream, type StreamConn } from "@socketkit/socketkit";
 * import { deepStrictEqual as assertEquals } from "node:assert/strict";
 *
 * const stop = new AbortController();
 * const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
 * const serving = serveStream(listener, {
 *   async handler(conn: StreamConn) {
 *     const buf = new Uint8Array(64);
 *     const n = await conn.read(buf); // under the idle deadline
 *     const request = new TextDecoder().decode(buf.subarray(0, n ?? 0));
 *     await conn.write(new TextEncoder().encode(request.toUpperCase())); // the write deadline
 *   },
 *   signal: stop.signal,
 *   idleTimeout: 1000,
 * });
 *
 * using conn = await Deno.connect({ hostname: "127.0.0.1", port: listener.addr.port });
 * await conn.write(new TextEncoder().encode("hello"));
 * const buf = new Uint8Array(64);
 * const n = await conn.read(buf);
 * assertEquals(new TextDecoder().decode(buf.subarray(0, n ?? 0)), "HELLO");
 *
 * stop.abort();
 * assertEquals((await serving).served, 1);
 * ```
 * @example A handler that throws is counted as failed; the server goes on
 * ```ts
 * import { readAll, serveStream } from "@socketkit/socketkit";
 * import { deepStrictEqual as assertEquals } from "node:assert/strict";
 *
 * const stop = new AbortController();
 * const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
 * const errors: string[] = [];
 * const serving = serveStream(listener, {
 *   handler: () => {
 *     throw new Error("bug");
 *   },
 *   signal: stop.signal,
 *   onHandlerError: (_peer, err) => errors.push((err as Error).message),
 *   admit: (peer) => (peer as Deno.NetAddr).hostname === "127.0.0.1",
 * });
 *
 * using conn = await Deno.connect({ hostname: "127.0.0.1", port: listener.addr.port });
 * const { bytes, end } = await readAll(conn, { timeout: 1000 });
 * assertEquals([bytes.length, end], [0, "eof"]);
 *
 * stop.abort();
 * const { served, failed } = await serving;
 * assertEquals({ served, failed, errors }, { served: 0, failed: 1, errors: ["bug"] });
 * ```
 */
export async function serveStream(
  listener: Deno.Listener,
  options: ServeStreamOptions,
): Promise<ServeStats> {
  const stats: ServeStats = {
    served: 0,
    failed: 0,
    dropped: 0,
    acceptErrors: 0,
    refused: 0,
    failedHandshakes: 0,
  };
  const max = options.maxConnections ?? SERVE_DEFAULTS.maxConnections;
  const lingerTimeout = options.lingerTimeout ?? SERVE_DEFAULTS.lingerTimeout;
  const signal = options.signal ?? new AbortController().signal;
  /** A deadline's queue: a session it expires is dropped with a TimedOut naming it. */
  const deadlines = (ms: number, what: (ms: string) => string) =>
    new DeadlineQueue<Session>(
      ms,
      (s) => s.drop(new Deno.errors.TimedOut(what(formatDuration(ms)))),
    );
  const shared: Shared = {
    handler: options.handler,
    layer: options.layer ?? plainLayer,
    stats,
    live: new Set(),
    write: deadlines(
      options.writeTimeout ?? SERVE_DEFAULTS.writeTimeout,
      (ms) => `write deadline: the client took no write for ${ms}`,
    ),
    idle: deadlines(
      options.idleTimeout ?? SERVE_DEFAULTS.idleTimeout,
      (ms) => `idle deadline: nothing received for ${ms}`,
    ),
    handshake: deadlines(
      options.handshakeTimeout ?? SERVE_DEFAULTS.handshakeTimeout,
      (ms) => `handshake deadline: not done in ${ms}`,
    ),
    linger: lingerTimeout > 0
      ? deadlines(lingerTimeout, (ms) => `linger deadline: the client did not close in ${ms}`)
      : undefined,
    handshaking: new Map(),
    handshakes: new Set(),
    maxHandshakes: max > 0 ? Math.max(1, Math.floor(max / 2)) : 0,
    maxHandshakesPerAddress: options.maxHandshakesPerAddress ??
      SERVE_DEFAULTS.maxHandshakesPerAddress,
    wake: undefined,
    onConnection: options.onConnection,
    onHandshakeError: options.onHandshakeError,
    onHandlerError: options.onHandlerError,
    onStep: options.onStep,
  };
  const live = shared.live;
  const onStop = () => {
    try {
      listener.close();
    } catch { /* already closed */ }
    shared.wake?.();
  };
  signal.addEventListener("abort", onStop, { once: true });
  if (signal.aborted) onStop();

  let pause = 0;
  try {
    while (!signal.aborted) {
      if (max > 0 && live.size >= max) {
        await new Promise<void>((resolve) => shared.wake = resolve);
        shared.wake = undefined;
        continue;
      }
      let conn: Deno.Conn;
      try {
        conn = await listener.accept();
        pause = 0;
      } catch (err) {
        if (signal.aborted || err instanceof Deno.errors.BadResource) break;
        if (CLIENT_GONE.includes((err as { code?: string }).code ?? "")) continue;
        // A client whose address Deno cannot read (a Unix path that is not UTF-8): Deno has
        // closed it; it concerns that client only, so no pause.
        if (err instanceof Deno.errors.InvalidData) {
          stats.refused++;
          continue;
        }
        pause = pause === 0 ? 5 : Math.min(pause * 2, 1000);
        stats.acceptErrors++;
        options.onAcceptError?.(err as Error, pause);
        await sleep(pause, signal);
        continue;
      }
      options.onStep?.({
        call: "accept",
        type: "stream",
        address: stepAddress(conn.remoteAddr),
        note: "task-per-client",
      });
      if (options.admit && !admits(options.admit, conn.remoteAddr)) {
        stats.refused++;
        conn.close();
        options.onStep?.({
          call: "close",
          type: "stream",
          address: stepAddress(conn.remoteAddr),
          reason: "refused",
        });
        try {
          options.onRefused?.(conn.remoteAddr);
        } catch { /* the hook's failure is not the server's */ }
        continue;
      }
      new Session(conn, shared);
    }
  } finally {
    signal.removeEventListener("abort", onStop);
    onStop();
  }
  const drainTimeout = options.drainTimeout ?? SERVE_DEFAULTS.drainTimeout;
  try {
    options.onDrain?.(live.size, drainTimeout);
  } catch { /* the hook's failure is not the server's */ }
  await drain(live, drainTimeout, options.stopNow);
  return stats;
}

/** `admit`'s answer; one that throws refuses. */
function admits(admit: (peer: Deno.Addr) => boolean, peer: Deno.Addr): boolean {
  try {
    return admit(peer);
  } catch {
    return false;
  }
}

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(done, ms);
    function done() {
      clearTimeout(timer);
      signal.removeEventListener("abort", done);
      resolve();
    }
    signal.addEventListener("abort", done, { once: true });
  });
}
