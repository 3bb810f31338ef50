/**
 * Many deadlines of one length, kept by one timer: what a server needs for a write deadline
 * per connection without a `setTimeout`/`clearTimeout` pair for each.
 *
 * @module
 */

/**
 * Deadlines that all last `ms`. Entries expire in the order they were added, so one
 * periodic check (every `ms / 4`, at least 10 ms) finds the expired ones at the front of
 * the queue. An entry fires at most `ms / 4` late; it never fires early.
 *
 * @example Close a connection that is not done in time
 * ```ts
 * import { DeadlineQueue } from "./deadline_queue.ts";
 * const deadlines = new DeadlineQueue(1000);
 * const key = {};
 * deadlines.add(key, () => console.log("expired"));
 * deadlines.delete(key); // done in time: nothing fires
 * ```
 */
export class DeadlineQueue<K = unknown> {
  /** How long each deadline lasts, in milliseconds. */
  readonly ms: number;
  #entries = new Map<K, { at: number; fire: () => void }>();
  #timer: ReturnType<typeof setInterval> | undefined;

  /** @param ms How long each deadline lasts, in milliseconds. */
  constructor(ms: number) {
    this.ms = ms;
  }

  /** How many deadlines are pending. */
  get size(): number {
    return this.#entries.size;
  }

  /**
   * Starts a deadline for `key`; `fire` runs if it is not deleted within `ms`.
   *
   * @param key What the deadline is for (replaces an earlier deadline for it).
   * @param fire What to do when it expires.
   */
  add(key: K, fire: () => void): void {
    this.#entries.delete(key);
    this.#entries.set(key, { at: performance.now() + this.ms, fire });
    this.#timer ??= setInterval(() => this.#check(), Math.max(10, this.ms / 4));
  }

  /**
   * Ends the deadline for `key` without firing it.
   *
   * @param key What the deadline was for.
   */
  delete(key: K): void {
    this.#entries.delete(key);
  }

  #check(): void {
    const now = performance.now();
    for (const [key, entry] of this.#entries) {
      if (entry.at > now) break;
      this.#entries.delete(key);
      entry.fire();
    }
    if (this.#entries.size === 0) {
      clearInterval(this.#timer);
      this.#timer = undefined;
    }
  }
}
