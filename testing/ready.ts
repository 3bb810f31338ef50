/**
 * Readiness for tests: wait until a condition holds, polling, within a deadline that fails
 * the test (never a sleep used as synchronisation).
 *
 * @module
 */

/** Options for {@linkcode waitUntil}. */
export interface WaitOptions {
  /** Give up after this many milliseconds. @default {10000} */
  timeout?: number;
  /** Poll every this many milliseconds. @default {25} */
  interval?: number;
  /** What is awaited, for the error message. @default {"the condition"} */
  what?: string;
}

/**
 * Polls `check` until it returns true, or throws once `timeout` has passed.
 *
 * @param check The condition; may be async.
 * @param options Timeout, poll interval, what is awaited.
 * @throws {Error} When the condition does not hold in time.
 */
export async function waitUntil(
  check: () => boolean | Promise<boolean>,
  options: WaitOptions = {},
): Promise<void> {
  const deadline = Date.now() + (options.timeout ?? 10_000);
  while (!(await check())) {
    if (Date.now() > deadline) {
      throw new Error(`timed out waiting for ${options.what ?? "the condition"}`);
    }
    await delay(options.interval ?? 25);
  }
}

/**
 * Resolves after `ms` milliseconds (a timer that always completes: no leak for the
 * sanitizers). For pacing a load, not for synchronisation.
 *
 * @param ms How long.
 */
export function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/**
 * Whether something is bound to `port` (asking `ss`: no connection or datagram used up).
 *
 * @param transport `tcp` (listening sockets) or `udp` (bound sockets).
 * @param port The local port.
 */
export async function bound(transport: "tcp" | "udp", port: number): Promise<boolean> {
  const flag = transport === "tcp" ? "-Hltn" : "-Hlun";
  const out = await new Deno.Command("ss", { args: [flag, `sport = :${port}`] }).output();
  return new TextDecoder().decode(out.stdout).trim() !== "";
}

/**
 * Waits until something is bound to `port`.
 *
 * @param transport `tcp` or `udp`.
 * @param port The local port.
 * @param timeout Give up after this many milliseconds.
 * @throws {Error} When nothing binds it in time.
 */
export function waitBound(transport: "tcp" | "udp", port: number, timeout = 10_000) {
  return waitUntil(() => bound(transport, port), {
    timeout,
    what: `a ${transport.toUpperCase()} socket bound to port ${port}`,
  });
}

/**
 * The bytes waiting in the receive queue of the socket whose local port is `port` (asking
 * `ss`): 0 once its program has read everything that arrived.
 *
 * @param transport `tcp` (a connected socket) or `udp` (a bound socket).
 * @param port The socket's local port.
 * @returns The bytes queued, or undefined when no such socket is found.
 */
export async function recvQueue(
  transport: "tcp" | "udp",
  port: number,
): Promise<number | undefined> {
  const flag = transport === "tcp" ? "-Htn" : "-Huan";
  const out = await new Deno.Command("ss", { args: [flag, `sport = :${port}`] }).output();
  const line = new TextDecoder().decode(out.stdout).trim().split("\n")[0];
  const queued = line?.split(/\s+/)[1];
  return queued === undefined || queued === "" ? undefined : Number(queued);
}

/**
 * Waits until the program owning the socket on local port `port` has read everything that
 * arrived on it (its receive queue is empty).
 *
 * @param transport `tcp` or `udp`.
 * @param port The socket's local port.
 * @param timeout Give up after this many milliseconds.
 * @throws {Error} When the queue is not empty in time, or no such socket exists.
 */
export function waitRead(transport: "tcp" | "udp", port: number, timeout = 10_000) {
  return waitUntil(async () => (await recvQueue(transport, port)) === 0, {
    timeout,
    what: `the ${transport.toUpperCase()} socket on port ${port} to have read what it was sent`,
  });
}
