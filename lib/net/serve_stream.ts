/**
 * The stream server's accept loop: every client served concurrently, and none of them able
 * to stop the loop or stall another.
 *
 * @module
 */
import { type OnStep, type StepAddress, stepAddress } from "./steps.ts";
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
  /**
   * Echo mode: a client that neither sends nor closes for this many milliseconds is
   * dropped.
   * @default {60000}
   */
  idleTimeout?: number | undefined;
  /**
   * With a `layer` (TLS): a client must have finished its handshake within this many
   * milliseconds, or it is dropped and counted in `failedHandshakes`.
   * @default {10000}
   */
  handshakeTimeout?: number | undefined;
}

/**
 * A layer run on each accepted client before the message, such as TLS: `open` runs its
 * handshake. It runs in the client's own task, under `handshakeTimeout`, so the accept loop
 * never waits on it.
 */
export interface StreamLayer {
  /**
   * Runs the layer's handshake on an accepted connection.
   *
   * @param conn The accepted connection; closing it must make the handshake fail.
   * @returns The connection as the layer carries it, once the handshake is done.
   */
  open(conn: Deno.TcpConn): Promise<LayeredConn>;
}

/** A client's connection through a {@linkcode StreamLayer}. */
export interface LayeredConn {
  /** What the handshake settled, for the connection line (`TLSv1.3, ALPN h2`). */
  readonly description: string;
  /** Reads what the client sent into `p`: the count, or null at the end of its stream. */
  read(p: Uint8Array): Promise<number | null>;
  /** Writes all of `bytes`. */
  write(bytes: Uint8Array): Promise<void>;
  /** Ends our side cleanly (TLS: `close_notify`, then FIN); resolves once sent. */
  closeWrite(): Promise<void>;
  /** Discards what the client sends until it closes its side. */
  discardUntilEnd(): Promise<void>;
  /** Closes the connection at once. */
  close(): void;
}

/** Options for {@linkcode serveStream}. */
export interface ServeStreamOptions extends ServeLimits {
  /**
   * The bytes every client is sent before its connection is closed (in echo mode: first,
   * before the echo; may be empty).
   */
  message: Uint8Array;
  /**
   * Echo mode: after the message, every client's bytes are sent back to it as they arrive,
   * until it half-closes; then our side is closed. The write deadline holds for each
   * write (a client that sends but never reads is dropped), and `idleTimeout` for a client
   * that neither sends nor closes.
   * @default {false}
   */
  echo?: boolean | undefined;
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
   * A layer run on each client before the message (TLS): the message then goes through it.
   * @default {undefined} (the message is written to the TCP connection)
   */
  layer?: StreamLayer | undefined;
  /**
   * Called for each accepted client that is served: at accept, or with a `layer` once its
   * handshake is done, with the layer's `description`.
   * @default {undefined}
   */
  onConnection?: ((remote: Deno.NetAddr, description?: string) => void) | undefined;
  /**
   * With a `layer`: called for each client whose handshake failed or timed out.
   * @default {undefined}
   */
  onHandshakeError?: ((remote: Deno.NetAddr, error: unknown) => void) | undefined;
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
  /** With a `layer`: clients whose handshake failed or timed out, sent nothing. */
  failedHandshakes: number;
  /** Echo mode: bytes sent back, in all. */
  echoed: number;
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
 * const { served, failed, dropped, refused } = await serving;
 * assertEquals({ served, failed, dropped, refused }, { served: 1, failed: 0, dropped: 0, refused: 0 });
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
  const stats: ServeStats = {
    served: 0,
    failed: 0,
    dropped: 0,
    acceptErrors: 0,
    refused: 0,
    failedHandshakes: 0,
    echoed: 0,
  };
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
    idle: options.echo ? new DeadlineQueue(options.idleTimeout ?? 60_000, drop) : undefined,
    wake: undefined,
    onStep: options.onStep,
    layer: options.layer,
    handshake: options.layer
      ? new DeadlineQueue(options.handshakeTimeout ?? 10_000, drop)
      : undefined,
    onConnection: options.onConnection,
    onHandshakeError: options.onHandshakeError,
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
        type: "stream",
        address: stepAddress(conn.remoteAddr),
        note: "task-per-client",
      });
      if (options.admit && !options.admit(conn.remoteAddr)) {
        stats.refused++;
        options.onRefused?.(conn.remoteAddr);
        conn.close();
        options.onStep?.({
          call: "close",
          type: "stream",
          address: stepAddress(conn.remoteAddr),
          reason: "refused",
        });
        continue;
      }
      if (!state.layer) options.onConnection?.(conn.remoteAddr);
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
/** Echo mode: each client's read buffer. */
const ECHO_CHUNK = 64 * 1024;

/** What every client of one server shares. */
interface ServerState {
  message: Uint8Array;
  stats: ServeStats;
  live: Set<Session>;
  write: DeadlineQueue<Session>;
  linger: DeadlineQueue<Session> | undefined;
  /** Echo mode: the idle deadline of every client waiting for its next bytes. */
  idle: DeadlineQueue<Session> | undefined;
  /** Wakes the accept loop when it waits for a free slot. */
  wake: (() => void) | undefined;
  onStep: OnStep | undefined;
  layer: StreamLayer | undefined;
  handshake: DeadlineQueue<Session> | undefined;
  onConnection: ServeStreamOptions["onConnection"];
  onHandshakeError: ServeStreamOptions["onHandshakeError"];
}

/** One client being served; `drop()` ends it early, counting it as dropped if unserved. */
class Session {
  readonly done: Promise<void>;
  #conn: Deno.TcpConn;
  #state: ServerState;
  #closed = false;
  #layered: LayeredConn | undefined;
  /** The peer, as the steps name it (only built when someone observes steps). */
  #at: { address: StepAddress } | undefined;

  constructor(conn: Deno.TcpConn, state: ServerState) {
    this.#conn = conn;
    this.#state = state;
    if (state.onStep) this.#at = { address: stepAddress(conn.remoteAddr) };
    state.live.add(this);
    if (state.handshake) {
      state.handshake.add(this);
      this.done = this.#runLayered();
    } else {
      state.write.add(this);
      this.done = this.#run();
    }
  }

  /**
   * Echo mode: sends back what the client sends until it half-closes. Reading waits under
   * the idle deadline, writing under the write deadline; either drops the client. `io` is
   * the plain connection or the layer's (TLS).
   */
  async #echo(idle: DeadlineQueue<Session>, io: EchoIO): Promise<void> {
    const { stats, write } = this.#state;
    write.delete(this);
    const buf = new Uint8Array(ECHO_CHUNK);
    while (true) {
      idle.add(this);
      const n = await io.read(buf);
      this.#state.onStep?.({
        call: "recv",
        bytes: n ?? 0,
        data: buf.subarray(0, n ?? 0),
        ...this.#at,
      });
      if (n === null) break;
      idle.delete(this);
      write.add(this);
      await io.write(buf.subarray(0, n));
      write.delete(this);
      this.#state.onStep?.({ call: "send", bytes: n, data: buf.subarray(0, n), ...this.#at });
      stats.echoed += n;
    }
    idle.delete(this);
  }

  drop(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#layered?.close();
    try {
      this.#conn.close();
    } catch { /* already closed */ }
  }

  /** A client through the layer: handshake under its deadline, then as {@linkcode #run}. */
  async #runLayered(): Promise<void> {
    const { message, stats, write, linger, handshake, idle } = this.#state;
    const remote = this.#conn.remoteAddr;
    let sent = false;
    try {
      this.#state.onStep?.({ call: "handshake", phase: "start", ...this.#at });
      try {
        this.#layered = await this.#state.layer!.open(this.#conn);
        if (this.#closed) throw new Deno.errors.TimedOut("handshake timed out");
      } catch (err) {
        stats.failedHandshakes++;
        const error = this.#closed ? new Deno.errors.TimedOut("handshake timed out") : err;
        this.#state.onStep?.({ call: "handshake", phase: "end", error, ...this.#at });
        this.#state.onHandshakeError?.(remote, this.#closed ? new Deno.errors.TimedOut() : err);
        return;
      }
      this.#state.onStep?.({ call: "handshake", phase: "end", ...this.#at });
      handshake!.delete(this);
      this.#state.onConnection?.(remote, this.#layered.description);
      write.add(this);
      if (message.length > 0) await this.#layered.write(message);
      if (message.length > 0) {
        this.#state.onStep?.({ call: "send", bytes: message.length, data: message, ...this.#at });
      }
      if (idle !== undefined) await this.#echo(idle, this.#layered);
      await this.#layered.closeWrite();
      sent = true;
      stats.served++;
      write.delete(this);
      if (linger) {
        linger.add(this);
        await this.#layered.discardUntilEnd();
      }
    } catch {
      if (!sent) this.#countFailure();
    } finally {
      this.#end();
    }
  }

  async #run(): Promise<void> {
    const { message, stats, write, linger, idle } = this.#state;
    const conn = this.#conn;
    const writeAll = async (bytes: Uint8Array) => {
      let off = 0;
      while (off < bytes.length) off += await conn.write(bytes.subarray(off));
    };
    let sent = false;
    try {
      // Writes may be short: loop until every byte is written (or the deadline drops us).
      let off = message.length === 0 ? 0 : await conn.write(message);
      while (off < message.length) off += await conn.write(message.subarray(off));
      if (message.length > 0) {
        this.#state.onStep?.({ call: "send", bytes: message.length, data: message, ...this.#at });
      }
      if (idle !== undefined) {
        await this.#echo(idle, { read: (p) => conn.read(p), write: writeAll });
      }
      sent = true;
      stats.served++;
      write.delete(this);
      if (linger) {
        await conn.closeWrite();
        linger.add(this);
        while (await conn.read(scratch) !== null) { /* discard what the client sent */ }
      }
    } catch {
      if (!sent) this.#countFailure();
    } finally {
      this.#end();
    }
  }

  /** A client that was not served: dropped by us (a deadline, the drain) or failed itself. */
  #countFailure(): void {
    if (this.#closed) this.#state.stats.dropped++;
    else this.#state.stats.failed++;
  }

  /** The end of every client, served or not: its deadlines go, the socket closes, a slot frees. */
  #end(): void {
    const { handshake, write, linger, idle } = this.#state;
    handshake?.delete(this);
    write.delete(this);
    linger?.delete(this);
    idle?.delete(this);
    this.drop();
    this.#state.onStep?.({ call: "close", type: "stream", ...this.#at });
    this.#state.live.delete(this);
    this.#state.wake?.();
  }
}

/** What an echo reads from and writes to. */
interface EchoIO {
  read(p: Uint8Array): Promise<number | null>;
  write(bytes: Uint8Array): Promise<void>;
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
