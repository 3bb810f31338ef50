/**
 * The original client's loop: try each address in turn until one connects.
 *
 * @module
 */
import { joinHostPort } from "./address.ts";
import { netError, SocketkitError, TimeoutError } from "./errors.ts";
import { ExitCode } from "./exit_codes.ts";
import type { Candidate } from "./resolve.ts";

/** Options for {@linkcode connectFirst}. */
export interface ConnectFirstOptions {
  /**
   * One deadline shared by all the attempts, in milliseconds (as Go's Dialer does).
   * @default {undefined} (no deadline)
   */
  timeout?: number;
  /** Cancels the attempts. */
  signal?: AbortSignal;
  /** Called before each attempt. */
  onAttempt?: (candidate: Candidate) => void;
  /** Called with each attempt's failure, before the next one is tried. */
  onError?: (candidate: Candidate, error: SocketkitError) => void;
}

/** One failed attempt, as listed by {@linkcode ConnectError}. */
export interface ConnectAttempt {
  /** The address tried. */
  candidate: Candidate;
  /** Why it failed. */
  error: SocketkitError;
}

/**
 * No candidate connected. Lists every attempt; the first failure is named first, as the
 * most telling one. Exit code 2.
 *
 * @example Read every reason
 * ```ts
 * import { ConnectError, connectFirst } from "./connect_first.ts";
 * try {
 *   await connectFirst([{ hostname: "127.0.0.1", port: 1, family: 4 }]);
 * } catch (err) {
 *   if (err instanceof ConnectError) console.log(err.attempts.length); // 1
 * }
 * ```
 */
export class ConnectError extends SocketkitError {
  /** Every attempt, in order. */
  readonly attempts: ConnectAttempt[];
  /** Creates the value from its parts.
   *
   * @param attempts Every failed attempt, in order. */
  constructor(attempts: ConnectAttempt[]) {
    super(
      `failed to connect: ${attempts.map((a) => a.error.message).join("; ") || "no addresses"}`,
      ExitCode.NoAddress,
    );
    this.attempts = attempts;
  }
}

/**
 * Tries each candidate in order, one at a time, and returns the first connection. This is
 * the original client's loop made visible: `onAttempt` and `onError` report each step.
 *
 * @param candidates Addresses from {@linkcode resolve}, in order.
 * @param options A shared deadline, cancellation, and reporting callbacks.
 * @returns The first connection that succeeded; the caller closes it.
 * @throws {ConnectError} When every candidate failed.
 * @throws {TimeoutError} When the deadline passed first.
 * @example Connect to the first address that answers
 * ```ts ignore
 * import { connectFirst } from "./connect_first.ts";
 * import { resolve } from "./resolve.ts";
 * using conn = await connectFirst(await resolve("localhost", 3490), { timeout: 5000 });
 * ```
 */
export async function connectFirst(
  candidates: Candidate[],
  options: ConnectFirstOptions = {},
): Promise<Deno.TcpConn> {
  const deadline = options.timeout === undefined ? undefined : AbortSignal.timeout(options.timeout);
  const signals = [deadline, options.signal].filter((s) => s !== undefined);
  const signal = signals.length ? AbortSignal.any(signals) : undefined;
  const attempts: ConnectAttempt[] = [];
  for (const candidate of candidates) {
    if (deadline?.aborted) break;
    options.signal?.throwIfAborted();
    options.onAttempt?.(candidate);
    try {
      return await Deno.connect({
        hostname: candidate.hostname,
        port: candidate.port,
        ...(signal ? { signal } : {}),
      });
    } catch (cause) {
      options.signal?.throwIfAborted();
      if (deadline?.aborted) break;
      const error = netError(
        "dial",
        "tcp",
        joinHostPort(candidate.hostname, candidate.port),
        cause,
      );
      if (error.exitCode === ExitCode.Permission) throw error;
      attempts.push({ candidate, error });
      options.onError?.(candidate, error);
    }
  }
  if (deadline?.aborted) {
    throw new TimeoutError(`failed to connect: no address answered`, options.timeout!);
  }
  throw new ConnectError(attempts);
}
