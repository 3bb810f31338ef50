/**
 * The guard an echoing listener puts before every reply, so that one forged datagram cannot
 * start a loop (CVE-2024-2169: a datagram whose source is the listener itself, or another
 * echo service, bounces for ever) and a flood cannot be turned back at a victim.
 *
 * @module
 */
import { integerOption } from "./_validate.ts";
import { directedBroadcasts } from "./multicast_address.ts";

/**
 * Why a datagram was not echoed: `loop`, the sender's port (or path) is the listener's own;
 * `lowPort`, the sender's port is 0 or below 1024 (a service, never a client); `rate`, the
 * sender had used up its share of echoes; `unspecified`, the sender's address is `0.0.0.0`,
 * `::` or `::ffff:0.0.0.0` (forged: the kernel would deliver the echo to this host's own
 * loopback, the listener itself); `group`, the sender's address is a multicast group or a
 * broadcast address (forged: the echo would go to every member); `unnamed`, a Unix sender
 * bound no path (there is nowhere to answer); `unsafePath`, a Unix sender's path is not a
 * socket file reached without a symbolic link just before the echo (see
 * {@linkcode serveDatagram}).
 */
export type EchoRefusal =
  | "loop"
  | "lowPort"
  | "rate"
  | "unspecified"
  | "group"
  | "unnamed"
  | "unsafePath";

/** Options for {@linkcode EchoGuard}. */
export interface EchoGuardOptions {
  /**
   * Echoes per second that one sender address may get, once its burst is spent.
   * @default {100}
   */
  rate?: number | undefined;
  /**
   * Echoes one sender address may get at once (the token bucket's size).
   * @default {100}
   */
  burst?: number | undefined;
  /**
   * Sender addresses remembered at most. When full, the one remembered longest is forgotten
   * (it starts again with a full burst), so a flood of forged addresses cannot grow memory.
   * @default {4096}
   */
  maxSenders?: number | undefined;
  /**
   * The clock, in milliseconds.
   * @default {performance.now}
   */
  now?: (() => number) | undefined;
}

/** `0.0.0.0`, `::` (any spelling, a zone too) and `::ffff:0.0.0.0`. */
const UNSPECIFIED =
  /^(?:0+\.0+\.0+\.0+|[0:]*::[0:]*(?:%.*)?|(?:[0:]*:)?ffff:0+\.0+\.0+\.0+|(?:0{1,4}:){7}0{1,4})$/i;

interface Bucket {
  tokens: number;
  last: number;
}

/**
 * Decides, for each datagram, whether an echo (or any reply) may go back to its sender —
 * the guard {@linkcode serveDatagram} puts before every reply:
 *
 * - never to an unspecified address (`unspecified`: `0.0.0.0`, `::`, `::ffff:0.0.0.0`, which
 *   the kernel answers on the loopback, the listener's own) nor to a multicast group or a
 *   broadcast address (`group`): no real sender has one, and the echo would loop or fan out;
 * - never to the listener's own port, whatever the address (`loop`). On a wildcard socket
 *   every local address is the listener itself, and Deno cannot list them without
 *   `--allow-sys`; a sender elsewhere on the same port is another echo service, and the two
 *   would bounce a datagram between them for ever;
 * - never to port 0 or a port below 1024 (`lowPort`): clients send from ephemeral ports, and
 *   a service there (echo, chargen, DNS) may answer back;
 * - at most `burst` echoes at once and `rate` a second after that to one sender address,
 *   whatever its port (`rate`): a token bucket per address, so a sender that varies its port
 *   gains nothing.
 *
 * Addresses are compared as spelled; one socket spells each sender one way. A check costs
 * no allocation once the sender is known. A Unix datagram sender (`{ path }`) is refused
 * as a loop (our own path), as `unnamed` (an empty path) or over its rate: it has no port.
 *
 * @example Refuse a datagram from the listener's own port
 * ```ts
 * import { EchoGuard } from "./echo_guard.ts";
 * import { deepStrictEqual as assertEquals } from "node:assert/strict";
 * const guard = new EchoGuard(4950);
 * assertEquals(guard.check({ hostname: "::ffff:127.0.0.1", port: 4950 }), "loop");
 * assertEquals(guard.check({ hostname: "::1", port: 53 }), "lowPort");
 * assertEquals(guard.check({ hostname: "239.1.2.3", port: 40000 }), "group"); // forged
 * assertEquals(guard.check({ hostname: "0.0.0.0", port: 40000 }), "unspecified"); // forged
 * assertEquals(guard.check({ hostname: "::1", port: 40000 }), undefined); // echo it
 * ```
 */
export class EchoGuard {
  /** The listener's own port (undefined for a Unix socket). */
  readonly port: number | undefined;
  /** The listener's own path (a Unix socket). */
  readonly path: string | undefined;
  #rate: number;
  #burst: number;
  #max: number;
  #now: () => number;
  #senders = new Map<string, Bucket>();
  #broadcasts = new Set(["255.255.255.255", ...directedBroadcasts()]);

  /**
   * Makes the guard of a socket bound to `local`.
   *
   * @param local The socket's own (bound) port, or its address (`{ port }`, `{ path }`).
   * @param options The rate limit and how many senders to remember.
   */
  constructor(
    local: number | { port: number } | { path: string },
    options: EchoGuardOptions = {},
  ) {
    this.port = typeof local === "number" ? local : "port" in local ? local.port : undefined;
    this.path = typeof local === "object" && "path" in local ? local.path : undefined;
    this.#rate = options.rate ?? 100;
    if (typeof this.#rate !== "number" || !(this.#rate >= 0 && this.#rate < Infinity)) {
      throw new RangeError(`Invalid rate "${this.#rate}": expected replies a second, 0 or more`);
    }
    this.#burst = integerOption("burst", options.burst ?? 100, 1, 2 ** 31);
    this.#max = integerOption("maxSenders", options.maxSenders ?? 4096, 1, 2 ** 24);
    this.#now = options.now ?? (() => performance.now());
  }

  /** A multicast group (224.0.0.0/4, ff00::/8) or a broadcast address, cheaply told. */
  #groupOrBroadcast(hostname: string): boolean {
    const v4 = /(\d+)\.\d+\.\d+\.\d+$/.exec(hostname);
    if (v4 === null) return /^ff/i.test(hostname);
    const first = Number(v4[1]);
    return (first >= 224 && first <= 239) || this.#broadcasts.has(v4[0]);
  }

  /** How many sender addresses are remembered now (at most `maxSenders`). */
  get senders(): number {
    return this.#senders.size;
  }

  /**
   * Whether an echo may go to `to`; a permitted echo uses one of the sender's tokens.
   *
   * @param to The sender of the datagram, where the echo would go.
   * @returns Undefined to echo, or why not.
   */
  check(to: { hostname: string; port: number } | { path: string }): EchoRefusal | undefined {
    let key: string;
    if ("path" in to) {
      if (typeof to.path !== "string" || to.path === "") return "unnamed";
      if (to.path === this.path) return "loop";
      key = to.path;
    } else {
      // An unspecified "sender" is forged: sendto(0.0.0.0 or ::) reaches this host's own
      // loopback, so the echo would come back to the listener (or to a neighbour's port).
      if (UNSPECIFIED.test(to.hostname)) return "unspecified";
      // A "sender" that is a group or a broadcast address is forged: answering it would
      // send to every member, and theirs to every member again.
      if (this.#groupOrBroadcast(to.hostname)) return "group";
      if (to.port === this.port) return "loop";
      if (to.port < 1024) return "lowPort";
      key = to.hostname;
    }
    const now = this.#now();
    let bucket = this.#senders.get(key);
    if (bucket === undefined) {
      if (this.#senders.size >= this.#max) {
        this.#senders.delete(this.#senders.keys().next().value!);
      }
      bucket = { tokens: this.#burst, last: now };
      this.#senders.set(key, bucket);
    } else {
      const refill = (now - bucket.last) * this.#rate / 1000;
      bucket.tokens = Math.min(this.#burst, bucket.tokens + refill);
      bucket.last = now;
    }
    if (bucket.tokens < 1) return "rate";
    bucket.tokens -= 1;
    return undefined;
  }
}
