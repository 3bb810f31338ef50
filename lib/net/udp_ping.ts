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
   * Milliseconds between the starts of two requests (a request whose reply comes later
   * than that delays the next).
   * @default {1000}
   */
  interval?: number | undefined;
  /**
   * How long each request waits for its reply, in milliseconds; 0 means for ever.
   * @default {1000}
   */
  timeout?: number | undefined;
  /**
   * Called after each request: with its round trip in milliseconds, or `undefined` when no
   * reply came in time.
   * @default {undefined}
   */
  onResult?: ((result: PingResult) => void) | undefined;
  /**
   * Stops the run at once, a wait for a reply included: no further request is sent, and
   * the counts so far are returned.
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
  /** Replies that matched no request still waiting (late, or not an echo). */
  late: number;
  /** Round trips of the answered requests, in milliseconds, in order. */
  rtts: number[];
}

/**
 * Sends each payload in turn, paced by `interval`, and waits up to `timeout` for its echo:
 * a reply matches the request in flight when its bytes are the request's. Anything else
 * from the peer, a reply after its request's timeout among them, is counted as `late` and
 * never matched to a later request — except that with identical payloads a reply to a
 * request that timed out, arriving while the next identical one waits, cannot be told
 * apart from that one's (give the payloads distinct bytes for exact matching).
 *
 * Needs `--allow-net` and `--unstable-net`, as {@linkcode ConnectedDatagram} does.
 *
 * @param sock The socket, fixed to the echo peer.
 * @param payloads The requests, sent in this order.
 * @param options Pace, timeout, a callback per request and a stop signal.
 * @returns The counts and round trips.
 * @throws {NetError} When a send or receive fails (not on a timeout).
 * @throws {RangeError} For a negative or NaN `interval` or `timeout`.
 * @throws {TypeError} When `payloads` is not an array of `Uint8Array`.
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
 *   assertEquals([stats.sent, stats.replies, stats.late, stats.rtts.length], [3, 3, 0, 3]);
 * } finally {
 *   echo.close();
 * }
 * ```
 */
export async function udpPing(
  sock: ConnectedDatagram,
  payloads: Uint8Array[],
  options: UdpPingOptions = {},
): Promise<PingStats> {
  const interval = millisOption("interval", options.interval ?? 1000);
  const timeout = timeoutOption("timeout", options.timeout ?? 1000) ?? Infinity;
  signalOption(options.signal);
  if (!Array.isArray(payloads) || !payloads.every((p) => p instanceof Uint8Array)) {
    throw new TypeError("Invalid payloads: expected an array of Uint8Array");
  }
  const stats: PingStats = { sent: 0, replies: 0, late: 0, rtts: [] };
  let next = performance.now();
  for (const [i, request] of payloads.entries()) {
    if (options.signal?.aborted) break;
    // Until the next request is due, anything that comes is late.
    await collectLate(sock, next, stats, options.signal);
    if (options.signal?.aborted) break;
    const start = performance.now();
    next = Math.max(next + interval, start);
    await sock.send(request);
    stats.sent++;
    const result: PingResult = { seq: i + 1, request };
    while (true) {
      const left = start + timeout - performance.now();
      const reply = left > 0 ? await receiveOrTimeout(sock, left, options.signal) : undefined;
      if (reply === undefined) break;
      if (sameBytes(reply, request)) {
        result.reply = reply;
        result.rtt = performance.now() - start;
        stats.replies++;
        stats.rtts.push(result.rtt);
        break;
      }
      stats.late++;
    }
    options.onResult?.(result);
    if (i === payloads.length - 1) break;
  }
  return stats;
}

/** Counts as late whatever the peer sends until `until` (a `performance.now()` time). */
async function collectLate(
  sock: ConnectedDatagram,
  until: number,
  stats: PingStats,
  signal: AbortSignal | undefined,
): Promise<void> {
  while (true) {
    const left = until - performance.now();
    if (left <= 0) return;
    if ((await receiveOrTimeout(sock, left, signal)) === undefined) return;
    stats.late++;
  }
}

/** The peer's next datagram, or `undefined` after `ms` or once `signal` aborts. */
async function receiveOrTimeout(
  sock: ConnectedDatagram,
  ms: number,
  signal: AbortSignal | undefined,
): Promise<Uint8Array | undefined> {
  if (signal?.aborted) return undefined;
  try {
    return await sock.receive({ timeout: Math.max(1, ms), signal });
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
