/**
 * The original client's loop: try each address in turn until one connects. A thin
 * wrapper over {@linkcode Dialer}, kept for scripts written against it.
 *
 * @module
 */
import { Dialer } from "./dial.ts";
import type { SocketkitError } from "./errors.ts";
import type { Candidate } from "./resolve.ts";

export { type ConnectAttempt, ConnectError } from "./dial.ts";

/** Options for {@linkcode connectFirst}. */
export interface ConnectFirstOptions {
  /**
   * One deadline shared by all the attempts, in milliseconds, split between them as
   * {@linkcode Dialer} does.
   * @default {undefined} (no deadline)
   */
  timeout?: number | undefined;
  /** Cancels the attempts. */
  signal?: AbortSignal | undefined;
  /** Called before each attempt. */
  onAttempt?: ((candidate: Candidate) => void) | undefined;
  /** Called with each attempt's failure, before the next one is tried. */
  onError?: ((candidate: Candidate, error: SocketkitError) => void) | undefined;
}

/**
 * Tries each candidate in order, one at a time, and returns the first connection: a
 * {@linkcode Dialer} in its default mode, with `onAttempt` and `onError` reporting each step.
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
  const dialer = new Dialer({
    timeout: options.timeout,
    onEvent: (event) => {
      if (event.type === "attempt") options.onAttempt?.(event.candidate);
      if (event.type === "failed") options.onError?.(event.candidate, event.error);
    },
  });
  return await dialer.dial(candidates, { signal: options.signal });
}
