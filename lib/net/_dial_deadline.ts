/**
 * The deadline of one dial, shared out between its attempts (internal to `dial.ts`).
 *
 * @module
 */
import { TimeoutError } from "./errors.ts";

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
 * @example Three addresses, ten seconds
 * ```ts
 * import { attemptShare } from "./_dial_deadline.ts";
 * console.log(attemptShare(10_000, 3)); // 3333.33…
 * ```
 */
export function attemptShare(remaining: number, left: number): number {
  const share = remaining / Math.max(1, left);
  return share >= MIN_ATTEMPT_MS ? share : Math.min(remaining, MIN_ATTEMPT_MS);
}

/**
 * One signal that aborts when the deadline passes (reason: a {@linkcode TimeoutError}) or
 * when the caller's signal does (its reason). Dispose of it to clear the timer.
 */
export class DialDeadline implements Disposable {
  readonly #controller = new AbortController();
  readonly #timeout: number | undefined;
  readonly #at: number | undefined;
  readonly #timer: ReturnType<typeof setTimeout> | undefined;
  readonly #caller: AbortSignal | undefined;
  readonly #onCallerAbort = () => this.#controller.abort(this.#caller?.reason);

  /**
   * Starts the clock.
   *
   * @param timeout The whole dial's deadline in milliseconds, or undefined for none.
   * @param caller The caller's cancellation signal.
   */
  constructor(timeout: number | undefined, caller: AbortSignal | undefined) {
    this.#timeout = timeout;
    this.#caller = caller;
    if (timeout !== undefined) {
      this.#at = performance.now() + timeout;
      this.#timer = setTimeout(() => {
        this.#controller.abort(new TimeoutError("failed to connect: no address answered", timeout));
      }, timeout);
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
    return this.signal.aborted && this.signal.reason instanceof TimeoutError &&
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
    clearTimeout(this.#timer);
    this.#caller?.removeEventListener("abort", this.#onCallerAbort);
  }
}
