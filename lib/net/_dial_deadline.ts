/**
 * The deadline of one dial, shared out between its attempts (internal to `dial.ts`).
 *
 * @module
 */
import { startTimer } from "./_timer.ts";
import { NetError } from "./errors.ts";

/** The least time an attempt gets when the deadline is split, as Go's `partialDeadline`. */
export const MIN_ATTEMPT_MS = 2000;

/**
 * How long the next of `left` attempts may take: an equal share of what remains, but at
 * least {@linkcode MIN_ATTEMPT_MS}, or all that remains when that is less — so that an
 * address that never answers cannot eat the time of the ones after it, and a short
 * deadline is not cut into slices too thin to connect anywhere.
 *
 * @param remaining Milliseconds left before the deadline.
 * @param left Attempts left, this one included.
 * @returns Milliseconds for this attempt, at most `remaining`.
 * @example Three addresses, ten seconds, then less
 * ```ts
 * import { attemptShare } from "./_dial_deadline.ts";
 * import { deepStrictEqual as assertEquals } from "node:assert/strict";
 *
 * assertEquals(attemptShare(10_000, 3), 10_000 / 3); // an equal share
 * assertEquals(attemptShare(3000, 3), 2000); // never under 2 s…
 * assertEquals(attemptShare(1500, 3), 1500); // …unless less than that is left
 * ```
 */
export function attemptShare(remaining: number, left: number): number {
  const share = remaining / Math.max(1, left);
  return share >= MIN_ATTEMPT_MS ? share : Math.min(remaining, MIN_ATTEMPT_MS);
}

/**
 * One signal that aborts when the deadline passes (reason: a {@linkcode NetError} whose
 * `timeout` is true, naming `address`) or
 * when the caller's signal does (its reason). Dispose of it to clear the timer.
 *
 * @example The deadline passes
 * ```ts
 * import { DialDeadline } from "./_dial_deadline.ts";
 * import { deepStrictEqual as assertEquals } from "node:assert/strict";
 *
 * using deadline = new DialDeadline(20, undefined, "127.0.0.1:3490");
 * await new Promise((resolve) => deadline.signal.addEventListener("abort", resolve));
 * assertEquals(deadline.expired, true);
 * assertEquals(deadline.signal.reason.message, "dial tcp 127.0.0.1:3490: timed out after 20ms");
 * ```
 */
export class DialDeadline implements Disposable {
  readonly #controller = new AbortController();
  readonly #timeout: number | undefined;
  readonly #at: number | undefined;
  readonly #cancelTimer: (() => void) | undefined;
  readonly #caller: AbortSignal | undefined;
  readonly #onCallerAbort = () => this.#controller.abort(this.#caller?.reason);

  /**
   * Starts the clock.
   *
   * @param timeout The whole dial's deadline in milliseconds, or undefined for none.
   * @param caller The caller's cancellation signal.
   * @param address What the timeout error names: the first address, as `host:port`.
   */
  constructor(timeout: number | undefined, caller: AbortSignal | undefined, address: string) {
    this.#timeout = timeout;
    this.#caller = caller;
    if (timeout !== undefined) {
      this.#cancelTimer = startTimer(timeout, () => {
        this.#controller.abort(new NetError("dial", "tcp", address, undefined, { timeout }));
      });
      this.#at = performance.now() + timeout; // from when the timer runs, as it counts
    }
    if (caller?.aborted) this.#onCallerAbort();
    else caller?.addEventListener("abort", this.#onCallerAbort, { once: true });
  }

  /** Aborts at the deadline or on the caller's cancellation. */
  get signal(): AbortSignal {
    return this.#controller.signal;
  }

  /** Whether the deadline (not the caller) ended the dial. */
  get expired(): boolean {
    return this.signal.aborted && this.signal.reason instanceof NetError &&
      this.signal.reason.timeout &&
      !this.#caller?.aborted;
  }

  /**
   * The time the next attempt may take when `left` attempts remain, or undefined when the
   * attempt may run until the deadline itself (no deadline, or its share is all that is
   * left): only a share shorter than the rest needs a timer of its own.
   *
   * @param left Attempts left, this one included.
   * @returns Milliseconds, or undefined.
   */
  share(left: number): number | undefined {
    if (this.#at === undefined || this.#timeout === undefined) return undefined;
    const remaining = this.#at - performance.now();
    const share = attemptShare(remaining, left);
    return share < remaining ? Math.ceil(share) : undefined;
  }

  /** Clears the timer and stops listening to the caller's signal. */
  [Symbol.dispose](): void {
    this.#cancelTimer?.();
    this.#caller?.removeEventListener("abort", this.#onCallerAbort);
  }
}
