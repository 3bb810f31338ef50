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
import { familyFlag, parseDuration, parseFlags, parseInteger } from "../lib/cli/flags.ts";
import type { Output } from "../lib/cli/output.ts";
import { parsePort } from "../lib/cli/port.ts";
import { onTermination } from "../lib/cli/signals.ts";
import { ExitCode } from "../lib/cli/exit_codes.ts";
import { runMain, type ToolInfo } from "../lib/cli/tool.ts";
import { parseViewFlags, VIEW_FLAGS, VIEW_HELP } from "../lib/cli/view_flags.ts";
import { Reporter, type ViewOptions } from "../lib/cli/reporter.ts";

// The types in the signatures below, so that this entry point's docs are complete.
export type * from "../lib/cli/entry_types.ts";
export type { ClientOptions } from "../lib/tools/client.ts";
export type { TlsFiles } from "../lib/tools/tls_files.ts";

/**
 * The client's name, usage line and help.
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
  help: `client: connects to a stream server, trying each address of HOST in turn, and prints
what the server sends until it closes.

usage: client [options] hostname

Options:
  -p, --port PORT            server port (default 3490)
  -4, -6                     try IPv4 addresses only / IPv6 addresses only
  -t, --timeout DUR          one deadline for all connection attempts (default 10s)
      --read-timeout DUR     time for the server to send everything and close (default 10s)
      --max-bytes N          stop reading after N bytes (default 65536; with --raw and
                             --send/--stdin, no limit)
      --raw                  write the received bytes exactly to stdout as they arrive;
                             status lines to stderr
      --send TEXT            send TEXT once connected
      --stdin                send standard input, to its end (after --send TEXT)
      --no-shutdown          after sending, keep the write side open (default: half-close,
                             as nc -N, and read until the server closes)
  -z, --probe                port check: connect, say so, close without reading (exit 0
                             connected, 2 no address connected, 3 timeout)
  -i, --idle-timeout DUR     end when no byte has moved either way for DUR (exit 0)
      --race                 race the addresses (Happy Eyeballs): start the next one every
                             race delay, or at once when one fails; print each attempt
      --race-delay DUR       time between two starts of --race (default 250ms; 10ms to 2s);
                             implies --race
      --tls                  connect over TLS: verify the server against the default roots
                             (or --ca); print the TLS version and the server's subject; a
                             certificate that fails verification ends the run (exit 2);
                             not with --send, --stdin or --idle-timeout yet
      --ca FILE              trust only the CAs in FILE (PEM); - reads it from stdin
      --servername NAME      the name the certificate must be valid for, sent as SNI
                             (default: hostname)
      --alpn LIST            ALPN protocols to offer, comma-separated (h2,http/1.1)
      --cert FILE            client certificate (PEM) for mutual TLS, with --key
      --key FILE             its private key (PEM); - reads it from stdin
${VIEW_HELP}
  -h, --help                 this help
      --version              version, Deno version and target

TLS files are read once at start: run with --allow-read=FILE,... for them, or give them
on stdin (client --tls --ca - localhost < ca.pem), which needs no permission.
Received bytes are printed escaped (\\n, \\x1b, …) so they cannot drive your terminal.
Durations are seconds (2, 1.5) or take a unit: 500ms, 2s, 1m.`,
};

/**
 * Parses the client's command line.
 *
 * @param args The arguments.
 * @returns The host and the client's options.
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
): { host: string; options: ClientOptions; view: ViewOptions } {
  const { values, positionals } = parseFlags(args, {
    port: { type: "string", short: "p", default: "3490" },
    "4": { type: "boolean", short: "4" },
    "6": { type: "boolean", short: "6" },
    timeout: { type: "string", short: "t", default: "10s" },
    "read-timeout": { type: "string", default: "10s" },
    "max-bytes": { type: "string" },
    raw: { type: "boolean" },
    race: { type: "boolean" },
    "race-delay": { type: "string" },
    tls: { type: "boolean" },
    ca: { type: "string" },
    servername: { type: "string" },
    alpn: { type: "string" },
    cert: { type: "string" },
    key: { type: "string" },
    send: { type: "string" },
    stdin: { type: "boolean" },
    "no-shutdown": { type: "boolean" },
    probe: { type: "boolean", short: "z" },
    "idle-timeout": { type: "string", short: "i" },
    ...VIEW_FLAGS,
  });
  const sends = values.send !== undefined || values.stdin === true;
  if (values.probe === true && (sends || values["idle-timeout"] !== undefined)) {
    throw new UsageError(
      "Option -z (--probe) sends and reads nothing: not with --send, --stdin or -i",
    );
  }
  if (values["no-shutdown"] === true && !sends) {
    throw new UsageError("Option --no-shutdown needs --send or --stdin");
  }
  if (positionals.length === 2 && isPort(positionals[1]!)) {
    // `client localhost 3490`, as nc takes it: the port is a flag here.
    throw new UsageError(`Too many arguments: did you mean -p ${positionals[1]}?`);
  }
  if (positionals.length !== 1) throw new UsageError("", { showUsage: true });
  return {
    host: positionals[0]!,
    view: parseViewFlags(values),
    options: {
      port: parsePort(values.port as string, { allowZero: false }),
      family: familyFlag(values["4"], values["6"], "any"),
      connectTimeout: parseDuration("--timeout", values.timeout as string),
      readTimeout: parseDuration("--read-timeout", values["read-timeout"] as string),
      maxBytes: values["max-bytes"] === undefined
        ? (values.raw === true && sends ? undefined : 65536)
        : parseInteger(
          "--max-bytes",
          values["max-bytes"] as string,
          1,
          values.raw === true ? Number.MAX_SAFE_INTEGER : 1 << 30,
        ),
      raw: values.raw === true,
      race: values.race === true || values["race-delay"] !== undefined,
      raceDelay: values["race-delay"] === undefined
        ? undefined
        : parseDuration("--race-delay", values["race-delay"] as string, { min: 10, max: 2000 }),
      tls: parseTlsFlags(values),
      send: values.send === undefined ? undefined : new TextEncoder().encode(values.send as string),
      input: values.stdin === true ? Deno.stdin : undefined,
      shutdown: values["no-shutdown"] !== true,
      probe: values.probe === true,
      idleTimeout: values["idle-timeout"] === undefined
        ? undefined
        : parseDuration("--idle-timeout", values["idle-timeout"] as string),
    },
  };
}

function parseTlsFlags(values: Record<string, unknown>): ClientOptions["tls"] {
  tlsOnly(values, ["ca", "servername", "alpn", "cert", "key"]);
  if (values.tls !== true) return undefined;
  for (const flag of ["send", "stdin", "idle-timeout"]) {
    if (values[flag] !== undefined) {
      throw new UsageError(`Option --${flag} does not work with --tls yet`);
    }
  }
  if ((values.cert === undefined) !== (values.key === undefined)) {
    throw new UsageError("Options --cert and --key go together");
  }
  if (values.cert === "-" && values.ca === "-") {
    throw new UsageError("Options --cert and --ca cannot both read stdin");
  }
  return {
    ca: values.ca as string | undefined,
    cert: values.cert as string | undefined,
    key: values.key as string | undefined,
    servername: values.servername as string | undefined,
    alpn: parseAlpn(values.alpn as string | undefined),
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
  const { host, options, view } = parseClientArgs(args);
  out.statusToStderr = options.raw === true;
  const reporter = new Reporter(out, view);
  using stop = onTermination(); // Ctrl-C: print what came so far, exit 130
  const code = await runClient(host, { ...options, signal: stop.signal, reporter }, out);
  if (!options.raw) return code;
  // With --raw stdout is the data: bytes that could not be written are not a success.
  await out.close();
  return code === 0 && out.failed ? ExitCode.Usage : code;
}

if (import.meta.main) await runMain(info, main);
