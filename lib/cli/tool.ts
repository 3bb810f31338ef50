/**
 * The entry point every tool shares: `--help`, `--version`, and the one place where an
 * error becomes one line on stderr and an exit code, never a stack trace.
 *
 * @module
 */
import { errorLine, exitCodeOf } from "./errors.ts";
import { booleanFlag } from "./flag_kinds.ts";
import { type FlagTable, scanFlags } from "./flags.ts";
import { EXIT_CODE_HELP, ExitCode } from "./exit_codes.ts";
import { Output, OUTPUT_DRAIN_MS } from "./output.ts";

/** What a tool tells {@linkcode runTool} about itself. */
export interface ToolInfo {
  /** The tool's name: the prefix of its lines. */
  name: string;
  /** The one-line usage, as the original prints it: `usage: client hostname`. */
  usage: string;
  /** The full `--help` text, without the exit-code table (added here). */
  help: string;
  /**
   * The tool's option table, with {@linkcode STANDARD_FLAGS}: `-h` is then found inside a
   * bundle of switches (`-qh`) too.
   * @default {undefined} (only `-h` and `--help` as whole arguments ask for help)
   */
  flags?: FlagTable | undefined;
}

/** The entries every tool's table ends with: `-h, --help` and `--version`, answered here. */
export const STANDARD_FLAGS = {
  help: booleanFlag("this help", { short: "h" }),
  version: booleanFlag("version, Deno version and target"),
};

/** A tool's body: given its arguments and output, returns an exit code. */
export type ToolMain = (args: string[], out: Output) => Promise<number>;

/**
 * Runs a tool: answers `-h/--help` and `--version`, runs `main`, and turns whatever it
 * throws into one line on stderr and an exit code from the shared table.
 *
 * @param info The tool's name, usage and help.
 * @param args The command line.
 * @param main The tool's body.
 * @param out Where output goes.
 * @returns The exit code.
 * @example A tool that greets, and refuses a second argument
 * ```ts
 * import { runTool } from "./tool.ts";
 * import { Output } from "./output.ts";
 * import { UsageError } from "./errors.ts";
 * import { deepStrictEqual as assertEquals } from "node:assert/strict";
 *
 * const printed = { out: "", err: "" };
 * const sink = (to: "out" | "err") => ({
 *   writeSync: (p: Uint8Array) => (printed[to] += new TextDecoder().decode(p), p.length),
 * });
 * const out = new Output("hi", { stdout: sink("out"), stderr: sink("err") });
 * const info = { name: "hi", usage: "usage: hi [name]", help: "hi: greets NAME" };
 * const main = async (args: string[], out: Output) => {
 *   if (args.length > 1) throw new UsageError("", { showUsage: true });
 *   out.say(`hello ${args[0] ?? "world"}`);
 *   return 0;
 * };
 * assertEquals(await runTool(info, ["you"], main, out), 0);
 * assertEquals(await runTool(info, ["you", "me"], main, out), 1);
 * await out.close();
 * assertEquals(printed, { out: "hi: hello you\n", err: "usage: hi [name]\n" });
 * ```
 */
export async function runTool(
  info: ToolInfo,
  args: string[],
  main: ToolMain,
  out: Output = new Output(info.name),
): Promise<number> {
  const asked = askedFor(info, args);
  if (asked === "help") {
    out.text(`${info.help.trimEnd()}\n\n${EXIT_CODE_HELP}\n`);
    out.flush();
    return ExitCode.Ok;
  }
  if (asked === "version") {
    // Loaded only here: deno.json is read for --version alone, not at every start.
    const { versionLine } = await import("./version.ts");
    out.text(`${versionLine(info.name)}\n`);
    out.flush();
    return ExitCode.Ok;
  }
  try {
    const code = await main(args, out);
    out.flush();
    return code;
  } catch (err) {
    return await report(info, err, out, jsonAsked(args));
  }
}

/**
 * Whether the command line asks for the help or the version: read with the tool's table,
 * so that `-h` counts inside a bundle of switches (`-qh`, `-zh`); a line the table cannot
 * read still gets the help for a whole `-h` or `--help` before `--`. `--help=x` is not a
 * request for help: the parser then refuses it as a switch given a value.
 */
function askedFor(info: ToolInfo, args: string[]): "help" | "version" | undefined {
  if (info.flags) {
    try {
      const { texts } = scanFlags(args, info.flags);
      return texts.has("help") ? "help" : texts.has("version") ? "version" : undefined;
    } catch {
      // Not a line the table reads: the whole arguments below decide, main() the error.
    }
  }
  const end = args.indexOf("--");
  const flags = end < 0 ? args : args.slice(0, end);
  if (flags.includes("-h") || flags.includes("--help")) return "help";
  if (flags.includes("--version")) return "version";
  return undefined;
}

/** Whether `--json` is on the command line, before `--`, so that an error is an event too. */
function jsonAsked(args: string[]): boolean {
  const end = args.indexOf("--");
  return (end < 0 ? args : args.slice(0, end)).includes("--json");
}

async function report(
  info: ToolInfo,
  err: unknown,
  out: Output,
  json: boolean,
): Promise<number> {
  const line = errorLine(info.name, info.usage, err);
  const code = exitCodeOf(err);
  // --json: the error is an event on stdout too (the line on stderr stays); its message, as
  // every error event's, without the tool's name (the event's `tool` says it).
  const prefix = `${info.name}: `;
  const message = line.startsWith(prefix) ? line.slice(prefix.length) : line;
  if (json) {
    const { jsonLine } = await import("./json.ts"); // only for --json
    out.text(jsonLine(info.name, "error", { message, exit_code: code }));
  }
  out.errorLine(line);
  return code;
}

/** Options for {@linkcode runMain}. */
export interface RunMainOptions {
  /**
   * Batch output lines, 5 ms at most (long-running tools): `OutputOptions.flushDelayMs`.
   * @default {false}
   */
  batch?: boolean | undefined;
  /**
   * The output bound, in bytes per stream: `OutputOptions.maxPending`.
   * @default {1048576} (1 MiB)
   */
  maxPending?: number | undefined;
}

/**
 * Runs a tool as a program: {@linkcode runTool}, then lets pending output out (for at most
 * {@linkcode OUTPUT_DRAIN_MS}, so that a reader that is gone cannot hang the exit) and exits
 * with its code. Output that stdout never took and no summary reported is said in one line
 * on stderr ({@linkcode Output.end}). A promise rejected and never handled is a bug: one
 * `internal error` line on stderr, exit 70.
 *
 * @param info The tool's name, usage and help.
 * @param main The tool's body.
 * @param options Output batching and bound.
 * @returns Never: the process exits.
 * @example The end of a cmd file (not run as a doc test: runMain exits the process)
 * ```ts ignore
 * import { runMain } from "./tool.ts";
 * if (import.meta.main) await runMain(info, main);
 * ```
 */
export async function runMain(
  info: ToolInfo,
  main: ToolMain,
  options: RunMainOptions = {},
): Promise<never> {
  const out = new Output(info.name, {
    flushDelayMs: options.batch ? 5 : undefined,
    maxPending: options.maxPending,
  });
  let failed = false;
  globalThis.addEventListener("unhandledrejection", (event) => {
    event.preventDefault();
    if (failed) return;
    failed = true;
    out.error(`internal error: ${String(event.reason)}`);
    void out.end(OUTPUT_DRAIN_MS).finally(() => Deno.exit(ExitCode.Internal));
  });
  const code = await runTool(info, Deno.args, main, out);
  if (!out.idle) {
    // Waiting for a stdout nobody reads: Ctrl-C cuts the wait short (said, exit 130).
    const { onTermination } = await import("./signals.ts");
    using stop = onTermination();
    await out.end(OUTPUT_DRAIN_MS, stop.signal);
    if (stop.signal.aborted) Deno.exit(stop.firstCode);
  }
  await out.end(OUTPUT_DRAIN_MS);
  Deno.exit(failed ? ExitCode.Internal : code);
}
