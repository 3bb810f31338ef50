/**
 * The bound of the bounded writer: where a record's bytes go (a chunk of its lane,
 * a record never spanning two), which whole chunks are dropped past the bound, and the count
 * of what each lane lost.
 *
 * @module
 */
import { CHUNK, type Chunk, countLines, type Lane } from "./_lane.ts";

/** What a lane dropped. */
export interface Lost {
  /** Lines (an unterminated last one counted). */
  lines: number;
  /** Bytes. */
  bytes: number;
}

/** Which lane: 0 is stdout, 1 stderr. */
export type LaneId = 0 | 1;

/** The bound on both lanes, the chunks it recycles, and the counts of what it dropped. */
export class Bound {
  /** The most bytes that may wait per lane (besides the write in progress and the newest). */
  readonly max: number;
  /** How full a chunk gets before the next record starts another: what is dropped at once. */
  readonly fill: number;
  /** Lines and bytes dropped, per lane. */
  readonly lost: [Lost, Lost] = [{ lines: 0, bytes: 0 }, { lines: 0, bytes: 0 }];
  #pool: Uint8Array[] = [];

  /**
   * A bound of `maxPending` bytes per lane.
   *
   * @param maxPending The bound (negative counts as 0).
   */
  constructor(maxPending: number) {
    this.max = Math.max(0, maxPending);
    // A quarter of the bound per chunk (64 KiB at most): what is dropped at once.
    this.fill = Math.min(CHUNK, Math.max(1024, Math.floor(this.max / 4)));
  }

  /**
   * Keeps a written or dropped chunk's buffer for the next one, if it is of the usual size.
   *
   * @param chunk The chunk no longer used.
   */
  recycle(chunk: Chunk): void {
    if (chunk.buf.length === CHUNK) this.#pool.push(chunk.buf);
  }

  /**
   * Counts dropped bytes of lane `id`.
   *
   * @param id The lane.
   * @param bytes The bytes dropped.
   */
  count(id: LaneId, bytes: Uint8Array): void {
    this.lost[id].lines += countLines(bytes);
    this.lost[id].bytes += bytes.length;
  }

  /**
   * A chunk of `l` with `n` free bytes at its end, after dropping (and counting) whole
   * chunks over the bound.
   *
   * @param l The lane.
   * @param id Its id, for the counts.
   * @param n The bytes the record takes.
   * @returns The chunk to put the record at the end of.
   */
  room(l: Lane, id: LaneId, n: number): Chunk {
    const owned = l.running ? 1 : 0; // the loop holds the first chunk
    const maxChunks = Math.ceil(this.max / this.fill) + 1;
    while (l.chunks.length > owned) {
      const held = owned ? l.chunks[0]!.used - l.chunks[0]!.start : 0;
      // Only what is already over the bound goes, never to make room for this record: so
      // the newest (a summary that counts the drops) is always kept.
      if (l.bytes - held <= this.max && l.chunks.length - owned < maxChunks) break;
      const [old] = l.chunks.splice(owned, 1) as [Chunk];
      this.count(id, old.buf.subarray(old.start, old.used));
      l.bytes -= old.used - old.start;
      if (old === l.current) l.current = undefined;
      this.recycle(old);
    }
    let chunk = l.current;
    // A record never spans two chunks, so a chunk dropped is whole records dropped.
    if (
      chunk === undefined || chunk.buf.length - chunk.used < n ||
      (chunk.used > 0 && chunk.used + n > this.fill)
    ) {
      const buf = n > CHUNK ? new Uint8Array(n) : this.#pool.pop() ?? new Uint8Array(CHUNK);
      chunk = { buf, pos: l.seq, start: 0, used: 0 };
      l.chunks.push(chunk);
      l.current = chunk;
    }
    return chunk;
  }

  /**
   * Gives a lane up: what waits (a hung write's bytes included) is dropped and counted.
   *
   * @param l The lane.
   * @param id Its id, for the counts.
   */
  giveUp(l: Lane, id: LaneId): void {
    l.dead = true;
    for (const c of l.chunks) this.count(id, c.buf.subarray(c.start, c.used));
    l.chunks = [];
    l.current = undefined;
    l.bytes = 0;
    l.barriers = [];
  }
}
