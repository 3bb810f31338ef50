/**
 * The one place the tools report their events: the original's lines by default, JSON
 * Lines with `--json`, socket calls on stderr with `--explain`, a live status line on a
 * terminal. The tools call it instead of `Output.say`; a new event is added here once.
 *
 * With every view off it costs nothing per event: `say` is `Output.say`, and the hot paths
 * (a connection, a datagram) ask {@linkcode Reporter.json} before building anything.
 *
 * @module
 */
import type { OnStep, Step } from "../net/steps.ts";
import { ANSI, type ColourMode, type Palette, PLAIN, useColour } from "./colour.ts";
import type { DiagramFile } from "./diagram.ts";
import type { EventName, JsonAddress } from "./json.ts";
import type { Output } from "./output.ts";
import type { StatusFigures, StatusLine } from "./status_line.ts";

/**
 * The views' own modules, loaded by {@linkcode Reporter.open} only when a view may need them:
 * a one-shot run without `--explain`, `--diagram` or a status line does not load them (each
 * module costs start-up time).
 */
interface ViewModules {
  json?: typeof import("./json.ts");
  diagram?: typeof import("./diagram.ts");
  explain?: typeof import("./explain.ts");
  status?: typeof import("./status_line.ts");
}

/** Which views are on (the shared flags, see {@linkcode parseViewFlags}). */
export interface ViewOptions {
  /**
   * JSON Lines on stdout instead of the human lines.
   * @default {false}
   */
  json?: boolean | undefined;
  /**
   * Each socket call on stderr, with its result and why.
   * @default {false}
   */
  explain?: boolean | undefined;
  /**
   * The session as a sequence diagram, written to this file when the tool ends.
   * @default {undefined} (no diagram)
   */
  diagram?: {
    /** The file: `.mmd` (Mermaid) or `.svg`. */
    path: string;
    /** How many sessions a server or listener draws (`--diagram-limit`; default 10). */
    limit?: number | undefined;
  } | undefined;
  /**
   * The live status line: `true` forces it, `false` never; by default only when stderr
   * is a terminal, not with `json` or `quiet`.
   * @default {undefined}
   */
  progress?: boolean | undefined;
  /**
   * Colour.
   * @default {"auto"}
   */
  color?: ColourMode | undefined;
}

/** What the reporter knows of the terminal (injected by tests). */
export interface Terminal {
  /** stdout is a terminal. */
  stdout: boolean;
  /** stderr is a terminal. */
  stderr: boolean;
  /** `NO_COLOR` is set (and not empty). */
  noColor: boolean;
}

function detect(): Terminal {
  return {
    stdout: Deno.stdout.isTerminal(),
    stderr: Deno.stderr.isTerminal(),
    noColor: Deno.noColor,
  };
}

/**
 * Reports a tool's events in the views asked for. Disposing of it writes the `--diagram`
 * file, if one was asked for.
 */
export class Reporter implements Disposable {
  /** Where lines go. */
  readonly out: Output;
  /** JSON Lines on stdout. */
  readonly json: boolean;
  /** The library's step observer when `--explain` or `--diagram` is on, else `undefined`. */
  readonly onStep: OnStep | undefined;
  #options: ViewOptions;
  #terminal: Terminal;
  #outPalette: Palette;
  #errPalette: Palette;
  #status: StatusLine | undefined;
  #diagram: DiagramFile | undefined;
  #modules: ViewModules;

  /**
   * Creates the reporter and loads what its views need (only those: each module a one-shot
   * run loads costs it start-up time).
   *
   * @param out Where lines go.
   * @param options The views.
   * @param terminal What is a terminal (detected by default).
   * @returns The reporter.
   * @throws {UsageError} For a `--diagram` file that cannot be written.
   * @throws {PermissionError} When Deno may not write the `--diagram` file.
   * @example `--explain` on: each socket call is a line on stderr
   * ```ts
   * import { Reporter } from "./reporter.ts";
   * import { Output } from "./output.ts";
   * import { deepStrictEqual as assertEquals } from "node:assert/strict";
   *
   * const printed = { out: "", err: "" };
   * const sink = (to: "out" | "err") => ({
   *   writeSync: (p: Uint8Array) => (printed[to] += new TextDecoder().decode(p), p.length),
   * });
   * const out = new Output("client", { stdout: sink("out"), stderr: sink("err") });
   * const terminal = { stdout: false, stderr: false, noColor: true };
   * const r = await Reporter.open(out, { explain: true }, terminal);
   * r.onStep?.({ call: "shutdown", type: "stream" });
   * r.say("connected");
   * await out.close();
   * assertEquals(printed.out, "client: connected\n");
   * assertEquals(printed.err.startsWith("client: "), true);
   * assertEquals(printed.err.includes("shutdown"), true);
   * ```
   */
  static async open(
    out: Output,
    options: ViewOptions = {},
    terminal: Terminal = detect(),
  ): Promise<Reporter> {
    const [json, diagram, explain, status] = await Promise.all([
      options.json && import("./json.ts"),
      options.diagram && import("./diagram.ts"),
      options.explain && import("./explain.ts"),
      // Whenever `live` may start it (the tool's `--quiet` is not known yet).
      (options.progress ?? (terminal.stderr && !options.json)) && import("./status_line.ts"),
    ]);
    return new Reporter(out, options, terminal, {
      ...(json ? { json } : {}),
      ...(diagram ? { diagram } : {}),
      ...(explain ? { explain } : {}),
      ...(status ? { status } : {}),
    });
  }

  private constructor(
    out: Output,
    options: ViewOptions,
    terminal: Terminal,
    modules: ViewModules,
  ) {
    this.out = out;
    this.#modules = modules;
    this.json = options.json ?? false;
    this.#options = options;
    this.#terminal = terminal;
    const mode = options.color ?? "auto";
    const colourOut = !this.json && useColour(mode, terminal.stdout, terminal.noColor ? "1" : "");
    this.#outPalette = colourOut ? ANSI : PLAIN;
    this.#errPalette = useColour(mode, terminal.stderr, terminal.noColor ? "1" : "") ? ANSI : PLAIN;
    const diagram = options.diagram && modules.diagram!.DiagramFile.open(out.name, options.diagram);
    this.#diagram = diagram;
    this.onStep = options.explain
      ? (diagram
        ? (step) => (this.#explain(step), diagram.onStep(step))
        : (step) => this.#explain(step))
      : diagram && ((step) => diagram.onStep(step));
  }

  /**
   * A reporter with every view off and no colour: the original's lines, as they were.
   *
   * @param out Where lines go.
   * @returns The reporter.
   */
  static plain(out: Output): Reporter {
    return new Reporter(out, {}, { stdout: false, stderr: false, noColor: true }, {});
  }

  /** Whether human lines are coloured on stdout (then the tool must not format bytes itself). */
  get colour(): boolean {
    return this.#outPalette !== PLAIN && !this.out.statusToStderr;
  }

  /**
   * A human line, `name: text` (nothing in JSON mode).
   *
   * @param text The line without prefix.
   */
  say(text: string): void {
    if (this.json) return;
    if (this.out.statusToStderr) {
      if (this.#errPalette === PLAIN) return this.out.say(text);
      return this.out.errorLine(`${this.#errPalette.name(this.out.name)}: ${text}`);
    }
    if (this.#outPalette === PLAIN) return this.out.say(text);
    this.out.text(`${this.#outPalette.name(this.out.name)}: ${text}\n`);
  }

  /**
   * An event: its JSON line in JSON mode, else the human `line` if there is one.
   *
   * @param name The event.
   * @param fields Its fields, snake_case.
   * @param line The original's line for it, if any.
   */
  event(name: EventName, fields: object, line?: string): void {
    if (this.json) return this.out.text(this.#jsonLine(name, fields));
    if (line !== undefined) this.say(line);
  }

  /**
   * An error line on stderr (red on a terminal); in JSON mode also an `error` event.
   *
   * @param text The message, without prefix.
   * @param fields More fields for the JSON event.
   */
  error(text: string, fields: object = {}): void {
    if (this.json) this.out.text(this.#jsonLine("error", { message: text, ...fields }));
    if (this.#errPalette === PLAIN) return this.out.error(text);
    this.out.errorLine(`${this.#errPalette.name(this.out.name)}: ${this.#errPalette.error(text)}`);
  }

  /**
   * A line on stderr that says how a run ended when that is no error (an idle connection
   * closed as asked): in JSON mode it is no `error` event.
   *
   * @param text The line, without prefix.
   */
  notice(text: string): void {
    if (this.#errPalette === PLAIN) return this.out.error(text);
    this.out.errorLine(`${this.#errPalette.name(this.out.name)}: ${text}`);
  }

  /**
   * The error that ends the tool: its line, and in JSON its event with the `exit_code` the
   * tool ends with.
   *
   * @param text The message, without the tool's name.
   * @param code The exit code.
   * @param fields More fields for the JSON event.
   * @returns `code`, so that a tool can `return r.fail(...)`.
   */
  fail<C extends number>(text: string, code: C, fields: object = {}): C {
    this.error(text, { ...fields, exit_code: code });
    return code;
  }

  /**
   * A refusal: the JSON event, or the human line (yellow on a terminal) if there is one.
   *
   * @param fields The event's fields.
   * @param line The human line, if any.
   */
  refused(fields: object, line?: string): void {
    if (this.json) return this.out.text(this.#jsonLine("refused", fields));
    if (line !== undefined) this.say(this.#outPalette.refusal(line));
  }

  /**
   * Starts the live status line if it is wanted: forced by `progress`, else when stderr
   * is a terminal and neither JSON nor `quiet` is on.
   *
   * @param read The figures, read at each redraw.
   * @param quiet The tool's `--quiet`.
   * @returns Whether it was started.
   */
  live(read: () => StatusFigures, quiet: boolean): boolean {
    const forced = this.#options.progress;
    const wanted = forced ?? (this.#terminal.stderr && !this.json && !quiet);
    if (!wanted) return false;
    const { StatusLine } = this.#modules.status!; // loaded by `open` whenever it may be wanted
    this.#status = new StatusLine(this.out.name, read, { palette: this.#errPalette });
    this.#status.start();
    return true;
  }

  /**
   * The last event: the status line is erased first.
   *
   * @param fields The summary's fields.
   * @param line The original's summary line, if one is printed.
   */
  summary(fields: object, line?: string): void {
    this.stop();
    this.event("summary", fields, line);
  }

  /** Erases the status line, if shown. */
  stop(): void {
    this.#status?.stop();
    this.#status = undefined;
  }

  /** Writes the `--diagram` file, if one was asked for (once); a failure is an error line. */
  [Symbol.dispose](): void {
    try {
      this.#diagram?.write();
    } catch (err) {
      this.error(`cannot write --diagram: ${err instanceof Error ? err.message : err}`);
    }
  }

  /**
   * An address as the JSON events give it, for an event's fields: in JSON mode only (the
   * encoder is loaded for `--json` alone), else `undefined`, which no line shows.
   *
   * @param addr A socket address.
   * @returns `{ address, port, family }`, or `undefined` without `--json`.
   */
  address(
    addr: { hostname: string; port: number } | { path: string | null },
  ): JsonAddress | undefined {
    return this.#modules.json?.jsonAddress(addr);
  }

  #jsonLine(name: EventName, fields: object): string {
    return this.#modules.json!.jsonLine(this.out.name, name, fields); // loaded by `open`
  }

  #explain(step: Step): void {
    const name = this.#errPalette.name(this.out.name);
    this.out.errorLine(`${name}: ${this.#modules.explain!.explainLine(step, performance.now())}`);
  }
}
