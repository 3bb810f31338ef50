/**
 * The `--diagram FILE` view: the session as a sequence diagram, drawn from the same steps as
 * `--explain` and written when the tool ends (Ctrl-C included). The format is the file's
 * extension: `.mmd` (Mermaid) or `.svg` (drawn by socketkit itself).
 *
 * The file is opened (created, emptied) when the tool starts, so that a path that cannot be
 * written fails before any network work, with one line; it is written once, at the end, or
 * when the process exits at once (a second Ctrl-C).
 *
 * @module
 */
import type { Step } from "../net/steps.ts";
import { PermissionError, quoteField, UsageError } from "./errors.ts";
import { shellQuote } from "../net/unix_grants.ts";
import { diagramFormat } from "./view_flags.ts";
import { DiagramRecorder } from "./diagram_model.ts";
import { DIAGRAM_LIMIT_DEFAULT } from "./defaults.ts";
import { toMermaid } from "./diagram_mermaid.ts";
import { toSvg } from "./diagram_svg.ts";

/** The `--diagram` options: where, and how many sessions a server or listener draws. */
export interface DiagramView {
  /** The file: `.mmd` or `.svg`. */
  path: string;
  /**
   * How many sessions a server or listener draws (`--diagram-limit`).
   * @default {10}
   */
  limit?: number | undefined;
}

/** The tools that serve sessions, and the call that starts one. */
const SESSIONS: Record<string, "accept" | "recvfrom"> = { server: "accept", listener: "recvfrom" };

/**
 * A diagram being recorded, and the file it goes to.
 *
 * @example Draw a refused connect as Mermaid
 * ```ts
 * import { DiagramFile } from "./diagram.ts";
 * import { deepStrictEqual as assertEquals } from "node:assert/strict";
 *
 * const path = await Deno.makeTempFile({ suffix: ".mmd" });
 * const address = { hostname: "127.0.0.1", port: 1 };
 * const error = new Deno.errors.ConnectionRefused("Connection refused (os error 111)");
 * {
 *   using diagram = DiagramFile.open("client", { path });
 *   diagram.onStep({ call: "connect", phase: "start", address });
 *   diagram.onStep({ call: "connect", phase: "end", address, error });
 * } // written here
 * const text = await Deno.readTextFile(path);
 * assertEquals(text.split("\n")[3]!.endsWith("connect() #45;#62; ECONNREFUSED"), true);
 * await Deno.remove(path);
 * ```
 */
export class DiagramFile implements Disposable {
  readonly #file: Deno.FsFile;
  readonly #format: "mermaid" | "svg";
  readonly #tool: string;
  readonly #recorder: DiagramRecorder;
  #written = false;
  /** A second Ctrl-C exits at once: the diagram is still written (`unload` runs on exit). */
  readonly #onExit = () => this.#writeQuietly();

  private constructor(file: Deno.FsFile, tool: string, view: DiagramView) {
    this.#file = file;
    this.#format = diagramFormat(view.path);
    this.#tool = tool;
    this.#recorder = new DiagramRecorder(tool, {
      sessionsStartAt: SESSIONS[tool],
      limit: view.limit ?? DIAGRAM_LIMIT_DEFAULT,
    });
    globalThis.addEventListener("unload", this.#onExit);
  }

  /**
   * Opens (creates or empties) the diagram's file.
   *
   * @param tool The tool's name: the diagram's first participant; the server and the listener
   * draw their first `limit` sessions.
   * @param view The path and the limit.
   * @returns The diagram, recording.
   * @throws {UsageError} For a path that is not `.mmd` or `.svg`, or cannot be written.
   * @throws {PermissionError} When Deno may not write it, naming the flag to add.
   */
  static open(tool: string, view: DiagramView): DiagramFile {
    diagramFormat(view.path);
    let file: Deno.FsFile;
    try {
      file = Deno.openSync(view.path, { write: true, create: true, truncate: true });
    } catch (err) {
      if (err instanceof Deno.errors.NotCapable) {
        throw new PermissionError(
          `--diagram ${quoteField(view.path)}: writing the file needs ` +
            `--allow-write=${shellQuote(view.path)}`,
          { cause: err },
        );
      }
      const why = err instanceof Error ? err.message.replace(/ \(os error \d+\).*$/, "") : err;
      throw new UsageError(`Cannot write --diagram ${quoteField(view.path)}: ${why}`);
    }
    return new DiagramFile(file, tool, view);
  }

  /**
   * Takes one step.
   *
   * @param step What the library did.
   */
  onStep(step: Step): void {
    this.#recorder.onStep(step);
  }

  /**
   * Draws the diagram and writes the file (once; later calls do nothing).
   *
   * @throws {Error} When the file cannot be written (the file is closed all the same).
   */
  write(): void {
    if (this.#written) return;
    this.#written = true;
    globalThis.removeEventListener("unload", this.#onExit);
    try {
      const diagram = this.#recorder.finish();
      const text = this.#format === "mermaid"
        ? toMermaid(diagram)
        : toSvg(diagram, `socketkit ${this.#tool}: the session as a sequence diagram`);
      const bytes = new TextEncoder().encode(text);
      for (let off = 0; off < bytes.length;) off += this.#file.writeSync(bytes.subarray(off));
    } finally {
      this.#file.close();
    }
  }

  #writeQuietly(): void {
    try {
      this.write();
    } catch { /* exiting: nothing more can be said */ }
  }

  /** Same as {@linkcode DiagramFile.write}. */
  [Symbol.dispose](): void {
    this.write();
  }
}
