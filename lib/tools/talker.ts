/**
 * The datagram talker's story, as the original tells it: resolve the host, send one
 * datagram from an IPv6 socket, say how many bytes went. The connected mode fixes the
 * peer and can wait for its answer.
 *
 * @module
 */
import {
  DEFAULT_DATAGRAM_PORT,
  DEFAULT_PING_INTERVAL,
  DEFAULT_TALKER_COUNT,
} from "../cli/defaults.ts";
import { exitCodeOf, needsGrants, ToolError } from "../cli/errors.ts";
import { ExitCode } from "../cli/exit_codes.ts";
import { addressKey, ipFamily, joinHostPort, toV4Mapped } from "../net/address.ts";
import {
  checkDatagramSize,
  checkDestination,
  checkedSizes,
  type GroupSendOptions,
  openTalkerSocket,
  type TalkerTarget,
  targetText,
  unixTalkerError,
} from "./talker_socket.ts";
import { parseUnixAddress } from "../net/unix_address.ts";
import { pingFields, pingLine, pingSummary, replyFrom } from "./talker_report.ts";
import { formatDuration, NetError } from "../net/errors.ts";
import { escapeBytes } from "../net/escape.ts";
import type { Output } from "../cli/output.ts";
import { jsonAddress, jsonBytes } from "../cli/json.ts";
import { Reporter } from "../cli/reporter.ts";
import { type Candidate, type Family, resolve } from "../net/resolve.ts";
import { startTimer } from "../net/_timer.ts";

/** Options for {@linkcode runTalker}: and to a multicast group, its TTL, loop and interface. */
export interface TalkerOptions extends GroupSendOptions {
  /**
   * Send to the Unix datagram socket at this path (`@name`: a Linux abstract name) instead
   * of a host: with `replyTimeout`, from a temporary path of its own beside it, removed at exit.
   * @default {undefined} (UDP to the host)
   */
  unix?: string | undefined;
  /**
   * The listener's port.
   * @default {4950}
   */
  port?: number | undefined;
  /**
   * `"any"`: an IPv6 socket that reaches IPv4 hosts through their IPv4-mapped address;
   * 6: IPv6 addresses only (the original); 4: an IPv4 socket.
   * @default {"any"}
   */
  family?: Family | undefined;
  /**
   * Fix the peer (the original's `connect()` on a datagram socket) and print it.
   * @default {false}
   */
  connect?: boolean | undefined;
  /**
   * In connected mode, wait this many milliseconds for one answer from the peer.
   * @default {undefined} (do not wait)
   */
  replyTimeout?: number | undefined;
  /**
   * Write the reply's bytes exactly to stdout.
   * @default {false}
   */
  raw?: boolean | undefined;
  /**
   * Reports the events in the views asked for.
   * @default {undefined} (the original's lines)
   */
  reporter?: Reporter | undefined;
  /**
   * Send the message (each of the messages) this many times.
   * @default {1}
   */
  count?: number | undefined;
  /**
   * Milliseconds between two sends.
   * @default {0} (at once; 1000 for the ping, with a reply timeout)
   */
  interval?: number | undefined;
  /**
   * Stops the run (Ctrl-C): no further datagram is sent, the ping prints its summary, and
   * the run returns 130.
   * @default {undefined}
   */
  signal?: AbortSignal | undefined;
}

/**
 * Where a talker's datagram goes: the first resolved address, IPv4 ones mapped into IPv6
 * unless `family` is 4, and the IP version the datagram will travel over (IPv4 for an
 * IPv4-mapped address, however it was given).
 *
 * @param candidates Resolved addresses, in order.
 * @param family The family asked for.
 * @returns The destination literal and its wire family.
 * @example An IPv4 host from an IPv6 socket
 * ```ts
 * import { talkerTarget } from "./talker.ts";
 * import { deepStrictEqual as assertEquals } from "node:assert/strict";
 * assertEquals(
 *   talkerTarget([{ hostname: "127.0.0.1", port: 4950, family: 4 }], "any"),
 *   { hostname: "::ffff:127.0.0.1", port: 4950, wire: 4 },
 * );
 * assertEquals(
 *   talkerTarget([{ hostname: "::ffff:127.0.0.1", port: 4950, family: 6 }], "any").wire,
 *   4,
 * );
 * ```
 */
export function talkerTarget(
  candidates: Candidate[],
  family: Family,
): { hostname: string; port: number; wire: 4 | 6 } {
  const first = candidates[0]!;
  const hostname = first.family === 4 && family !== 4 ? toV4Mapped(first.hostname) : first.hostname;
  // A mapped address (::ffff:a.b.c.d) compares equal to its IPv4 form: it travels over IPv4.
  const wire = addressKey(hostname).includes(":") ? 6 : 4;
  return { hostname, port: first.port, wire };
}

/**
 * Sends `message` as one datagram to `host`, printing `talker: sent N bytes to HOST` as the
 * original does; in connected mode also the peer, and any reply.
 *
 * @param host The listener's name or address.
 * @param message The payload; several (`--lines`), or lines as they are read (sent as each
 * comes).
 * @param options Port, family, connected mode and reply timeout.
 * @param out Where lines go.
 * @returns The exit code.
 * @throws {ResolveError} When the host does not resolve (exit 1).
 * @throws {UsageError} When the message does not fit in one datagram (exit 1).
 * @throws {PermissionError} Naming every grant the run needs (exit 4).
 * @example Send "hi" to a socket on ::1, as to a listener
 * ```ts
 * import { Output } from "../cli/output.ts";
 * import { runTalker } from "./talker.ts";
 * import { deepStrictEqual as assertEquals } from "node:assert/strict";
 *
 * const receiver = Deno.listenDatagram({ transport: "udp", hostname: "::1", port: 0 });
 * const out = new Output("talker");
 * try {
 *   const port = (receiver.addr as Deno.NetAddr).port;
 *   assertEquals(await runTalker("::1", new TextEncoder().encode("hi"), { port }, out), 0);
 *   const [data] = await receiver.receive();
 *   assertEquals(new TextDecoder().decode(data), "hi");
 * } finally {
 *   await out.close();
 *   receiver.close();
 * }
 * ```
 */
export async function runTalker(
  host: string,
  message: Uint8Array | Uint8Array[] | AsyncIterable<Uint8Array>,
  options: TalkerOptions,
  out: Output,
): Promise<number> {
  const messages = message instanceof Uint8Array ? [message] : message;
  const r = options.reporter ?? Reporter.plain(out);
  if (options.unix !== undefined) {
    const address = parseUnixAddress(options.unix, "dial", "unixgram");
    const replies = options.replyTimeout !== undefined;
    return await sending(
      address.display,
      messages,
      { path: address.path },
      "",
      options,
      out,
      r,
      (err) => unixTalkerError(err, address.path, replies),
    );
  }
  const family = options.family ?? "any";
  const port = options.port ?? DEFAULT_DATAGRAM_PORT;
  // What a run needs: the name (for the lookup), the local socket, the destination.
  const grants = ipFamily(host) === undefined ? [host] : [];
  const candidates = await resolve(host, port, { family, onStep: r.onStep, transport: "udp" })
    .catch((err) => {
      throw needsGrants(err, grants, `(and an address of ${host} with port ${port})`);
    });
  const target = talkerTarget(candidates, family);
  target.hostname = checkDestination(target.hostname, options);
  const sized = Array.isArray(messages)
    ? (messages.forEach((m) => checkDatagramSize(m.length, target.wire)), messages)
    : checkedSizes(messages, target.wire);
  const local = target.hostname.includes(":") ? "::" : "0.0.0.0";
  grants.push(joinHostPort(local, 0), joinHostPort(target.hostname, target.port));
  return await sending(
    host,
    sized,
    target,
    local,
    options,
    out,
    r,
    (err) => needsGrants(err, grants),
  );
}

/** Sends once or many times; a reply that never came is exit 3, a refused grant exit 4. */
async function sending(
  host: string,
  messages: Uint8Array[] | AsyncIterable<Uint8Array>,
  target: TalkerTarget,
  local: string,
  options: TalkerOptions,
  out: Output,
  r: Reporter,
  grants: (err: unknown) => unknown | Promise<unknown>,
): Promise<number> {
  try {
    const count = options.count ?? DEFAULT_TALKER_COUNT;
    if (count === 1 && Array.isArray(messages) && messages.length === 1) {
      return await talk(host, messages[0]!, target, local, options, out, r);
    }
    // Lines as they are read go out as they come (-n repeats only what was read whole).
    const all = Array.isArray(messages)
      ? Array.from({ length: count }, () => messages).flat()
      : messages;
    return await talkMany(host, all, target, local, options, out, r);
  } catch (err) {
    if (options.signal?.aborted) {
      // Ctrl-C ends the run (130), but a failure that stopped the sending is still said.
      const said = await grants(err);
      if (exitCodeOf(said) === ExitCode.Internal) throw said;
      throw new ToolError((said as Error).message, ExitCode.Interrupted, { cause: said });
    }
    if (!(err instanceof NetError && err.timeout)) throw await grants(err);
    return r.fail(
      `no reply from ${targetText(target)} within ${formatDuration(options.replyTimeout ?? 0)}`,
      ExitCode.Timeout,
      {
        errno: "ETIMEDOUT",
      },
    );
  }
}

async function talk(
  host: string,
  message: Uint8Array,
  target: TalkerTarget,
  local: string,
  options: TalkerOptions,
  out: Output,
  r: Reporter,
): Promise<number> {
  using sock = await openTalkerSocket(target, local, options, r.onStep);
  const connected = options.connect || options.replyTimeout !== undefined;
  const to = { to: jsonAddress(target) };
  if (connected) {
    r.event(
      "connected",
      { address: to.to },
      `connected to ${targetText(target)}`,
    );
  }
  const sent = await sock.send(message);
  r.event("sent", { ...to, host, size: sent }, `sent ${sent} bytes to ${host}`);
  if (options.replyTimeout === undefined) return ExitCode.Ok;
  out.flush();
  try {
    const reply = await untilStopped(
      sock.receive({ timeout: options.replyTimeout }),
      options.signal,
    );
    if (reply === undefined) return ExitCode.Interrupted;
    if (r.json) r.event("reply", { from: jsonAddress(sock.peer), ...jsonBytes(reply) });
    else {
      r.say(`got reply from ${replyFrom(sock.peer)}`);
      r.say(`reply is ${reply.length} bytes long`);
      if (options.raw) out.data(reply);
      else r.say(`reply contains "${escapeBytes(reply)}"`);
    }
  } finally {
    if (sock.ignored > 0) {
      r.event(
        "summary",
        { ignored: sock.ignored },
        `ignored ${sock.ignored} ${
          sock.ignored === 1 ? "datagram" : "datagrams"
        } from other addresses`,
      );
    }
  }
  return ExitCode.Ok;
}

/**
 * Several datagrams, paced: each says `sent N bytes to HOST`; with a reply timeout, a UDP
 * ping: each reply matched to its request and timed, and a summary at the end.
 */
async function talkMany(
  host: string,
  messages: Uint8Array[] | AsyncIterable<Uint8Array>,
  target: TalkerTarget,
  local: string,
  options: TalkerOptions,
  out: Output,
  r: Reporter,
): Promise<number> {
  using sock = await openTalkerSocket(target, local, options, r.onStep);
  const peer = targetText(target);
  const interval = options.interval ?? 0; // at once, as nc -u sends lines
  const to = jsonAddress(target);
  if (options.connect || options.replyTimeout !== undefined) {
    r.event("connected", { address: to }, `connected to ${peer}`);
  }
  const signal = options.signal;
  if (options.replyTimeout === undefined) {
    // Each datagram as its line comes; Ctrl-C also ends a wait for the next line.
    const it = Array.isArray(messages) ? messages.values() : messages[Symbol.asyncIterator]();
    for (let last = -Infinity;;) {
      const got = await untilStopped(Promise.resolve(it.next()), signal);
      if (got === undefined) return ExitCode.Interrupted;
      if (got.done) return ExitCode.Ok;
      // -i apart at least: a line read later than its turn goes at once.
      const wait = Math.ceil(last + interval - performance.now()); // a timer may fire a bit early
      if (wait > 0) await sleep(wait, signal);
      if (signal?.aborted) return ExitCode.Interrupted;
      out.flush(); // each line's "sent" as it goes, not at the end
      last = performance.now();
      const sent = await sock.send(got.value);
      r.event("sent", { to, host, size: sent }, `sent ${sent} bytes to ${host}`);
    }
  }
  out.flush();
  const { udpPing } = await import("../net/udp_ping.ts"); // the ping's alone: a one-shot run skips it
  const stats = await udpPing(sock, messages, {
    interval: options.interval ?? DEFAULT_PING_INTERVAL,
    timeout: options.replyTimeout,
    signal,
    onSent: (seq, request) => r.json && r.event("sent", { to, host, size: request.length, seq }),
    onResult: (result) => pingLine(result, sock, options, out, r),
  });
  // A run cut short by a failure or Ctrl-C still says what it counted, then the failure.
  r.summary(pingFields(stats, sock), pingSummary(stats, sock));
  if (stats.error !== undefined) throw stats.error;
  if (signal?.aborted) return ExitCode.Interrupted;
  if (stats.replies > 0) return ExitCode.Ok;
  return r.fail(`no reply from ${peer} to any of ${stats.sent} datagrams`, ExitCode.Timeout, {
    errno: "ETIMEDOUT",
  });
}

/** What `work` resolves to, or `undefined` once `signal` aborts (its rejection then ignored). */
async function untilStopped<T>(work: Promise<T>, signal?: AbortSignal): Promise<T | undefined> {
  if (signal === undefined) return await work;
  if (signal.aborted) {
    work.catch(() => {});
    return undefined;
  }
  let onAbort = () => {};
  const stopped = new Promise<undefined>((resolve) => {
    onAbort = () => resolve(undefined);
    signal.addEventListener("abort", onAbort, { once: true });
  });
  work.catch(() => {}); // abandoned if the signal wins
  try {
    return await Promise.race([work, stopped]);
  } finally {
    signal.removeEventListener("abort", onAbort);
  }
}

/** Waits `ms` milliseconds, or less if `signal` aborts (no timer global: see `_timer.ts`). */
function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const done = () => {
      cancel();
      signal?.removeEventListener("abort", done);
      resolve();
    };
    const cancel = startTimer(ms, done);
    signal?.addEventListener("abort", done, { once: true });
  });
}
