/**
 * The datagram listener's story, as the original tells it: bind an IPv6 socket on port
 * 4950, wait for a datagram, say who sent it, how long it is and what it contains.
 *
 * @module
 */
import { DEFAULT_DATAGRAM_PORT, DEFAULT_LISTENER_COUNT } from "../cli/defaults.ts";
import { needsGrants } from "../cli/errors.ts";
import { type Output, OUTPUT_DRAIN_MS } from "../cli/output.ts";
import { DatagramJson, jsonAddress } from "../cli/json.ts";
import { Reporter } from "../cli/reporter.ts";
import { udpKernelDrops } from "../cli/status_line.ts";
import { ANSI } from "../cli/colour.ts";
import { addressKey, joinHostPort } from "../net/address.ts";
import { bindFirst } from "../net/bind_first.ts";
import { describeCause, NetError } from "../net/errors.ts";
import { type Datagram, type NotReplied, serveDatagram } from "../net/serve_datagram.ts";
import type { Family } from "../net/resolve.ts";
import { bindReported } from "./bind.ts";
import { joinReported, leavingFirst } from "./listener_groups.ts";
import { bindUnixReported } from "./unix_bind.ts";
import { listenUnixDatagram } from "../net/unix_datagram.ts";
import { showUnixPath } from "../net/unix_address.ts";
import { DatagramReport } from "./datagram_report.ts";
import { LimitedLines } from "./limited_lines.ts";

/** Options for {@linkcode runListener}. */
export interface ListenerOptions {
  /**
   * Receive on a Unix datagram socket at this path instead (`@name`: a Linux abstract
   * name): a stale socket file is taken over, a live one refused; removed at the end.
   * @default {undefined} (UDP)
   */
  unix?: string | undefined;
  /** The address to bind; none means the wildcard of the family. */
  host?: string | undefined;
  /**
   * Multicast groups to join on the socket (IPv4 224.0.0.0/4, IPv6 ff00::/8): their
   * datagrams are received, refused and echoed as any other. Left at exit.
   * @default {[]}
   */
  join?: readonly string[] | undefined;
  /**
   * The interface the groups are joined on: an address, name or index.
   * @default {undefined} (the kernel's choice, by the route to the group)
   */
  interface?: string | undefined;
  /**
   * The port; 0 picks a free one, which is then printed.
   * @default {4950}
   */
  port?: number | undefined;
  /**
   * 4: IPv4 only. 6: IPv6 only; with no host this is the wildcard `::` socket, which the
   * kernel makes dual-stack (Deno cannot set `IPV6_V6ONLY`), so datagrams from IPv4-mapped
   * senders are ignored and counted in {@linkcode ListenerStats.ignored}. `any`: the host's
   * own family, or with no host `::` then `0.0.0.0`.
   * @default {undefined} (the host's own family; with no host the original's IPv6 `::`
   * socket, which also takes IPv4)
   */
  family?: Family | undefined;
  /**
   * Stop after this many datagrams.
   * @default {1}
   */
  count?: number | undefined;
  /**
   * Keep receiving until stopped (overrides `count`).
   * @default {false}
   */
  keep?: boolean | undefined;
  /**
   * Send each datagram back to its sender, through the reply guard of `serveDatagram`: never to the
   * listener's own port, never to a port below 1024, at most 100 a second (burst 100) to
   * one sender address.
   * @default {false}
   */
  echo?: boolean | undefined;
  /**
   * Show at most this many bytes of each datagram, saying when one was cut; the reported
   * length is always the true one.
   * @default {undefined} (show all)
   */
  maxSize?: number | undefined;
  /**
   * No status lines per datagram: only count them, for the summary. With `raw` the bytes
   * are still written.
   * @default {false}
   */
  quiet?: boolean | undefined;
  /**
   * Write each datagram's bytes exactly to stdout.
   * @default {false}
   */
  raw?: boolean | undefined;
  /**
   * `--allow` and `--deny`: which senders are heard (ncat's rules). A refused datagram is
   * dropped unprinted and never echoed; each refusal is one line (at most 10 a second) and
   * counted in {@linkcode ListenerStats.refused}.
   * @default {undefined} (everyone is heard)
   */
  access?: { allow?: string[] | undefined; deny?: string[] | undefined } | undefined;
  /**
   * Show each datagram as a hex dump (offset, hex bytes, printable column) instead of the
   * escaped `packet contains` line.
   * @default {false}
   */
  hex?: boolean | undefined;
  /**
   * With `raw`, written after each datagram's bytes, so that datagrams can be told apart
   * on a pipe.
   * @default {undefined} (nothing)
   */
  delimiter?: Uint8Array | undefined;
  /** Stops the listener; the summary is still printed. */
  signal?: AbortSignal | undefined;
  /**
   * Reports the events in the views asked for.
   * @default {undefined} (the original's lines)
   */
  reporter?: Reporter | undefined;
}

/** Datagrams that were not echoed, by reason (the reply guard of `serveDatagram`). */
export type NotEchoed = NotReplied;

/** What a listener received. */
export interface ListenerStats {
  /** Datagrams received (not counting `ignored` ones). */
  datagrams: number;
  /** Their payload bytes, in all. */
  bytes: number;
  /** Datagrams sent back (`echo`). */
  echoed: number;
  /** Datagrams not sent back (`echo`), by reason. */
  notEchoed: NotEchoed;
  /**
   * IPv4 datagrams ignored by an IPv6-only listener (`family: 6`); over a Unix path, those
   * from a sender whose path is not UTF-8 (Deno cannot give it).
   */
  ignored: number;
  /** Datagrams from senders the access rules refuse (`access`). */
  refused?: number;
}

/**
 * Runs the listener until it has received `count` datagrams (or, with `keep`, until
 * `signal` aborts), printing each as the original does, with the bytes escaped. Receives
 * into one reused buffer (65,536 bytes for UDP, 262,145 for a Unix socket), so every
 * datagram arrives whole and its true length is reported; one that fills the buffer is
 * said to be cut. An echo to a Unix sender's path needs `--allow-read` and `--allow-write`
 * on it (plain ones for any sender); without them the echo is counted as failed, said once,
 * and the listener goes on. In keep or count mode, or when a datagram was ignored or not echoed, a
 * summary line ends the run.
 *
 * @param options Where to listen, how many, and what to print.
 * @param out Where lines go.
 * @returns The counts.
 * @throws {ToolError} When no address could be bound (`failed to bind socket`, exit 2).
 * @throws {PermissionError} When Deno may not bind, or send an echo to a UDP sender (exit 4).
 * @example A listener on a free port, stopped before any datagram came
 * ```ts
 * import { Output } from "../cli/output.ts";
 * import { runListener } from "./listener.ts";
 * import { deepStrictEqual as assertEquals } from "node:assert/strict";
 * const out = new Output("listener");
 * const stats = await runListener({ host: "::1", port: 0, signal: AbortSignal.abort() }, out);
 * assertEquals([stats.datagrams, stats.bytes], [0, 0]);
 * await out.close();
 * ```
 */
export async function runListener(options: ListenerOptions, out: Output): Promise<ListenerStats> {
  const port = options.port ?? DEFAULT_DATAGRAM_PORT;
  const r = options.reporter ?? Reporter.plain(out);
  const family = options.family ?? (options.host === undefined ? 6 : "any");
  const where = { host: options.host, port, family };
  const conn: Deno.DatagramConn = options.unix !== undefined
    ? await bindUnixReported(
      (onStep) => listenUnixDatagram(options.unix!, { onStep }),
      "failed to bind socket",
      r,
    )
    : await bindReported(
      where,
      out,
      "failed to bind socket",
      (candidates, onError) => bindFirst(candidates, "udp", { onError, onStep: r.onStep }),
      r,
      "udp",
    );
  const groups = await joinReported(conn, options, r);
  const addr = conn.addr as Deno.NetAddr | Deno.UnixAddr;
  if (r.json) r.event("listening", { address: jsonAddress(addr) });
  else {
    if (port === 0 && "port" in addr) {
      r.say(`listening on ${joinHostPort(addr.hostname, addr.port)}`);
    }
    r.say("waiting to recvfrom...");
  }
  out.flush();

  const limit = options.keep ? Infinity : options.count ?? DEFAULT_LISTENER_COUNT;
  const refusals = new LimitedLines(out, "refusals", { print: (line) => r.refused({}, line) });
  // A failing echo is said as refusals are: at most 10 lines a second (a flood cannot flood
  // the terminal); in --json each is an event.
  const sendErrors = new LimitedLines(out, "echo errors", { print: (line) => r.error(line) });
  const name = r.colour ? ANSI.name(out.name) : undefined;
  const report = options.quiet && !options.raw || r.json
    ? undefined
    : new DatagramReport(out, { ...options, name });
  const eachJson = r.json && !options.quiet ? new DatagramJson(out.name) : undefined;
  // A reader that leaves ends output, not the work (the echo goes on); only a pure
  // `--raw` sink, whose stdout is the whole job, has nothing left to do.
  const sinkOnly = options.raw === true && !options.echo;
  const stop = new AbortController();
  const signal = options.signal ? AbortSignal.any([options.signal, stop.signal]) : stop.signal;
  if (sinkOnly && out.closed) stop.abort();

  // Each mode is a handler on the one datagram loop: print (one line, hex, raw, JSON), echo.
  const print = ({ bytes, from, truncated }: Datagram) => {
    // A Unix sender is printed by its path (`unnamed` when it bound none), escaped.
    const sender = "path" in from
      ? { transport: "udp" as const, hostname: showUnixPath(from.path), port: 0 }
      : from as Deno.NetAddr;
    report?.write(bytes, sender);
    if (eachJson) {
      const line = eachJson.line(bytes, "path" in from ? from : sender, options.maxSize);
      out.text(truncated ? line.replace(/"truncated":false\}\n$/, `"truncated":true}\n`) : line);
    } else if (truncated && report) {
      r.say(`packet filled the ${bytes.length}-byte receive buffer: it may have been cut`);
    }
    if (sinkOnly && out.closed) stop.abort();
  };
  let grantSaid = false;
  const echo = async (datagram: Datagram) => {
    print(datagram);
    const from = datagram.from as Deno.NetAddr;
    try {
      const outcome = await datagram.reply(datagram.bytes);
      if (outcome !== "sent" && r.json) {
        r.refused({ from: jsonAddress(from), reason: REASON[outcome] });
      }
    } catch (err) {
      if (signal.aborted) return; // the socket was closed under the send: stopping
      const cause = err instanceof NetError ? err.cause : err;
      if (cause instanceof Deno.errors.NotCapable && "path" in datagram.from) {
        // Not the end of the listener: this echo is counted as failed, the reason said once.
        if (grantSaid) return;
        grantSaid = true;
        r.error(
          `cannot echo to ${
            showUnixPath(datagram.from.path)
          }: an echo over a path needs --allow-read and --allow-write on the sender's path (plain --allow-read --allow-write for any sender); not echoing to such senders`,
          { to: jsonAddress(from) },
        );
        return;
      }
      if (cause instanceof Deno.errors.NotCapable) {
        throw needsGrants(err, [], "(an echo goes to senders that cannot be known in advance)");
      }
      if (r.json) r.error(`sendto: ${describeCause(cause)}`, { to: jsonAddress(from) });
      else sendErrors.add(`sendto: ${describeCause(cause)}`);
    }
  };
  const server = serveDatagram(conn, {
    handler: options.echo ? echo : print,
    signal: groups ? leavingFirst(signal, groups) : signal,
    count: limit,
    access: options.access,
    family: options.family === 6 ? 6 : undefined,
    onRefused: (from) => {
      const sender = from as Deno.NetAddr;
      if (r.json) r.refused({ from: jsonAddress(sender), reason: "denied" });
      else refusals.add(`refused datagram from ${addressKey(sender.hostname)}`);
    },
    onError: (err) => {
      throw err;
    },
    onStep: r.onStep,
  });
  const served = server.stats;
  if (options.keep) {
    r.live(() => ({
      unit: "datagrams",
      total: served.datagrams,
      bytes: served.bytes,
      droppedLines: out.dropped,
      kernelDrops: "port" in addr ? udpKernelDrops(addr.port) : undefined,
      // Senders refused by --allow/--deny; echoes not sent (loop, rate) are the summary's.
      refused: served.refused,
    }), options.quiet ?? false);
  }
  await server.done;
  await groups?.leave(); // after a -c count: the kernel has dropped them with the socket
  const notEchoed: NotEchoed = { ...served.notReplied };
  const stats: ListenerStats = {
    datagrams: served.datagrams,
    bytes: served.bytes,
    echoed: served.replied,
    notEchoed,
    ignored: served.ignored,
    ...(options.access ? { refused: served.refused } : {}),
  };
  refusals.flush();
  sendErrors.flush();
  // --raw: stdout is the data, and the summary goes to stderr. A stdout nobody reads gets
  // what waits for it a little longer; the rest is dropped and the summary says how much.
  if (options.raw) await out.settle(OUTPUT_DRAIN_MS);
  const refused = Object.values(notEchoed).reduce((a, b) => a + b, 0);
  const printed = options.keep || limit > 1 || options.quiet || refused > 0 ||
    stats.ignored > 0 || stats.refused;
  const { loop, lowPort, rate, failed } = notEchoed;
  // The reasons added since 0.3 are named only when they occurred: the four first stay.
  const newer = Object.fromEntries(
    NEWER_REASONS.filter((k) => notEchoed[k] > 0).map((k) => [REASON[k], notEchoed[k]]),
  );
  if (r.json || printed) out.markReported(); // the summary says what was dropped
  r.summary(
    {
      datagrams: stats.datagrams,
      bytes: stats.bytes,
      echoed: stats.echoed,
      not_echoed: { loop, low_port: lowPort, rate, ...newer, failed },
      ignored: stats.ignored,
      ...(stats.refused === undefined ? {} : { refused: stats.refused }),
      dropped_lines: out.dropped,
    },
    printed ? summaryLine(stats, options, out) : undefined,
  );
  return stats;
}

/** The JSON names of the reasons a datagram was not echoed. */
const REASON: Record<keyof NotEchoed, string> = {
  loop: "loop",
  lowPort: "low_port",
  rate: "rate",
  unspecified: "unspecified",
  group: "group",
  unnamed: "unnamed",
  unsafePath: "unsafe_path",
  failed: "failed",
};

/** The reasons in the summary line, with their words, in order. */
const WORDS: [keyof NotEchoed, string][] = [
  ["loop", "loop"],
  ["lowPort", "low port"],
  ["rate", "rate"],
  ["unspecified", "unspecified"],
  ["group", "group"],
  ["unnamed", "unnamed"],
  ["unsafePath", "unsafe path"],
  ["failed", "failed"],
];

const NEWER_REASONS: (keyof NotEchoed)[] = ["unspecified", "group", "unnamed", "unsafePath"];

/**
 * The last line: `received 3 datagrams, 12 bytes, echoed 1, not echoed 2 (loop 1, rate 1)`.
 * Only the reasons that occurred are named.
 */
function summaryLine(stats: ListenerStats, options: ListenerOptions, out: Output): string {
  // With --raw, stdout's drops are data (counted in bytes), the log lines are stderr's.
  const dropped = options.raw ? out.lost("stderr").lines : out.dropped;
  const dataLost = options.raw ? out.lost("stdout").bytes : 0;
  const n = stats.datagrams;
  let line = `received ${n} ${n === 1 ? "datagram" : "datagrams"}, ${stats.bytes} bytes`;
  if (options.echo) {
    line += `, echoed ${stats.echoed}`;
    const counts = stats.notEchoed;
    const reasons = WORDS.filter(([k]) => counts[k] > 0).map(([k, word]) => `${word} ${counts[k]}`);
    const total = Object.values(counts).reduce((a, b) => a + b, 0);
    if (total > 0) line += `, not echoed ${total} (${reasons.join(", ")})`;
  }
  if (dataLost > 0) {
    const why = out.closed ? "its reader left" : out.failed ? "a write failed" : "not read in time";
    line += `, ${dataLost} bytes of data dropped on stdout (${why})`;
  }
  if (dropped > 0) line += `, ${dropped} log ${dropped === 1 ? "line" : "lines"} dropped`;
  if (stats.ignored > 0) {
    const what = stats.ignored === 1 ? "datagram" : "datagrams";
    line += options.unix === undefined
      ? `, ignored ${stats.ignored} IPv4 ${what} (-6)`
      : `, ignored ${stats.ignored} ${what} from a path that is not UTF-8`;
  }
  if (stats.refused) {
    line += `, refused ${stats.refused} ${stats.refused === 1 ? "datagram" : "datagrams"}`;
  }
  return line;
}
