/**
 * talker: sends one datagram to a listener.
 *
 *     deno run --no-prompt --allow-net cmd/talker.ts HOST MESSAGE
 *
 * @module
 */
import { UsageError } from "../lib/cli/errors.ts";
import { onTermination } from "../lib/cli/signals.ts";
import { familyFlag, parseDuration, parseFlags, parseInteger } from "../lib/cli/flags.ts";
import { readInput } from "../lib/cli/stdin.ts";
import { MAX_DATAGRAM } from "../lib/net/datagram_limit.ts";

/** The most standard input `--lines` reads: 16 MiB. */
const MAX_LINES_INPUT = 16 << 20;
import type { Output } from "../lib/cli/output.ts";
import { parsePort } from "../lib/cli/port.ts";
import { runTalker, type TalkerOptions } from "../lib/tools/talker.ts";
import { runMain, type ToolInfo } from "../lib/cli/tool.ts";
import { parseViewFlags, VIEW_FLAGS, VIEW_HELP } from "../lib/cli/view_flags.ts";
import { Reporter, type ViewOptions } from "../lib/cli/reporter.ts";

// The types in the signatures below, so that this entry point's docs are complete.
export type * from "../lib/cli/entry_types.ts";
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
      --hex                  MESSAGE is hex digits: talker --hex ::1 00ff41 sends 3 bytes
      --lines                send each line of standard input as its own datagram (no
                             MESSAGE, or '-'); the newline is not sent
  -n, --count N              send the message (each line) N times (default 1)
  -i, --interval DUR         time between two sends (default: at once; 1s for the ping)
${VIEW_HELP}
  -h, --help                 this help
      --version              version, Deno version and target

MESSAGE '-' sends standard input, bytes as they are, as one datagram.
With -n or --lines and --reply, talker is a UDP ping (against 'listener --echo -k'): each
reply is matched to its request by its bytes and timed, and a summary ends the run:
  talker: 5 sent, 5 replies, 0% lost, rtt min/avg/max = 0.081/0.105/0.160 ms
A reply after its --reply time is counted as late, never matched to a later request (with
identical payloads a late reply that comes while the next request waits cannot be told
apart: --lines with distinct lines matches exactly). Exit 3 when no reply came at all.
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
): {
  host: string;
  message: Uint8Array;
  stdin?: "message" | "lines";
  hex?: boolean;
  options: TalkerOptions;
  view: ViewOptions;
} {
  const { values, positionals } = parseFlags(args, {
    port: { type: "string", short: "p", default: "4950" },
    "4": { type: "boolean", short: "4" },
    "6": { type: "boolean", short: "6" },
    connect: { type: "boolean", short: "c" },
    reply: { type: "string", short: "r" },
    raw: { type: "boolean" },
    hex: { type: "boolean" },
    lines: { type: "boolean" },
    count: { type: "string", short: "n" },
    interval: { type: "string", short: "i" },
    ...VIEW_FLAGS,
  });
  const lines = values.lines === true;
  if (lines && positionals.length === 1) positionals.push("-");
  if (positionals.length !== 2) throw new UsageError("", { showUsage: true });
  const message = positionals[1]!;
  if (lines && message !== "-") {
    throw new UsageError("Option --lines reads standard input: give no MESSAGE, or '-'");
  }
  if (lines && values.hex === true) {
    throw new UsageError("Options --lines and --hex cannot be used together");
  }
  const stdin = lines ? "lines" : message === "-" ? "message" : undefined;
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
    message: stdin !== undefined
      ? new Uint8Array(0)
      : values.hex === true
      ? parseHex(message)
      : new TextEncoder().encode(message),
    ...(stdin === undefined ? {} : { stdin }),
    ...(values.hex === true ? { hex: true } : {}),
    options: {
      port: parsePort(values.port as string, { allowZero: false }),
      family: familyFlag(values["4"], values["6"], "any"),
      connect: values.connect === true,
      replyTimeout: values.reply === undefined
        ? undefined
        : parseDuration("--reply", values.reply as string),
      raw: values.raw === true,
      count: values.count === undefined
        ? undefined
        : parseInteger("--count", values.count as string, 1, 1_000_000),
      interval: values.interval === undefined
        ? undefined
        : parseDuration("--interval", values.interval as string, { min: 0 }),
    },
  };
}

/**
 * Reads hex digits as bytes: `00ff41` is 3 bytes. Spaces and colons between bytes are
 * allowed (`00 ff 41`, `00:ff:41`).
 *
 * @param text The digits.
 * @returns The bytes.
 * @throws {UsageError} For anything but an even number of hex digits.
 */
export function parseHex(text: string): Uint8Array {
  const digits = text.replace(/[\s:]/g, "");
  if (!/^(?:[0-9a-fA-F]{2})*$/.test(digits)) {
    throw new UsageError(
      `Invalid hex message ${JSON.stringify(text)}: expected pairs of hex digits (00ff41)`,
    );
  }
  const out = new Uint8Array(digits.length / 2);
  for (let i = 0; i < out.length; i++) out[i] = parseInt(digits.slice(2 * i, 2 * i + 2), 16);
  return out;
}

/** Splits standard input into lines, without their `\n`; a last unterminated line counts. */
function splitLines(input: Uint8Array): Uint8Array[] {
  const lines: Uint8Array[] = [];
  let start = 0;
  for (let i = input.indexOf(10); i !== -1; i = input.indexOf(10, start)) {
    lines.push(input.subarray(start, i));
    start = i + 1;
  }
  if (start < input.length) lines.push(input.subarray(start));
  return lines;
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
  const { host, message, stdin, hex, options, view } = parseTalkerArgs(args);
  out.statusToStderr = options.raw === true;
  let payload: Uint8Array | Uint8Array[] = message;
  if (stdin !== undefined) {
    // One datagram's worth and a byte more: too much is refused before anything is sent.
    const limit = stdin === "lines" ? MAX_LINES_INPUT : MAX_DATAGRAM[6] * (hex ? 3 : 1);
    const input = await readInput(stdin === "lines" ? "--lines" : "MESSAGE -", limit);
    if (stdin === "lines") {
      payload = splitLines(input);
      if (payload.length === 0) throw new UsageError("Option --lines: standard input has no line");
    } else payload = hex ? parseHex(new TextDecoder().decode(input)) : input;
  }
  // Ctrl-C: no further datagram is sent, the ping prints its summary, exit 130.
  using stop = onTermination();
  const reporter = new Reporter(out, view);
  return await runTalker(host, payload, { ...options, reporter, signal: stop.signal }, out);
}

if (import.meta.main) await runMain(info, main);
