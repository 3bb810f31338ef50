/**
 * The bounded writer under {@linkcode Output}: two lanes (stdout, stderr) written
 * asynchronously in the order their records were given across both; bounded, dropping the
 * oldest whole records past the bound; with backpressure for payload that must not be
 * lost; and the failure policy. It knows nothing of tool names: a record is the bytes of
 * one `put` (whole lines, by the presenter's contract), written whole or dropped whole and
 * counted, never cut.
 *
 * @module
 */
import { Bound, type LaneId, type Lost } from "./_bound.ts";
import { type ByteSink, CHUNK, type Chunk, Lane, type LaneOwner } from "./_lane.ts";

export type { LaneId, Lost } from "./_bound.ts";
export type { AsyncByteSink, ByteSink, SyncByteSink } from "./_lane.ts";

/** Options for {@linkcode BoundedWriter}. */
export interface BoundedWriterOptions {
  /**
   * Batch stdout: the longest a record waits before it is written, in milliseconds.
   * @default {undefined} (written at once)
   */
  flushDelayMs?: number | undefined;
  /**
   * The most bytes that may wait per lane, besides the write in progress and the newest
   * record; past it the oldest waiting records are dropped, whole.
   * @default {1048576} (1 MiB)
   */
  maxPending?: number | undefined;
  /**
   * Called once when writing stdout fails for another reason than its reader leaving.
   * @default {undefined}
   */
  onStdoutFailure?: ((err: unknown) => void) | undefined;
}

/** Where {@linkcode BoundedWriter.settle} gave stdout up. */
export interface Abandoned {
  /** The stdout position (see {@linkcode BoundedWriter.position}) from which bytes were dropped. */
  from: number;
  /** Whether a line may be cut there: part of it was written, or its write was in progress. */
  cut: boolean;
}

const encoder = new TextEncoder();

/**
 * Two bounded, ordered, asynchronously written lanes. Past `maxPending` the oldest waiting
 * records are dropped whole and counted in {@linkcode BoundedWriter.dropped}; the newest is
 * always kept, however long. A write that has hung for 200 ms lets the other lane's later
 * records go ahead. A stdout whose reader left ({@linkcode BoundedWriter.closed}) or whose
 * write failed ({@linkcode BoundedWriter.failed}) is given up, its records counted.
 *
 * @example A reader that does not keep up: the oldest waiting records go, the newest stays
 * ```ts
 * import { BoundedWriter } from "./bounded_writer.ts";
 * import { deepStrictEqual as assertEquals } from "node:assert/strict";
 * let got = "";
 * const sink = { writeSync: (p: Uint8Array) => (got += new TextDecoder().decode(p), p.length) };
 * const w = new BoundedWriter([sink, sink], { maxPending: 0, flushDelayMs: 10 });
 * for (const n of [1, 2, 3]) w.put(0, `${n}\n`);
 * await w.close(1000);
 * assertEquals([got, w.dropped], ["3\n", 2]);
 * ```
 */
export class BoundedWriter {
  #lanes: [Lane, Lane];
  #delay: number | undefined;
  #bound: Bound;
  #timer: ReturnType<typeof setTimeout> | undefined;
  #onFailure: ((err: unknown) => void) | undefined;
  #closed = false;
  #failed = false;
  #idle: (() => void)[] = [];
  #reserved: Chunk | undefined;
  #abandoned: Abandoned | undefined;
  /** Where a reserve goes once stdout is given up: formatted, then counted as dropped. */
  #scratch: Chunk = { buf: new Uint8Array(CHUNK), pos: 0, start: 0, used: 0 };
  #owner: LaneOwner = {
    kick: (l) => this.#kick(l),
    recycle: (c) => this.#bound.recycle(c),
    fail: (l, err) => this.#fail(l, err),
    stopped: () => this.#idleNow() && this.#idle.splice(0).forEach((wake) => wake()),
  };

  /**
   * Starts with nothing waiting; no loop runs until something is put.
   *
   * @param sinks Stdout's sink, then stderr's.
   * @param options Batching, the bound and the failure callback.
   */
  constructor(sinks: [ByteSink, ByteSink], options: BoundedWriterOptions = {}) {
    this.#lanes = [new Lane(sinks[0]), new Lane(sinks[1])];
    this.#delay = options.flushDelayMs;
    this.#bound = new Bound(options.maxPending ?? 1024 * 1024);
    this.#onFailure = options.onStdoutFailure;
  }

  /** Whether stdout's reader left (a broken pipe): stdout is given up. */
  get closed(): boolean {
    return this.#closed;
  }

  /** Whether writing stdout failed for another reason (a full disk): stdout is given up. */
  get failed(): boolean {
    return this.#failed;
  }

  /** Lines dropped on either lane: over the bound, or after the lane was given up. */
  get dropped(): number {
    return this.#bound.lost[0].lines + this.#bound.lost[1].lines;
  }

  /**
   * What one lane dropped: its lines, and its bytes (for raw data, where lines mean little).
   *
   * @param id The lane.
   * @returns The lines and bytes dropped so far.
   */
  lost(id: LaneId): Lost {
    return { ...this.#bound.lost[id] };
  }

  /**
   * How many bytes a lane has taken so far (written, waiting, or dropped by the bound): the
   * position of its next record. Records given after the lane was given up do not count.
   *
   * @param id The lane.
   * @returns The position.
   */
  position(id: LaneId): number {
    return this.#lanes[id].seq;
  }

  /** Whether nothing waits to be written (each lane written out, or given up). */
  get idle(): boolean {
    return this.#idleNow();
  }

  /**
   * Bytes waiting on a lane (its write in progress included).
   *
   * @param id The lane.
   * @returns The bytes.
   */
  waiting(id: LaneId): number {
    return this.#lanes[id].bytes;
  }

  /**
   * Drops, and counts, what waits on a lane behind its write in progress: a last line put
   * next then goes as soon as that write ends, not behind a backlog a slow reader holds. The
   * two lanes' order is given up too: the other lane no longer waits for this one.
   *
   * @param id The lane.
   */
  dropWaiting(id: LaneId): void {
    for (const lane of this.#lanes) lane.barriers = [];
    const l = this.#lanes[id];
    for (const c of l.chunks.splice(l.running ? 1 : 0)) {
      this.#bound.count(id, c.buf.subarray(c.start, c.used));
      l.bytes -= c.used - c.start;
      if (c === l.current) l.current = undefined;
      this.#bound.recycle(c);
    }
  }

  /** Where {@linkcode BoundedWriter.settle} gave stdout up, if it did. */
  get abandoned(): Abandoned | undefined {
    return this.#abandoned && { ...this.#abandoned };
  }

  /**
   * Waits up to `timeout` ms for what waits on stdout to be written; whatever is still
   * waiting then (a write that hangs included) is dropped, counted in
   * {@linkcode BoundedWriter.lost}, and stdout given up: for a tool about to say in its
   * summary what its stdout lost, when nobody reads it, and for the exit. Where it was
   * given up is then {@linkcode BoundedWriter.abandoned}.
   *
   * @param timeout The longest wait, in milliseconds.
   * @returns Whether stdout was given up.
   */
  async settle(timeout: number): Promise<boolean> {
    const l = this.#lanes[0];
    this.flush();
    const deadline = performance.now() + timeout;
    while (!l.dead && l.chunks.length > 0 && !l.small) {
      const left = deadline - performance.now();
      if (left <= 0) break;
      let timer: ReturnType<typeof setTimeout> | undefined;
      await Promise.race([
        l.progress(),
        new Promise<void>((resolve) => timer = setTimeout(resolve, left)),
      ]).finally(() => clearTimeout(timer));
      if (!l.running) this.#kick(l);
    }
    if (l.dead || l.chunks.length === 0 || l.small) return false;
    const head = l.chunks[0]!;
    // A write in progress may have put part of its bytes out; so has a partial write before.
    const cut = l.writing || (head.start > 0 && head.buf[head.start - 1] !== 10);
    this.#abandoned = { from: l.done, cut };
    this.#bound.giveUp(l, 0);
    return true;
  }

  /**
   * Adds one record (whole lines, or raw bytes) to a lane. Stdout's is batched when
   * `flushDelayMs` is set; stderr's goes at once. Bytes are copied.
   *
   * @param id The lane.
   * @param record The text or bytes.
   */
  put(id: LaneId, record: string | Uint8Array): void {
    const l = this.#lanes[id];
    if (record.length === 0) return;
    if (l.dead) {
      this.#bound.count(id, typeof record === "string" ? encoder.encode(record) : record);
      return;
    }
    if (typeof record === "string" && record.length * 3 <= CHUNK) {
      const chunk = this.#bound.room(l, id, record.length * 3); // a UTF-16 unit is 3 bytes at most
      const { written } = encoder.encodeInto(record, chunk.buf.subarray(chunk.used));
      this.#advance(l, chunk, written);
    } else {
      const bytes = typeof record === "string" ? encoder.encode(record) : record;
      const chunk = this.#bound.room(l, id, bytes.length);
      chunk.buf.set(bytes, chunk.used);
      this.#advance(l, chunk, bytes.length);
    }
    this.#schedule(id);
  }

  /**
   * Writes bytes to stdout with backpressure instead of dropping: resolves once they (and
   * everything before them) are written, or at once if stdout is given up.
   *
   * @param bytes The bytes (copied: the caller may reuse them at once).
   * @returns When they are written.
   */
  async write(bytes: Uint8Array): Promise<void> {
    const l = this.#lanes[0];
    for (let off = 0; off < bytes.length && !l.dead; off += this.#bound.fill) {
      const piece = bytes.subarray(off, off + this.#bound.fill);
      // Wait for room first, so that the bound never drops these bytes or others'.
      while (!l.dead && l.bytes > 0 && l.bytes + piece.length > this.#bound.max) {
        this.#kick(l);
        await l.progress();
      }
      if (l.dead) break;
      const chunk = this.#bound.room(l, 0, piece.length);
      chunk.buf.set(piece, chunk.used);
      this.#advance(l, chunk, piece.length);
    }
    for (const end = l.seq; !l.dead && l.done < end; await l.progress()) this.flush();
  }

  /**
   * Makes room for a stdout record of at most `n` bytes (64 KiB at most), to be formatted
   * in place in {@linkcode BoundedWriter.buffer} and ended by
   * {@linkcode BoundedWriter.commit}, with nothing put in between.
   *
   * @param n The most bytes the record takes.
   * @returns Where in the buffer to start.
   */
  reserve(n: number): number {
    const out = this.#lanes[0];
    this.#reserved = out.dead ? this.#scratch : this.#bound.room(out, 0, n);
    return this.#reserved.used;
  }

  /** The buffer the last {@linkcode BoundedWriter.reserve} made room in. */
  get buffer(): Uint8Array {
    return (this.#reserved ?? this.#scratch).buf;
  }

  /**
   * Ends a {@linkcode BoundedWriter.reserve}: the bytes up to `end` are the record.
   *
   * @param end The offset just past its last byte.
   */
  commit(end: number): void {
    const chunk = this.#reserved;
    if (chunk === undefined || end <= chunk.used) return;
    if (chunk === this.#scratch) {
      this.#bound.count(0, chunk.buf.subarray(chunk.used, end));
      return;
    }
    this.#advance(this.#lanes[0], chunk, end - chunk.used);
    this.#schedule(0);
  }

  /** Starts writing everything waiting, without waiting for it to be written. */
  flush(): void {
    if (this.#timer !== undefined) clearTimeout(this.#timer); // unread, the global costs 5 ms
    this.#timer = undefined;
    for (const l of this.#lanes) this.#kick(l);
  }

  /**
   * Writes what waits and resolves once it is written, or after `timeout` ms (with at most
   * 4 KiB ever given per lane, which any pipe takes, without a timer). Stdout is no longer
   * batched afterwards.
   *
   * @param timeout The longest wait, in milliseconds.
   * @returns When everything is written, or the wait is over.
   */
  async close(timeout: number): Promise<void> {
    this.#delay = undefined;
    this.flush();
    if (this.#idleNow()) return;
    let timer: ReturnType<typeof setTimeout> | undefined;
    try {
      await new Promise<void>((resolve) => {
        this.#idle.push(resolve);
        if (!this.#lanes.every((l) => l.small)) timer = setTimeout(resolve, timeout);
      });
    } finally {
      if (timer !== undefined) clearTimeout(timer);
    }
  }

  #idleNow(): boolean { // nothing left to write: each lane given up or its loop stopped
    return this.#lanes.every((l) => l.dead || (!l.running && l.chunks.length === 0));
  }

  /** Stderr goes at once (its loop kicks stdout at an ordering point); stdout maybe batched. */
  #schedule(id: LaneId): void {
    if (id === 1) return this.#kick(this.#lanes[1]);
    if (this.#delay === undefined) return this.flush();
    if (this.#timer !== undefined || this.#lanes[0].running) return; // its loop takes it next
    this.#timer = setTimeout(() => (this.#timer = undefined, this.flush()), this.#delay);
    Deno.unrefTimer(this.#timer);
  }

  /** Accepts `n` bytes just put at the end of `chunk`, after the other lane's waiting ones. */
  #advance(l: Lane, chunk: Chunk, n: number): void {
    const other = l === this.#lanes[0] ? this.#lanes[1] : this.#lanes[0];
    if (other.bytes > 0 && !other.dead && l.barriers.at(-1)?.wait !== other.seq) {
      l.barriers.push({ at: l.seq, wait: other.seq });
    }
    chunk.used += n;
    l.seq += n;
    l.bytes += n;
  }

  #kick(l: Lane): void {
    if (l.running || l.dead || l.chunks.length === 0) return;
    void l.run(l === this.#lanes[0] ? this.#lanes[1] : this.#lanes[0], this.#owner);
  }

  /** Gives up a lane whose write failed, counting what waited; says so for stdout. */
  #fail(l: Lane, err: unknown): void {
    this.#bound.giveUp(l, l === this.#lanes[0] ? 0 : 1);
    if (l !== this.#lanes[0]) return; // stderr: nowhere left to say it
    if (err instanceof Deno.errors.BrokenPipe) this.#closed = true;
    else {
      this.#failed = true;
      this.#onFailure?.(err);
    }
  }
}
