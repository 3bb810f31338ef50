/**
 * server: a TCP stream server that sends every client "Hello, world!" and closes.
 *
 *     deno run --no-prompt --allow-net cmd/server.ts [-p PORT]
 *
 * @module
 */
import { familyFlag, type FlagValues, parseFlags } from "../lib/cli/flags.ts";
import {
  booleanFlag,
  durationFlag,
  integerFlag,
  listFlag,
  portFlag,
  stringFlag,
  valueFlag,
} from "../lib/cli/flag_kinds.ts";
import { helpText } from "../lib/cli/flag_help.ts";
import {
  DEFAULT_DRAIN_TIMEOUT,
  DEFAULT_HANDSHAKE_TIMEOUT,
  DEFAULT_IDLE_TIMEOUT,
  DEFAULT_MAX_CONNECTIONS,
  DEFAULT_MAX_HANDSHAKES_PER_ADDRESS,
  DEFAULT_MESSAGE,
  DEFAULT_STREAM_PORT,
  DEFAULT_WORKERS,
  DEFAULT_WRITE_TIMEOUT,
} from "../lib/cli/defaults.ts";
import { runServer, type ServerOptions } from "../lib/tools/server.ts";
import { onTermination } from "../lib/cli/signals.ts";
import { runMain, STANDARD_FLAGS, type ToolInfo } from "../lib/cli/tool.ts";
import {
  DIAGRAM_LIMIT_FLAGS,
  parseViewFlags,
  progressFlags,
  VIEW_FLAGS,
} from "../lib/cli/view_flags.ts";
import { Reporter, type ViewOptions } from "../lib/cli/reporter.ts";
import { quoteField, UsageError } from "../lib/cli/errors.ts";
import { parseAccessFlags } from "../lib/cli/access_flags.ts";
import { parseAlpn, tlsOnly } from "../lib/cli/tls_flags.ts";
import type { Output } from "../lib/cli/output.ts";
import { readInput } from "../lib/cli/stdin.ts";

/** The largest `--message -` read from standard input: 1 MiB. */
const MAX_MESSAGE = 1 << 20;

// The types in the signatures below, so that this entry point's docs are complete.
export type * from "../lib/cli/entry_types.ts";
export type { ServerOptions } from "../lib/tools/server.ts";
export type { TlsFiles } from "../lib/tools/tls_files.ts";
export type { AccessRules } from "../lib/tools/server_peer.ts";

/** The server's options: the one place each is defined, parsed, documented and defaulted. */
const FLAGS = {
  unix: stringFlag(
    "PATH",
    "listen on a Unix stream socket at PATH (@name: a Linux abstract name) instead of TCP: " +
      "a stale socket file is taken over, a live one, another file or a symbolic link " +
      "refused; removed at exit if still its own. Needs --allow-read=PATH --allow-write=PATH " +
      "(the directory instead, to leave another's file at PATH alone at exit)",
    { short: "U" },
  ),
  port: portFlag("port to listen on; 0 picks a free one", {
    short: "p",
    default: DEFAULT_STREAM_PORT,
  }),
  host: stringFlag("ADDR", "address to bind", {
    short: "H",
    shownDefault: "all, on an IPv6 dual-stack socket, else IPv4",
  }),
  ipv4: booleanFlag("bind IPv4 only", { short: "4" }),
  ipv6: booleanFlag(
    "bind IPv6 only: IPv4 clients of the dual-stack socket are closed at accept, and counted",
    { short: "6" },
  ),
  message: stringFlag(
    "TEXT",
    "what to send; '-' reads it from standard input, bytes as they are, up to 1 MiB",
    { shownDefault: `${JSON.stringify(DEFAULT_MESSAGE)}; none with --echo` },
  ),
  echo: booleanFlag(
    "echo: send each client's bytes back as they arrive, until it half-closes; no greeting " +
      "unless --message is given (sent first)",
    { short: "e" },
  ),
  "idle-timeout": durationFlag("echo: drop a client that neither sends nor closes", {
    default: DEFAULT_IDLE_TIMEOUT,
  }),
  "max-connections": integerFlag(
    "clients served at once; more wait in the kernel queue; 0 is no limit",
    { min: 0, max: 1e6, default: DEFAULT_MAX_CONNECTIONS },
  ),
  "write-timeout": durationFlag(
    "drop a client that has not taken the message (echo: each echoed chunk) in this time",
    { default: DEFAULT_WRITE_TIMEOUT },
  ),
  "drain-timeout": durationFlag(
    "on Ctrl-C/SIGTERM, time for clients in flight to finish; 0 closes them at once",
    { min: 0, default: DEFAULT_DRAIN_TIMEOUT },
  ),
  linger: durationFlag(
    "lingering close: after the message, wait this long for the client to close first, " +
      "discarding what it sent, so a client that sent data gets a clean end instead of a reset",
    { min: 0, default: 0, shownDefault: "0: close at once, as the original" },
  ),
  allow: listFlag(
    "SPEC",
    "serve only peers matching SPEC: an address or CIDR block (127.0.0.1, 10.0.0.0/8, ::1, " +
      "fe80::/10)",
  ),
  deny: listFlag("SPEC", "refuse peers matching SPEC, even if allowed"),
  tls: booleanFlag("serve over TLS; needs --cert and --key"),
  cert: stringFlag("FILE", "certificate chain (PEM); - reads it from stdin"),
  key: stringFlag("FILE", "private key (PEM); - reads it from stdin"),
  "client-ca": stringFlag(
    "FILE",
    "require a client certificate signed by a CA in FILE (mutual TLS)",
  ),
  alpn: valueFlag(
    "LIST",
    "ALPN protocols to offer, comma-separated (h2,http/1.1)",
    {},
    (text) => parseAlpn(text)!,
    (names) => names.join(","),
  ),
  "handshake-timeout": durationFlag(
    "drop a client that has not finished the TLS handshake in this time, counted as a failed " +
      "handshake",
    { default: DEFAULT_HANDSHAKE_TIMEOUT },
  ),
  "max-handshakes-per-address": integerFlag(
    "clients from one address in their TLS handshake at once; more are closed at accept " +
      "and counted as failed handshakes; 0 is no limit",
    { min: 0, max: 1e6, default: DEFAULT_MAX_HANDSHAKES_PER_ADDRESS },
  ),
  quiet: booleanFlag("no line per connection", { short: "q" }),
  workers: integerFlag(
    "accept threads sharing the port (SO_REUSEPORT, Linux); limits apply per thread",
    { min: 1, max: 64, default: DEFAULT_WORKERS },
  ),
  ...VIEW_FLAGS,
  ...progressFlags("the live status line"),
  ...DIAGRAM_LIMIT_FLAGS,
  ...STANDARD_FLAGS,
};

/**
 * The server's name, usage line, option table and help (generated from the table).
 *
 * @example The original's usage line, extended
 * ```ts
 * import { info } from "@socketkit/socketkit/server";
 * import { deepStrictEqual as assertEquals } from "node:assert/strict";
 *
 * assertEquals(info.name, "server");
 * assertEquals(info.usage, "usage: server [-p port] [-H host] [-4|-6] [--message text]");
 * assertEquals(info.help.includes("-p, --port PORT"), true);
 * ```
 */
export const info: ToolInfo = {
  name: "server",
  usage: "usage: server [-p port] [-H host] [-4|-6] [--message text]",
  flags: FLAGS,
  // Generated when asked for: a run that does not print it does not pay for it.
  get help(): string {
    return helpText({
      about: `server: a TCP stream server; sends every client a message, then closes.

usage: server [options]`,
      flags: FLAGS,
      notes: `A client refused by --allow/--deny is closed before a byte is sent, printed (at most
10 lines a second) and counted; IPv4 clients of the dual-stack socket are matched as IPv4.

TLS files are read once at start: run with --allow-read=FILE,... for them, or give them
on stdin (cat cert.pem key.pem | server --tls --cert - --key -), which needs no permission;
for mutual TLS, the CAs after the key: cat cert.pem key.pem ca.pem | … --client-ca -.

Ctrl-C or SIGTERM stops accepting, lets clients in flight finish (up to --drain-timeout),
prints a summary and exits 0; a second Ctrl-C drops those clients at once, prints the
summary and exits 130 (143 for a second SIGTERM).
Durations are seconds (2, 1.5) or take a unit: 500ms, 2s, 1m.`,
    });
  },
};

/**
 * Parses the server's command line.
 *
 * @param args The arguments.
 * @returns The server's options (without the stop signal).
 * @throws {UsageError} For anything that is not a valid command line.
 * @example Defaults, and flags in milliseconds
 * ```ts
 * import { parseServerArgs } from "@socketkit/socketkit/server";
 * import { deepStrictEqual as assertEquals } from "node:assert/strict";
 *
 * const defaults = parseServerArgs([]);
 * assertEquals([defaults.port, defaults.message, defaults.workers], [3490, "Hello, world!", 1]);
 * const options = parseServerArgs(["-p", "0", "--message", "hi", "--write-timeout", "2s", "-6"]);
 * assertEquals([options.port, options.message, options.family], [0, "hi", 6]);
 * assertEquals(options.limits?.writeTimeout, 2000);
 * ```
 */
export function parseServerArgs(args: string[]): ServerOptions & { view: ViewOptions } {
  const { values, positionals, given } = parseFlags(args, FLAGS);
  if (values.unix !== undefined) {
    const ipOnly = ["host", "port", "ipv4", "ipv6", "workers", "tls", "allow", "deny"];
    const ip = (ipOnly as (keyof typeof FLAGS)[]).find((name) => given.has(name));
    if (ip) throw new UsageError(`Option --${ip} is for IP: not with -U`);
  }
  if (positionals.length > 0) {
    throw new UsageError(`Unexpected argument ${quoteField(positionals[0]!)}`);
  }
  if (given.has("idle-timeout") && !values.echo) {
    throw new UsageError(
      "Option --idle-timeout needs --echo: only an echo server reads from its clients",
    );
  }
  tlsOnly(values.tls, given, [
    "cert",
    "key",
    "client-ca",
    "alpn",
    "handshake-timeout",
    "max-handshakes-per-address",
  ]);
  return {
    view: parseViewFlags(values),
    unix: values.unix,
    host: values.host,
    port: values.port,
    family: familyFlag(values.ipv4, values.ipv6, "any"),
    message: values.message ?? (values.echo ? undefined : DEFAULT_MESSAGE),
    echo: values.echo,
    quiet: values.quiet,
    limits: {
      maxConnections: values["max-connections"],
      writeTimeout: values["write-timeout"],
      drainTimeout: values["drain-timeout"],
      lingerTimeout: values.linger,
      handshakeTimeout: values["handshake-timeout"],
      maxHandshakesPerAddress: values["max-handshakes-per-address"],
      idleTimeout: values["idle-timeout"],
    },
    access: parseAccessFlags(values.allow, values.deny),
    tls: parseTlsFlags(values),
    workers: values.workers,
  };
}

function parseTlsFlags(
  values: Pick<
    FlagValues<typeof FLAGS>,
    "tls" | "cert" | "key" | "client-ca" | "alpn"
  >,
): ServerOptions["tls"] {
  if (!values.tls) return undefined;
  if (values.cert === undefined || values.key === undefined) {
    throw new UsageError("Option --tls needs --cert FILE and --key FILE");
  }
  return { cert: values.cert, key: values.key, clientCa: values["client-ca"], alpn: values.alpn };
}

/**
 * The server's body: parse, then serve until Ctrl-C or SIGTERM.
 *
 * @param args The arguments.
 * @param out Where lines go.
 * @returns The exit code.
 * @example Serve one client, then stop on SIGTERM
 * ```ts
 * import { readAll } from "@socketkit/socketkit";
 * import { main } from "@socketkit/socketkit/server";
 * import { Output } from "../lib/cli/output.ts";
 * import { deepStrictEqual as assertEquals } from "node:assert/strict";
 *
 * let printed = "";
 * const sink = {
 *   writeSync: (p: Uint8Array) => (printed += new TextDecoder().decode(p), p.length),
 * };
 * const out = new Output("server", { stdout: sink, stderr: sink });
 * const running = main(["-H", "127.0.0.1", "-p", "0"], out);
 * // Wait (1 s at most) for the port the system picked.
 * let port = 0;
 * for (let i = 0; i < 100 && port === 0; i++) {
 *   await new Promise((resolve) => setTimeout(resolve, 10));
 *   port = Number(/listening on 127\.0\.0\.1:(\d+)/.exec(printed)?.[1] ?? 0);
 * }
 * {
 *   using conn = await Deno.connect({ hostname: "127.0.0.1", port });
 *   const { bytes } = await readAll(conn, { timeout: 1000 });
 *   assertEquals(new TextDecoder().decode(bytes), "Hello, world!");
 * }
 * Deno.kill(Deno.pid, "SIGTERM"); // as `kill PID`: stop accepting, drain, summarize
 * assertEquals(await running, 0);
 * await out.close();
 * assertEquals(printed.split("\n").slice(1), [
 *   "server: waiting for connections...",
 *   "server: got connection from 127.0.0.1",
 *   "server: stopped: 1 served, 0 failed, 0 dropped",
 *   "",
 * ]);
 * ```
 */
export async function main(args: string[], out: Output): Promise<number> {
  const { view, ...options } = parseServerArgs(args);
  if (options.message === "-") options.message = await readInput("--message -", MAX_MESSAGE);
  using reporter = await Reporter.open(out, view); // disposed: the --diagram file is written
  // A second Ctrl-C cuts the drain short: the summary is still printed, then exit 130.
  using stop = onTermination({ drain: true });
  try {
    await runServer({ ...options, signal: stop.signal, stopNow: stop.now, reporter }, out);
  } finally {
    reporter.stop();
  }
  return stop.code;
}

if (import.meta.main) await runMain(info, main, { batch: true });
