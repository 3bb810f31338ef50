/**
 * One client's session, the one path every served client takes whatever its layer: the
 * handshake under its deadline, the handler on a {@linkcode StreamConn} whose every read and
 * write is under a deadline, the end (in-band close, lingering close), and one closed state
 * that frees the slot exactly once.
 *
 * @module
 */
import type { DeadlineQueue } from "./_deadline_queue.ts";
import { addressKey } from "./address.ts";
import { type OnStep, type StepAddress, stepAddress } from "./steps.ts";
import type { StreamConn, StreamHandler, TlsInfo } from "./stream_conn.ts";
import type { LayerConn, StreamLayer } from "./stream_layer.ts";
import type { ServeStats } from "./serve_stream.ts";

/** What every session of one server shares. */
export interface Shared {
  handler: StreamHandler;
  layer: StreamLayer;
  stats: ServeStats;
  live: Set<Session>;
  write: DeadlineQueue<Session>;
  idle: DeadlineQueue<Session>;
  handshake: DeadlineQueue<Session>;
  linger: DeadlineQueue<Session> | undefined;
  /** Handshakes in progress per client address (`maxHandshakesPerAddress`). */
  handshaking: Map<string, number>;
  maxHandshakesPerAddress: number;
  /** Sessions in their handshake, oldest first (the global bound, `maxHandshakes`). */
  handshakes: Set<Session>;
  /**
   * At most this many sessions are in their handshake at once (half of `maxConnections`, 0
   * for no bound); a further one drops the oldest, so that stalled handshakes, from however
   * many addresses, cannot take the slots a finished session needs.
   */
  maxHandshakes: number;
  /** Wakes the accept loop when it waits for a free slot. */
  wake: (() => void) | undefined;
  onConnection: ((peer: Deno.Addr, tls?: TlsInfo) => void) | undefined;
  onHandshakeError: ((peer: Deno.Addr, error: unknown) => void) | undefined;
  onHandlerError: ((peer: Deno.Addr, error: unknown) => void) | undefined;
  onStep: OnStep | undefined;
}

const scratch = new Uint8Array(16 * 1024);
const noop = () => {};
/** The reason of every session's own end: made once, since building an error costs. */
const ENDED = new Deno.errors.Interrupted("session ended");

/** The key that limits handshakes per address: an IP peer's host, none for a Unix peer. */
function hostKey(addr: Deno.Addr): string | undefined {
  return addr.transport === "tcp" ? addressKey(addr.hostname) : undefined;
}

/** One client being served; `drop()` ends it early (a deadline, the drain). */
export class Session {
  readonly done: Promise<void>;
  #conn: Deno.Conn;
  #s: Shared;
  #closed = false;
  #reason: Error | undefined;
  #inner: LayerConn | undefined;
  #rejectDropped: ((err: Error) => void) | undefined;
  #dropped: Promise<never> | undefined;
  /** The client's address, for the steps (only when they are asked for). */
  readonly at: { address?: StepAddress } = {};

  constructor(conn: Deno.Conn, shared: Shared) {
    this.#conn = conn;
    this.#s = shared;
    if (shared.onStep) this.at.address = stepAddress(conn.remoteAddr);
    shared.live.add(this);
    this.done = this.#run();
  }

  /** Ends the session at once; what it waits on rejects with `reason`. */
  drop(reason?: Error): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#reason = reason ?? new Deno.errors.TimedOut("deadline passed");
    this.#rejectDropped?.(this.#reason);
    if (this.#inner) this.#inner.close();
    else {
      try {
        this.#conn.close();
      } catch { /* already closed */ }
    }
  }

  /**
   * What a failed call on a dropped session rejects with: the drop's reason (a deadline's
   * `Deno.errors.TimedOut`, the drain's `Interrupted`), not the error the closed socket gave
   * (a Deno connection's `Interrupted: operation canceled`); otherwise `err` itself.
   */
  failure(err: unknown): unknown {
    return this.#closed ? this.#reason : err;
  }

  /**
   * `p`, or the drop's error as soon as the session is dropped, whatever `p` does (not
   * needed for a layer whose `close()` settles its pending calls itself).
   */
  guard<T>(p: Promise<T>, settlesOnClose = false): Promise<T> {
    if (settlesOnClose) return p;
    if (this.#closed) {
      p.catch(noop);
      return Promise.reject(this.#reason);
    }
    if (this.#dropped === undefined) {
      this.#dropped = new Promise<never>((_, reject) => this.#rejectDropped = reject);
      this.#dropped.catch(noop);
    }
    return Promise.race([p, this.#dropped]);
  }

  async #run(): Promise<void> {
    const s = this.#s;
    const peer = this.#conn.remoteAddr;
    let served = false;
    let conn: SessionConn | undefined;
    try {
      const inner = s.layer.handshake
        ? await this.#handshake(peer)
        : await s.layer.open(this.#conn);
      if (inner === undefined) return;
      this.#inner = inner;
      conn = new SessionConn(this, this.#conn, inner, s);
      s.onConnection?.(peer, inner.tls);
      await s.handler(conn, peer);
      const finishing = conn.finish();
      if (finishing !== undefined) await finishing;
      served = true;
      s.stats.served++;
      if (s.linger && !conn.closed) {
        await conn.closeWrite();
        s.linger.add(this);
        const settles = inner.settlesOnClose === true;
        while (await this.guard(inner.read(scratch), settles) !== null) { /* discard */ }
      }
    } catch (err) {
      if (!served) {
        if (this.#closed) s.stats.dropped++;
        else {
          s.stats.failed++;
          s.onHandlerError?.(peer, err);
        }
      }
    } finally {
      this.#end();
    }
  }

  /** The layer's handshake, under its deadline and the per-address limit. */
  async #handshake(peer: Deno.Addr): Promise<LayerConn | undefined> {
    const s = this.#s;
    const key = hostKey(peer);
    const count = key === undefined ? 0 : s.handshaking.get(key) ?? 0;
    if (key !== undefined && s.maxHandshakesPerAddress > 0) {
      if (count >= s.maxHandshakesPerAddress) {
        s.stats.failedHandshakes++;
        s.onHandshakeError?.(
          peer,
          new Deno.errors.Busy(`${count} handshakes already in progress from this address`),
        );
        return undefined;
      }
    }
    if (s.maxHandshakes > 0 && s.handshakes.size >= s.maxHandshakes) {
      // Full: the oldest handshake makes room, as a SYN-flood defence drops the oldest
      // half-open connection. An honest handshake is done long before it is the oldest.
      const oldest = s.handshakes.values().next().value!;
      s.handshakes.delete(oldest);
      oldest.drop(
        new Deno.errors.Busy(
          `${s.maxHandshakes} handshakes in progress (half of maxConnections): the oldest ` +
            "dropped for a newer client",
        ),
      );
    }
    s.handshakes.add(this);
    if (key !== undefined) s.handshaking.set(key, count + 1);
    s.handshake.add(this);
    s.onStep?.({ call: "handshake", phase: "start", ...this.at });
    try {
      const opened = await this.guard(s.layer.open(this.#conn));
      s.onStep?.({ call: "handshake", phase: "end", ...this.at });
      return opened;
    } catch (err) {
      s.stats.failedHandshakes++;
      const error = this.#closed ? this.#reason : err;
      s.onStep?.({ call: "handshake", phase: "end", error, ...this.at });
      s.onHandshakeError?.(peer, error);
      return undefined;
    } finally {
      s.handshake.delete(this);
      s.handshakes.delete(this);
      if (key !== undefined) {
        const left = (s.handshaking.get(key) ?? 1) - 1;
        if (left > 0) s.handshaking.set(key, left);
        else s.handshaking.delete(key);
      }
    }
  }

  /** The end of every session, served or not: deadlines go, the socket closes, a slot frees. */
  #end(): void {
    const s = this.#s;
    s.handshake.delete(this);
    s.handshakes.delete(this);
    s.write.delete(this);
    s.idle.delete(this);
    s.linger?.delete(this);
    this.drop(ENDED);
    s.onStep?.({ call: "close", type: "stream", ...this.at });
    s.live.delete(this);
    s.wake?.();
  }
}

/**
 * The handler's view of a session: reads under the idle deadline, writes in order under the
 * write deadline, all of them ended by a drop.
 */
class SessionConn implements StreamConn {
  readonly localAddr: Deno.Addr;
  readonly remoteAddr: Deno.Addr;
  readonly tls?: TlsInfo | undefined;
  closed = false;
  #session: Session;
  #inner: LayerConn;
  #s: Shared;
  #writing: Promise<unknown> | undefined;
  /** Writes (and the close of our side) queued or running. */
  #busy = 0;
  #writeError: unknown;
  #writeClosed = false;
  #settles: boolean;

  constructor(session: Session, conn: Deno.Conn, inner: LayerConn, shared: Shared) {
    this.localAddr = conn.localAddr;
    this.remoteAddr = conn.remoteAddr;
    if (inner.tls) this.tls = inner.tls;
    this.#session = session;
    this.#inner = inner;
    this.#s = shared;
    this.#settles = inner.settlesOnClose === true;
  }

  async read(p: Uint8Array): Promise<number | null> {
    const { idle, onStep } = this.#s;
    idle.add(this.#session);
    try {
      const n = await this.#session.guard(this.#inner.read(p), this.#settles);
      onStep?.({ call: "recv", bytes: n ?? 0, data: p.subarray(0, n ?? 0), ...this.#session.at });
      return n;
    } catch (err) {
      throw this.#session.failure(err);
    } finally {
      idle.delete(this.#session);
    }
  }

  write(p: Uint8Array): Promise<number> {
    return this.#queue(async () => {
      if (p.length === 0) return 0;
      await this.#inner.write(p);
      this.#s.onStep?.({ call: "send", bytes: p.length, data: p, ...this.#session.at });
      return p.length;
    });
  }

  closeWrite(): Promise<void> {
    return this.#queue(async () => {
      if (this.#writeClosed) return;
      this.#writeClosed = true;
      await this.#inner.closeWrite();
    });
  }

  close(): void {
    this.closed = true;
    this.#inner.close();
  }

  /**
   * After the handler: pending writes done, and the in-band end (TLS) sent; undefined when
   * there is nothing to wait for.
   */
  finish(): Promise<void> | undefined {
    if (this.closed) return undefined;
    if (this.#inner.endsInBand) return this.closeWrite();
    if (this.#busy === 0) {
      if (this.#writeError !== undefined) return Promise.reject(this.#writeError);
      return undefined;
    }
    return this.#writing!.then(() => {
      if (this.#writeError !== undefined) throw this.#writeError;
    });
  }

  /** Runs `op` after the writes before it, under the write deadline. */
  #queue<T>(op: () => Promise<T>): Promise<T> {
    const run = this.#busy === 0 || this.#writing === undefined
      ? this.#timed(op)
      : this.#writing.then(() => this.#timed(op));
    this.#busy++;
    this.#writing = run.then(
      () => void this.#busy--,
      (err) => (this.#busy--, this.#writeError ??= err),
    );
    return run;
  }

  async #timed<T>(op: () => Promise<T>): Promise<T> {
    const { write } = this.#s;
    write.add(this.#session);
    try {
      return await this.#session.guard(op(), this.#settles);
    } catch (err) {
      throw this.#session.failure(err);
    } finally {
      write.delete(this.#session);
    }
  }
}
