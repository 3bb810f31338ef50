/**
 * talker: sends one datagram to a listener.
 *
 *     deno run --no-prompt --allow-net cmd/talker.ts HOST MESSAGE
 *
 * @module
 */
import { quoteField, UsageError } from "../lib/cli/errors.ts";
import { onTermination } from "../lib/cli/signals.ts";
import { familyFlag, parseFlags } from "../lib/cli/flags.ts";
import { formatDuration } from "../lib/net/errors.ts";
import {
  booleanFlag,
  durationFlag,
  integerFlag,
  portFlag,
  stringFlag,
} from "../lib/cli/flag_kinds.ts";
import { helpText } from "../lib/cli/flag_help.ts";
import {
  DEFAULT_DATAGRAM_PORT,
  DEFAULT_PING_INTERVAL,
  DEFAULT_TALKER_COUNT,
} from "../lib/cli/defaults.ts";
import { MAX_DATAGRAM, UNIX_DATAGRAM_BUFFER } from "../lib/net/_datagram_limit.ts";
import type { Output } from "../lib/cli/output.ts";
import { runTalker, type TalkerOptions } from "../lib/tools/talker.ts";
import { runMain, STANDARD_FLAGS, type ToolInfo } from "../lib/cli/tool.ts";
import { parseViewFlags, VIEW_FLAGS } from "../lib/cli/view_flags.ts";
import { Reporter, type ViewOptions } from "../lib/cli/reporter.ts";

/** Said when `--lines` finds no line. */
const NO_LINE = "Option --lines: standard input has no line";

/** The most standard input `--lines` reads: 16 MiB. */
const MAX_LINES_INPUT = 16 << 20;

// The types in the signatures below, so that this entry point's docs are complete.
export type * from "../lib/cli/entry_types.ts";
export type { TalkerOptions } from "../lib/tools/talker.ts";
export type { GroupSendOptions } from "../lib/tools/talker_socket.ts";

/** The talker's options: the one place each is defined, parsed, documented and defaulted. */
const FLAGS = {
  unix: stringFlag(
    "PATH",
    "send to the Unix datagram socket at PATH (@name: a Linux abstract name) instead of a " +
      "host: talker -U PATH MESSAGE; needs --allow-write=PATH (with --reply also " +
      "--allow-read and --allow-write on its directory, for a temporary path of its own)",
    { short: "U" },
  ),
  port: portFlag("listener port", {
    short: "p",
    default: DEFAULT_DATAGRAM_PORT,
    allowZero: false,
  }),
  ipv4: booleanFlag("use an IPv4 socket and IPv4 addresses", { short: "4" }),
  ipv6: booleanFlag("IPv6 addresses only, no IPv4 mapping (as the original)", { short: "6" }),
  connect: booleanFlag("connected mode: fix the peer (printed); only it can answer", {
    short: "c",
  }),
  reply: durationFlag(
    "connected mode, then wait this long for one answer from the peer (pair it with " +
      "'listener --echo')",
    { short: "r" },
  ),
  raw: booleanFlag("write the reply's bytes exactly to stdout"),
  hex: booleanFlag("MESSAGE is hex digits: talker --hex ::1 00ff41 sends 3 bytes"),
  lines: booleanFlag(
    "send each line of standard input as its own datagram, as it is read (no MESSAGE, or " +
      "'-'); the newline is not sent",
  ),
  count: integerFlag("send the message (each line) N times", {
    short: "n",
    min: 1,
    max: 1_000_000,
    default: DEFAULT_TALKER_COUNT,
  }),
  ttl: integerFlag("to an IPv4 multicast group: the datagrams' time-to-live (hops)", {
    min: 0,
    max: 255,
    shownDefault: "1",
  }),
  loop: booleanFlag("to a multicast group: members on this host get it too (the default)"),
  "no-loop": booleanFlag("to a multicast group: members on this host do not get it"),
  interface: stringFlag(
    "IF",
    "to a multicast group: send out of this interface, an address, name or index (a name or " +
      "index needs --allow-sys=networkInterfaces)",
  ),
  broadcast: booleanFlag(
    "allow a broadcast destination (255.255.255.255, a local network's broadcast address)",
  ),
  interval: durationFlag("time between two sends", {
    short: "i",
    min: 0,
    shownDefault: `at once; ${formatDuration(DEFAULT_PING_INTERVAL)} for the ping`,
  }),
  ...VIEW_FLAGS,
  ...STANDARD_FLAGS,
};

/**
 * The talker's name, usage line, option table and help (generated from the table).
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
  flags: FLAGS,
  // Generated when asked for: a run that does not print it does not pay for it.
  get help(): string {
    return helpText({
      about:
        `talker: sends MESSAGE as one UDP datagram to HOSTNAME (port ${DEFAULT_DATAGRAM_PORT}) from an IPv6 socket;
an IPv4-only host is reached through its IPv4-mapped address.

usage: talker [options] hostname message`,
      flags: FLAGS,
      notes: `MESSAGE '-' sends standard input, bytes as they are, as one datagram.
With -n or --lines and --reply, talker is a UDP ping (against 'listener --echo -k'): each
reply is matched to its request by its bytes and timed, and a summary ends the run:
  talker: 5 sent, 5 replies, 0% lost, rtt min/avg/max = 0.081/0.105/0.160 ms
A reply after its --reply time is counted as late, any other datagram that matches no
request waiting (not an echo, or a second echo) as unmatched; neither is matched to a
later request (with identical payloads a late reply that comes while the next request
waits cannot be told apart: --lines with distinct lines matches exactly). -i is the
least time between two sends: a line read later than its turn goes at once. Exit 3 when
no reply came at all.
A message that starts with '-' goes after '--': talker ::1 -- -hello
The largest message is ${MAX_DATAGRAM[4]} bytes over IPv4 and ${
        MAX_DATAGRAM[6]
      } over IPv6; an empty one is a legal
0-byte datagram. UDP does not guarantee delivery, and Deno reports no ICMP "port
unreachable": a listener that is not there shows up only as a --reply timeout (exit 3).
Durations are seconds (2, 1.5) or take a unit: 500ms, 2s, 1m.`,
    });
  },
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
  const { values, positionals, given } = parseFlags(args, FLAGS);
  if (values.unix !== undefined) {
    const udpOnly = ["port", "ipv4", "ipv6", "ttl", "loop", "no-loop", "interface", "broadcast"];
    const ip = (udpOnly as (keyof typeof FLAGS)[]).find((name) => given.has(name));
    if (ip) throw new UsageError(`Option --${ip} is for UDP: not with -U`);
    positionals.unshift(values.unix); // the path stands where the host would
  }
  const lines = values.lines;
  if (lines && positionals.length === 1) positionals.push("-");
  if (positionals.length !== 2) throw new UsageError("", { showUsage: true });
  const message = positionals[1]!;
  if (lines && message !== "-") {
    throw new UsageError("Option --lines reads standard input: give no MESSAGE, or '-'");
  }
  if (lines && values.hex) {
    throw new UsageError("Options --lines and --hex cannot be used together");
  }
  if (values.loop && values["no-loop"]) {
    throw new UsageError("Options --loop and --no-loop cannot be used together");
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
      : values.hex
      ? parseHex(message)
      : new TextEncoder().encode(message),
    ...(stdin === undefined ? {} : { stdin }),
    ...(values.hex ? { hex: true } : {}),
    options: {
      port: values.port,
      family: familyFlag(values.ipv4, values.ipv6, "any"),
      connect: values.connect,
      replyTimeout: values.reply,
      raw: values.raw,
      count: values.count,
      interval: values.interval,
      ttl: values.ttl,
      loop: values["no-loop"] ? false : values.loop ? true : undefined,
      interface: values.interface,
      broadcast: values.broadcast,
      unix: values.unix,
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
      `Invalid hex message ${quoteField(text)}: expected pairs of hex digits (00ff41)`,
    );
  }
  const out = new Uint8Array(digits.length / 2);
  for (let i = 0; i < out.length; i++) out[i] = parseInt(digits.slice(2 * i, 2 * i + 2), 16);
  return out;
}

/** The lines as they come; an input with none is a usage error, at its end. */
async function* atLeastOneLine(lines: AsyncIterable<Uint8Array>): AsyncGenerator<Uint8Array> {
  let any = false;
  for await (const line of lines) {
    any = true;
    yield line;
  }
  if (!any) throw new UsageError(NO_LINE);
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
  using reporter = await Reporter.open(out, view); // disposed: the --diagram file is written
  let payload: Uint8Array | Uint8Array[] | AsyncIterable<Uint8Array> = message;
  const largest = options.unix === undefined ? MAX_DATAGRAM[6] : UNIX_DATAGRAM_BUFFER - 1;
  if (stdin === "lines" && options.count === 1) {
    // Each line goes as it is read (typed, or from a pipe that is still writing), as nc -u
    // sends; -n N repeats them, so then they are read whole first.
    const { readLines } = await import("../lib/cli/stdin.ts");
    payload = atLeastOneLine(readLines("--lines", largest));
  } else if (stdin !== undefined) {
    // One datagram's worth and a byte more: too much is refused before anything is sent.
    const limit = stdin === "lines" ? MAX_LINES_INPUT : largest * (hex ? 3 : 1);
    const { readInput } = await import("../lib/cli/stdin.ts"); // only when stdin is read
    const input = await readInput(stdin === "lines" ? "--lines" : "MESSAGE -", limit);
    if (stdin === "lines") {
      payload = splitLines(input);
      if (payload.length === 0) throw new UsageError(NO_LINE);
    } else payload = hex ? parseHex(new TextDecoder().decode(input)) : input;
  }
  // Ctrl-C: no further datagram is sent, the ping prints its summary, exit 130.
  using stop = onTermination();
  return await runTalker(host, payload, { ...options, reporter, signal: stop.signal }, out);
}

if (import.meta.main) await runMain(info, main);
