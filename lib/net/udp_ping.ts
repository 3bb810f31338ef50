/**
 * A UDP ping over a {@linkcode ConnectedDatagram}: send payloads at a steady pace to an
 * echo peer, match each reply to its request, time the round trip.
 *
 * @module
 */
import type { ConnectedDatagram } from "./connected_datagram.ts";
import { NetError } from "./errors.ts";
import { millisOption, signalOption, timeoutOption } from "./_validate.ts";

/** Options for {@linkcode udpPing}. */
export interface UdpPingOptions {
  /**
   * Milliseconds between two requests, at least: they go out on this pace whatever the
   * replies do, several may be in flight at once (as `ping` sends); a payload that comes
   * later than its turn goes at once, the next one `interval` after it.
   * @default {1000}
   */
  interval?: number | undefined;
  /**
   * How long each request waits for its reply, in milliseconds; 0 means for ever.
   * @default {1000}
   */
  timeout?: number | undefined;
  /**
   * Called as each request is sent, with its number (from 1) and bytes.
   * @default {undefined}
   */
  onSent?: ((seq: number, request: Uint8Array) => void) | undefined;
  /**
   * Called for each request as its outcome comes: its reply and round trip, or no reply
   * once its timeout passed. Outcomes come in the order they happen, not by `seq`.
   * @default {undefined}
   */
  onResult?: ((result: PingResult) => void) | undefined;
  /**
   * Stops the run at once, a wait for a reply included: no further request is sent, none
   * still in flight is reported, and the counts so far are returned.
   * @default {undefined}
   */
  signal?: AbortSignal | undefined;
}

/** One request's outcome. */
export interface PingResult {
  /** The request's number, from 1. */
  seq: number;
  /** The bytes sent. */
  request: Uint8Array;
  /** The matched reply, if one came in time. */
  reply?: Uint8Array | undefined;
  /** Its round trip in milliseconds, if a reply came in time. */
  rtt?: number | undefined;
}

/** What a {@linkcode udpPing} run counted. */
export interface PingStats {
  /** Requests sent. */
  sent: number;
  /** Requests answered in time. */
  replies: number;
  /** Replies to a request whose timeout had passed (reported without a reply). */
  late: number;
  /** Other datagrams from the peer that match no request waiting (not an echo, a second echo). */
  unmatched: number;
  /** Round trips of the answered requests, in milliseconds, in order. */
  rtts: number[];
  /**
   * What ended the run early, when something did: a failed receive (a
   * {@linkcode NetError}), which ends it at once, or a failed send or what the payloads'
   * async source threw, after which the requests in flight still get their replies or
   * timeouts. Undefined when the run ended as planned or by its signal.
   */
  error?: unknown;
}

/**
 * Sends each payload in turn every `interval`, whatever the replies do, and waits up to
 * `timeout` for each one's echo: a reply matches the oldest request in flight whose bytes
 * it has, and its outcome is reported as it comes. A reply after its request's timeout is
 * counted as `late` (the last 64 timed-out requests are remembered), anything else from the
 * peer as `unmatched`; neither is ever matched to a later request — except that with
 * identical payloads a reply to a request that timed out, arriving while the next
 * identical one waits, cannot be told apart from that one's (give the payloads distinct
 * bytes for exact matching).
 *
 * Needs `--allow-net` and `--unstable-net`, as {@linkcode ConnectedDatagram} does.
 *
 * @param sock The socket, fixed to the echo peer.
 * @param payloads The requests, sent in this order: an array, or an async iterable whose
 * items go out as they come (each no sooner than `interval` after the last; the replies
 * and timeouts are handled while the next is awaited).
 * @param options Pace, timeout, a callback per request and a stop signal.
 * @returns The counts and round trips; a receive that failed (not a timeout) ends the run
 * at once, a send that failed or an async source that threw ends the sending (the requests
 * in flight still get their outcome), and the error is in `error`, beside the counts.
 * @throws {RangeError} For a negative or NaN `interval` or `timeout`.
 * @throws {TypeError} When `payloads` is not an array or async iterable of `Uint8Array`.
 * @example Ping an echo peer three times
 * ```ts
 * import { connectDatagram, udpPing } from "@socketkit/socketkit";
 * import { deepStrictEqual as assertEquals } from "node:assert/strict";
 *
 * const echo = Deno.listenDatagram({ transport: "udp", hostname: "127.0.0.1", port: 0 });
 * const port = (echo.addr as Deno.NetAddr).port;
 * (async () => {
 *   for (let i = 0; i < 3; i++) {
 *     const [data, from] = await echo.receive();
 *     await echo.send(data, from);
 *   }
 * })();
 * try {
 *   using sock = connectDatagram({ hostname: "127.0.0.1", port });
 *   const hi = new TextEncoder().encode("hi");
 *   const stats = await udpPing(sock, [hi, hi, hi], { interval: 10, timeout: 1000 });
 *   assertEquals([stats.sent, stats.replies, stats.late, stats.unmatched], [3, 3, 0, 0]);
 * } finally {
 *   echo.close();
 * }
 * ```
 */
export async function udpPing(
  sock: ConnectedDatagram,
  payloads: Uint8Array[] | AsyncIterable<Uint8Array>,
  options: UdpPingOptions = {},
): Promise<PingStats> {
  const interval = millisOption("interval", options.interval ?? 1000);
  const timeout = timeoutOption("timeout", options.timeout ?? 1000) ?? Infinity;
  signalOption(options.signal);
  const source = new Upcoming(payloads);
  const stats: PingStats = { sent: 0, replies: 0, late: 0, unmatched: 0, rtts: [] };
  const signal = options.signal;
  /** Requests in flight, oldest first. */
  const waiting: { seq: number; request: Uint8Array; start: number }[] = [];
  /** Requests whose timeout passed, the newest last: a reply to one of them is late. */
  const expired: Uint8Array[] = [];
  let next = performance.now();
  let seq = 0;
  /** A send that failed: nothing more is sent, the requests in flight still get their outcome. */
  let sendFailure: NetError | undefined;
  try {
    while (!signal?.aborted) {
      const now = performance.now();
      // Timeouts as they fall due, in order.
      while (waiting.length > 0 && waiting[0]!.start + timeout <= now) {
        const { seq, request } = waiting.shift()!;
        if (expired.push(request) > EXPIRED_KEPT) expired.shift();
        options.onResult?.({ seq, request });
      }
      const ready = sendFailure === undefined ? source.peek() : undefined;
      const over = sendFailure !== undefined || source.done;
      if (ready === undefined && over && waiting.length === 0) break;
      // Requests go out on the interval, whatever the replies do (as ping sends).
      if (ready !== undefined && now >= next) {
        source.take();
        next = now + interval; // never sooner after a payload that came late
        const start = performance.now();
        try {
          await sock.send(ready);
        } catch (err) {
          if (!(err instanceof NetError)) throw err;
          sendFailure = err; // a datagram too long, a peer that does not read: the socket stays
          continue;
        }
        waiting.push({ seq: ++seq, request: ready, start });
        stats.sent++;
        options.onSent?.(seq, ready);
        continue;
      }
      const nextSend = ready !== undefined ? next : Infinity;
      const firstTimeout = waiting.length > 0 ? waiting[0]!.start + timeout : Infinity;
      const due = Math.min(nextSend, firstTimeout);
      // The next payload not there yet (a line still being typed): it too ends a wait.
      const arrival = ready === undefined && !over ? source.arrival : undefined;
      if (due === Infinity) {
        if (arrival === undefined) break;
        await untilAborted(arrival, signal);
        continue;
      }
      const stop = arrival && signal ? AbortSignal.any([signal, arrival]) : arrival ?? signal;
      // A wait that ends because the next request is due is no timeout of the peer's.
      const reply = await receiveOrTimeout(sock, due - now, nextSend < firstTimeout, stop);
      if (reply === undefined) continue;
      const at = performance.now();
      // A reply answers the oldest request in flight with its bytes.
      const k = waiting.findIndex((w) => sameBytes(reply, w.request));
      if (k < 0) {
        const e = expired.findIndex((request) => sameBytes(reply, request));
        if (e >= 0) expired.splice(e, 1); // one late reply per request
        if (e >= 0) stats.late++;
        else stats.unmatched++;
        continue;
      }
      const [found] = waiting.splice(k, 1) as [typeof waiting[0]];
      const rtt = at - found.start;
      stats.replies++;
      stats.rtts.push(rtt);
      options.onResult?.({ seq: found.seq, request: found.request, reply, rtt });
    }
    // A send or a source that failed sent no more; the requests in flight had their outcome.
    if (sendFailure !== undefined) stats.error = sendFailure;
    else if (source.failed) stats.error = source.failure;
  } catch (err) {
    if (!(err instanceof NetError)) throw err; // a bug of a callback's
    stats.error = err; // the counts so far stand, beside what ended the run
  } finally {
    source.close();
  }
  return stats;
}

/** How many timed-out requests are remembered to tell a late reply from a stray datagram. */
const EXPIRED_KEPT = 64;

/**
 * The payloads as they become ready: an array's at once, an async source's as each comes
 * (its `arrival` signal aborts when the one awaited is there, or the source ends).
 */
class Upcoming {
  #array: Uint8Array[] | undefined;
  #index = 0;
  #iterator: AsyncIterator<Uint8Array> | undefined;
  #ready: Uint8Array | undefined;
  #ended = false;
  #failed = false;
  #failure: unknown;
  #arrival: AbortController | undefined;

  constructor(payloads: Uint8Array[] | AsyncIterable<Uint8Array>) {
    if (Array.isArray(payloads)) {
      if (!payloads.every((p) => p instanceof Uint8Array)) throw invalidPayloads();
      this.#array = payloads;
    } else if (typeof payloads?.[Symbol.asyncIterator] === "function") {
      this.#iterator = payloads[Symbol.asyncIterator]();
    } else {
      throw invalidPayloads();
    }
  }

  /** Whether the async source threw: no payload comes any more. */
  get failed(): boolean {
    return this.#failed;
  }

  /** What the async source threw. */
  get failure(): unknown {
    return this.#failure;
  }

  /** Whether no payload is left, nor will come (the source ended, or failed). */
  get done(): boolean {
    if (this.#array) return this.#index >= this.#array.length;
    return this.#failed || (this.#ended && this.#ready === undefined);
  }

  /** Aborts when the payload being awaited is there (or the source ended). */
  get arrival(): AbortSignal | undefined {
    return this.#arrival?.signal;
  }

  /** The next payload if it is there; else starts waiting for it. */
  peek(): Uint8Array | undefined {
    if (this.#failed) return undefined;
    if (this.#array) return this.#array[this.#index];
    if (this.#ready === undefined && !this.#ended && this.#arrival === undefined) this.#fetch();
    return this.#ready;
  }

  /** Takes the payload {@linkcode Upcoming.peek} returned. */
  take(): void {
    if (this.#array) this.#index++;
    else this.#ready = undefined;
  }

  /** Lets an async source go (what it still reads is abandoned). */
  close(): void {
    if (this.#arrival !== undefined) return; // a read is under way: let it end on its own
    void this.#iterator?.return?.()?.catch(() => {});
  }

  #fetch(): void {
    const arrival = new AbortController();
    this.#arrival = arrival;
    this.#iterator!.next().then(
      (r) => {
        if (r.done) this.#ended = true;
        else if (r.value instanceof Uint8Array) this.#ready = r.value;
        else this.#fail(invalidPayloads());
      },
      (err) => this.#fail(err),
    ).finally(() => {
      this.#arrival = undefined;
      arrival.abort();
    });
  }

  #fail(err: unknown): void {
    this.#failed = true;
    this.#failure = err;
    this.#ready = undefined;
  }
}

function invalidPayloads(): TypeError {
  return new TypeError("Invalid payloads: expected an array or async iterable of Uint8Array");
}

/** Waits for `signal` to abort, or for `stop` to abort first. */
function untilAborted(signal: AbortSignal, stop: AbortSignal | undefined): Promise<void> {
  return new Promise((resolve) => {
    const done = () => {
      signal.removeEventListener("abort", done);
      stop?.removeEventListener("abort", done);
      resolve();
    };
    if (signal.aborted || stop?.aborted) return resolve();
    signal.addEventListener("abort", done, { once: true });
    stop?.addEventListener("abort", done, { once: true });
  });
}

/**
 * The peer's next datagram, or `undefined` after `ms` or once `signal` aborts; `pace`: the
 * wait ends at `ms` because the next request is due.
 */
async function receiveOrTimeout(
  sock: ConnectedDatagram,
  ms: number,
  pace: boolean,
  signal: AbortSignal | undefined,
): Promise<Uint8Array | undefined> {
  if (signal?.aborted) return undefined;
  try {
    return await sock.receive({ timeout: Math.max(1, ms), signal, pace });
  } catch (err) {
    if (err instanceof NetError && err.timeout) return undefined;
    if (signal?.aborted && err === signal.reason) return undefined;
    throw err;
  }
}

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}
