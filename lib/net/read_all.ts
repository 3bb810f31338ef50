/**
 * Reading a stream to its end, bounded in size and time, without losing a byte to a
 * timeout: a read that outlives its deadline stays pending and the next read takes it over.
 *
 * @module
 */
import { startTimer } from "./_timer.ts";

/** Anything with a stream's `read()`: a `Deno.Conn`, `Deno.TcpConn`, `Deno.FsFile`. */
export interface StreamSource {
  /**
   * Reads into `p`; resolves with the number of bytes read, or `null` at the end.
   *
   * @param p Where to read to.
   */
  read(p: Uint8Array): Promise<number | null>;
}

/** Options for {@linkcode readAll} and {@linkcode StreamReader.readAll}. */
export interface ReadAllOptions {
  /**
   * Stop after this many bytes.
   * @default {65536}
   */
  limit?: number | undefined;
  /**
   * Stop when the whole read has taken this many milliseconds.
   * @default {undefined} (no deadline)
   */
  timeout?: number | undefined;
}

/** Options for {@linkcode StreamReader.read}. */
export interface StreamReadOptions {
  /**
   * Stop waiting when this is aborted: the read rejects with the signal's reason and
   * stays pending for the next call.
   * @default {undefined}
   */
  signal?: AbortSignal | undefined;
}

/** What {@linkcode readAll} got, and why it stopped. */
export interface ReadAllResult {
  /** Every byte read, in order. */
  bytes: Uint8Array;
  /**
   * `eof`: the peer closed; `limit`: the size limit was reached and more is there;
   * `timeout`: the deadline passed; `reset`: the peer reset the connection after sending
   * `bytes` (a server that closes with data of ours unread does that).
   */
  end: "eof" | "limit" | "timeout" | "reset";
}

/** How the one read in flight ended. */
type Settled = { ok: true; n: number | null } | { ok: false; error: unknown };

const readers = new WeakMap<StreamSource, StreamReader>();

/**
 * The reading side of a stream, with at most one read in flight. A read that is given up
 * (its signal aborted, its deadline passed) is not cancelled — a stream read cannot be —
 * but kept, and the next read or readAll takes over what it brings, so no byte is lost.
 * Bytes read but not yet asked for are kept too. Get it with {@linkcode StreamReader.of}:
 * there is one reader per stream, and everything read from the stream must go through it.
 *
 * @example A first read times out, the second gets what came later
 * ```ts
 * import { StreamReader } from "./read_all.ts";
 * import { deepStrictEqual as assertEquals } from "node:assert/strict";
 *
 * using listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
 * using client = await Deno.connect({ hostname: "127.0.0.1", port: listener.addr.port });
 * using peer = await listener.accept();
 * const reader = StreamReader.of(client);
 * const first = await reader.readAll({ timeout: 50 }); // the peer is silent
 * await peer.write(new TextEncoder().encode("late"));
 * peer.closeWrite();
 * const second = await reader.readAll({ timeout: 1000 });
 * assertEquals([first.end, first.bytes.length], ["timeout", 0]);
 * assertEquals([second.end, new TextDecoder().decode(second.bytes)], ["eof", "late"]);
 * ```
 */
export class StreamReader {
  #source: StreamSource;
  #chunk = new Uint8Array(16384);
  #start = 0;
  #end = 0;
  #pending: Promise<Settled> | undefined;

  private constructor(source: StreamSource) {
    this.#source = source;
  }

  /**
   * The reader of `source`: the same object on every call for the same stream.
   *
   * @param source The stream to read.
   * @returns Its reader.
   */
  static of(source: StreamSource): StreamReader {
    let reader = readers.get(source);
    if (reader === undefined) {
      reader = new StreamReader(source);
      readers.set(source, reader);
    }
    return reader;
  }

  /** How many bytes were read from the stream but not yet returned. */
  get buffered(): number {
    return this.#end - this.#start;
  }

  /**
   * Reads what is buffered, or waits for the stream's next bytes, into `p`.
   *
   * @param p Where to read to.
   * @param options A signal to stop waiting.
   * @returns How many bytes were read, or `null` when the peer closed.
   * @throws {unknown} The stream's error (`Deno.errors.ConnectionReset`, …), or the
   * signal's reason when it aborted first (the read stays pending for the next call).
   */
  async read(p: Uint8Array, options: StreamReadOptions = {}): Promise<number | null> {
    if (p.length === 0) return 0;
    if (this.buffered === 0) {
      const got = await this.#fill(options.signal);
      if (got !== undefined) return got;
    }
    const n = Math.min(p.length, this.buffered);
    p.set(this.#chunk.subarray(this.#start, this.#start + n));
    this.#start += n;
    return n;
  }

  /**
   * Reads until the peer closes its side, the limit is reached, or the deadline passes —
   * a stream may arrive in pieces, so one read is never taken for the whole message. On
   * `limit` or `timeout` the stream is left open, and what comes next (or is already
   * buffered past the limit) is kept for the next read.
   *
   * @param options The size limit and deadline.
   * @returns The bytes and why reading stopped.
   * @throws {unknown} The stream's error, when nothing was read before it.
   */
  async readAll(options: ReadAllOptions = {}): Promise<ReadAllResult> {
    const limit = options.limit ?? 65536;
    const buf = new Uint8Array(limit);
    let used = 0;
    const deadline = new AbortController();
    const cancel = options.timeout === undefined
      ? undefined
      : startTimer(options.timeout, () => deadline.abort());
    try {
      while (true) {
        let got: number | null;
        try {
          if (used < limit) got = await this.read(buf.subarray(used), { signal: deadline.signal });
          // At the limit, wait for one more byte or the end: only then is it known which.
          else if (this.buffered > 0) got = this.buffered;
          else got = (await this.#fill(deadline.signal)) === null ? null : this.buffered;
        } catch (err) {
          if (deadline.signal.aborted) return { bytes: buf.slice(0, used), end: "timeout" };
          if (err instanceof Deno.errors.ConnectionReset && used > 0) {
            return { bytes: buf.slice(0, used), end: "reset" };
          }
          throw err;
        }
        if (got === null) return { bytes: buf.slice(0, used), end: "eof" };
        if (used === limit) return { bytes: buf, end: "limit" };
        used += got;
      }
    } finally {
      cancel?.();
    }
  }

  /**
   * Waits for the read in flight (starting one if none is, into the chunk: so only when
   * nothing is buffered), and keeps what it brought. Returns `null` at the end, `undefined`
   * when the bytes are in the chunk.
   */
  async #fill(signal: AbortSignal | undefined): Promise<null | undefined> {
    this.#pending ??= this.#source.read(this.#chunk).then(
      (n): Settled => ({ ok: true, n }),
      (error): Settled => ({ ok: false, error }),
    );
    const settled = signal === undefined
      ? await this.#pending
      : await raceAbort(this.#pending, signal);
    this.#pending = undefined;
    if (!settled.ok) throw settled.error;
    if (settled.n === null) return null;
    this.#start = 0;
    this.#end = settled.n;
    return undefined;
  }
}

/** `promise`, or a rejection with `signal.reason` if the signal aborts first. */
function raceAbort<T>(promise: Promise<T>, signal: AbortSignal): Promise<T> {
  if (signal.aborted) return Promise.reject(signal.reason);
  let onAbort = () => {};
  const aborted = new Promise<never>((_, reject) => {
    onAbort = () => reject(signal.reason);
    signal.addEventListener("abort", onAbort, { once: true });
  });
  return Promise.race([promise, aborted]).finally(() => {
    signal.removeEventListener("abort", onAbort);
  });
}

/**
 * Reads `conn` until the peer closes its side, the limit is reached, or the deadline
 * passes: {@linkcode StreamReader.readAll} on the stream's one {@linkcode StreamReader}, so
 * a later `readAll(conn)` or `StreamReader.of(conn).read()` gets whatever arrives after a
 * timeout. On `limit` or `timeout` the connection is left open.
 *
 * @param conn The connection to read.
 * @param options The size limit and deadline.
 * @returns The bytes and why reading stopped.
 * @throws {unknown} The stream's error, when nothing was read before it.
 * @example Read up to a limit, then the rest: no byte is lost
 * ```ts
 * import { readAll } from "@socketkit/socketkit";
 * import { deepStrictEqual as assertEquals } from "node:assert/strict";
 *
 * using listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
 * using conn = await Deno.connect({ hostname: "127.0.0.1", port: listener.addr.port });
 * {
 *   using peer = await listener.accept();
 *   await peer.write(new TextEncoder().encode("Hello, world!"));
 * } // the peer closes here
 * const head = await readAll(conn, { limit: 5, timeout: 1000 });
 * assertEquals([new TextDecoder().decode(head.bytes), head.end], ["Hello", "limit"]);
 * const rest = await readAll(conn, { timeout: 1000 });
 * assertEquals([new TextDecoder().decode(rest.bytes), rest.end], [", world!", "eof"]);
 * ```
 */
export function readAll(conn: StreamSource, options: ReadAllOptions = {}): Promise<ReadAllResult> {
  return StreamReader.of(conn).readAll(options);
}
