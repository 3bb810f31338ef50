/**
 * The live view: one status line at the bottom of the terminal, redrawn at most 4 times a
 * second, with uptime, totals, the rate now, drops and refusals. The bottom row is kept
 * out of the scrolling region, so the tool's own lines scroll above it untouched; the
 * line is erased (and the region restored) when the view stops, before the summary, and on
 * every other way out: a second Ctrl-C during the drain, an internal error, any
 * `Deno.exit`. After a resize the line moves to the new bottom row; while the tool drains
 * (after a first Ctrl-C) it says so.
 *
 * @module
 */
import type { Palette } from "./colour.ts";
import { stopRequested } from "./signals.ts";

/** What the status line shows, read at each redraw. */
export interface StatusFigures {
  /** What is counted, in the plural: `datagrams`, `connections` (one is singular). */
  unit: string;
  /** How many so far. */
  total: number;
  /** Bytes so far, if counted. */
  bytes?: number | undefined;
  /** Our own dropped log lines. */
  droppedLines: number;
  /** The kernel's receive-queue drops, when `/proc` can be read. */
  kernelDrops?: number | undefined;
  /** Refused (not served, not echoed). */
  refused: number;
}

/** Options for {@linkcode StatusLine}. */
export interface StatusLineOptions {
  /** Writes to the terminal at once. @default {Deno.stderr.writeSync} */
  write?: ((bytes: Uint8Array) => void) | undefined;
  /** The terminal's rows. @default {Deno.consoleSize().rows, else 24} */
  rows?: number | undefined;
  /** The terminal's columns: the line is cut to fit. @default {Deno.consoleSize().columns, else 80} */
  columns?: number | undefined;
  /** Redraw period in milliseconds (250 at least). @default {250} */
  periodMs?: number | undefined;
  /** Colours. */
  palette: Palette;
}

const encoder = new TextEncoder();

/** The bottom-of-terminal status line of a long-running tool. */
export class StatusLine {
  #name: string;
  #read: () => StatusFigures;
  #write: (bytes: Uint8Array) => void;
  #rows: number;
  #period: number;
  #palette: Palette;
  #timer: ReturnType<typeof setInterval> | undefined;
  #start = performance.now();
  #last = { at: 0, total: 0 };
  #columns: number;
  #sizeFixed: boolean;
  #onExit = () => this.stop();
  #onResize = () => this.#resize();

  /**
   * Creates the line; nothing is drawn before {@linkcode StatusLine.start}.
   *
   * @param name The tool's name.
   * @param read Reads the figures at each redraw.
   * @param options Where to draw, and colours.
   */
  constructor(name: string, read: () => StatusFigures, options: StatusLineOptions) {
    this.#name = name;
    this.#read = read;
    this.#write = options.write ?? ((b) => writeAll(b));
    const size = terminalSize();
    this.#rows = options.rows ?? size.rows;
    this.#columns = options.columns ?? size.columns;
    this.#sizeFixed = options.rows !== undefined;
    this.#period = Math.max(250, options.periodMs ?? 250);
    this.#palette = options.palette;
  }

  /** Reserves the bottom row and starts redrawing. */
  start(): void {
    if (this.#timer !== undefined) return;
    this.#last = { at: performance.now(), total: this.#read().total };
    // A new line first, so the row the cursor is on stays in the region; then the region.
    this.#emit(`\n\x1b[1A\x1b7\x1b[1;${this.#rows - 1}r\x1b8`);
    this.#draw();
    this.#timer = setInterval(() => this.#draw(), this.#period);
    Deno.unrefTimer(this.#timer);
    // Every way out gives the terminal back: Deno.exit (a second Ctrl-C) fires "unload".
    globalThis.addEventListener("unload", this.#onExit);
    if (!this.#sizeFixed && Deno.build.os !== "windows") {
      Deno.addSignalListener("SIGWINCH", this.#onResize);
    }
  }

  /**
   * Erases the line and gives the bottom row back; the cursor goes to the start of its
   * line, which is cleared (of the `^C` the terminal echoed), so the summary starts there.
   */
  stop(): void {
    if (this.#timer === undefined) return;
    clearInterval(this.#timer);
    this.#timer = undefined;
    globalThis.removeEventListener("unload", this.#onExit);
    if (!this.#sizeFixed && Deno.build.os !== "windows") {
      Deno.removeSignalListener("SIGWINCH", this.#onResize);
    }
    this.#emit(`\x1b7\x1b[${this.#rows};1H\x1b[2K\x1b[r\x1b8\r\x1b[K`);
  }

  /**
   * The terminal changed size: the old line is erased where it was (if still on screen)
   * and the region set for the new size, so no stale fragment is left behind.
   */
  #resize(): void {
    const { rows, columns } = terminalSize();
    if (this.#timer === undefined) return;
    if (rows === this.#rows && columns === this.#columns) return;
    const old = Math.min(this.#rows, rows);
    this.#emit(`\x1b7\x1b[${old};1H\x1b[2K\x1b[${rows};1H\x1b[2K\x1b[1;${rows - 1}r\x1b8`);
    this.#rows = rows;
    this.#columns = columns;
    this.#draw();
  }

  /**
   * The status text for the figures (no escape sequences but the palette's).
   *
   * @param f The figures.
   * @param uptimeMs Milliseconds since start.
   * @param rate Per second, now.
   * @returns The text.
   */
  text(f: StatusFigures, uptimeMs: number, rate: number): string {
    const drops = f.droppedLines + (f.kernelDrops ?? 0);
    const unit = f.total === 1 ? f.unit.replace(/s$/, "") : f.unit;
    const parts = [
      ...(stopRequested() ? ["draining (Ctrl-C again to quit now)"] : []),
      `up ${uptime(uptimeMs)}`,
      `${f.total} ${unit}` + (f.bytes === undefined ? "" : ` (${f.bytes} bytes)`),
      `${Math.round(rate)}/s now`,
      `${drops} dropped` +
      (f.kernelDrops === undefined ? "" : ` (kernel ${f.kernelDrops}, log ${f.droppedLines})`),
      this.#palette.refusal(`${f.refused} refused`),
    ];
    return `${this.#palette.name(this.#name)}: ${parts.join(" · ")}`;
  }

  #draw(): void {
    const now = performance.now();
    const f = this.#read();
    const span = (now - this.#last.at) / 1000;
    const rate = span > 0 ? (f.total - this.#last.total) / span : 0;
    this.#last = { at: now, total: f.total };
    // Cut to the width: a line that wrapped would leave its tail behind.
    const line = fit(this.text(f, now - this.#start, rate), this.#columns - 1);
    this.#emit(`\x1b7\x1b[${this.#rows};1H\x1b[2K${line}\x1b8`);
  }

  #emit(text: string): void {
    try {
      this.#write(encoder.encode(text));
    } catch {
      this.stop();
    }
  }
}

function uptime(ms: number): string {
  const s = Math.floor(ms / 1000);
  if (s < 60) return `${s}s`;
  if (s < 3600) return `${Math.floor(s / 60)}m${String(s % 60).padStart(2, "0")}s`;
  return `${Math.floor(s / 3600)}h${String(Math.floor(s / 60) % 60).padStart(2, "0")}m`;
}

function terminalSize(): { rows: number; columns: number } {
  try {
    const { rows, columns } = Deno.consoleSize();
    return { rows: rows || 24, columns: columns || 80 };
  } catch {
    return { rows: 24, columns: 80 };
  }
}

/** `line` cut to `width` visible characters, its colour sequences kept (and reset if cut). */
function fit(line: string, width: number): string {
  let shown = 0;
  for (let i = 0; i < line.length;) {
    // deno-lint-ignore no-control-regex
    const sgr = /^\x1b\[[0-9;]*m/.exec(line.slice(i, i + 16));
    if (sgr) {
      i += sgr[0].length;
      continue;
    }
    if (shown === width) return `${line.slice(0, i)}\x1b[0m`;
    shown++;
    i += line.codePointAt(i)! > 0xffff ? 2 : 1;
  }
  return line;
}

function writeAll(bytes: Uint8Array): void {
  let off = 0;
  while (off < bytes.length) off += Deno.stderr.writeSync(bytes.subarray(off));
}

/**
 * The kernel's receive-queue drops of the UDP socket bound to `port`, from
 * `/proc/net/udp` and `/proc/net/udp6`; `undefined` when they cannot be read (no Linux,
 * or no read permission: never a prompt).
 *
 * @param port The socket's local port.
 * @returns The drops, or `undefined`.
 * @example
 * ```ts
 * import { udpKernelDrops } from "./status_line.ts";
 * import { deepStrictEqual as assertEquals } from "node:assert/strict";
 * const drops = udpKernelDrops(1);
 * assertEquals(drops === undefined || typeof drops === "number", true);
 * ```
 */
export function udpKernelDrops(port: number): number | undefined {
  const hex = `:${port.toString(16).toUpperCase().padStart(4, "0")}`;
  let found: number | undefined;
  for (const file of ["/proc/net/udp", "/proc/net/udp6"]) {
    try {
      if (Deno.permissions.querySync({ name: "read", path: file }).state !== "granted") {
        return undefined;
      }
      for (const row of Deno.readTextFileSync(file).split("\n").slice(1)) {
        const cols = row.trim().split(/\s+/);
        if (cols[1]?.endsWith(hex)) found = (found ?? 0) + Number(cols[cols.length - 1]);
      }
    } catch {
      return found;
    }
  }
  return found;
}
