/**
 * Terminal output shared by every tool: lines prefixed with the tool's name, batched into
 * large writes, with errors on stderr. Received bytes go through
 * {@linkcode escapeBytes} before they reach here unless the user asked for `--raw`.
 *
 * Output never stops the work: lines wait in a bounded buffer and are written
 * asynchronously, so a terminal, pipe or disk that does not keep up costs dropped (and
 * counted) lines, never a stalled server.
 *
 * @module
 */
import { describeCause } from "../net/errors.ts";

/** A sink written asynchronously, without blocking the event loop: `Deno.stdout`, a file. */
export interface AsyncByteSink {
  /** Writes some of `p`, resolving to how many bytes were written. */
  write(p: Uint8Array): Promise<number>;
}

/** A sink written synchronously: for in-memory sinks in tests, which cannot block. */
export interface SyncByteSink {
  /** Writes some of `p`, returning how many bytes were written. */
  writeSync(p: Uint8Array): number;
}

/**
 * Somewhere bytes can be written. A sink with `write` (as `Deno.stdout`, `Deno.stderr`
 * and `Deno.FsFile` have) is written asynchronously; one with only `writeSync` at once.
 */
export type ByteSink = AsyncByteSink | SyncByteSink;

/** Options for {@linkcode Output}. */
export interface OutputOptions {
  /**
   * Where lines and data go.
   * @default {Deno.stdout}
   */
  stdout?: ByteSink;
  /**
   * Where errors go.
   * @default {Deno.stderr}
   */
  stderr?: ByteSink;
  /**
   * Send status lines to stderr, keeping stdout for the exact received bytes (`--raw`).
   * @default {false}
   */
  statusToStderr?: boolean;
  /**
   * Batch lines: how long a line may wait in the buffer before it is written, in
   * milliseconds. Long-running tools batch (a flood of datagrams then costs one write per
   * 64 KiB); by default every line is written at once, which spares a one-shot tool the
   * timer machinery (about 5 ms of start-up).
   * @default {undefined} (no batching)
   */
  flushDelayMs?: number | undefined;
  /**
   * The most bytes that may wait per stream while its reader does not keep up, besides the
   * write in progress and the latest line (64 KiB each at most). Past it the oldest waiting
   * output is dropped, a quarter of the bound (64 KiB at most) at a time, and its lines
   * counted in {@linkcode Output.dropped}: the newest lines (a summary, the last error) are
   * the ones kept.
   * @default {1048576} (1 MiB)
   */
  maxPending?: number | undefined;
}

/** How long {@linkcode Output.close} waits for pending output by default, in milliseconds. */
export const OUTPUT_DRAIN_MS = 2000;

const CHUNK = 64 * 1024;
const MAX_PENDING = 1024 * 1024;
/** A write in progress this long lets the other stream's later lines overtake it. */
const STALL_MS = 200;
/**
 * A stream that has been given at most this much in all cannot block a writer: any pipe
 * (a page at least) or file takes it. Waiting for such a stream needs no bound, and so no
 * timer (whose first use costs a one-shot tool about 5 ms).
 */
const FITS_ANY_PIPE = 4096;
const encoder = new TextEncoder();

/** Bytes waiting for a stream, in order: `buf[start, used)` is unwritten. */
interface Chunk {
  buf: Uint8Array;
  /** The stream position of `buf[0]`. */
  pos: number;
  start: number;
  used: number;
}

/** One stream: its sink, its waiting chunks and its writer's state. */
interface Lane {
  sink: ByteSink;
  chunks: Chunk[];
  /** The chunk that takes new bytes (the last one), if any. */
  current: Chunk | undefined;
  /** Bytes accepted so far: the stream position of the next byte. */
  seq: number;
  /** Unwritten bytes in `chunks`. */
  bytes: number;
  /** Bytes written so far. */
  written: number;
  /** Ordering: the stream's bytes from `at` on wait until the other has written up to `wait`. */
  barriers: { at: number; wait: number }[];
  /** The writer is at work (writing, or waiting for the other stream). */
  running: boolean;
  /** A write is in progress, since `since`. */
  writing: boolean;
  since: number;
  /** A write failed: the stream is given up. */
  dead: boolean;
  /** Woken whenever a write ends. */
  progress: (() => void)[];
}

function lane(sink: ByteSink): Lane {
  return {
    sink,
    chunks: [],
    current: undefined,
    seq: 0,
    bytes: 0,
    written: 0,
    barriers: [],
    running: false,
    writing: false,
    since: 0,
    dead: false,
    progress: [],
  };
}

/** Whether all the lane was ever given fits in any pipe: waiting for it cannot hang. */
function small(l: Lane): boolean {
  return l.written + l.bytes <= FITS_ANY_PIPE;
}

/** The stream position up to which everything is written (or dropped). */
function done(l: Lane): number {
  const head = l.chunks[0];
  return head === undefined ? l.seq : head.pos + head.start;
}

/**
 * A tool's output. Lines are collected in 64 KiB chunks and written asynchronously by one
 * writer per stream, so a reader that does not keep up never blocks the event loop: serving,
 * receiving and signal handling go on. What waits is bounded ({@linkcode OutputOptions.maxPending});
 * past the bound the oldest waiting lines are dropped and counted ({@linkcode Output.dropped}).
 * Stdout and stderr lines keep their relative order, unless one stream's write has hung for
 * 200 ms, when the other's lines may go ahead. A closed pipe (`| head`) ends stdout quietly;
 * any other write error (a full disk) is reported once on stderr, and stdout is given up.
 * Call {@linkcode Output.close} before exiting to let pending output out.
 *
 * @example Print a line as the server does
 * ```ts
 * import { Output } from "./output.ts";
 * import { deepStrictEqual as assertEquals } from "node:assert/strict";
 * const lines: string[] = [];
 * const sink = { writeSync: (p: Uint8Array) => (lines.push(new TextDecoder().decode(p)), p.length) };
 * const out = new Output("server", { stdout: sink, flushDelayMs: 5 });
 * out.say("waiting for connections...");
 * await out.close();
 * assertEquals(lines.join(""), "server: waiting for connections...\n");
 * assertEquals(out.dropped, 0);
 * ```
 */
export class Output {
  /** The tool's name, the prefix of every line. */
  readonly name: string;
  /** Send status lines to stderr, keeping stdout for the exact received bytes (`--raw`). */
  statusToStderr: boolean;
  #out: Lane;
  #err: Lane;
  #delay: number | undefined;
  #max: number;
  #fill: number;
  #timer: ReturnType<typeof setTimeout> | undefined;
  #closed = false;
  #failed = false;
  #dropped = 0;
  #pool: Uint8Array[] = [];
  #idle: (() => void)[] = [];
  /** Where {@linkcode Output.reserve} made room. */
  #reserved: Chunk | undefined;
  #scratch: Chunk | undefined;

  /**
   * Creates the value from its parts.
   *
   * @param name The tool's name.
   * @param options Where output goes, batching and the bound.
   */
  constructor(name: string, options: OutputOptions = {}) {
    this.name = name;
    this.#out = lane(options.stdout ?? Deno.stdout);
    this.#err = lane(options.stderr ?? Deno.stderr);
    this.statusToStderr = options.statusToStderr ?? false;
    this.#delay = options.flushDelayMs;
    this.#max = Math.max(0, options.maxPending ?? MAX_PENDING);
    // A quarter of the bound per chunk (64 KiB at most): what is dropped at once.
    this.#fill = Math.min(CHUNK, Math.max(1024, Math.floor(this.#max / 4)));
  }

  /** Whether stdout was closed by its reader (a broken pipe); later output is dropped. */
  get closed(): boolean {
    return this.#closed;
  }

  /**
   * Whether writing stdout failed for another reason (a full disk, an I/O error): what was
   * meant for it is lost, which a tool whose stdout is its data (`--raw`) must not call a
   * success.
   */
  get failed(): boolean {
    return this.#failed;
  }

  /**
   * How many lines were dropped, on either stream: because the reader did not keep up
   * (see {@linkcode OutputOptions.maxPending}), or because the stream failed.
   */
  get dropped(): number {
    return this.#dropped;
  }

  /**
   * Prints a status line, `name: text`, to stdout (to stderr with `statusToStderr`).
   *
   * @param text The line, without prefix or newline.
   */
  say(text: string): void {
    if (this.statusToStderr) this.error(text);
    else this.text(`${this.name}: ${text}\n`);
  }

  /**
   * Prints status text as it is (prefixes and newlines included): to stdout, or to stderr
   * with `statusToStderr`.
   *
   * @param text Whole lines.
   */
  status(text: string): void {
    if (!this.statusToStderr) return this.text(text);
    this.#appendText(this.#err, text);
    this.#kick(this.#err);
  }

  /**
   * Buffers text for stdout as it is (no prefix, no newline added).
   *
   * @param text What to print.
   */
  text(text: string): void {
    this.#appendText(this.#out, text);
    this.#schedule();
  }

  /**
   * Buffers bytes for stdout exactly as they are (`--raw`). They are copied: the caller may
   * reuse `bytes` at once.
   *
   * @param bytes What to write.
   */
  data(bytes: Uint8Array): void {
    this.#appendBytes(this.#out, bytes);
    this.#schedule();
  }

  /**
   * Writes bytes to stdout exactly as they are, with backpressure instead of dropping: for
   * payload a user pipes (`client --raw --stdin | consumer`), where no byte may be lost.
   * Resolves once these bytes (and everything before them) are written, so a caller that
   * awaits each write reads no faster than stdout's reader takes. If stdout is gone (a
   * closed pipe, {@linkcode Output.closed}) it resolves at once and the bytes are dropped.
   * The bytes are copied: the caller may reuse `bytes` as soon as it is called.
   *
   * @param bytes What to write.
   * @returns When the bytes are written, or stdout is gone.
   * @example Stream bytes through a sink that takes 3 bytes per write
   * ```ts
   * import { Output } from "./output.ts";
   * import { deepStrictEqual as assertEquals } from "node:assert/strict";
   * const got: number[] = [];
   * const sink = { write: (p: Uint8Array) => (got.push(...p.subarray(0, 3)), Promise.resolve(Math.min(3, p.length))) };
   * const out = new Output("client", { stdout: sink, maxPending: 4 });
   * await out.write(new Uint8Array([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]));
   * assertEquals([got, out.dropped], [[1, 2, 3, 4, 5, 6, 7, 8, 9, 10], 0]);
   * ```
   */
  async write(bytes: Uint8Array): Promise<void> {
    const l = this.#out;
    for (let off = 0; off < bytes.length && !l.dead; off += this.#fill) {
      const piece = bytes.subarray(off, off + this.#fill);
      // Wait for room first, so that the bound never drops these bytes or others'.
      while (!l.dead && l.bytes > 0 && l.bytes + piece.length > this.#max) {
        await this.#progress(l);
      }
      if (!l.dead) this.#appendBytes(l, piece);
    }
    const end = l.seq;
    this.flush();
    while (!l.dead && done(l) < end) await this.#progress(l);
  }

  /** Waits for the lane's next write to end (or for its writer to stop). */
  #progress(l: Lane): Promise<void> {
    this.#kick(l);
    if (!l.running) return Promise.resolve();
    return new Promise<void>((resolve) => l.progress.push(resolve));
  }

  /**
   * Makes room for up to `n` bytes in a stdout buffer ({@linkcode Output.buffer}) and
   * returns the offset to write at; pass the end offset to {@linkcode Output.commit}. For
   * hot paths that format straight into the buffer (the listener under a flood), with no
   * allocation. `n` must be at most 64 KiB, and nothing else may be printed between
   * `reserve` and `commit`.
   *
   * @param n The most bytes about to be written.
   * @returns Where in {@linkcode Output.buffer} to start.
   */
  reserve(n: number): number {
    const chunk = this.#out.dead ? this.#scratchChunk() : this.#room(this.#out, n);
    this.#reserved = chunk;
    return chunk.used;
  }

  /** The stdout buffer that the last {@linkcode Output.reserve} made room in. */
  get buffer(): Uint8Array {
    return (this.#reserved ?? this.#scratchChunk()).buf;
  }

  /**
   * Ends a {@linkcode Output.reserve}: what was written up to `end` is buffered for stdout.
   *
   * @param end The offset just past the last byte written.
   */
  commit(end: number): void {
    const chunk = this.#reserved;
    if (chunk === undefined || end <= chunk.used) return;
    if (this.#out.dead || chunk === this.#scratch) {
      this.#dropped += countLines(chunk.buf, chunk.used, end);
      return;
    }
    this.#advance(this.#out, chunk, end - chunk.used);
    this.#schedule();
  }

  /**
   * Prints `name: text` on stderr at once, after what is buffered for stdout.
   *
   * @param text The message.
   */
  error(text: string): void {
    this.errorLine(`${this.name}: ${text}`);
  }

  /**
   * Prints a line on stderr as it is, with no prefix (the original's `usage:` line).
   *
   * @param text The line, without newline.
   */
  errorLine(text: string): void {
    this.#appendText(this.#err, `${text}\n`);
    this.flush();
  }

  /** Starts writing everything buffered now, without waiting for it to be written. */
  flush(): void {
    if (this.#timer !== undefined) {
      clearTimeout(this.#timer);
      this.#timer = undefined;
    }
    this.#kick(this.#out);
    this.#kick(this.#err);
  }

  /**
   * Writes what is pending and waits until it is written, or `timeout` ms at most (a reader
   * that is gone for good must not hang the exit); with at most 4 KiB ever printed per
   * stream, which any pipe takes, it waits without a timer. Output may still be printed
   * afterwards.
   *
   * @param timeout The longest wait, in milliseconds.
   * @returns When everything is written, or the wait is over.
   */
  async close(timeout: number = OUTPUT_DRAIN_MS): Promise<void> {
    this.#delay = undefined; // from now on, every line goes at once
    this.flush();
    if (this.#isIdle()) return;
    if (small(this.#out) && small(this.#err)) {
      return await new Promise<void>((resolve) => this.#idle.push(resolve));
    }
    let timer: ReturnType<typeof setTimeout> | undefined;
    try {
      await new Promise<void>((resolve) => {
        this.#idle.push(resolve);
        timer = setTimeout(resolve, timeout);
      });
    } finally {
      clearTimeout(timer);
    }
  }

  #isIdle(): boolean {
    const quiet = (l: Lane) => !l.running && (l.dead || l.chunks.length === 0);
    return quiet(this.#out) && quiet(this.#err);
  }

  #schedule(): void {
    if (this.#delay === undefined) return this.flush();
    if (this.#timer !== undefined || this.#out.running) return; // the writer takes it next
    const timer = setTimeout(() => {
      this.#timer = undefined;
      this.flush();
    }, this.#delay);
    Deno.unrefTimer(timer);
    this.#timer = timer;
  }

  #appendText(l: Lane, text: string): void {
    if (l.dead) {
      this.#dropped += countTextLines(text);
      return;
    }
    // A UTF-16 unit encodes to at most 3 bytes.
    if (text.length * 3 > CHUNK) return this.#appendBytes(l, encoder.encode(text));
    const chunk = this.#room(l, text.length * 3);
    const { written } = encoder.encodeInto(text, chunk.buf.subarray(chunk.used));
    this.#advance(l, chunk, written);
  }

  #appendBytes(l: Lane, bytes: Uint8Array): void {
    if (l.dead) {
      this.#dropped += countLines(bytes, 0, bytes.length);
      return;
    }
    for (let off = 0; off < bytes.length; off += CHUNK) {
      const piece = bytes.subarray(off, off + CHUNK);
      const chunk = this.#room(l, piece.length);
      chunk.buf.set(piece, chunk.used);
      this.#advance(l, chunk, piece.length);
    }
  }

  /** A chunk with `n` free bytes at its end, after dropping the oldest waiting output if over. */
  #room(l: Lane, n: number): Chunk {
    const owned = l.running ? 1 : 0; // the writer holds the first chunk
    const maxChunks = Math.ceil(this.#max / this.#fill) + 1;
    while (l.chunks.length > owned) {
      const head = l.chunks[0]!;
      const held = owned ? head.used - head.start : 0;
      // Only output already over the bound is dropped, never to make room for this line: so
      // the last line (a summary counting the drops) never drops lines after it counted them.
      if (l.bytes - held <= this.#max && l.chunks.length - owned < maxChunks) break;
      const [old] = l.chunks.splice(owned, 1) as [Chunk];
      this.#dropped += countLines(old.buf, old.start, old.used);
      l.bytes -= old.used - old.start;
      if (old === l.current) l.current = undefined;
      this.#pool.push(old.buf);
    }
    let chunk = l.current;
    if (
      chunk === undefined || CHUNK - chunk.used < n ||
      (chunk.used > 0 && chunk.used + n > this.#fill)
    ) {
      chunk = { buf: this.#pool.pop() ?? new Uint8Array(CHUNK), pos: l.seq, start: 0, used: 0 };
      l.chunks.push(chunk);
      l.current = chunk;
    }
    return chunk;
  }

  /** Accepts `n` bytes just written at the end of `chunk`. */
  #advance(l: Lane, chunk: Chunk, n: number): void {
    const other = l === this.#out ? this.#err : this.#out;
    if (other.bytes > 0 && !other.dead) {
      const last = l.barriers[l.barriers.length - 1];
      if (last === undefined || last.wait !== other.seq) {
        l.barriers.push({ at: l.seq, wait: other.seq });
      }
    }
    chunk.used += n;
    l.seq += n;
    l.bytes += n;
  }

  #scratchChunk(): Chunk {
    return this.#scratch ??= { buf: new Uint8Array(CHUNK), pos: 0, start: 0, used: 0 };
  }

  #kick(l: Lane): void {
    if (!l.running && !l.dead && l.chunks.length > 0) void this.#write(l);
  }

  /** The lane's writer: writes its chunks in order, honouring the ordering barriers. */
  async #write(l: Lane): Promise<void> {
    const other = l === this.#out ? this.#err : this.#out;
    l.running = true;
    try {
      while (!l.dead) {
        const head = l.chunks[0];
        if (head === undefined) break;
        if (head === l.current) l.current = undefined; // new bytes go to a new chunk
        let end = head.used;
        const barrier = l.barriers[0];
        if (barrier !== undefined) {
          if (barrier.at <= head.pos + head.start) {
            if (other.dead || done(other) >= barrier.wait || stalled(other)) {
              l.barriers.shift();
            } else {
              this.#kick(other);
              if (other.running) await progressOrStall(other);
            }
            continue;
          }
          end = Math.min(end, barrier.at - head.pos);
        }
        if (head.start < end) {
          const view = head.buf.subarray(head.start, end);
          let n: number;
          l.writing = true;
          l.since = performance.now();
          try {
            n = "write" in l.sink ? await l.sink.write(view) : l.sink.writeSync(view);
            if (n <= 0) throw new Deno.errors.WriteZero("Write accepted no bytes");
          } catch (err) {
            this.#fail(l, err);
            break;
          } finally {
            l.writing = false;
            for (const wake of l.progress.splice(0)) wake();
          }
          head.start += n;
          l.bytes -= n;
          l.written += n;
        }
        if (head.start === head.used && head !== l.current) {
          l.chunks.shift();
          this.#pool.push(head.buf);
        }
      }
    } finally {
      l.running = false;
      for (const wake of l.progress.splice(0)) wake();
      if (this.#isIdle()) { for (const wake of this.#idle.splice(0)) wake(); }
    }
  }

  /** Gives up a stream whose write failed; says so once on stderr, unless stdout's reader left. */
  #fail(l: Lane, err: unknown): void {
    l.dead = true;
    for (const chunk of l.chunks) this.#dropped += countLines(chunk.buf, chunk.start, chunk.used);
    l.chunks = [];
    l.current = undefined;
    l.bytes = 0;
    l.barriers = [];
    if (l !== this.#out) return; // nowhere left to say it
    if (err instanceof Deno.errors.BrokenPipe) this.#closed = true;
    else {
      this.#failed = true;
      this.error(`stdout: ${describeCause(err)} (output dropped from now on)`);
    }
  }
}

/** Whether the lane's write has been in progress so long that the other may go ahead. */
function stalled(l: Lane): boolean {
  return l.writing && performance.now() - l.since >= STALL_MS;
}

/**
 * Waits until the lane's next write ends, or until its write in progress counts as stalled.
 * (A lane that is not writing is waiting for its own turn, which comes: the two lanes'
 * ordering points are taken in one sequence, so neither can wait for the other forever.)
 */
async function progressOrStall(l: Lane): Promise<void> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  try {
    await new Promise<void>((resolve) => {
      l.progress.push(resolve);
      if (!l.writing || small(l)) return;
      timer = setTimeout(resolve, Math.max(0, STALL_MS - (performance.now() - l.since)));
      Deno.unrefTimer(timer);
    });
  } finally {
    if (timer !== undefined) clearTimeout(timer);
  }
}

/** Lines in `buf[start, end)`, counting an unterminated last one. */
function countLines(buf: Uint8Array, start: number, end: number): number {
  if (end <= start) return 0;
  const bytes = buf.subarray(start, end);
  let lines = 0;
  for (let i = bytes.indexOf(10); i !== -1; i = bytes.indexOf(10, i + 1)) lines++;
  return bytes[bytes.length - 1] === 10 ? lines : lines + 1;
}

function countTextLines(text: string): number {
  if (text.length === 0) return 0;
  let lines = 0;
  for (let i = text.indexOf("\n"); i !== -1; i = text.indexOf("\n", i + 1)) lines++;
  return text.endsWith("\n") ? lines : lines + 1;
}
