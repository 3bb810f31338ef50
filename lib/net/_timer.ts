/**
 * A one-shot timer that costs a one-shot tool nothing at start-up.
 *
 * In Deno 2.9 the global `setTimeout` and `clearTimeout` are Node's (a `Timeout` object), and
 * the first time either global is even read, Node's timers are loaded: about 5 ms, a quarter of
 * a bare `deno run` that connects once. `AbortSignal.timeout()` is the web platform's own timer:
 * it keeps the process alive only while something listens to it, so removing the listener
 * cancels it (what is left of it no longer holds the process, and the sanitizers accept it).
 *
 * @module
 */

/**
 * Calls `fire` once after `ms` milliseconds, unless cancelled first.
 *
 * @param ms The delay, in milliseconds.
 * @param fire What to call.
 * @returns A function that cancels the timer (harmless after it fired).
 * @example A timer that fires, and one that is cancelled
 * ```ts
 * import { startTimer } from "./_timer.ts";
 * import { deepStrictEqual as assertEquals } from "node:assert/strict";
 *
 * let fired = 0;
 * const cancel = startTimer(10_000, () => fired++);
 * cancel();
 * await new Promise<void>((resolve) => startTimer(5, resolve));
 * assertEquals(fired, 0);
 * ```
 */
export function startTimer(ms: number, fire: () => void): () => void {
  const signal = AbortSignal.timeout(ms);
  signal.addEventListener("abort", fire, { once: true });
  return () => signal.removeEventListener("abort", fire);
}
