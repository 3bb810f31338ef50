/**
 * The datagram listener's story, as the original tells it: bind an IPv6 socket on port
 * 4950, wait for a datagram, say who sent it, how long it is and what it contains.
 *
 * @module
 */
import { joinHostPort } from "./address.ts";
import { bindFirst } from "./bind_first.ts";
import { describeCause } from "./errors.ts";
import { escapeBytes } from "./escape.ts";
import type { Output } from "./output.ts";
import { type Family, resolve } from "./resolve.ts";

/** Options for {@linkcode runListener}. */
export interface ListenerOptions {
  /** The address to bind; none means the wildcard of the family. */
  host?: string | undefined;
  /**
   * The port; 0 picks a free one, which is then printed.
   * @default {4950}
   */
  port?: number | undefined;
  /**
   * 6: an IPv6 socket, which also takes IPv4 (dual-stack), as the original; 4: IPv4 only.
   * @default {6}
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
   * Send each datagram back to its sender.
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
   * No line per datagram: only count them, for the summary.
   * @default {false}
   */
  quiet?: boolean | undefined;
  /**
   * Write each datagram's bytes exactly to stdout.
   * @default {false}
   */
  raw?: boolean | undefined;
  /** Stops the listener; the summary is still printed. */
  signal?: AbortSignal | undefined;
}

/** What a listener received. */
export interface ListenerStats {
  /** Datagrams received. */
  datagrams: number;
  /** Their payload bytes, in all. */
  bytes: number;
  /** Datagrams sent back (`echo`). */
  echoed: number;
}

/**
 * Runs the listener until it has received `count` datagrams (or, with `keep`, until
 * `signal` aborts), printing each as the original does, with the bytes escaped. Receives
 * into one reused 65,536-byte buffer, so every datagram arrives whole and its true length
 * is reported. In keep or count mode, a summary line ends the run.
 *
 * @param options Where to listen, how many, and what to print.
 * @param out Where lines go.
 * @returns The counts.
 * @example Wait for one datagram on a free port
 * ```ts ignore
 * import { Output } from "./output.ts";
 * import { runListener } from "./listener.ts";
 * await runListener({ port: 0 }, new Output("listener"));
 * ```
 */
export async function runListener(options: ListenerOptions, out: Output): Promise<ListenerStats> {
  const port = options.port ?? 4950;
  const candidates = await resolve(options.host, port, {
    passive: true,
    family: options.family ?? 6,
  });
  const conn = bindFirst(candidates, "udp", {
    onError: (c, err) =>
      out.error(`bind: ${describeCause(err.cause)} (${joinHostPort(c.hostname, c.port)})`),
  });
  const addr = conn.addr as Deno.NetAddr;
  if (port === 0) out.say(`listening on ${joinHostPort(addr.hostname, addr.port)}`);
  out.say("waiting to recvfrom...");
  out.flush();

  const stats: ListenerStats = { datagrams: 0, bytes: 0, echoed: 0 };
  const limit = options.keep ? Infinity : options.count ?? 1;
  const summary = options.keep || limit > 1 || options.quiet;
  const onStop = () => conn.close();
  options.signal?.addEventListener("abort", onStop, { once: true });
  const buf = new Uint8Array(65536);
  try {
    while (stats.datagrams < limit && !options.signal?.aborted && !out.closed) {
      let data: Uint8Array, from: Deno.Addr;
      try {
        [data, from] = await conn.receive(buf);
      } catch (err) {
        if (options.signal?.aborted) break;
        throw err;
      }
      stats.datagrams++;
      stats.bytes += data.length;
      if (!options.quiet) report(data, from as Deno.NetAddr, options, out);
      if (options.echo) {
        try {
          await conn.send(data, from);
          stats.echoed++;
        } catch (err) {
          out.error(`sendto: ${describeCause(err)}`);
        }
      }
    }
  } finally {
    options.signal?.removeEventListener("abort", onStop);
    try {
      conn.close();
    } catch { /* closed by the stop signal */ }
  }
  if (summary) {
    out.say(
      `received ${stats.datagrams} datagrams, ${stats.bytes} bytes` +
        (options.echo ? `, echoed ${stats.echoed}` : ""),
    );
  }
  return stats;
}

function report(data: Uint8Array, from: Deno.NetAddr, options: ListenerOptions, out: Output): void {
  const cut = options.maxSize !== undefined && data.length > options.maxSize;
  const shown = cut ? data.subarray(0, options.maxSize) : data;
  out.say(`got packet from ${from.hostname}`);
  out.say(`packet is ${data.length} bytes long`);
  if (cut) out.say(`packet was cut to ${options.maxSize} bytes (--max-size)`);
  if (options.raw) out.data(shown);
  else out.say(`packet contains "${escapeBytes(shown)}"`);
}
