/**
 * client: connects to a stream server and prints what it sends.
 *
 *     deno run --no-prompt --allow-net cmd/client.ts HOST
 *
 * @module
 */
import { type ClientOptions, runClient } from "../lib/tools/client.ts";
import { UsageError } from "../lib/cli/errors.ts";
import { parseAlpn, tlsOnly } from "../lib/cli/tls_flags.ts";
import { familyFlag, type FlagValues, parseFlags, parseInteger } from "../lib/cli/flags.ts";
import { formatDuration } from "../lib/net/errors.ts";
import {
  booleanFlag,
  durationFlag,
  integerFlag,
  portFlag,
  stringFlag,
  valueFlag,
} from "../lib/cli/flag_kinds.ts";
import { helpText } from "../lib/cli/flag_help.ts";
import {
  DEFAULT_CONNECT_TIMEOUT,
  DEFAULT_MAX_BYTES,
  DEFAULT_READ_TIMEOUT,
  DEFAULT_STREAM_PORT,
} from "../lib/cli/defaults.ts";
import { RACE_DELAY_DEFAULT, RACE_DELAY_MAX, RACE_DELAY_MIN } from "../lib/net/dial.ts";
import type { Output } from "../lib/cli/output.ts";
import { parsePort } from "../lib/cli/port.ts";
import { onTermination } from "../lib/cli/signals.ts";
import { ExitCode } from "../lib/cli/exit_codes.ts";
import { runMain, STANDARD_FLAGS, type ToolInfo } from "../lib/cli/tool.ts";
import { parseViewFlags, VIEW_FLAGS } from "../lib/cli/view_flags.ts";
import { Reporter, type ViewOptions } from "../lib/cli/reporter.ts";

// The types in the signatures below, so that this entry point's docs are complete.
export type * from "../lib/cli/entry_types.ts";
export type { ClientOptions } from "../lib/tools/client.ts";
export type { TlsFiles } from "../lib/tools/tls_files.ts";

/** The most `--max-bytes` may be when the bytes are printed (not `--raw`): 1 GiB. */
const MAX_PRINTED_BYTES = 1 << 30;

/** The client's options: the one place each is defined, parsed, documented and defaulted. */
const FLAGS = {
  unix: stringFlag(
    "PATH",
    "connect to the Unix stream socket at PATH (@name: a Linux abstract name) instead of a " +
      "host, as nc -U: client -U PATH; needs --allow-read=PATH --allow-write=PATH",
    { short: "U" },
  ),
  port: portFlag("server port", { short: "p", default: DEFAULT_STREAM_PORT, allowZero: false }),
  ipv4: booleanFlag("try IPv4 addresses only", { short: "4" }),
  ipv6: booleanFlag("try IPv6 addresses only", { short: "6" }),
  timeout: durationFlag("one deadline for all connection attempts", {
    short: "t",
    default: DEFAULT_CONNECT_TIMEOUT,
  }),
  "read-timeout": durationFlag("time for the server to send everything and close", {
    default: DEFAULT_READ_TIMEOUT,
  }),
  "max-bytes": integerFlag("stop reading after N bytes", {
    min: 1,
    max: Number.MAX_SAFE_INTEGER,
    shownDefault: `${DEFAULT_MAX_BYTES}; the printed line is bounded, --raw is not`,
  }),
  raw: booleanFlag(
    "write the received bytes exactly to stdout as they arrive, all of them unless " +
      "--max-bytes; status lines to stderr",
  ),
  send: stringFlag("TEXT", "send TEXT once connected"),
  stdin: booleanFlag("send standard input, to its end (after --send TEXT)"),
  "no-shutdown": booleanFlag(
    "after sending, keep the write side open (default: half-close, as nc -N, and read " +
      "until the server closes)",
  ),
  probe: booleanFlag(
    "port check: connect, say so, close without reading (exit 0 connected, 2 no address " +
      "connected, 3 timeout)",
    { short: "z" },
  ),
  "idle-timeout": durationFlag("end when no byte has moved either way for DUR (exit 0)", {
    short: "i",
  }),
  race: booleanFlag(
    "race the addresses (Happy Eyeballs): start the next one every race delay, or at once " +
      "when one fails; print each attempt",
  ),
  "race-delay": durationFlag(
    `time between two starts of --race (${formatDuration(RACE_DELAY_MIN)} to ${
      formatDuration(RACE_DELAY_MAX)
    }); implies --race`,
    { min: RACE_DELAY_MIN, max: RACE_DELAY_MAX, default: RACE_DELAY_DEFAULT },
  ),
  tls: booleanFlag(
    "connect over TLS: verify the server against the default roots (or --ca); print the TLS " +
      "version and the server's subject; a certificate that fails verification ends the run " +
      "(exit 2); after --send/--stdin, close_notify then the half-close; an end without " +
      "close_notify may be a truncation (exit 1)",
  ),
  ca: stringFlag("FILE", "trust only the CAs in FILE (PEM); - reads it from stdin"),
  servername: stringFlag("NAME", "the name the certificate must be valid for, sent as SNI", {
    shownDefault: "hostname",
  }),
  alpn: valueFlag(
    "LIST",
    "ALPN protocols to offer, comma-separated (h2,http/1.1)",
    {},
    (text) => parseAlpn(text)!,
    (names) => names.join(","),
  ),
  cert: stringFlag("FILE", "client certificate chain (PEM) for mutual TLS, with --key"),
  key: stringFlag(
    "FILE",
    "its private key (PEM); - reads it from stdin; when several of --cert, --key, --ca " +
      "are -, stdin holds the chain, then the key, then the CAs (cat cert.pem key.pem ca.pem |)",
  ),
  ...VIEW_FLAGS,
  ...STANDARD_FLAGS,
};

/**
 * The client's name, usage line, option table and help (generated from the table).
 *
 * @example The original's usage line
 * ```ts
 * import { info } from "@socketkit/socketkit/client";
 * import { deepStrictEqual as assertEquals } from "node:assert/strict";
 *
 * assertEquals([info.name, info.usage], ["client", "usage: client hostname"]);
 * assertEquals(info.help.includes("-t, --timeout DUR"), true);
 * ```
 */
export const info: ToolInfo = {
  name: "client",
  usage: "usage: client hostname",
  flags: FLAGS,
  // Generated when asked for: a run that does not print it does not pay for it.
  get help(): string {
    return helpText({
      about: `client: connects to a stream server, trying each address of HOST in turn, and prints
what the server sends until it closes.

usage: client [options] hostname`,
      flags: FLAGS,
      notes:
        `TLS files are read once at start: run with --allow-read=FILE,... for them, or give them
on stdin (client --tls --ca - localhost < ca.pem), which needs no permission.
Received bytes are printed escaped (\\n, \\x1b, …) so they cannot drive your terminal.
Durations are seconds (2, 1.5) or take a unit: 500ms, 2s, 1m.`,
    });
  },
};

/**
 * Parses the client's command line.
 *
 * @param args The arguments.
 * @returns The host, the client's options and views, and whether `--stdin` sends standard
 * input (`main` then opens it as `options.input`).
 * @throws {UsageError} For anything that is not a valid command line.
 * @example Flags, and the port given as nc takes it
 * ```ts
 * import { parseClientArgs } from "@socketkit/socketkit/client";
 * import { deepStrictEqual as assertEquals } from "node:assert/strict";
 *
 * const { host, options } = parseClientArgs(["-p", "8080", "--race-delay", "100ms", "localhost"]);
 * assertEquals([host, options.port], ["localhost", 8080]);
 * assertEquals([options.race, options.raceDelay], [true, 100]);
 * assertEquals([options.connectTimeout, options.readTimeout], [10_000, 10_000]);
 *
 * let message = "";
 * try {
 *   parseClientArgs(["localhost", "3490"]);
 * } catch (e) {
 *   message = (e as Error).message;
 * }
 * assertEquals(message, "Too many arguments: did you mean -p 3490?");
 * ```
 */
export function parseClientArgs(
  args: string[],
): { host: string; options: ClientOptions; view: ViewOptions; stdin: boolean } {
  const { values, positionals, given } = parseFlags(args, FLAGS);
  if (values.unix !== undefined) {
    const ipOnly = ["port", "ipv4", "ipv6", "race", "race-delay", "tls"];
    const ip = (ipOnly as (keyof typeof FLAGS)[]).find((name) => given.has(name));
    if (ip) throw new UsageError(`Option --${ip} is for TCP: not with -U`);
    positionals.unshift(values.unix); // the path stands where the host would
  }
  const sends = values.send !== undefined || values.stdin;
  if (values.probe && (sends || given.has("idle-timeout"))) {
    throw new UsageError(
      "Option -z (--probe) sends and reads nothing: not with --send, --stdin or -i",
    );
  }
  if (values["no-shutdown"] && !sends) {
    throw new UsageError("Option --no-shutdown needs --send or --stdin");
  }
  if (positionals.length === 2 && isPort(positionals[1]!)) {
    // `client localhost 3490`, as nc takes it: the port is a flag here.
    throw new UsageError(`Too many arguments: did you mean -p ${positionals[1]}?`);
  }
  if (positionals.length !== 1) throw new UsageError("", { showUsage: true });
  tlsOnly(values.tls, given, ["ca", "servername", "alpn", "cert", "key"]);
  const maxBytes = values["max-bytes"];
  if (maxBytes !== undefined && !values.raw) {
    parseInteger("--max-bytes", String(maxBytes), 1, MAX_PRINTED_BYTES); // the printed bound
  }
  return {
    host: positionals[0]!,
    view: parseViewFlags(values),
    stdin: values.stdin,
    options: {
      unix: values.unix,
      port: values.port,
      family: familyFlag(values.ipv4, values.ipv6, "any"),
      connectTimeout: values.timeout,
      readTimeout: values["read-timeout"],
      maxBytes: maxBytes ?? (values.raw ? undefined : DEFAULT_MAX_BYTES),
      raw: values.raw,
      race: values.race || given.has("race-delay"),
      raceDelay: values["race-delay"],
      tls: parseTlsFlags(values),
      send: values.send === undefined ? undefined : new TextEncoder().encode(values.send),
      shutdown: !values["no-shutdown"],
      probe: values.probe,
      idleTimeout: values["idle-timeout"],
    },
  };
}

function parseTlsFlags(values: FlagValues<typeof FLAGS>): ClientOptions["tls"] {
  if (!values.tls) return undefined;
  if ((values.cert === undefined) !== (values.key === undefined)) {
    throw new UsageError("Options --cert and --key go together");
  }
  if (values.stdin && [values.cert, values.key, values.ca].includes("-")) {
    throw new UsageError(
      "Option --stdin sends standard input: not with --cert -, --key - or --ca -",
    );
  }
  return {
    ca: values.ca,
    cert: values.cert,
    key: values.key,
    servername: values.servername,
    alpn: values.alpn,
  };
}

/** Whether `text` is a port the client could connect to. */
function isPort(text: string): boolean {
  try {
    parsePort(text, { allowZero: false });
    return true;
  } catch {
    return false;
  }
}

/**
 * The client's body: parse, connect, print what the server sends.
 *
 * @param args The arguments.
 * @param out Where lines go.
 * @returns The exit code.
 * @example Fetch the greeting from a local server
 * ```ts
 * import { greeting, serveStream } from "@socketkit/socketkit";
 * import { main } from "@socketkit/socketkit/client";
 * import { Output } from "../lib/cli/output.ts";
 * import { deepStrictEqual as assertEquals } from "node:assert/strict";
 *
 * const stop = new AbortController();
 * const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
 * const serving = serveStream(listener, {
 *   handler: greeting(new TextEncoder().encode("Hello, world!")),
 *   signal: stop.signal,
 * });
 * let printed = "";
 * const sink = {
 *   writeSync: (p: Uint8Array) => (printed += new TextDecoder().decode(p), p.length),
 * };
 * const out = new Output("client", { stdout: sink, stderr: sink });
 * assertEquals(await main(["-p", String(listener.addr.port), "127.0.0.1"], out), 0);
 * stop.abort();
 * await serving;
 * await out.close();
 * assertEquals(printed, "client: connecting to 127.0.0.1\nclient: received 'Hello, world!'\n");
 * ```
 */
export async function main(args: string[], out: Output): Promise<number> {
  const { host, options, view, stdin } = parseClientArgs(args);
  if (stdin) {
    const { standardInput } = await import("../lib/cli/stdin.ts"); // only when stdin is sent
    options.input = standardInput("--stdin");
  }
  out.statusToStderr = options.raw === true;
  using reporter = await Reporter.open(out, view); // disposed: the --diagram file is written
  using stop = onTermination(); // Ctrl-C: print what came so far, exit 130
  const code = await runClient(host, { ...options, signal: stop.signal, reporter }, out);
  if (!options.raw) return code;
  // With --raw stdout is the data: bytes that could not be written are not a success.
  await out.close();
  return code === 0 && out.failed ? ExitCode.Failed : code;
}

if (import.meta.main) await runMain(info, main);
