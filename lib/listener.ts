/**
 * The datagram listener's story, as the original tells it: bind an IPv6 socket on port
 * 4950, wait for a datagram, say who sent it, how long it is and what it contains.
 *
 * @module
 */
import { joinHostPort } from "./address.ts";
import { bindFirst } from "./bind_first.ts";
import { describeCause } from "./errors.ts";
import { escapeBytes, escapeInto, maxEscapedLength } from "./escape.ts";
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
  const report = options.quiet ? undefined : new DatagramReport(out, options);
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
      report?.write(data, from as Deno.NetAddr);
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
        (options.echo ? `, echoed ${stats.echoed}` : "") +
        (out.dropped ? `, ${out.dropped} log lines dropped` : ""),
    );
  }
  return stats;
}

/**
 * Formats one datagram's lines straight into the output buffer, as bytes: the listener's
 * hot path under a flood, with no string built per datagram but the sender's address.
 */
class DatagramReport {
  #out: Output;
  #maxSize: number | undefined;
  #raw: boolean;
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
