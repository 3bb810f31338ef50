/**
 * A tool's output, as the tool sees it: lines prefixed with its name, status lines that
 * move to stderr with `--raw`, errors on stderr, exact bytes. Received bytes go through
 * {@linkcode escapeBytes} before they reach here unless the user asked for `--raw`.
 * Everything is written by a {@linkcode BoundedWriter}, so output never stops the work: a
 * terminal, pipe or disk that does not keep up costs dropped (and counted) lines, never a
 * stalled server, and a line is written whole or dropped whole, never cut.
 *
 * @module
 */
import { describeCause } from "../net/errors.ts";
import { BoundedWriter, type ByteSink, type Lost } from "./bounded_writer.ts";

export type { AsyncByteSink, ByteSink, Lost, SyncByteSink } from "./bounded_writer.ts";

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
   * Batch lines: how long a line may wait before it is written, in milliseconds. Long-running
   * tools batch (a flood of datagrams then costs one write per 64 KiB); by default every
   * line is written at once, which spares a one-shot tool the timer (about 5 ms of start-up).
   * @default {undefined} (no batching)
   */
  flushDelayMs?: number | undefined;
  /**
   * The most bytes that may wait per stream while its reader does not keep up, besides the
   * write in progress and the newest line. Past it the oldest waiting lines are dropped,
   * whole, and counted in {@linkcode Output.dropped}: the newest (a summary, the last error)
   * are the ones kept.
   * @default {1048576} (1 MiB)
   */
  maxPending?: number | undefined;
}

/** How long {@linkcode Output.close} waits for pending output by default, in milliseconds. */
export const OUTPUT_DRAIN_MS = 2000;

/** How long {@linkcode Output.end} waits for stderr to take its last line, in milliseconds. */
const LAST_LINE_MS = 1000;

/**
 * A tool's output. Each call is one record of whole lines for the {@linkcode BoundedWriter}:
 * stdout and stderr keep their relative order (unless one stream's write has hung for
 * 200 ms), a closed pipe (`| head`) ends stdout quietly, and any other write error (a full
 * disk) is said once on stderr. Call {@linkcode Output.end} (or {@linkcode Output.close})
 * before exiting.
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
  #w: BoundedWriter;
  /** What stdout had lost when a summary said so, and its position then. */
  #reported: { lost: Lost; errLost: Lost; at: number } | undefined;
  #ending: Promise<void> | undefined;

  /**
   * An output for the tool `name`; nothing is written before the first line.
   *
   * @param name The tool's name.
   * @param options Where output goes, batching and the bound.
   */
  constructor(name: string, options: OutputOptions = {}) {
    this.name = name;
    this.statusToStderr = options.statusToStderr ?? false;
    this.#w = new BoundedWriter([options.stdout ?? Deno.stdout, options.stderr ?? Deno.stderr], {
      flushDelayMs: options.flushDelayMs,
      maxPending: options.maxPending,
      onStdoutFailure: (err) =>
        this.error(`stdout: ${describeCause(err)} (output dropped from now on)`),
    });
  }

  /** Whether stdout was closed by its reader (a broken pipe); later output is dropped. */
  get closed(): boolean {
    return this.#w.closed;
  }

  /**
   * Whether writing stdout failed for another reason (a full disk, an I/O error): what was
   * meant for it is lost, which a tool whose stdout is its data (`--raw`) must not call a
   * success.
   */
  get failed(): boolean {
    return this.#w.failed;
  }

  /** How many lines were dropped on either stream: the reader did not keep up, or it failed. */
  get dropped(): number {
    return this.#w.dropped;
  }

  /**
   * What one stream dropped: lines, and bytes (what counts for raw data on stdout).
   *
   * @param stream `"stdout"` or `"stderr"`.
   * @returns The lines and bytes dropped so far.
   */
  lost(stream: "stdout" | "stderr"): Lost {
    return this.#w.lost(stream === "stdout" ? 0 : 1);
  }

  /**
   * Waits up to `timeout` ms for stdout to take what waits for it; what still waits then (a
   * reader that does not read) is dropped and counted in {@linkcode Output.lost}, and stdout
   * is given up. Stderr is not waited for. For a tool whose summary (on stderr) must say
   * what its stdout lost (`listener --raw`).
   *
   * @param timeout The longest wait, in milliseconds.
   * @returns Whether stdout was given up.
   * @example A stdout that never takes a byte: given up, its bytes counted
   * ```ts
   * import { Output } from "./output.ts";
   * import { deepStrictEqual as assertEquals } from "node:assert/strict";
   * const stuck = { write: (_: Uint8Array) => new Promise<number>(() => {}) };
   * const out = new Output("listener", { stdout: stuck, stderr: { writeSync: (p: Uint8Array) => p.length } });
   * out.data(new Uint8Array(5000));
   * assertEquals(await out.settle(50), true);
   * assertEquals(out.lost("stdout").bytes, 5000);
   * ```
   */
  settle(timeout: number = OUTPUT_DRAIN_MS): Promise<boolean> {
    return this.#w.settle(timeout);
  }

  /**
   * Notes that the tool's summary reports what stdout lost so far (its `dropped` count):
   * {@linkcode Output.end} then says only what was lost after this call. Call it where the
   * summary reads the counts, just before printing it.
   *
   * @example A summary that counts the drops: the exit adds nothing
   * ```ts
   * import { Output } from "./output.ts";
   * import { deepStrictEqual as assertEquals } from "node:assert/strict";
   * let err = "";
   * const stdout = { writeSync: (p: Uint8Array) => p.length };
   * const stderr = { writeSync: (p: Uint8Array) => (err += new TextDecoder().decode(p), p.length) };
   * const out = new Output("t", { stdout, stderr, maxPending: 0, flushDelayMs: 5 });
   * for (const n of [1, 2, 3]) out.say(`line ${n}`); // the reader is late: 1 and 2 go
   * await out.close();
   * out.markReported();
   * out.say(`${out.dropped} lines dropped`);
   * await out.end();
   * assertEquals([out.dropped, err], [2, ""]);
   * ```
   */
  markReported(): void {
    const [lost, errLost] = [this.lost("stdout"), this.lost("stderr")];
    this.#reported = { lost, errLost, at: this.#w.position(0) };
  }

  /**
   * Ends the output before the exit: waits up to `timeout` ms for what is pending
   * ({@linkcode Output.close}), then gives stdout up, counting what is still unwritten
   * ({@linkcode Output.settle}). If stdout lost lines that no summary reported
   * ({@linkcode Output.markReported}; all of them if nothing printed on stdout after the
   * mark got out), says so in one line on stderr and waits a little (1 s at most) for stderr
   * to take it, behind the write in progress only (a slow stderr's backlog is dropped and
   * counted first). Quiet when stdout's reader left on purpose ({@linkcode Output.closed})
   * or its failure was already said ({@linkcode Output.failed}). Lines stderr itself dropped
   * (a log that did not keep up) and no summary reported get a line of their own. A second
   * call returns the first's promise: the lines are said once.
   *
   * @param timeout The longest wait for pending output, in milliseconds.
   * @param signal Cuts the wait short (a Ctrl-C during it): what waits is given up and said.
   * @returns When the output is over.
   * @example A stdout nobody reads: what it lost is said on stderr
   * ```ts
   * import { Output } from "./output.ts";
   * import { deepStrictEqual as assertEquals } from "node:assert/strict";
   * let err = "";
   * const stuck = { write: (_: Uint8Array) => new Promise<number>(() => {}) };
   * const stderr = { writeSync: (p: Uint8Array) => (err += new TextDecoder().decode(p), p.length) };
   * const out = new Output("talker", { stdout: stuck, stderr });
   * for (let i = 0; i < 500; i++) out.say("0123456789");
   * await out.end(50);
   * assertEquals(
   *   err,
   *   "talker: up to 500 lines (9500 bytes) of output were not written: stdout was not read in " +
   *     "time (the last line written may be cut)\n",
   * );
   * ```
   */
  end(timeout: number = OUTPUT_DRAIN_MS, signal?: AbortSignal): Promise<void> {
    return this.#ending ??= this.#end(timeout, signal);
  }

  /** Whether nothing waits to be written: {@linkcode Output.end} will not wait. */
  get idle(): boolean {
    return this.#w.idle;
  }

  async #end(timeout: number, signal: AbortSignal | undefined): Promise<void> {
    await untilAborted(this.close(timeout), signal);
    // A stderr still behind after the wait is slow: its backlog goes (counted), the line next;
    // stdout, held behind it for the two streams' order, gets a last moment to catch up.
    const slowErr = this.#w.waiting(1) > 0;
    if (slowErr) this.#w.dropWaiting(1);
    const moment = slowErr && !signal?.aborted ? LAST_LINE_MS : 0;
    const given = await this.#w.settle(moment) ? this.#w.abandoned : undefined;
    const mark = this.#reported;
    // The summary is what stdout took after the mark: if none of that got out, nobody saw it.
    const seen = mark !== undefined &&
      !(given && given.from <= mark.at && this.#w.position(0) > mark.at);
    const unsaid = (now: Lost, then: Lost | undefined) => ({
      n: now.lines - (seen ? then?.lines ?? 0 : 0),
      bytes: now.bytes - (seen ? then?.bytes ?? 0 : 0),
    });
    const out = unsaid(this.lost("stdout"), mark?.lost);
    const err = unsaid(this.lost("stderr"), mark?.errLost);
    const lines = (n: number) => n === 1 ? ["1 line", "was"] : [`${n} lines`, "were"];
    const said = [];
    if (out.n > 0 && !this.closed && !this.failed) {
      // A write the exit stopped may have put part of its bytes out: they are counted too.
      const [upTo, cut] = given?.cut ? ["up to ", " (the last line written may be cut)"] : ["", ""];
      const [count, verb] = lines(out.n);
      const why = `stdout was ${slowErr ? "held behind a slow stderr, or " : ""}not read in time`;
      said.push(`${upTo}${count} (${out.bytes} bytes) of output ${verb} not written: ${why}${cut}`);
    }
    if (err.n > 0) {
      const [count, verb] = lines(err.n);
      said.push(`${count} (${err.bytes} bytes) on stderr ${verb} dropped: it did not keep up`);
    }
    for (const line of said) this.error(line);
    if (said.length > 0) await this.#w.close(LAST_LINE_MS);
  }

  /**
   * Prints a status line, `name: text`, to stdout (to stderr with `statusToStderr`).
   *
   * @param text The line, without prefix or newline.
   */
  say(text: string): void {
    this.status(`${this.name}: ${text}\n`);
  }

  /**
   * Prints status text as it is (prefixes and newlines included): to stdout, or to stderr
   * with `statusToStderr`.
   *
   * @param text Whole lines.
   */
  status(text: string): void {
    this.#w.put(this.statusToStderr ? 1 : 0, text);
  }

  /**
   * Prints whole lines on stdout as they are (no prefix, no newline added).
   *
   * @param text What to print.
   */
  text(text: string): void {
    this.#w.put(0, text);
  }

  /**
   * Prints bytes on stdout exactly as they are (`--raw`), as one record: written whole or
   * dropped whole. They are copied: the caller may reuse `bytes` at once.
   *
   * @param bytes What to write.
   */
  data(bytes: Uint8Array): void {
    this.#w.put(0, bytes);
  }

  /**
   * Writes bytes to stdout exactly as they are, with backpressure instead of dropping: for
   * payload a user pipes (`client --raw --stdin | consumer`), where no byte may be lost.
   * Resolves once these bytes (and everything before them) are written, or at once if
   * stdout is gone ({@linkcode Output.closed}).
   *
   * @param bytes What to write (copied).
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
  write(bytes: Uint8Array): Promise<void> {
    return this.#w.write(bytes);
  }

  /**
   * Makes room for up to `n` bytes (64 KiB at most) in {@linkcode Output.buffer} and returns
   * the offset to write at; pass the end offset to {@linkcode Output.commit}. For hot paths
   * that format lines straight into the buffer (the listener under a flood). Nothing else
   * may be printed between `reserve` and `commit`.
   *
   * @param n The most bytes about to be written.
   * @returns Where in {@linkcode Output.buffer} to start.
   */
  reserve(n: number): number {
    return this.#w.reserve(n);
  }

  /** The stdout buffer that the last {@linkcode Output.reserve} made room in. */
  get buffer(): Uint8Array {
    return this.#w.buffer;
  }

  /**
   * Ends a {@linkcode Output.reserve}: the whole lines written up to `end` go to stdout.
   *
   * @param end The offset just past the last byte written.
   */
  commit(end: number): void {
    this.#w.commit(end);
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
    this.#w.put(1, `${text}\n`);
  }

  /** Starts writing everything buffered now, without waiting for it to be written. */
  flush(): void {
    this.#w.flush();
  }

  /**
   * Writes what is pending and waits until it is written, or `timeout` ms at most (a reader
   * that is gone for good must not hang the exit). Output may still be printed afterwards.
   *
   * @param timeout The longest wait, in milliseconds.
   * @returns When everything is written, or the wait is over.
   */
  close(timeout: number = OUTPUT_DRAIN_MS): Promise<void> {
    return this.#w.close(timeout);
  }
}

/** `work`, or less once `signal` aborts. */
async function untilAborted(work: Promise<void>, signal: AbortSignal | undefined): Promise<void> {
  if (signal === undefined) return await work;
  let onAbort = () => {};
  const aborted = new Promise<void>((resolve) => {
    onAbort = resolve;
    if (signal.aborted) resolve();
    else signal.addEventListener("abort", onAbort, { once: true });
  });
  try {
    await Promise.race([work, aborted]);
  } finally {
    signal.removeEventListener("abort", onAbort);
  }
}
