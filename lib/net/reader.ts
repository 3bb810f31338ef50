/**
 * Buffered reading of a stream, as Go's `bufio.Reader` does it: a line, bytes up to a
 * delimiter, exactly N bytes, or everything to the end — each bounded in size and time, and
 * none losing a byte to a timeout.
 *
 * @module
 */
import { joinHostPort } from "./address.ts";
import { NetError, type Network } from "./errors.ts";
import { integerOption, signalOption, timeoutOption } from "./_validate.ts";
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

/** The deadline and cancellation of one read of a {@linkcode StreamReader}. */
export interface ReadOptions {
  /**
   * Give up after this many milliseconds with a {@linkcode NetError} whose `timeout` is
   * true; 0 means no deadline, as in Go. Nothing is lost: what was read stays buffered.
   * @default {undefined} (no deadline)
   */
  timeout?: number | undefined;
  /**
   * Stop waiting when this is aborted: the read rejects with the signal's reason, and
   * what was read stays buffered.
   * @default {undefined}
   */
  signal?: AbortSignal | undefined;
}

/** Options for {@linkcode StreamReader.readLine} and {@linkcode StreamReader.readUntil}. */
export interface ReadUntilOptions extends ReadOptions {
  /**
   * The longest line (or piece up to the delimiter) accepted, delimiter included: a longer
   * one is a {@linkcode NetError} whose cause is a `Deno.errors.InvalidData`, and its bytes
   * stay buffered.
   * @default {65536}
   */
  maxBytes?: number | undefined;
}

/** Options for {@linkcode readAll} and {@linkcode StreamReader.readAll}. */
export interface ReadAllOptions extends ReadOptions {
  /**
   * Stop after this many bytes (a whole number from 0 to 2^30).
   * @default {65536}
   */
  limit?: number | undefined;
}

/** What {@linkcode readAll} got, and why it stopped. */
export interface ReadAllResult {
  /** Every byte read, in order. */
  bytes: Uint8Array;
  /**
   * `eof`: the peer closed; `limit`: `limit` bytes were read (more may follow; they stay
   * for the next read); `timeout`: the deadline passed; `reset`: the peer reset the
   * connection after sending `bytes` (a server that closes with data of ours unread does
   * that).
   */
  end: "eof" | "limit" | "timeout" | "reset";
}

/** How the one read in flight ended. */
type Settled = { ok: true; n: number | null } | { ok: false; error: unknown };

const MAX_LIMIT = 2 ** 30;
const CHUNK = 16384;
const NEWLINE = 0x0a;
const readers = new WeakMap<StreamSource, StreamReader>();

/**
 * The reading side of a stream, with at most one read in flight. A read that is given up
 * (its deadline passed, its signal aborted) cannot be cancelled — a stream's read cannot
 * be — so it is kept, and the next call of this reader takes over what it brings: no byte
 * is lost, as long as every later read of the stream goes through this reader (a direct
 * `conn.read()` after a timeout would race the kept read). Get it with
 * {@linkcode StreamReader.of}: one reader per stream, the same one `readAll` uses.
 *
 * Needs what the stream needs (`--allow-net` made the connection); reading needs nothing.
 *
 * @example Read a line, then exactly four bytes, then the rest
 * ```ts
 * import { StreamReader } from "@socketkit/socketkit";
 * import { deepStrictEqual as assertEquals } from "node:assert/strict";
 *
 * using listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
 * using conn = await Deno.connect({ hostname: "127.0.0.1", port: listener.addr.port });
 * {
 *   using peer = await listener.accept();
 *   await peer.write(new TextEncoder().encode("HELLO 1\r\nabcdrest"));
 * } // the peer closes here
 * const reader = StreamReader.of(conn);
 * assertEquals(await reader.readLine({ timeout: 1000 }), "HELLO 1");
 * assertEquals(new TextDecoder().decode(await reader.readExactly(4, { timeout: 1000 })), "abcd");
 * const rest = await reader.readAll({ timeout: 1000 });
 * assertEquals([new TextDecoder().decode(rest.bytes), rest.end], ["rest", "eof"]);
 * assertEquals(await reader.readLine(), null); // the end
 * ```
 * @example A read that timed out loses nothing: the next one gets the late bytes
 * ```ts
 * import { NetError, StreamReader } from "@socketkit/socketkit";
 * import { deepStrictEqual as assertEquals } from "node:assert/strict";
 *
 * using listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
 * using conn = await Deno.connect({ hostname: "127.0.0.1", port: listener.addr.port });
 * using peer = await listener.accept();
 * const reader = StreamReader.of(conn);
 * await peer.write(new TextEncoder().encode("half a "));
 * const err = await reader.readLine({ timeout: 50 }).catch((e) => e);
 * assertEquals(err instanceof NetError && err.timeout, true);
 * await peer.write(new TextEncoder().encode("line\n"));
 * assertEquals(await reader.readLine({ timeout: 1000 }), "half a line");
 * ```
 */
export class StreamReader {
  #source: StreamSource;
  #chunk = new Uint8Array(CHUNK);
  #buf = new Uint8Array(CHUNK);
  #start = 0;
  #end = 0;
  #eof = false;
  #pending: Promise<Settled> | undefined;

  private constructor(source: StreamSource) {
    this.#source = source;
  }

  /**
   * The reader of `source`: the same object on every call for the same stream.
   *
   * @param source The stream to read.
   * @returns Its reader.
   * @throws {TypeError} When `source` has no `read()`.
   */
  static of(source: StreamSource): StreamReader {
    if (typeof (source as Partial<StreamSource> | null)?.read !== "function") {
      throw new TypeError(`Invalid source "${String(source)}": expected a stream with read()`);
    }
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
   * Reads what is buffered, or waits for the stream's next bytes, into `p`: a
   * `Deno.Conn`-shaped `read()`, so the reader can stand for its stream.
   *
   * @param p Where to read to.
   * @param options A deadline and a signal.
   * @returns How many bytes were read, or `null` when the peer closed.
   * @throws {unknown} The stream's own error, as its `read()` throws it
   * (`Deno.errors.ConnectionReset`, …); a {@linkcode NetError} with `timeout` true when the
   * deadline passed; the signal's reason when it aborted first (the read stays pending).
   */
  async read(p: Uint8Array, options: ReadOptions = {}): Promise<number | null> {
    if (p.length === 0) return 0;
    await this.#wait(options, () => this.buffered > 0, false);
    if (this.buffered === 0) return null;
    const n = Math.min(p.length, this.buffered);
    p.set(this.#buf.subarray(this.#start, this.#start + n));
    this.#start += n;
    return n;
  }

  /**
   * Reads up to and including the first `delimiter` byte.
   *
   * @param delimiter The byte to stop after (0…255).
   * @param options The size bound, a deadline and a signal.
   * @returns The bytes, delimiter included; at the end, what was left without one, then
   * `null`.
   * @throws {NetError} Op `read`: the stream failed; `timeout` true when the deadline
   * passed; a `Deno.errors.InvalidData` cause when more than `maxBytes` came without the
   * delimiter. Nothing is consumed when it throws.
   * @throws {RangeError} For a delimiter, `maxBytes` or `timeout` out of range.
   */
  async readUntil(delimiter: number, options: ReadUntilOptions = {}): Promise<Uint8Array | null> {
    integerOption("delimiter", delimiter, 0, 255);
    const max = integerOption("maxBytes", options.maxBytes ?? 65536, 1, MAX_LIMIT);
    let scanned = 0;
    let found = -1;
    await this.#wait(options, () => {
      const at = this.#buf.subarray(this.#start + scanned, this.#end).indexOf(delimiter);
      if (at >= 0) found = this.#start + scanned + at;
      scanned = this.buffered;
      if (found < 0 && scanned >= max) {
        const cause = new Deno.errors.InvalidData(`more than ${max} bytes without a delimiter`);
        throw sourceError(this.#source, cause);
      }
      return found >= 0;
    });
    if (found < 0 && this.buffered === 0) return null;
    const end = found < 0 ? this.#end : found + 1;
    if (end - this.#start > max) {
      throw sourceError(this.#source, new Deno.errors.InvalidData(`line longer than ${max} bytes`));
    }
    const out = this.#buf.slice(this.#start, end);
    this.#start = end;
    return out;
  }

  /**
   * Reads one line, ended by `\n` or `\r\n` (neither is returned), decoded as UTF-8.
   *
   * @param options The size bound (`\n` included), a deadline and a signal.
   * @returns The line; at the end, the last line if it had no `\n`, then `null`.
   * @throws {NetError} As {@linkcode StreamReader.readUntil} does.
   */
  async readLine(options: ReadUntilOptions = {}): Promise<string | null> {
    const bytes = await this.readUntil(NEWLINE, options);
    if (bytes === null) return null;
    let end = bytes.length;
    if (bytes[end - 1] === NEWLINE) end--;
    if (end > 0 && bytes[end - 1] === 0x0d && end < bytes.length) end--;
    return new TextDecoder().decode(bytes.subarray(0, end));
  }

  /**
   * Reads exactly `n` bytes.
   *
   * @param n How many (a whole number from 0 to 2^30).
   * @param options A deadline and a signal.
   * @returns The `n` bytes.
   * @throws {NetError} Op `read`: the stream failed; `timeout` true when the deadline
   * passed; a `Deno.errors.UnexpectedEof` cause when the peer closed first. Nothing is
   * consumed when it throws.
   * @throws {RangeError} For `n` or `timeout` out of range.
   */
  async readExactly(n: number, options: ReadOptions = {}): Promise<Uint8Array> {
    integerOption("n", n, 0, MAX_LIMIT);
    await this.#wait(options, () => this.buffered >= n);
    if (this.buffered < n) {
      const cause = new Deno.errors.UnexpectedEof(`closed after ${this.buffered} of ${n} bytes`);
      throw sourceError(this.#source, cause);
    }
    const out = this.#buf.slice(this.#start, this.#start + n);
    this.#start += n;
    return out;
  }

  /**
   * Reads until the peer closes its side, the limit is reached, or the deadline passes —
   * a stream may arrive in pieces, so one read is never taken for the whole message. On
   * `limit` or `timeout` the stream is left open, and what comes next (or is already
   * buffered past the limit) is kept for the next read.
   *
   * @param options The size limit, a deadline and a signal.
   * @returns The bytes and why reading stopped.
   * @throws {NetError} Op `read`, when the stream failed before anything was read.
   * @throws {RangeError} For a `limit` or `timeout` out of range.
   */
  async readAll(options: ReadAllOptions = {}): Promise<ReadAllResult> {
    const limit = integerOption("limit", options.limit ?? 65536, 0, MAX_LIMIT);
    let out = new Uint8Array(Math.min(limit, CHUNK));
    let used = 0;
    const take = () => {
      const n = Math.min(this.buffered, limit - used);
      if (used + n > out.length) {
        const grown = new Uint8Array(Math.min(limit, Math.max(out.length * 2, used + n)));
        grown.set(out.subarray(0, used));
        out = grown;
      }
      out.set(this.#buf.subarray(this.#start, this.#start + n), used);
      this.#start += n;
      used += n;
      return used === limit || this.#eof;
    };
    let end: ReadAllResult["end"];
    try {
      await this.#wait(options, take);
      end = used === limit ? "limit" : "eof";
    } catch (err) {
      take();
      if (err instanceof NetError && err.timeout) {
        end = "timeout";
      } else if (err instanceof NetError && err.cause instanceof Deno.errors.ConnectionReset) {
        if (used === 0) throw err;
        end = "reset";
      } else throw err;
    }
    return { bytes: used === out.length ? out : out.slice(0, used), end };
  }

  /**
   * Reads into the buffer until `done()` says so or the stream ends, under one deadline.
   * A read given up stays pending for the next call. The stream's error is thrown as it
   * is, or (`wrap`) as a {@linkcode NetError}.
   */
  async #wait(options: ReadOptions, done: () => boolean, wrap = true): Promise<void> {
    const timeout = timeoutOption("timeout", options.timeout);
    const signal = signalOption(options.signal);
    if (done()) return;
    signal?.throwIfAborted();
    let cancelTimer: (() => void) | undefined;
    let onAbort = () => {};
    const stop = timeout === undefined && signal === undefined
      ? undefined
      : new Promise<{ stop: unknown }>((resolve) => {
        if (timeout !== undefined) {
          const error = timeoutError(this.#source, timeout);
          cancelTimer = startTimer(timeout, () => resolve({ stop: error }));
        }
        onAbort = () => resolve({ stop: signal!.reason });
        signal?.addEventListener("abort", onAbort, { once: true });
      });
    try {
      while (!this.#eof) {
        this.#pending ??= this.#source.read(this.#chunk).then(
          (n): Settled => ({ ok: true, n }),
          (error): Settled => ({ ok: false, error }),
        );
        const settled = stop === undefined
          ? await this.#pending
          : await Promise.race([this.#pending, stop]);
        if ("stop" in settled) throw settled.stop; // given up: the read stays pending
        this.#pending = undefined;
        if (!settled.ok) throw wrap ? sourceError(this.#source, settled.error) : settled.error;
        if (settled.n === null) this.#eof = true;
        else this.#append(settled.n);
        if (done()) return;
      }
    } finally {
      cancelTimer?.();
      signal?.removeEventListener("abort", onAbort);
    }
  }

  /** Keeps the `n` bytes the last read brought, compacting or growing the buffer. */
  #append(n: number): void {
    if (this.buffered === 0 && this.#buf.length === CHUNK) {
      // Nothing kept: the chunk read into becomes the buffer, with no copy (double buffering).
      [this.#buf, this.#chunk] = [this.#chunk, this.#buf];
      this.#start = 0;
      this.#end = n;
      return;
    }
    if (this.#end + n > this.#buf.length) {
      const kept = this.buffered;
      if (kept + n > this.#buf.length) {
        const grown = new Uint8Array(Math.max(kept + n, this.#buf.length * 2));
        grown.set(this.#buf.subarray(this.#start, this.#end));
        this.#buf = grown;
      } else {
        this.#buf.copyWithin(0, this.#start, this.#end);
      }
      this.#start = 0;
      this.#end = kept;
    }
    this.#buf.set(this.#chunk.subarray(0, n), this.#end);
    this.#end += n;
  }
}

/** The timeout error of a read of `source`. */
function timeoutError(source: StreamSource, ms: number): NetError {
  const [network, address] = describeSource(source);
  return new NetError("read", network, address, undefined, { timeout: ms });
}

/** A stream failure as a {@linkcode NetError} naming the stream's peer. */
function sourceError(source: StreamSource, cause: unknown): NetError {
  if (cause instanceof NetError) return cause;
  const [network, address] = describeSource(source);
  return new NetError("read", network, address, cause);
}

/** The network and peer address of a stream, as far as it tells them. */
function describeSource(source: StreamSource): [Network, string] {
  const addr = (source as { remoteAddr?: Deno.Addr }).remoteAddr;
  if (addr?.transport === "tcp") return ["tcp", joinHostPort(addr.hostname, addr.port)];
  if (addr?.transport === "unix") return ["unix", addr.path === "" ? "@" : addr.path];
  return ["tcp", "stream"];
}
