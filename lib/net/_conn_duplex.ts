/**
 * A Deno connection as a `node:stream` Duplex, so that `node:tls` can run over a socket that
 * Deno accepted or dialed (the accept loop's limits and the dialer's deadlines stay ours).
 *
 * @module
 */
import { Duplex } from "node:stream";

/** Queued bytes past which a write's callback waits for the socket. */
const QUEUE_BOUND = 64 * 1024;

/** The Duplex, and what its user needs to bound it and to end it. */
export interface ConnDuplex {
  /** The stream over the connection. */
  duplex: Duplex;
  /**
   * Reads from the socket again after `full` said stop; call it after consuming what was
   * read.
   */
  resume(): void;
  /** Bytes written to the Duplex and not yet taken by the socket. */
  pending(): number;
  /** Whether the connection is closed (no byte will be written any more). */
  closed(): boolean;
  /** Closes the connection at once, dropping what is not yet written. */
  close(): void;
}

/**
 * Wraps `conn` as {@linkcode gatedConnDuplex} does, with no limit on reading ahead.
 *
 * @param conn A connected stream.
 * @returns The Duplex over it.
 */
export function connDuplex(conn: Deno.Conn): Duplex {
  return gatedConnDuplex(conn).duplex;
}

/**
 * Wraps `conn`: reads are pulled when the reader wants more (and `full` does not say stop:
 * `node:tls` pulls eagerly whether or not anyone reads what it decrypts); writes are queued
 * here (a write's callback waits while more than 64 KiB are queued) and written in order
 * (each emits `written` once the socket took it), so that
 * destroying the Duplex (as `node:tls` does right after its `close_notify`) still writes
 * what was queued before closing the connection; `end()` shuts our side after the queue.
 * {@linkcode ConnDuplex.close} closes at once.
 *
 * @param conn A connected stream.
 * @param full Whether enough is read ahead: no socket read until {@linkcode ConnDuplex.resume}.
 * @returns The Duplex over it, and its handles.
 */
export function gatedConnDuplex(conn: Deno.Conn, full?: () => boolean): ConnDuplex {
  let closed = false;
  let parked = false;
  let queue: Uint8Array[] = [];
  let pending = 0;
  let flushing: Promise<void> | undefined;
  let closeWhenFlushed = false;
  // The Duplex's write callback waits while more than QUEUE_BOUND bytes are queued, so that
  // its writer sees backpressure as with any stream.
  let held: (() => void) | undefined;
  const release = () => {
    if (held === undefined || (pending > QUEUE_BOUND && !closed)) return;
    const callback = held;
    held = undefined;
    callback();
  };
  const close = () => {
    if (closed) return;
    closed = true;
    queue = [];
    pending = 0;
    try {
      conn.close();
    } catch { /* already closed */ }
    release();
    duplex.emit("written");
  };
  const pull = (d: Duplex) => {
    const buf = new Uint8Array(16384);
    conn.read(buf).then(
      (n) => d.push(n === null ? null : buf.subarray(0, n)),
      (err) => d.destroy(err),
    );
  };
  const flush = (): Promise<void> =>
    flushing ??= (async () => {
      try {
        while (queue.length > 0 && !closed) {
          const chunk = queue[0]!;
          let off = 0;
          while (off < chunk.length) off += await conn.write(chunk.subarray(off));
          queue.shift();
          pending -= chunk.length;
          release();
          duplex.emit("written");
        }
      } catch (err) {
        if (!closed) duplex.destroy(err as Error);
        close();
      } finally {
        flushing = undefined;
        if (closeWhenFlushed) close();
      }
    })();
  const duplex: Duplex = new Duplex({
    read() {
      if (full?.()) parked = true;
      else pull(this);
    },
    write(chunk: Uint8Array, _encoding, callback) {
      if (closed) return callback(new Deno.errors.BadResource("the connection is closed"));
      queue.push(chunk);
      pending += chunk.length;
      held = callback;
      release();
      void flush();
    },
    final(callback) {
      (async () => {
        while (flushing) await flushing;
        if (closed) throw new Deno.errors.BadResource("the connection is closed");
        await conn.closeWrite();
      })().then(() => callback(), callback);
    },
    destroy(err, callback) {
      if (flushing && !err) closeWhenFlushed = true;
      else close();
      callback(err);
    },
  });
  return {
    duplex,
    resume() {
      if (!parked || closed || full?.()) return;
      parked = false;
      pull(duplex);
    },
    pending: () => pending,
    closed: () => closed,
    close,
  };
}
