/**
 * The stream server's accept loop: every client served concurrently, and none of them able
 * to stop the loop or stall another.
 *
 * @module
 */
import { type OnStep, stepAddress } from "./steps.ts";
import { DeadlineQueue } from "./_deadline_queue.ts";

/** The limits that keep one client from hurting the others: one object, passed through. */
export interface ServeLimits {
  /**
   * At most this many clients are served at once; further clients wait in the kernel's
   * queue, since a slot is taken before `accept()` (as Go's LimitListener does). 0 means
   * no limit.
   * @default {1024}
   */
  maxConnections?: number | undefined;
  /**
   * A client must have taken the whole message within this many milliseconds, or it is
   * dropped.
   * @default {10000}
   */
  writeTimeout?: number | undefined;
  /**
   * Lingering close: after the message, shut our side and wait up to this many
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
}

/** Options for {@linkcode serveStream}. */
export interface ServeStreamOptions extends ServeLimits {
  /** The bytes every client is sent before its connection is closed. */
  message: Uint8Array;
  /**
   * Stops the server: no more accepts, then a drain bounded by `drainTimeout`.
   * @default {undefined} (serve until the listener is closed)
   */
  signal?: AbortSignal | undefined;
  /**
   * Decides, at accept, whether a client is served; one that is not is closed before a byte
   * is sent and counted as refused.
   * @default {undefined} (everyone is served)
   */
  admit?: ((remote: Deno.NetAddr) => boolean) | undefined;
  /**
   * Called for each accepted client that is served.
   * @default {undefined}
   */
  onConnection?: ((remote: Deno.NetAddr) => void) | undefined;
  /**
   * Called for each client that `admit` refused.
   * @default {undefined}
   */
  onRefused?: ((remote: Deno.NetAddr) => void) | undefined;
  /**
   * Called when `accept()` fails in a way that calls for a pause, with the pause in ms.
   * @default {undefined} (such failures are only counted in `acceptErrors`)
   */
  onAcceptError?: ((error: Error, retryMs: number) => void) | undefined;
  /**
   * Told of each `accept`, `send` and `close`, as the socket calls they stand for.
   * @default {undefined} (no steps: nothing is built per connection)
   */
  onStep?: OnStep | undefined;
}

/** What happened to the clients of one {@linkcode serveStream} run. */
export interface ServeStats {
  /** Clients that were sent the whole message. */
  served: number;
  /** Clients whose connection failed (reset, broken pipe) before the whole message was sent. */
  failed: number;
  /** Clients dropped by the write deadline or at the end of the drain. */
  dropped: number;
  /** `accept()` failures that made the loop pause (file descriptors exhausted, …). */
  acceptErrors: number;
  /** Clients that `admit` refused: closed at accept, sent nothing. */
  refused: number;
}

/** Accept failures that only concern one client, which went away before it was accepted. */
const CLIENT_GONE = ["ECONNABORTED", "ECONNRESET", "ENOTCONN", "EPROTO", "EPERM"];

/**
 * Serves `listener` until `options.signal` aborts, then drains and returns the counts.
 * The loop keeps accepting whatever one client does: an accept that fails because the
 * client already reset is skipped; running out of file descriptors pauses the loop
 * (5 ms, doubling up to 1 s, back to 5 ms after a success) until descriptors free up.
 * Takes ownership of `listener` and closes it.
 *
 * @param listener A listening TCP socket.
 * @param options The message, limits, deadlines and the stop signal.
 * @returns The counts, once stopped and drained.
 * @example Serve "Hello, world!" to one client, then stop
 * ```ts
 * import { readAll, serveStream } from "@socketkit/socketkit";
 * import { deepStrictEqual as assertEquals } from "node:assert/strict";
 *
 * const stop = new AbortController();
 * const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 }); // serveStream closes it
 * const clients: number[] = [];
 * const serving = serveStream(listener, {
 *   message: new TextEncoder().encode("Hello, world!"),
 *   signal: stop.signal,
 *   onConnection: (remote) => clients.push(remote.port),
 * });
 *
 * using conn = await Deno.connect({ hostname: "127.0.0.1", port: listener.addr.port });
 * const { bytes, end } = await readAll(conn, { timeout: 1000 });
 * assertEquals([new TextDecoder().decode(bytes), end], ["Hello, world!", "eof"]);
 *
 * stop.abort();
 * assertEquals(await serving, { served: 1, failed: 0, dropped: 0, acceptErrors: 0, refused: 0 });
 * assertEquals(clients, [conn.localAddr.port]);
 * ```
 * @example A client that `admit` refuses is closed before a byte is sent
 * ```ts
 * import { readAll, serveStream } from "@socketkit/socketkit";
 * import { deepStrictEqual as assertEquals } from "node:assert/strict";
 *
 * const stop = new AbortController();
 * const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
 * const serving = serveStream(listener, {
 *   message: new TextEncoder().encode("Hello, world!"),
 *   signal: stop.signal,
 *   admit: (remote) => remote.hostname !== "127.0.0.1",
 * });
 *
 * using conn = await Deno.connect({ hostname: "127.0.0.1", port: listener.addr.port });
 * const { bytes, end } = await readAll(conn, { timeout: 1000 });
 * assertEquals([bytes.length, end], [0, "eof"]);
 *
 * stop.abort();
 * const { served, refused } = await serving;
 * assertEquals({ served, refused }, { served: 0, refused: 1 });
 * ```
 */
export async function serveStream(
  listener: Deno.TcpListener,
  options: ServeStreamOptions,
): Promise<ServeStats> {
  const stats: ServeStats = { served: 0, failed: 0, dropped: 0, acceptErrors: 0, refused: 0 };
  const max = options.maxConnections ?? 1024;
  const writeTimeout = options.writeTimeout ?? 10_000;
  const lingerTimeout = options.lingerTimeout ?? 0;
  const signal = options.signal ?? new AbortController().signal;
  const drop = (s: Session) => s.drop();
  const state: ServerState = {
    message: options.message,
    stats,
    live: new Set(),
    write: new DeadlineQueue(writeTimeout, drop),
    linger: lingerTimeout > 0 ? new DeadlineQueue(lingerTimeout, drop) : undefined,
    wake: undefined,
    onStep: options.onStep,
  };
  const live = state.live;
  const onStop = () => {
    try {
      listener.close();
    } catch { /* already closed */ }
    state.wake?.();
  };
  signal.addEventListener("abort", onStop, { once: true });
  if (signal.aborted) onStop();

  let pause = 0;
  try {
    while (!signal.aborted) {
      if (max > 0 && live.size >= max) {
        await new Promise<void>((resolve) => state.wake = resolve);
        state.wake = undefined;
        continue;
      }
      let conn: Deno.TcpConn;
      try {
        conn = await listener.accept();
        pause = 0;
      } catch (err) {
        if (signal.aborted || err instanceof Deno.errors.BadResource) break;
        if (CLIENT_GONE.includes((err as { code?: string }).code ?? "")) continue;
        pause = pause === 0 ? 5 : Math.min(pause * 2, 1000);
        stats.acceptErrors++;
        options.onAcceptError?.(err as Error, pause);
        await sleep(pause, signal);
        continue;
      }
      options.onStep?.({
        call: "accept",
        args: "",
        result: stepAddress(conn.remoteAddr),
        note: "task-per-client",
      });
      if (options.admit && !options.admit(conn.remoteAddr)) {
        stats.refused++;
        options.onRefused?.(conn.remoteAddr);
        conn.close();
        options.onStep?.({ call: "close", args: "", result: "refused" });
        continue;
      }
      options.onConnection?.(conn.remoteAddr);
      new Session(conn, state);
    }
  } finally {
    signal.removeEventListener("abort", onStop);
    onStop();
  }
  await drain(live, options.drainTimeout ?? 5_000);
  return stats;
}

const scratch = new Uint8Array(16 * 1024);

/** What every client of one server shares. */
interface ServerState {
  message: Uint8Array;
  stats: ServeStats;
  live: Set<Session>;
  write: DeadlineQueue<Session>;
  linger: DeadlineQueue<Session> | undefined;
  /** Wakes the accept loop when it waits for a free slot. */
  wake: (() => void) | undefined;
  onStep: OnStep | undefined;
}

/** One client being served; `drop()` ends it early, counting it as dropped if unserved. */
class Session {
  readonly done: Promise<void>;
  #conn: Deno.TcpConn;
  #state: ServerState;
  #closed = false;

  constructor(conn: Deno.TcpConn, state: ServerState) {
    this.#conn = conn;
    this.#state = state;
    state.live.add(this);
    state.write.add(this);
    this.done = this.#run();
  }

  drop(): void {
    if (this.#closed) return;
    this.#closed = true;
    try {
      this.#conn.close();
    } catch { /* already closed */ }
  }

  async #run(): Promise<void> {
    const { message, stats, write, linger } = this.#state;
    const conn = this.#conn;
    let sent = false;
    try {
      // Writes may be short: loop until every byte is written (or the deadline drops us).
      let off = await conn.write(message);
      while (off < message.length) off += await conn.write(message.subarray(off));
      sent = true;
      stats.served++;
      this.#state.onStep?.({ call: "send", args: `${message.length} bytes` });
      write.delete(this);
      if (linger) {
        await conn.closeWrite();
        linger.add(this);
        while (await conn.read(scratch) !== null) { /* discard what the client sent */ }
      }
    } catch {
      if (!sent) {
        if (this.#closed) stats.dropped++;
        else stats.failed++;
      }
    } finally {
      write.delete(this);
      linger?.delete(this);
      this.drop();
      this.#state.onStep?.({ call: "close", args: "" });
      this.#state.live.delete(this);
      this.#state.wake?.();
    }
  }
}

async function drain(live: Set<Session>, drainTimeout: number): Promise<void> {
  if (live.size === 0) return;
  const finished = Promise.all([...live].map((c) => c.done));
  let timer: ReturnType<typeof setTimeout> | undefined;
  const expired = new Promise<boolean>((resolve) => {
    timer = setTimeout(() => resolve(true), drainTimeout);
  });
  const timedOut = await Promise.race([finished.then(() => false), expired]);
  clearTimeout(timer);
  if (!timedOut) return;
  for (const client of live) client.drop();
  await finished;
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
