/**
 * One stream of the bounded writer: its waiting chunks of whole records and the loop that
 * writes them in order, waiting at each ordering barrier for the other stream. The bound,
 * the drops and the failure policy are the writer's (`BoundedWriter`).
 *
 * @module
 */

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

/** Somewhere bytes can be written: asynchronously if it has `write`, else at once. */
export type ByteSink = AsyncByteSink | SyncByteSink;

/** The size of a pooled chunk; a longer record gets a chunk of its own. */
export const CHUNK = 64 * 1024;
/** A write in progress this long lets the other lane's later records overtake it. */
const STALL_MS = 200;
/** A lane given at most this much in all cannot block (any pipe takes it): no timer needed. */
const FITS_ANY_PIPE = 4096;

/** Whole records waiting, in order: `buf[start, used)` is unwritten; `pos` is `buf[0]`'s place. */
export interface Chunk {
  /** The bytes: a pooled 64 KiB buffer, or one record's own. */
  buf: Uint8Array;
  /** The lane position of `buf[0]`. */
  pos: number;
  /** The first byte not yet written. */
  start: number;
  /** The end of what was put. */
  used: number;
}

/** One stream: its sink, its waiting chunks and its writer's state. */
export class Lane {
  /** The waiting chunks, oldest first; the loop holds the first while it runs. */
  chunks: Chunk[] = [];
  /** The chunk that takes new records (the last one), if any. */
  current: Chunk | undefined;
  /** Bytes accepted so far: the position of the next. */
  seq = 0;
  /** Bytes waiting. */
  bytes = 0;
  /** Bytes written so far. */
  written = 0;
  /** Ordering: bytes from `at` on wait until the other lane has written up to `wait`. */
  barriers: { at: number; wait: number }[] = [];
  /** The loop is at work (writing, or waiting for the other lane). */
  running = false;
  /** A write is in progress. */
  writing = false;
  /** When the write in progress started (`performance.now()`). */
  since = 0;
  /** Given up after a failed write. */
  dead = false;
  #progress: (() => void)[] = [];
  #starts: (() => void)[] = [];

  /**
   * An empty lane.
   *
   * @param sink Where its bytes go.
   */
  constructor(sink: ByteSink) {
    this.sink = sink;
  }

  /** Where its bytes go. */
  readonly sink: ByteSink;

  /** Whether all the lane was ever given fits in any pipe: waiting for it cannot hang. */
  get small(): boolean {
    return this.written + this.bytes <= FITS_ANY_PIPE;
  }

  /** The position up to which everything is written or dropped. */
  get done(): number {
    const head = this.chunks[0];
    return head === undefined ? this.seq : head.pos + head.start;
  }

  /** Whether its write has been in progress so long that the other lane may go ahead. */
  get stalled(): boolean {
    return this.writing && performance.now() - this.since >= STALL_MS;
  }

  /**
   * Waits for the lane's next write to end.
   *
   * @returns When it ends, or at once if the loop is not running.
   */
  progress(): Promise<void> {
    if (!this.running) return Promise.resolve();
    return new Promise((resolve) => this.#progress.push(resolve));
  }

  /**
   * Waits for the lane's next write to end, or for the one in progress to count as stalled.
   * Between writes (waiting at a barrier) it also wakes when the next write starts, so that
   * the caller can wait for that write to stall: a write that starts and hangs (a pipe nobody
   * reads) must not hold the other lane for ever.
   *
   * @returns When either happens.
   */
  async progressOrStall(): Promise<void> {
    let timer: ReturnType<typeof setTimeout> | undefined;
    try {
      await new Promise<void>((resolve) => {
        this.#progress.push(resolve);
        if (!this.writing) return void this.#starts.push(resolve);
        if (this.small) return;
        timer = setTimeout(resolve, Math.max(0, STALL_MS - (performance.now() - this.since)));
        Deno.unrefTimer(timer);
      });
    } finally {
      clearTimeout(timer);
    }
  }

  /**
   * The lane's loop: writes its chunks in order, honouring the ordering barriers.
   *
   * @param other The other lane.
   * @param writer For kicking the other lane, recycling chunks and failing.
   * @returns When nothing is left to write, or the lane failed.
   */
  async run(other: Lane, writer: LaneOwner): Promise<void> {
    this.running = true;
    try {
      while (!this.dead && this.chunks.length > 0) {
        const head = this.chunks[0]!;
        if (head === this.current) this.current = undefined; // new records: a new chunk
        let end = head.used;
        const barrier = this.barriers[0];
        if (barrier !== undefined) {
          if (barrier.at <= head.pos + head.start) {
            if (other.dead || other.done >= barrier.wait || other.stalled) this.barriers.shift();
            else {
              writer.kick(other);
              if (other.running) await other.progressOrStall();
            }
            continue;
          }
          end = Math.min(end, barrier.at - head.pos);
        }
        if (head.start < end && !(await this.#write(head, end, writer))) break;
        if (head.start === head.used && head !== this.current) {
          this.chunks.shift();
          writer.recycle(head);
        }
      }
    } finally {
      this.running = false;
      this.#wake();
      for (const wake of this.#starts.splice(0)) wake();
      writer.stopped();
    }
  }

  async #write(head: Chunk, end: number, writer: LaneOwner): Promise<boolean> {
    this.writing = true;
    this.since = performance.now();
    for (const wake of this.#starts.splice(0)) wake();
    let n: number;
    try {
      const view = head.buf.subarray(head.start, end);
      n = "write" in this.sink ? await this.sink.write(view) : this.sink.writeSync(view);
      if (n <= 0) throw new Deno.errors.WriteZero("Write accepted no bytes");
    } catch (err) {
      if (!this.dead) writer.fail(this, err);
      return false;
    } finally {
      this.writing = false;
      this.#wake();
    }
    if (this.dead) return false; // given up while the write hung: its bytes are counted
    head.start += n;
    this.bytes -= n;
    this.written += n;
    return true;
  }

  #wake(): void {
    for (const wake of this.#progress.splice(0)) wake();
  }
}

/** What a lane's loop asks of the writer that owns it. */
export interface LaneOwner {
  /** Starts the lane's loop if it has work. */
  kick(lane: Lane): void;
  /** Takes back a written chunk. */
  recycle(chunk: Chunk): void;
  /** Gives the lane up after a failed write. */
  fail(lane: Lane, err: unknown): void;
  /** The loop stopped. */
  stopped(): void;
}

/**
 * Lines in `bytes`, an unterminated last one counted.
 *
 * @param bytes The bytes.
 * @returns How many lines.
 */
export function countLines(bytes: Uint8Array): number {
  if (bytes.length === 0) return 0;
  let lines = 0;
  for (let i = bytes.indexOf(10); i !== -1; i = bytes.indexOf(10, i + 1)) lines++;
  return bytes[bytes.length - 1] === 10 ? lines : lines + 1;
}
