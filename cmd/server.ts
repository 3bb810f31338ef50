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
import { UsageError } from "../lib/cli/errors.ts";
import type { Output } from "../lib/cli/output.ts";
import { readInput } from "../lib/cli/stdin.ts";

/** The largest `--message -` read from standard input: 1 MiB. */
const MAX_MESSAGE = 1 << 20;

/** The server's name, usage line and help. */
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
  -q, --quiet                no line per connection
      --workers N            accept threads sharing the port (SO_REUSEPORT, Linux; default 1);
                             limits apply per thread
  -h, --help                 this help
      --version              version, Deno version and target

Ctrl-C or SIGTERM stops accepting, lets clients in flight finish, prints a summary and exits 0.
Durations are seconds (2, 1.5) or take a unit: 500ms, 2s, 1m.`,
};

/**
 * Parses the server's command line.
 *
 * @param args The arguments.
 * @returns The server's options (without the stop signal).
 * @throws {UsageError} For anything that is not a valid command line.
 */
export function parseServerArgs(args: string[]): ServerOptions {
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
  });
  if (positionals.length > 0) {
    throw new UsageError(`Unexpected argument ${JSON.stringify(positionals[0])}`);
  }
  return {
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
      ...(values["idle-timeout"] === undefined ? {} : {
        idleTimeout: parseDuration("--idle-timeout", values["idle-timeout"] as string),
      }),
    },
    workers: parseInteger("--workers", values.workers as string, 1, 64),
  };
}

/**
 * The server's body: parse, then serve until Ctrl-C or SIGTERM.
 *
 * @param args The arguments.
 * @param out Where lines go.
 * @returns The exit code.
 */
export async function main(args: string[], out: Output): Promise<number> {
  const options = parseServerArgs(args);
  if (options.message === "-") options.message = await readInput("--message -", MAX_MESSAGE);
  using stop = onTermination();
  await runServer({ ...options, signal: stop.signal }, out);
  return 0;
}

if (import.meta.main) await runMain(info, main, { batch: true });
