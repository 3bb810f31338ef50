/**
 * Terminal output shared by every tool: lines prefixed with the tool's name, batched into
 * large writes, with errors on stderr. Received bytes go through
 * {@linkcode escapeBytes} before they reach here unless the user asked for `--raw`.
 *
 * @module
 */

/** Somewhere bytes can be written synchronously: `Deno.stdout`, `Deno.stderr`, a file. */
export interface ByteSink {
  /** Writes some of `p`, returning how many bytes were written. */
  writeSync(p: Uint8Array): number;
}

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
   * timer machinery (about 8 ms of start-up).
   * @default {undefined} (no batching)
   */
  flushDelayMs?: number | undefined;
}

const CAPACITY = 64 * 1024;
const encoder = new TextEncoder();

/**
 * A tool's output. With `flushDelayMs`, lines are collected in one 64 KiB buffer and
 * written when it fills, after that delay, or on {@linkcode Output.flush}, so that a flood
 * of datagrams costs one write per 64 KiB rather than one per line. A closed pipe (`| head`)
 * ends output quietly instead of throwing.
 *
 * @example Print a line as the server does
 * ```ts
 * import { Output } from "./output.ts";
 * const out = new Output("server", { flushDelayMs: 5 });
 * out.say("waiting for connections...");
 * out.flush();
 * ```
 */
export class Output {
  /** The tool's name, the prefix of every line. */
  readonly name: string;
  #stdout: ByteSink;
  #stderr: ByteSink;
  /** Send status lines to stderr, keeping stdout for the exact received bytes (`--raw`). */
  statusToStderr: boolean;
  #delay: number | undefined;
  #buf = new Uint8Array(CAPACITY);
  #used = 0;
  #timer: ReturnType<typeof setTimeout> | undefined;
  #closed = false;

  /**
   * Creates the value from its parts.
   *
   * @param name The tool's name.
   * @param options Where output goes.
   */
  constructor(name: string, options: OutputOptions = {}) {
    this.name = name;
    this.#stdout = options.stdout ?? Deno.stdout;
    this.#stderr = options.stderr ?? Deno.stderr;
    this.statusToStderr = options.statusToStderr ?? false;
    this.#delay = options.flushDelayMs;
  }

  /** Whether stdout was closed by its reader (a broken pipe); later output is dropped. */
  get closed(): boolean {
    return this.#closed;
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
    this.flush();
    this.#writeAll(this.#stderr, encoder.encode(text), false);
  }

  /**
   * Buffers text for stdout as it is (no prefix, no newline added).
   *
   * @param text What to print.
   */
  text(text: string): void {
    if (this.#closed) return;
    // A UTF-16 unit encodes to at most 3 bytes.
    if (text.length * 3 > CAPACITY - this.#used) {
      this.flush();
      if (text.length * 3 > CAPACITY) {
        this.#writeAll(this.#stdout, encoder.encode(text));
        return;
      }
    }
    this.#used += encoder.encodeInto(text, this.#buf.subarray(this.#used)).written;
    this.#schedule();
  }

  /**
   * Buffers bytes for stdout exactly as they are (`--raw`).
   *
   * @param bytes What to write.
   */
  data(bytes: Uint8Array): void {
    if (this.#closed) return;
    if (bytes.length > CAPACITY - this.#used) {
      this.flush();
      if (bytes.length > CAPACITY) {
        this.#writeAll(this.#stdout, bytes);
        return;
      }
    }
    this.#buf.set(bytes, this.#used);
    this.#used += bytes.length;
    this.#schedule();
  }

  /**
   * Makes room for up to `n` bytes in the stdout buffer ({@linkcode Output.buffer}) and
   * returns the offset to write at; pass the end offset to {@linkcode Output.commit}. For
   * hot paths that format straight into the buffer (the listener under a flood), with no
   * allocation. `n` must be at most 64 KiB.
   *
   * @param n The most bytes about to be written.
   * @returns Where in the buffer to start.
   */
  reserve(n: number): number {
    if (n > CAPACITY - this.#used) this.flush();
    return this.#used;
  }

  /** The stdout buffer that {@linkcode Output.reserve} makes room in. */
  get buffer(): Uint8Array {
    return this.#buf;
  }

  /**
   * Ends a {@linkcode Output.reserve}: what was written up to `end` is buffered for stdout.
   *
   * @param end The offset just past the last byte written.
   */
  commit(end: number): void {
    if (this.#closed) return;
    this.#used = end;
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
    this.flush();
    this.#writeAll(this.#stderr, encoder.encode(`${text}\n`), false);
  }

  /** Writes everything buffered for stdout now. */
  flush(): void {
    if (this.#timer !== undefined) {
      clearTimeout(this.#timer);
      this.#timer = undefined;
    }
    if (this.#used === 0) return;
    const used = this.#used;
    this.#used = 0;
    this.#writeAll(this.#stdout, this.#buf.subarray(0, used));
  }

  #schedule(): void {
    if (this.#delay === undefined) return this.flush();
    if (this.#timer !== undefined) return;
    const timer = setTimeout(() => {
      this.#timer = undefined;
      this.flush();
    }, this.#delay);
    Deno.unrefTimer(timer);
    this.#timer = timer;
  }

  #writeAll(sink: ByteSink, bytes: Uint8Array, isStdout = true): void {
    try {
      let off = 0;
      while (off < bytes.length) off += sink.writeSync(bytes.subarray(off));
    } catch (err) {
      if (!(err instanceof Deno.errors.BrokenPipe)) throw err;
      if (isStdout) {
        this.#closed = true;
        this.#used = 0;
      }
    }
  }
}
