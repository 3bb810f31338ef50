/**
 * server: a TCP stream server that sends every client "Hello, world!" and closes.
 *
 *     deno run --no-prompt --allow-net cmd/server.ts [-p PORT]
 *
 * @module
 */
import { familyFlag, parseDuration, parseFlags, parseInteger } from "../lib/cli/flags.ts";
import { parsePort } from "../lib/cli/port.ts";
import { runServer, type ServerOptions } from "../lib/tools/server.ts";
import { onTermination } from "../lib/cli/signals.ts";
import { runMain, type ToolInfo } from "../lib/cli/tool.ts";
import { parseViewFlags, VIEW_FLAGS, VIEW_HELP } from "../lib/cli/view_flags.ts";
import { Reporter, type ViewOptions } from "../lib/cli/reporter.ts";
import { UsageError } from "../lib/cli/errors.ts";
import { parseAccessFlags, parseAlpn, tlsOnly } from "../lib/cli/tls_flags.ts";
import type { Output } from "../lib/cli/output.ts";
import { readInput } from "../lib/cli/stdin.ts";

/** The largest `--message -` read from standard input: 1 MiB. */
const MAX_MESSAGE = 1 << 20;

// The types in the signatures below, so that this entry point's docs are complete.
export type * from "../lib/cli/entry_types.ts";
export type { ServerOptions } from "../lib/tools/server.ts";
export type { TlsFiles } from "../lib/tools/tls_files.ts";
export type { AccessRules } from "../lib/tools/server_peer.ts";

/**
 * The server's name, usage line and help.
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
  help: `server: a TCP stream server; sends every client a message, then closes.

usage: server [options]

Options:
  -p, --port PORT            port to listen on; 0 picks a free one (default 3490)
  -H, --host ADDR            address to bind (default: all, IPv6 dual-stack, else IPv4)
  -4, -6                     bind IPv4 only / IPv6 only (-6 closes IPv4 clients of the
                             dual-stack socket at accept, and counts them)
      --message TEXT         what to send (default "Hello, world!"); '-' reads it from
                             standard input, bytes as they are, up to 1 MiB
  -e, --echo                 echo: send each client's bytes back as they arrive, until it
                             half-closes; no greeting unless --message is given (sent first)
      --idle-timeout DUR     echo: drop a client that neither sends nor closes (default 60s)
      --max-connections N    clients served at once; more wait in the kernel queue (default 1024, 0 = no limit)
      --write-timeout DUR    drop a client that has not taken the message (echo: each echoed
                             chunk) in this time (default 10s)
      --drain-timeout DUR    on Ctrl-C/SIGTERM, time for clients in flight to finish (default 5s;
                             0 closes them at once)
      --linger DUR           lingering close: after the message, wait this long for the client
                             to close first, discarding what it sent, so a client that sent
                             data gets a clean end instead of a reset (default 0: close at once,
                             as the original)
      --allow SPEC           serve only peers matching SPEC: an address or CIDR block
                             (127.0.0.1, 10.0.0.0/8, ::1, fe80::/10); repeatable
      --deny SPEC            refuse peers matching SPEC, even if allowed; repeatable.
                             A refused client is closed before a byte is sent, printed
                             (at most 10 lines a second) and counted; IPv4 clients of
                             the dual-stack socket are matched as IPv4
      --tls                  serve over TLS; needs --cert and --key
      --cert FILE            certificate chain (PEM); - reads it from stdin
      --key FILE             private key (PEM); - reads it from stdin
      --client-ca FILE       require a client certificate signed by a CA in FILE (mutual TLS)
      --alpn LIST            ALPN protocols to offer, comma-separated (h2,http/1.1)
      --handshake-timeout DUR  drop a client that has not finished the TLS handshake in
                             this time, counted as a failed handshake (default 10s)
      --max-handshakes-per-address N  clients from one address in their TLS handshake at
                             once; more are closed at accept and counted as failed
                             handshakes (default 64, 0 = no limit)
  -q, --quiet                no line per connection
      --workers N            accept threads sharing the port (SO_REUSEPORT, Linux; default 1);
                             limits apply per thread
${VIEW_HELP}
  -h, --help                 this help
      --version              version, Deno version and target

TLS files are read once at start: run with --allow-read=FILE,... for them, or give them
on stdin (cat cert.pem key.pem | server --tls --cert - --key -), which needs no permission.

Ctrl-C or SIGTERM stops accepting, lets clients in flight finish, prints a summary and exits 0.
Durations are seconds (2, 1.5) or take a unit: 500ms, 2s, 1m.`,
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
  const { values, positionals } = parseFlags(args, {
    port: { type: "string", short: "p", default: "3490" },
    host: { type: "string", short: "H" },
    "4": { type: "boolean", short: "4" },
    "6": { type: "boolean", short: "6" },
    message: { type: "string" },
    echo: { type: "boolean", short: "e" },
    "idle-timeout": { type: "string" },
    "max-connections": { type: "string", default: "1024" },
    "write-timeout": { type: "string", default: "10s" },
    "drain-timeout": { type: "string", default: "5s" },
    linger: { type: "string" },
    quiet: { type: "boolean", short: "q" },
    workers: { type: "string", default: "1" },
    allow: { type: "string", multiple: true },
    deny: { type: "string", multiple: true },
    tls: { type: "boolean" },
    cert: { type: "string" },
    key: { type: "string" },
    "client-ca": { type: "string" },
    alpn: { type: "string" },
    "handshake-timeout": { type: "string" },
    "max-handshakes-per-address": { type: "string" },
    ...VIEW_FLAGS,
  });
  if (positionals.length > 0) {
    throw new UsageError(`Unexpected argument ${JSON.stringify(positionals[0])}`);
  }
  return {
    view: parseViewFlags(values),
    host: values.host as string | undefined,
    port: parsePort(values.port as string),
    family: familyFlag(values["4"], values["6"], "any"),
    message: values.message as string | undefined ??
      (values.echo === true ? undefined : "Hello, world!"),
    echo: values.echo === true,
    quiet: values.quiet === true,
    limits: {
      maxConnections: parseInteger(
        "--max-connections",
        values["max-connections"] as string,
        0,
        1e6,
      ),
      writeTimeout: parseDuration("--write-timeout", values["write-timeout"] as string),
      drainTimeout: parseDuration("--drain-timeout", values["drain-timeout"] as string, {
        min: 0,
      }),
      lingerTimeout: values.linger === undefined
        ? undefined
        : parseDuration("--linger", values.linger as string, { min: 0 }),
      ...(values["handshake-timeout"] === undefined ? {} : {
        handshakeTimeout: parseDuration(
          "--handshake-timeout",
          values["handshake-timeout"] as string,
        ),
      }),
      ...(values["max-handshakes-per-address"] === undefined ? {} : {
        maxHandshakesPerAddress: parseInteger(
          "--max-handshakes-per-address",
          values["max-handshakes-per-address"] as string,
          0,
          1e6,
        ),
      }),
      ...(values["idle-timeout"] === undefined ? {} : {
        idleTimeout: parseDuration("--idle-timeout", values["idle-timeout"] as string),
      }),
    },
    access: parseAccessFlags(values.allow as string[], values.deny as string[]),
    tls: parseTlsFlags(values),
    workers: parseInteger("--workers", values.workers as string, 1, 64),
  };
}

function parseTlsFlags(values: Record<string, unknown>): ServerOptions["tls"] {
  tlsOnly(values, [
    "cert",
    "key",
    "client-ca",
    "alpn",
    "handshake-timeout",
    "max-handshakes-per-address",
  ]);
  if (values.tls !== true) return undefined;
  if (values.cert === undefined || values.key === undefined) {
    throw new UsageError("Option --tls needs --cert FILE and --key FILE");
  }
  if (values.cert === "-" && values["client-ca"] === "-") {
    throw new UsageError("Options --cert and --client-ca cannot both read stdin");
  }
  return {
    cert: values.cert as string,
    key: values.key as string,
    clientCa: values["client-ca"] as string | undefined,
    alpn: parseAlpn(values.alpn as string | undefined),
  };
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
  const reporter = new Reporter(out, view);
  using stop = onTermination();
  try {
    await runServer({ ...options, signal: stop.signal, reporter }, out);
  } finally {
    reporter.stop();
  }
  return 0;
}

if (import.meta.main) await runMain(info, main, { batch: true });
