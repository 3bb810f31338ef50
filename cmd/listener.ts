/**
 * listener: waits for datagrams on an IPv6 socket and prints each.
 *
 *     deno run --no-prompt --allow-net cmd/listener.ts
 *
 * @module
 */
import { multicastFamily } from "../lib/net/multicast_address.ts";
import { quoteField, UsageError } from "../lib/cli/errors.ts";
import { parseAccessFlags } from "../lib/cli/access_flags.ts";
import { familyFlag, parseFlags } from "../lib/cli/flags.ts";
import {
  booleanFlag,
  integerFlag,
  listFlag,
  portFlag,
  stringFlag,
  valueFlag,
} from "../lib/cli/flag_kinds.ts";
import { helpText } from "../lib/cli/flag_help.ts";
import { DEFAULT_DATAGRAM_PORT, DEFAULT_LISTENER_COUNT } from "../lib/cli/defaults.ts";
import { type ListenerOptions, type ListenerStats, runListener } from "../lib/tools/listener.ts";
import { ExitCode } from "../lib/cli/exit_codes.ts";
import type { Output } from "../lib/cli/output.ts";
import { onTermination } from "../lib/cli/signals.ts";
import { runMain, STANDARD_FLAGS, type ToolInfo } from "../lib/cli/tool.ts";
import {
  DIAGRAM_LIMIT_FLAGS,
  parseViewFlags,
  progressFlags,
  VIEW_FLAGS,
} from "../lib/cli/view_flags.ts";
import { Reporter, type ViewOptions } from "../lib/cli/reporter.ts";

// The types in the signatures below, so that this entry point's docs are complete.
export type * from "../lib/cli/entry_types.ts";
export type { ListenerOptions } from "../lib/tools/listener.ts";

/** The listener's options: the one place each is defined, parsed, documented and defaulted. */
const FLAGS = {
  unix: stringFlag(
    "PATH",
    "receive on a Unix datagram socket at PATH (@name: a Linux abstract name) instead of " +
      "UDP; removed at exit. Needs --allow-read=PATH --allow-write=PATH; with --echo, " +
      "--allow-read and --allow-write on each sender's path too (plain ones for any sender)",
    { short: "U" },
  ),
  port: portFlag("port to listen on; 0 picks a free one", {
    short: "p",
    default: DEFAULT_DATAGRAM_PORT,
  }),
  host: stringFlag("ADDR", "address or name to bind, in its own family", {
    short: "H",
    shownDefault: "all, on the IPv6 socket",
  }),
  ipv4: booleanFlag("IPv4 only: an IPv4 socket", { short: "4" }),
  ipv6: booleanFlag(
    "IPv6 only: datagrams from IPv4 senders are ignored and counted (Deno cannot make the " +
      "socket IPv6-only)",
    { short: "6" },
  ),
  count: integerFlag("exit after N datagrams", {
    short: "c",
    min: 1,
    max: Number.MAX_SAFE_INTEGER,
    default: DEFAULT_LISTENER_COUNT,
  }),
  keep: booleanFlag("keep receiving until Ctrl-C or SIGTERM (not with -c)", { short: "k" }),
  echo: booleanFlag(
    "send each datagram back to its sender, except: never to our own port (a loop), never " +
      "to a port below 1024, and at most 100 a second (burst 100) to one sender address",
    { short: "e" },
  ),
  "max-size": integerFlag(
    "show at most N bytes of each datagram (its true length is still printed, and a cut " +
      "one is said to be cut)",
    { min: 0, max: 65536 },
  ),
  allow: listFlag(
    "SPEC",
    "hear only senders matching SPEC: an address or CIDR block (127.0.0.1, 10.0.0.0/8, ::1, " +
      "fe80::/10)",
  ),
  deny: listFlag("SPEC", "refuse senders matching SPEC, even if allowed"),
  join: listFlag(
    "GROUP",
    "join the multicast GROUP (IPv4 224.0.0.0/4, IPv6 ff00::/8) on the socket: its datagrams " +
      "are received, refused and echoed as any other (an echo goes to the sender, never to " +
      "the group); left at exit",
  ),
  interface: stringFlag(
    "IF",
    "the interface --join joins on: an address, name or index (a name or index needs " +
      "--allow-sys=networkInterfaces)",
  ),
  quiet: booleanFlag(
    "no lines per datagram; a summary at the end (with --raw, the bytes are still written)",
    { short: "q" },
  ),
  raw: booleanFlag(
    "write each datagram's bytes exactly to stdout; status lines to stderr",
  ),
  delimiter: valueFlagDelimiter(),
  hex: booleanFlag(
    "show each datagram as a hex dump (offset, hex bytes, printable column), as hexdump -C does",
    { short: "x" },
  ),
  ...VIEW_FLAGS,
  ...progressFlags("the live status line of -k"),
  ...DIAGRAM_LIMIT_FLAGS,
  ...STANDARD_FLAGS,
};

/**
 * The listener's name, usage line, option table and help (generated from the table).
 *
 * @example The usage line
 * ```ts
 * import { info } from "@socketkit/socketkit/listener";
 * import { deepStrictEqual as assertEquals } from "node:assert/strict";
 *
 * assertEquals(info.name, "listener");
 * assertEquals(info.usage, "usage: listener [-p port] [-H addr] [-4 | -6] [-c count | -k] [--echo]");
 * assertEquals(info.help.includes("-e, --echo"), true);
 * ```
 */
export const info: ToolInfo = {
  name: "listener",
  usage: "usage: listener [-p port] [-H addr] [-4 | -6] [-c count | -k] [--echo]",
  flags: FLAGS,
  // Generated when asked for: a run that does not print it does not pay for it.
  get help(): string {
    return helpText({
      about: `listener: waits for UDP datagrams on an IPv6 socket (which also takes IPv4) and prints
who sent each, its length and its contents. Exits after one datagram, as the original.

usage: listener [options]`,
      flags: FLAGS,
      notes: `A datagram refused by --allow/--deny is dropped (never echoed), printed (at most 10
lines a second) and counted.

With -k or -c, a summary line counts what was received, for example
  listener: received 5 datagrams, 20 bytes, echoed 2, not echoed 3 (loop 1, rate 2)
naming only the reasons that occurred: loop, low port, rate, failed (the send failed).
With -6, ", ignored N IPv4 datagrams (-6)" is added. The summary is printed also when a
datagram was not echoed or was ignored. UDP may drop datagrams under load: the count is
what arrived, never an estimate. Datagrams are printed escaped (\\n, \\x1b, …) so they
cannot drive your terminal. An echo may go to any sender, so --echo needs --allow-net for
all hosts: with a narrower grant the listener stops at the first echo with exit code 4.`,
    });
  },
};

/**
 * Parses the listener's command line.
 *
 * @param args The arguments.
 * @returns The listener's options (without the stop signal).
 * @throws {UsageError} For anything that is not a valid command line.
 * @example One datagram by default; -k and -c do not mix
 * ```ts
 * import { parseListenerArgs } from "@socketkit/socketkit/listener";
 * import { deepStrictEqual as assertEquals } from "node:assert/strict";
 *
 * const defaults = parseListenerArgs([]);
 * assertEquals([defaults.port, defaults.count, defaults.keep], [4950, 1, false]);
 * assertEquals(defaults.family, undefined); // both: the IPv6 socket takes IPv4 too
 * const options = parseListenerArgs(["-4", "-p", "0", "-c", "5", "--echo"]);
 * assertEquals([options.port, options.count, options.echo, options.family], [0, 5, true, 4]);
 *
 * let message = "";
 * try {
 *   parseListenerArgs(["-k", "-c", "5"]);
 * } catch (e) {
 *   message = (e as Error).message;
 * }
 * assertEquals(message, "Options -k and -c cannot be used together");
 * ```
 */
export function parseListenerArgs(args: string[]): ListenerOptions & { view: ViewOptions } {
  const { values, positionals, given } = parseFlags(args, FLAGS);
  if (values.unix !== undefined) {
    const ipOnly = ["host", "port", "ipv4", "ipv6", "join", "interface", "allow", "deny"];
    const ip = (ipOnly as (keyof typeof FLAGS)[]).find((name) => given.has(name));
    if (ip) throw new UsageError(`Option --${ip} is for IP: not with -U`);
  }
  if (values.delimiter !== undefined && !values.raw) {
    throw new UsageError("Option --delimiter needs --raw");
  }
  if (values.hex && values.raw) {
    throw new UsageError("Options --hex and --raw cannot be used together");
  }
  if (positionals.length > 0) {
    throw new UsageError(`Unexpected argument ${quoteField(positionals[0]!)}`);
  }
  for (const group of values.join) {
    if (multicastFamily(group) === undefined) {
      throw new UsageError(
        `Invalid --join ${quoteField(group)}: not a multicast group (224.0.0.0/4, ff00::/8)`,
      );
    }
  }
  if (values.interface !== undefined && values.join.length === 0) {
    throw new UsageError("Option --interface needs --join");
  }
  if (values.keep && given.has("count")) {
    throw new UsageError("Options -k and -c cannot be used together");
  }
  const family = familyFlag(values.ipv4, values.ipv6, "any");
  return {
    view: parseViewFlags(values),
    unix: values.unix,
    host: values.host,
    port: values.port,
    family: family === "any" ? undefined : family,
    count: values.count,
    keep: values.keep,
    echo: values.echo,
    maxSize: values["max-size"],
    quiet: values.quiet,
    raw: values.raw,
    access: parseAccessFlags(values.allow, values.deny),
    ...(values.join.length ? { join: values.join } : {}),
    ...(values.interface === undefined ? {} : { interface: values.interface }),
    ...(values.hex ? { hex: true } : {}),
    ...(values.delimiter === undefined ? {} : { delimiter: values.delimiter }),
  };
}

/** `-d, --delimiter TEXT`, its escapes read into bytes. */
function valueFlagDelimiter() {
  return valueFlag(
    "TEXT",
    "with --raw, write TEXT after each datagram's bytes, so that datagrams can be told apart " +
      "on a pipe; \\n \\r \\t \\0 \\\\ and \\xHH are read as escapes (--delimiter '\\n')",
    { short: "d" },
    parseEscapes,
    () => "",
  );
}

/**
 * Reads `\n`, `\r`, `\t`, `\0`, `\\` and `\xHH` in a delimiter as the bytes they name;
 * everything else is taken as UTF-8 text.
 *
 * @param text The delimiter as typed.
 * @returns Its bytes.
 * @throws {UsageError} For an unknown escape.
 */
export function parseEscapes(text: string): Uint8Array {
  const out: number[] = [];
  const enc = new TextEncoder();
  const named: Record<string, number> = { n: 10, r: 13, t: 9, "0": 0, "\\": 92 };
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!;
    if (c !== "\\") {
      const code = text.codePointAt(i)!;
      if (code > 0xffff) i++;
      out.push(...enc.encode(String.fromCodePoint(code)));
      continue;
    }
    const e = text[++i];
    const hex = /^[0-9a-fA-F]{2}$/.exec(text.slice(i + 1, i + 3));
    if (e !== undefined && e in named) out.push(named[e]!);
    else if (e === "x" && hex) {
      out.push(parseInt(hex[0], 16));
      i += 2;
    } else {
      throw new UsageError(
        `Invalid --delimiter ${quoteField(text)}: unknown escape (use \\n \\r \\t \\0 \\\\ \\xHH)`,
      );
    }
  }
  return new Uint8Array(out);
}

/**
 * The listener's body: parse, then receive until done, Ctrl-C or SIGTERM.
 *
 * @param args The arguments.
 * @param out Where lines go.
 * @returns The exit code.
 * @example Receive one datagram, as the original
 * ```ts
 * import { main } from "@socketkit/socketkit/listener";
 * import { Output } from "../lib/cli/output.ts";
 * import { deepStrictEqual as assertEquals } from "node:assert/strict";
 *
 * let printed = "";
 * const sink = {
 *   writeSync: (p: Uint8Array) => (printed += new TextDecoder().decode(p), p.length),
 * };
 * const out = new Output("listener", { stdout: sink, stderr: sink });
 * const running = main(["-H", "127.0.0.1", "-p", "0"], out);
 * // Wait (1 s at most) for the port the system picked.
 * let port = 0;
 * for (let i = 0; i < 100 && port === 0; i++) {
 *   await new Promise((resolve) => setTimeout(resolve, 10));
 *   port = Number(/listening on 127\.0\.0\.1:(\d+)/.exec(printed)?.[1] ?? 0);
 * }
 * const sender = Deno.listenDatagram({ transport: "udp", hostname: "127.0.0.1", port: 0 });
 * try {
 *   const to = { transport: "udp", hostname: "127.0.0.1", port } as const;
 *   await sender.send(new TextEncoder().encode("hi\n"), to);
 * } finally {
 *   sender.close();
 * }
 * assertEquals(await running, 0);
 * await out.close();
 * assertEquals(printed.split("\n").slice(1), [
 *   "listener: waiting to recvfrom...",
 *   "listener: got packet from 127.0.0.1",
 *   "listener: packet is 3 bytes long",
 *   'listener: packet contains "hi\\n"',
 *   "",
 * ]);
 * ```
 */
export async function main(args: string[], out: Output): Promise<number> {
  const { view, ...options } = parseListenerArgs(args);
  out.statusToStderr = options.raw === true;
  using reporter = await Reporter.open(out, view); // disposed: the --diagram file is written
  using stop = onTermination();
  let stats: ListenerStats;
  try {
    stats = await runListener({ ...options, signal: stop.signal, reporter }, out);
  } finally {
    reporter.stop();
  }
  // Stopped before the datagrams it was to wait for (one, or -c N): interrupted. With -k a
  // stop is how a run ends.
  const short = !options.keep && stats.datagrams < (options.count ?? DEFAULT_LISTENER_COUNT);
  return stop.signal.aborted && short ? ExitCode.Interrupted : ExitCode.Ok;
}

if (import.meta.main) await runMain(info, main, { batch: true });
