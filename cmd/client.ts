/**
 * client: connects to a stream server and prints what it sends.
 *
 *     deno run --no-prompt --allow-net cmd/client.ts HOST
 *
 * @module
 */
import { type ClientOptions, runClient } from "../lib/tools/client.ts";
import { UsageError } from "../lib/cli/errors.ts";
import { familyFlag, parseDuration, parseFlags, parseInteger } from "../lib/cli/flags.ts";
import type { Output } from "../lib/cli/output.ts";
import { parsePort } from "../lib/cli/port.ts";
import { onTermination } from "../lib/cli/signals.ts";
import { runMain, type ToolInfo } from "../lib/cli/tool.ts";

/** The client's name, usage line and help. */
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
  -h, --help                 this help
      --version              version, Deno version and target

Received bytes are printed escaped (\\n, \\x1b, …) so they cannot drive your terminal.
Durations are seconds (2, 1.5) or take a unit: 500ms, 2s, 1m.`,
};

/**
 * Parses the client's command line.
 *
 * @param args The arguments.
 * @returns The host and the client's options.
 * @throws {UsageError} For anything that is not a valid command line.
 */
export function parseClientArgs(args: string[]): { host: string; options: ClientOptions } {
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
    send: { type: "string" },
    stdin: { type: "boolean" },
    "no-shutdown": { type: "boolean" },
    probe: { type: "boolean", short: "z" },
    "idle-timeout": { type: "string", short: "i" },
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
        : parseDuration("--race-delay", values["race-delay"] as string),
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
 */
export async function main(args: string[], out: Output): Promise<number> {
  const { host, options } = parseClientArgs(args);
  out.statusToStderr = options.raw === true;
  using stop = onTermination(); // Ctrl-C: print what came so far, exit 130
  return await runClient(host, { ...options, signal: stop.signal }, out);
}

if (import.meta.main) await runMain(info, main);
