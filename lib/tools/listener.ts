/**
 * The datagram listener's story, as the original tells it: bind an IPv6 socket on port
 * 4950, wait for a datagram, say who sent it, how long it is and what it contains.
 *
 * @module
 */
import { joinHostPort } from "../net/address.ts";
import { bindFirst } from "../net/bind_first.ts";
import { EchoGuard } from "./echo_guard.ts";
import { describeCause, SocketkitError } from "../net/errors.ts";
import { escapeBytes, escapeInto, maxEscapedLength } from "../net/escape.ts";
import { ExitCode } from "../cli/exit_codes.ts";
import type { Output } from "../cli/output.ts";
import { type Family, resolve } from "../net/resolve.ts";

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
   * Send each datagram back to its sender, through an {@linkcode EchoGuard}: never to the
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
  /** Stops the listener; the summary is still printed. */
  signal?: AbortSignal | undefined;
}

/** Datagrams that were not echoed, by reason (see {@linkcode EchoGuard}). */
export interface NotEchoed {
  /** From the listener's own port: echoing would loop. */
  loop: number;
  /** From port 0 or a port below 1024. */
  lowPort: number;
  /** Over the sender's rate limit. */
  rate: number;
  /** The send failed (the error was printed). */
  failed: number;
}

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
  /** IPv4 datagrams ignored by an IPv6-only listener (`family: 6`). */
  ignored: number;
}

const V4_MAPPED = /^::ffff:\d+\.\d+\.\d+\.\d+$/i;

/**
 * Runs the listener until it has received `count` datagrams (or, with `keep`, until
 * `signal` aborts), printing each as the original does, with the bytes escaped. Receives
 * into one reused 65,536-byte buffer, so every datagram arrives whole and its true length
 * is reported. In keep or count mode, or when a datagram was ignored or not echoed, a
 * summary line ends the run.
 *
 * @param options Where to listen, how many, and what to print.
 * @param out Where lines go.
 * @returns The counts.
 * @throws {BindError} When no address could be bound.
 * @throws {SocketkitError} With exit code 4 when Deno may not send an echo to a sender.
 * @example Wait for one datagram on a free port
 * ```ts ignore
 * import { Output } from "../cli/output.ts";
 * import { runListener } from "./listener.ts";
 * await runListener({ port: 0 }, new Output("listener"));
 * ```
 */
export async function runListener(options: ListenerOptions, out: Output): Promise<ListenerStats> {
  const port = options.port ?? 4950;
  const candidates = await resolve(options.host, port, {
    passive: true,
    family: options.family ?? (options.host === undefined ? 6 : "any"),
  });
  const conn = bindFirst(candidates, "udp", {
    onError: (c, err) =>
      out.error(`bind: ${describeCause(err.cause)} (${joinHostPort(c.hostname, c.port)})`),
  });
  const addr = conn.addr as Deno.NetAddr;
  if (port === 0) out.say(`listening on ${joinHostPort(addr.hostname, addr.port)}`);
  out.say("waiting to recvfrom...");
  out.flush();

  const notEchoed: NotEchoed = { loop: 0, lowPort: 0, rate: 0, failed: 0 };
  const stats: ListenerStats = { datagrams: 0, bytes: 0, echoed: 0, notEchoed, ignored: 0 };
  const limit = options.keep ? Infinity : options.count ?? 1;
  const ipv6Only = options.family === 6;
  const guard = options.echo ? new EchoGuard(addr.port) : undefined;
  const onStop = () => conn.close();
  options.signal?.addEventListener("abort", onStop, { once: true });
  const buf = new Uint8Array(65536);
  const report = options.quiet && !options.raw ? undefined : new DatagramReport(out, options);
  try {
    while (stats.datagrams < limit && !options.signal?.aborted && !out.closed) {
      let data: Uint8Array, from: Deno.NetAddr;
      try {
        [data, from] = await conn.receive(buf) as [Uint8Array, Deno.NetAddr];
      } catch (err) {
        if (options.signal?.aborted) break;
        throw err;
      }
      if (ipv6Only && V4_MAPPED.test(from.hostname)) {
        stats.ignored++;
        continue;
      }
      stats.datagrams++;
      stats.bytes += data.length;
      report?.write(data, from);
      if (guard === undefined) continue;
      const refusal = guard.check(from);
      if (refusal !== undefined) {
        notEchoed[refusal]++;
        continue;
      }
      try {
        await conn.send(data, from);
        stats.echoed++;
      } catch (err) {
        if (options.signal?.aborted) break; // the socket was closed under the send: stopping
        if (err instanceof Deno.errors.NotCapable) {
          throw new SocketkitError(
            `send udp ${joinHostPort(from.hostname, from.port)}: permission denied: ` +
              "run again with --allow-net (an echo goes to senders that cannot be known in advance)",
            ExitCode.Permission,
            { cause: err },
          );
        }
        notEchoed.failed++;
        out.error(`sendto: ${describeCause(err)}`);
      }
    }
  } finally {
    options.signal?.removeEventListener("abort", onStop);
    try {
      conn.close();
    } catch { /* closed by the stop signal */ }
  }
  const refused = notEchoed.loop + notEchoed.lowPort + notEchoed.rate + notEchoed.failed;
  if (options.keep || limit > 1 || options.quiet || refused > 0 || stats.ignored > 0) {
    out.say(summaryLine(stats, options, out.dropped));
  }
  return stats;
}

/**
 * The last line: `received 3 datagrams, 12 bytes, echoed 1, not echoed 2 (loop 1, rate 1)`.
 * Only the reasons that occurred are named.
 */
function summaryLine(stats: ListenerStats, options: ListenerOptions, dropped: number): string {
  const n = stats.datagrams;
  let line = `received ${n} ${n === 1 ? "datagram" : "datagrams"}, ${stats.bytes} bytes`;
  if (options.echo) {
    line += `, echoed ${stats.echoed}`;
    const { loop, lowPort, rate, failed } = stats.notEchoed;
    const reasons = [
      loop ? `loop ${loop}` : "",
      lowPort ? `low port ${lowPort}` : "",
      rate ? `rate ${rate}` : "",
      failed ? `failed ${failed}` : "",
    ].filter((r) => r !== "");
    const total = loop + lowPort + rate + failed;
    if (total > 0) line += `, not echoed ${total} (${reasons.join(", ")})`;
  }
  if (dropped > 0) line += `, ${dropped} log lines dropped`;
  if (stats.ignored > 0) {
    line += `, ignored ${stats.ignored} IPv4 ${
      stats.ignored === 1 ? "datagram" : "datagrams"
    } (-6)`;
  }
  return line;
}

/**
 * Formats one datagram's lines straight into the output buffer, as bytes: the listener's
 * hot path under a flood, with no string built per datagram but the sender's address.
 * With `raw`, writes the bytes as they are (and the status lines unless `quiet`).
 */
class DatagramReport {
  #out: Output;
  #maxSize: number | undefined;
  #raw: boolean;
  #quiet: boolean;
  #from: Uint8Array;
  #length: Uint8Array;
  #contains: Uint8Array;
  #end = new TextEncoder().encode(`"\n`);
  #host = "";
  #hostBytes = new Uint8Array(0);

  constructor(out: Output, options: ListenerOptions) {
    const enc = new TextEncoder();
    this.#out = out;
    this.#maxSize = options.maxSize;
    this.#raw = options.raw ?? false;
    this.#quiet = options.quiet ?? false;
    this.#from = enc.encode(`${out.name}: got packet from `);
    this.#length = enc.encode(`\n${out.name}: packet is `);
    this.#contains = enc.encode(` bytes long\n${out.name}: packet contains "`);
  }

  write(data: Uint8Array, from: Deno.NetAddr): void {
    const cut = this.#maxSize !== undefined && data.length > this.#maxSize;
    const shown = cut ? data.subarray(0, this.#maxSize) : data;
    if (this.#raw || cut) return this.#slow(data, shown, from, cut);
    if (from.hostname !== this.#host) {
      this.#host = from.hostname;
      this.#hostBytes = new TextEncoder().encode(from.hostname);
    }
    const need = 160 + this.#hostBytes.length + maxEscapedLength(shown.length);
    if (need > 65536) return this.#slow(data, shown, from, cut);
    const offset = this.#out.reserve(need);
    const buffer = this.#out.buffer;
    let off = put(buffer, offset, this.#from);
    off = put(buffer, off, this.#hostBytes);
    off = put(buffer, off, this.#length);
    off = putDecimal(buffer, off, data.length);
    off = put(buffer, off, this.#contains);
    off = escapeInto(shown, buffer, off);
    off = put(buffer, off, this.#end);
    this.#out.commit(off);
  }

  #slow(data: Uint8Array, shown: Uint8Array, from: Deno.NetAddr, cut: boolean): void {
    if (this.#quiet) return this.#out.data(shown); // --raw -q: the bytes, no status lines
    const name = this.#out.name;
    let lines = `${name}: got packet from ${from.hostname}\n` +
      `${name}: packet is ${data.length} bytes long\n`;
    if (cut) lines += `${name}: packet was cut to ${this.#maxSize} bytes (--max-size)\n`;
    if (this.#raw) {
      this.#out.status(lines);
      this.#out.data(shown);
    } else {
      this.#out.text(`${lines}${name}: packet contains "${escapeBytes(shown)}"\n`);
    }
  }
}

function put(dst: Uint8Array, off: number, src: Uint8Array): number {
  dst.set(src, off);
  return off + src.length;
}

function putDecimal(dst: Uint8Array, off: number, n: number): number {
  if (n >= 10) off = putDecimal(dst, off, Math.floor(n / 10));
  dst[off] = 0x30 + (n % 10);
  return off + 1;
}
