/**
 * Connecting to a host's addresses, as Go's `net.Dialer` does: one after the other with the
 * deadline shared out between them, or racing them (Happy Eyeballs, RFC 8305).
 *
 * @module
 */
import { DialDeadline } from "./_dial_deadline.ts";
import { joinHostPort } from "./address.ts";
import { NetError, netError, SocketkitError } from "./errors.ts";
import { ExitCode } from "../cli/exit_codes.ts";
import type { Candidate } from "./resolve.ts";

/**
 * What a {@linkcode Dialer} reports while it works, in the order it happens:
 * - `attempt`: a connection to `candidate` was started;
 * - `failed`: it failed (`error` says why; a share of the deadline running out is a
 *   failure: `Connection timed out`);
 * - `connected`: it connected and won (a peer that accepts and resets at once still
 *   counts, then {@linkcode Dialer.dial} throws a receive error);
 * - `abandoned`: it was cancelled, `reason` saying why: `lost` (another address won),
 *   `deadline` (the dial's deadline passed) or `cancelled` (the caller's signal).
 */
export type DialEvent =
  | { type: "attempt"; candidate: Candidate }
  | { type: "failed"; candidate: Candidate; error: SocketkitError }
  | { type: "connected"; candidate: Candidate }
  | { type: "abandoned"; candidate: Candidate; reason: "lost" | "deadline" | "cancelled" };

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
  /** Told of each attempt, failure, win and abandoned attempt. */
  onEvent?: ((event: DialEvent) => void) | undefined;
}

/** Options for {@linkcode Dialer.dial}. */
export interface DialOptions {
  /** Cancels the dial; it then rejects with the signal's reason. */
  signal?: AbortSignal | undefined;
}

/** One failed attempt, as listed by {@linkcode ConnectError}. */
export interface ConnectAttempt {
  /** The address tried. */
  candidate: Candidate;
  /** Why it failed. */
  error: SocketkitError;
}

/**
 * No candidate connected. Lists every attempt in the order they failed; the first failure
 * is named first, as the most telling one, and is the error's `cause`. Exit code 2.
 *
 * @example Read every reason
 * ```ts
 * import { ConnectError, Dialer } from "./dial.ts";
 * try {
 *   await new Dialer().dial([{ hostname: "127.0.0.1", port: 1, family: 4 }]);
 * } catch (err) {
 *   if (err instanceof ConnectError) console.log(err.attempts.length); // 1
 * }
 * ```
 */
export class ConnectError extends SocketkitError {
  /** Every attempt, in the order they failed. */
  readonly attempts: ConnectAttempt[];
  /** Creates the value from its parts.
   *
   * @param attempts Every failed attempt, in order. */
  constructor(attempts: ConnectAttempt[]) {
    super(
      `failed to connect: ${attempts.map((a) => a.error.message).join("; ") || "no addresses"}`,
      ExitCode.NoAddress,
      attempts[0] ? { cause: attempts[0].error } : undefined,
    );
    this.attempts = attempts;
  }
}

const RACE_DELAY_DEFAULT = 250;
const RACE_DELAY_MIN = 10;
const RACE_DELAY_MAX = 2000;

/**
 * Orders addresses for racing (RFC 8305 §4): alternate the families, starting with the
 * family of the first address.
 *
 * @param candidates Addresses in the resolver's order.
 * @returns The same addresses, interleaved.
 * @example Two of each family
 * ```ts
 * import { interleaveFamilies } from "./dial.ts";
 * const order = interleaveFamilies([
 *   { hostname: "::1", port: 1, family: 6 },
 *   { hostname: "::2", port: 1, family: 6 },
 *   { hostname: "127.0.0.1", port: 1, family: 4 },
 * ]);
 * console.log(order.map((c) => c.hostname)); // [ "::1", "127.0.0.1", "::2" ]
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
 * (`race: true`). A Dialer holds settings only: one can serve any number of dials.
 *
 * @example Race a host's addresses
 * ```ts ignore
 * import { Dialer } from "./dial.ts";
 * import { resolve } from "./resolve.ts";
 * const dialer = new Dialer({ timeout: 5000, race: true });
 * using conn = await dialer.dial(await resolve("localhost", 3490));
 * ```
 */
export class Dialer {
  /** The whole dial's deadline in milliseconds, if any. */
  readonly timeout: number | undefined;
  /** Whether the addresses race. */
  readonly race: boolean;
  /** Racing: milliseconds between the starts of two attempts (10…2000). */
  readonly raceDelay: number;
  readonly #onEvent: ((event: DialEvent) => void) | undefined;

  /**
   * Creates a dialer.
   *
   * @param options The deadline, the mode and where events go.
   */
  constructor(options: DialerOptions = {}) {
    this.timeout = options.timeout;
    this.race = options.race ?? false;
    const delay = options.raceDelay ?? RACE_DELAY_DEFAULT;
    this.raceDelay = Math.min(RACE_DELAY_MAX, Math.max(RACE_DELAY_MIN, delay));
    this.#onEvent = options.onEvent;
  }

  /**
   * Connects to the first candidate that answers. Every other attempt is closed or
   * cancelled, and has settled, before this returns.
   *
   * @param candidates Addresses from {@linkcode resolve}, in the resolver's order.
   * @param options Cancellation.
   * @returns The connection; the caller closes it.
   * @throws {ConnectError} When every candidate failed before the deadline (exit 2).
   * @throws {TimeoutError} When the deadline passed first (exit 3).
   * @throws {NetError} Op `receive`, when the first peer to accept reset the connection at
   * once (exit 1): the address answered, so no other is tried.
   * @throws {PermissionError} When Deno lacks the net permission (exit 4).
   * @example Connect to a local listener
   * ```ts
   * import { Dialer } from "./dial.ts";
   * using listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
   * const candidates = [{ hostname: "127.0.0.1", port: listener.addr.port, family: 4 as const }];
   * using conn = await new Dialer({ timeout: 1000 }).dial(candidates);
   * console.log(conn.remoteAddr.port === listener.addr.port); // true
   * ```
   */
  async dial(candidates: Candidate[], options: DialOptions = {}): Promise<Deno.TcpConn> {
    using deadline = new DialDeadline(this.timeout, options.signal);
    deadline.signal.throwIfAborted();
    return this.race
      ? await this.#race(interleaveFamilies(candidates), deadline)
      : await this.#oneByOne(candidates, deadline);
  }

  #emit(event: DialEvent): void {
    this.#onEvent?.(event);
  }

  async #oneByOne(candidates: Candidate[], deadline: DialDeadline): Promise<Deno.TcpConn> {
    const attempts: ConnectAttempt[] = [];
    for (const [i, candidate] of candidates.entries()) {
      if (deadline.signal.aborted) break;
      const share = deadline.share(candidates.length - i);
      const own = new AbortController();
      const timer = share === undefined ? undefined : setTimeout(() => own.abort(), share);
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
          ? dialError(candidate, new Deno.errors.TimedOut(`Connection timed out after ${share} ms`))
          : this.#failure(candidate, cause);
        attempts.push({ candidate, error });
        this.#emit({ type: "failed", candidate, error });
        continue;
      } finally {
        clearTimeout(timer);
      }
      return this.#won(candidate, conn);
    }
    throw deadline.signal.aborted ? deadline.signal.reason : new ConnectError(attempts);
  }

  #race(order: Candidate[], deadline: DialDeadline): Promise<Deno.TcpConn> {
    return new Promise((resolve, reject) => {
      const running = new Set<{ candidate: Candidate; stop: AbortController }>();
      const settling: Promise<void>[] = [];
      const attempts: ConnectAttempt[] = [];
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
              attempts.push({ candidate, error });
              this.#emit({ type: "failed", candidate, error });
            } catch (error) {
              const accepted = error instanceof NetError && error.op === "receive";
              return finish({ error }, accepted ? "lost" : "cancelled");
            }
            if (next < order.length) start();
            else if (running.size === 0) finish({ error: new ConnectError(attempts) }, "lost");
          }),
        );
        if (next < order.length) timer = setTimeout(start, this.raceDelay);
      };

      deadline.signal.addEventListener("abort", onDeadline, { once: true });
      if (order.length === 0) finish({ error: new ConnectError([]) }, "lost");
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
  #failure(candidate: Candidate, cause: unknown): SocketkitError {
    const error = dialError(candidate, cause);
    if (error.exitCode === ExitCode.Permission) throw error;
    if (cause instanceof Deno.errors.ConnectionReset) {
      this.#emit({ type: "connected", candidate });
      throw new NetError("receive", "tcp", joinHostPort(candidate.hostname, candidate.port), cause);
    }
    return error;
  }
}

function connect(candidate: Candidate, signal: AbortSignal): Promise<Deno.TcpConn> {
  return Deno.connect({ hostname: candidate.hostname, port: candidate.port, signal });
}

function dialError(candidate: Candidate, cause: unknown): SocketkitError {
  return netError("dial", "tcp", joinHostPort(candidate.hostname, candidate.port), cause);
}

function abandonReason(deadline: DialDeadline): "deadline" | "cancelled" {
  return deadline.expired ? "deadline" : "cancelled";
}
