/**
 * talker: sends one datagram to a listener.
 *
 *     deno run --no-prompt --allow-net cmd/talker.ts HOST MESSAGE
 *
 * @module
 */
import { UsageError } from "../lib/cli/errors.ts";
import { familyFlag, parseDuration, parseFlags } from "../lib/cli/flags.ts";
import type { Output } from "../lib/cli/output.ts";
import { parsePort } from "../lib/cli/port.ts";
import { runTalker, type TalkerOptions } from "../lib/tools/talker.ts";
import { runMain, type ToolInfo } from "../lib/cli/tool.ts";
import { parseViewFlags, VIEW_FLAGS, VIEW_HELP } from "../lib/cli/view_flags.ts";
import { Reporter, type ViewOptions } from "../lib/cli/reporter.ts";

// The types in the signatures below, so that this entry point's docs are complete.
export type { ToolInfo } from "../lib/cli/tool.ts";
export type { Reporter, Terminal, ViewOptions } from "../lib/cli/reporter.ts";
export type { StatusFigures } from "../lib/cli/status_line.ts";
export type { ColourMode } from "../lib/cli/colour.ts";
export type { EventName } from "../lib/cli/json.ts";
export type { Output } from "../lib/cli/output.ts";
export type { TalkerOptions } from "../lib/tools/talker.ts";

/**
 * The talker's name, usage line and help.
 *
 * @example The original's usage line
 * ```ts
 * import { info } from "@socketkit/socketkit/talker";
 * import { deepStrictEqual as assertEquals } from "node:assert/strict";
 *
 * assertEquals([info.name, info.usage], ["talker", "usage: talker hostname message"]);
 * assertEquals(info.help.includes("-r, --reply DUR"), true);
 * ```
 */
export const info: ToolInfo = {
  name: "talker",
  usage: "usage: talker hostname message",
  help: `talker: sends MESSAGE as one UDP datagram to HOSTNAME (port 4950) from an IPv6 socket;
an IPv4-only host is reached through its IPv4-mapped address.

usage: talker [options] hostname message

Options:
  -p, --port PORT            listener port (default 4950)
  -4                         use an IPv4 socket and IPv4 addresses
  -6                         IPv6 addresses only, no IPv4 mapping (as the original)
  -c, --connect              connected mode: fix the peer (printed); only it can answer
  -r, --reply DUR            connected mode, then wait this long for one answer from the peer
                             (pair it with 'listener --echo')
      --raw                  write the reply's bytes exactly to stdout
${VIEW_HELP}
  -h, --help                 this help
      --version              version, Deno version and target

A message that starts with '-' goes after '--': talker ::1 -- -hello
The largest message is 65507 bytes over IPv4 and 65527 over IPv6; an empty one is a legal
0-byte datagram. UDP does not guarantee delivery, and Deno reports no ICMP "port
unreachable": a listener that is not there shows up only as a --reply timeout (exit 3).
Durations are seconds (2, 1.5) or take a unit: 500ms, 2s, 1m.`,
};

/**
 * Parses the talker's command line.
 *
 * @param args The arguments.
 * @returns The host, the message's bytes and the talker's options.
 * @throws {UsageError} For anything that is not a valid command line, and for a message
 * that was not valid UTF-8 (it cannot reach Deno intact through argv).
 * @example A message that starts with '-' goes after '--'
 * ```ts
 * import { parseTalkerArgs } from "@socketkit/socketkit/talker";
 * import { deepStrictEqual as assertEquals } from "node:assert/strict";
 *
 * const { host, message, options } = parseTalkerArgs(["-c", "-p", "5000", "::1", "--", "-hello"]);
 * assertEquals([host, new TextDecoder().decode(message)], ["::1", "-hello"]);
 * assertEquals([options.port, options.connect, options.replyTimeout], [5000, true, undefined]);
 * assertEquals(parseTalkerArgs(["-r", "2", "::1", "hi"]).options.replyTimeout, 2000);
 * ```
 */
export function parseTalkerArgs(
  args: string[],
): { host: string; message: Uint8Array; options: TalkerOptions; view: ViewOptions } {
  const { values, positionals } = parseFlags(args, {
    port: { type: "string", short: "p", default: "4950" },
    "4": { type: "boolean", short: "4" },
    "6": { type: "boolean", short: "6" },
    connect: { type: "boolean", short: "c" },
    reply: { type: "string", short: "r" },
    raw: { type: "boolean" },
    ...VIEW_FLAGS,
  });
  if (positionals.length !== 2) throw new UsageError("", { showUsage: true });
  const message = positionals[1]!;
  if (message.includes("\uFFFD")) {
    // What the shell passed is gone: Deno decoded argv lossily, each bad byte now U+FFFD.
    throw new UsageError(
      "Message is not valid UTF-8 (Deno turns such bytes into U+FFFD in arguments): " +
        "it cannot be sent as an argument",
    );
  }
  return {
    view: parseViewFlags(values),
    host: positionals[0]!,
    message: new TextEncoder().encode(message),
    options: {
      port: parsePort(values.port as string, { allowZero: false }),
      family: familyFlag(values["4"], values["6"], "any"),
      connect: values.connect === true,
      replyTimeout: values.reply === undefined
        ? undefined
        : parseDuration("--reply", values.reply as string),
      raw: values.raw === true,
    },
  };
}

/**
 * The talker's body: parse, send, and in connected mode wait for the reply.
 *
 * @param args The arguments.
 * @param out Where lines go.
 * @returns The exit code.
 * @example Send one datagram to a local socket
 * ```ts
 * import { main } from "@socketkit/socketkit/talker";
 * import { Output } from "../lib/cli/output.ts";
 * import { deepStrictEqual as assertEquals } from "node:assert/strict";
 *
 * let printed = "";
 * const sink = {
 *   writeSync: (p: Uint8Array) => (printed += new TextDecoder().decode(p), p.length),
 * };
 * const out = new Output("talker", { stdout: sink, stderr: sink });
 * const sock = Deno.listenDatagram({ transport: "udp", hostname: "127.0.0.1", port: 0 });
 * try {
 *   const port = String((sock.addr as Deno.NetAddr).port);
 *   assertEquals(await main(["-4", "-p", port, "127.0.0.1", "hello"], out), 0);
 *   const [data] = await sock.receive();
 *   assertEquals(new TextDecoder().decode(data), "hello");
 * } finally {
 *   sock.close();
 * }
 * await out.close();
 * assertEquals(printed, "talker: sent 5 bytes to 127.0.0.1\n");
 * ```
 */
export async function main(args: string[], out: Output): Promise<number> {
  const { host, message, options, view } = parseTalkerArgs(args);
  out.statusToStderr = options.raw === true;
  const reporter = new Reporter(out, view);
  return await runTalker(host, message, { ...options, reporter }, out);
}

if (import.meta.main) await runMain(info, main);
