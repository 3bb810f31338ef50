/**
 * Connecting to a host's addresses, as Go's `net.Dialer` does: one after the other with the
 * deadline shared out between them, or racing them (Happy Eyeballs, RFC 8305).
 *
 * @module
 */
import { startTimer } from "./_timer.ts";
import type { OnStep } from "./steps.ts";
import { DialDeadline } from "./_dial_deadline.ts";
import {
  abandonReason,
  allFailed,
  checkCandidates,
  connect,
  dialError,
  type DialEvent,
  dialSteps,
  shareTimedOut,
} from "./_dial_attempt.ts";
import { joinHostPort } from "./address.ts";
import { NetError, opError } from "./errors.ts";
import { millisOption, signalOption, timeoutOption } from "./_validate.ts";
import type { Candidate } from "./resolve.ts";

/** Options for {@linkcode Dialer}. */
export interface DialerOptions {
  /**
   * One deadline for the whole dial, in milliseconds. One after the other, each attempt
   * gets an equal share of what is left, but at least 2 s (or all that is left), as Go's
   * Dialer does; racing, every attempt may run until the deadline.
   * @default {undefined} (no deadline: each attempt waits as long as the system does)
   */
  timeout?: number | undefined;
  /**
   * Race the addresses (Happy Eyeballs v2, RFC 8305): interleave them by family, starting
   * with the family of the first, and start the next one every `raceDelay` or as soon as
   * one fails, while the earlier ones keep trying; the first to connect wins.
   * @default {false} (one after the other, in the resolver's order)
   */
  race?: boolean | undefined;
  /**
   * Racing: milliseconds between the starts of two attempts, clamped to 10 ms…2 s as
   * RFC 8305 §5 asks.
   * @default {250}
   */
  raceDelay?: number | undefined;
  /**
   * Told of each attempt as the socket calls it stands for, as it happens: `socket`, then
   * `connect` when it starts (`phase: "start"`) and when it ends (`phase: "end"`): connected
   * (no `error`), failed (`error`: the attempt's {@linkcode NetError}; a share of the
   * deadline running out is `Connection timed out`), or abandoned (`reason`: `lost` when
   * another address won, `deadline`, `cancelled`). A peer that accepts and
   * resets at once still counts as connected; then {@linkcode Dialer.dial} throws a
   * receive error.
   * @default {undefined} (no steps)
   */
  onStep?: OnStep | undefined;
}

/** Options for {@linkcode Dialer.dial}. */
export interface DialOptions {
  /**
   * Cancels the dial; it then rejects with the signal's reason.
   * @default {undefined} (only the dialer's `timeout` ends the dial early)
   */
  signal?: AbortSignal | undefined;
}

/** Racing: the milliseconds between the starts of two attempts when none is given. */
export const RACE_DELAY_DEFAULT = 250;
/** Racing: the shortest delay between two starts, in milliseconds (shorter ones are raised). */
export const RACE_DELAY_MIN = 10;
/** Racing: the longest delay between two starts, in milliseconds (longer ones are lowered). */
export const RACE_DELAY_MAX = 2000;

/**
 * Orders addresses for racing (RFC 8305 §4): alternate the families, starting with the
 * family of the first address.
 *
 * @param candidates Addresses in the resolver's order.
 * @returns The same addresses, interleaved.
 * @example Two of each family
 * ```ts
 * import { interleaveFamilies } from "./dial.ts";
 * import { deepStrictEqual as assertEquals } from "node:assert/strict";
 *
 * const order = interleaveFamilies([
 *   { hostname: "::1", port: 1, family: 6 },
 *   { hostname: "::2", port: 1, family: 6 },
 *   { hostname: "127.0.0.1", port: 1, family: 4 },
 *   { hostname: "127.0.0.2", port: 1, family: 4 },
 * ]);
 * assertEquals(order.map((c) => c.hostname), ["::1", "127.0.0.1", "::2", "127.0.0.2"]);
 * ```
 */
export function interleaveFamilies(candidates: Candidate[]): Candidate[] {
  const first = candidates[0]?.family;
  const primary = candidates.filter((c) => c.family === first);
  const other = candidates.filter((c) => c.family !== first);
  const out: Candidate[] = [];
  for (let i = 0; i < Math.max(primary.length, other.length); i++) {
    if (i < primary.length) out.push(primary[i]!);
    if (i < other.length) out.push(other[i]!);
  }
  return out;
}

/**
 * Connects to the first of a host's addresses that answers, with `Deno.connect` on IP
 * literals only (resolve first with {@linkcode resolve}). One after the other (the original
 * client's loop) by default, each attempt given its share of the deadline so that an
 * address that never answers cannot keep the next ones from being tried; or racing them
 * (`race: true`). A Dialer holds settings only: one can serve any number of dials. To
 * look a name up and dial it under one deadline, use {@linkcode dial}.
 *
 * Needs `--allow-net`. Every failure of a dial is a {@linkcode NetError}.
 *
 * @example Race two addresses: the one that refuses makes the next start at once
 * ```ts
 * import { type Candidate, Dialer, type Step } from "@socketkit/socketkit";
 * import { deepStrictEqual as assertEquals } from "node:assert/strict";
 *
 * const gone = Deno.listen({ hostname: "127.0.0.1", port: 0 });
 * const refused: Candidate = { hostname: "127.0.0.1", port: gone.addr.port, family: 4 };
 * gone.close(); // nothing listens there now: connection refused
 * using listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
 * const open: Candidate = { hostname: "127.0.0.1", port: listener.addr.port, family: 4 };
 *
 * const events: string[] = [];
 * const onStep = (s: Step) => {
 *   if (s.call !== "connect" || !s.address || !("port" in s.address)) return;
 *   const outcome = s.phase === "start" ? "attempt" : s.error ? "failed" : "connected";
 *   events.push(`${outcome} ${s.address.port}`);
 * };
 * const dialer = new Dialer({ timeout: 1000, race: true, onStep });
 * using conn = await dialer.dial([refused, open]);
 * assertEquals(conn.remoteAddr.port, open.port);
 * assertEquals(events, [
 *   `attempt ${refused.port}`,
 *   `failed ${refused.port}`,
 *   `attempt ${open.port}`,
 *   `connected ${open.port}`,
 * ]);
 * ```
 */
export class Dialer {
  /** The whole dial's deadline in milliseconds, if any. */
  readonly timeout: number | undefined;
  /** Whether the addresses race. */
  readonly race: boolean;
  /** Racing: milliseconds between the starts of two attempts (10…2000). */
  readonly raceDelay: number;
  readonly #onStep: OnStep | undefined;

  /**
   * Creates a dialer (settings only: nothing is opened).
   *
   * @param options The deadline, the mode and where events go.
   * @throws {RangeError} For a negative or NaN `timeout` or `raceDelay`.
   * @throws {TypeError} For a `timeout` or `raceDelay` that is not a number.
   */
  constructor(options: DialerOptions = {}) {
    this.timeout = timeoutOption("timeout", options.timeout);
    this.race = options.race ?? false;
    const delay = millisOption("raceDelay", options.raceDelay ?? RACE_DELAY_DEFAULT);
    this.raceDelay = Math.min(RACE_DELAY_MAX, Math.max(RACE_DELAY_MIN, delay));
    this.#onStep = options.onStep;
  }

  /**
   * Connects to the first candidate that answers. Every other attempt is closed or
   * cancelled, and has settled, before this returns.
   *
   * @param candidates Addresses from {@linkcode resolve}, in the resolver's order.
   * @param options Cancellation.
   * @returns The connection; the caller closes it.
   * @throws {NetError} Op `dial`: the first attempt's error, as the most telling one, when
   * every candidate failed (each failure was told as a `connect` step's `error`); with `timeout`
   * true when the deadline passed first; with a `Deno.errors.NotCapable` cause when Deno
   * lacks the net permission (no other address is tried). Op `read`, when the first peer to
   * accept reset the connection at once: the address answered, so no other is tried.
   * @example Connect to a local listener
   * ```ts
   * import { Dialer } from "@socketkit/socketkit";
   * import { deepStrictEqual as assertEquals } from "node:assert/strict";
   *
   * using listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
   * const candidates = [{ hostname: "127.0.0.1", port: listener.addr.port, family: 4 as const }];
   * using conn = await new Dialer({ timeout: 1000 }).dial(candidates);
   * const { hostname, port } = conn.remoteAddr;
   * assertEquals([hostname, port], ["127.0.0.1", listener.addr.port]);
   * ```
   * @example Every address failed: the first failure is thrown
   * ```ts
   * import { Dialer, NetError } from "@socketkit/socketkit";
   * import { deepStrictEqual as assertEquals } from "node:assert/strict";
   *
   * const gone = Deno.listen({ hostname: "127.0.0.1", port: 0 });
   * const port = gone.addr.port;
   * gone.close(); // nothing listens there now: connection refused
   * const err = await new Dialer({ timeout: 1000 })
   *   .dial([{ hostname: "127.0.0.1", port, family: 4 }])
   *   .catch((e) => e);
   * assertEquals(err instanceof NetError, true);
   * assertEquals(err.message, `dial tcp 127.0.0.1:${port}: connection refused`);
   * ```
   */
  async dial(candidates: Candidate[], options: DialOptions = {}): Promise<Deno.TcpConn> {
    checkCandidates(candidates);
    signalOption(options.signal);
    const first = candidates[0];
    const address = first ? joinHostPort(first.hostname, first.port) : "(no address)";
    using deadline = new DialDeadline(this.timeout, options.signal, address);
    deadline.signal.throwIfAborted();
    return this.race
      ? await this.#race(interleaveFamilies(candidates), deadline)
      : await this.#oneByOne(candidates, deadline);
  }

  #emit(event: DialEvent): void {
    if (this.#onStep !== undefined) { for (const step of dialSteps(event)) this.#onStep(step); }
  }

  async #oneByOne(candidates: Candidate[], deadline: DialDeadline): Promise<Deno.TcpConn> {
    const attempts: NetError[] = [];
    for (const [i, candidate] of candidates.entries()) {
      if (deadline.signal.aborted) break;
      const share = deadline.share(candidates.length - i);
      const own = new AbortController();
      const cancel = share === undefined ? undefined : startTimer(share, () => own.abort());
      this.#emit({ type: "attempt", candidate });
      let conn: Deno.TcpConn;
      try {
        conn = await connect(candidate, AbortSignal.any([deadline.signal, own.signal]));
      } catch (cause) {
        if (deadline.signal.aborted) {
          this.#emit({ type: "abandoned", candidate, reason: abandonReason(deadline) });
          break;
        }
        const error = own.signal.aborted
          ? shareTimedOut(candidate, share!)
          : this.#failure(candidate, cause);
        attempts.push(error);
        this.#emit({ type: "failed", candidate, error });
        continue;
      } finally {
        cancel?.();
      }
      return this.#won(candidate, conn);
    }
    throw deadline.signal.aborted ? deadline.signal.reason : allFailed(attempts);
  }

  #race(order: Candidate[], deadline: DialDeadline): Promise<Deno.TcpConn> {
    return new Promise((resolve, reject) => {
      const running = new Set<{ candidate: Candidate; stop: AbortController }>();
      const settling: Promise<void>[] = [];
      const attempts: NetError[] = [];
      let next = 0;
      let done = false;
      let timer: ReturnType<typeof setTimeout> | undefined;

      const finish = (
        outcome: { conn: Deno.TcpConn } | { error: unknown },
        reason: "lost" | "deadline" | "cancelled",
      ) => {
        done = true;
        clearTimeout(timer);
        deadline.signal.removeEventListener("abort", onDeadline);
        for (const attempt of running) {
          this.#emit({ type: "abandoned", candidate: attempt.candidate, reason });
          attempt.stop.abort();
        }
        // Wait for the cancelled attempts to settle (a late success is closed) before
        // answering, so that no connection or pending operation outlives the dial.
        Promise.allSettled(settling).then(() =>
          "conn" in outcome ? resolve(outcome.conn) : reject(outcome.error)
        );
      };
      const onDeadline = () => {
        if (!done) finish({ error: deadline.signal.reason }, abandonReason(deadline));
      };

      const start = () => {
        clearTimeout(timer);
        const candidate = order[next++];
        if (done || candidate === undefined) return;
        const attempt = { candidate, stop: new AbortController() };
        running.add(attempt);
        this.#emit({ type: "attempt", candidate });
        const signal = AbortSignal.any([deadline.signal, attempt.stop.signal]);
        settling.push(
          connect(candidate, signal).then((conn) => {
            running.delete(attempt);
            if (done) return conn.close(); // a success that came too late
            try {
              finish({ conn: this.#won(candidate, conn) }, "lost");
            } catch (error) {
              finish({ error }, "lost");
            }
          }, (cause) => {
            running.delete(attempt);
            if (done || deadline.signal.aborted) return;
            try {
              const error = this.#failure(candidate, cause);
              attempts.push(error);
              this.#emit({ type: "failed", candidate, error });
            } catch (error) {
              const accepted = error instanceof NetError && error.op === "read";
              return finish({ error }, accepted ? "lost" : "cancelled");
            }
            if (next < order.length) start();
            else if (running.size === 0) finish({ error: allFailed(attempts) }, "lost");
          }),
        );
        if (next < order.length) timer = setTimeout(start, this.raceDelay);
      };

      deadline.signal.addEventListener("abort", onDeadline, { once: true });
      if (order.length === 0) finish({ error: allFailed([]) }, "lost");
      else start();
    });
  }

  /** Reports the winner and hands its connection over (closing it if reporting throws). */
  #won(candidate: Candidate, conn: Deno.TcpConn): Deno.TcpConn {
    try {
      this.#emit({ type: "connected", candidate });
    } catch (err) {
      conn.close();
      throw err;
    }
    return conn;
  }

  /**
   * Turns an attempt's failure into its error, or throws what must end the dial: a missing
   * permission, or a reset, which means the peer accepted the connection (a refused SYN is
   * `Connection refused`) and dropped it before the runtime handed it over.
   */
  #failure(candidate: Candidate, cause: unknown): NetError {
    const error = dialError(candidate, cause);
    if (cause instanceof Deno.errors.NotCapable) throw error;
    // ENOTCONN is the same reset seen one step later: the runtime's getpeername() after
    // connect() found the connection already gone.
    if (cause instanceof Deno.errors.ConnectionReset || cause instanceof Deno.errors.NotConnected) {
      this.#emit({ type: "connected", candidate });
      throw opError("read", "tcp", candidate.hostname, candidate.port, cause);
    }
    return error;
  }
}
