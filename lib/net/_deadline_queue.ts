/**
 * Many deadlines of one length, kept by one timer: what a server needs for a write deadline
 * per connection without a `setTimeout`/`clearTimeout` pair for each.
 *
 * @module
 */

/**
 * Deadlines that all last `ms`. Entries expire in the order they were added, so one
 * periodic check (every `ms / 4`, at least 10 ms) finds the expired ones at the front of
 * the queue and hands each to `expire`. An entry expires at most `ms / 4` late (10 ms if
 * `ms` is under 40), never early. No closure or timer is created per entry, and no timer
 * runs while the queue is empty.
 *
 * @example Only the connection that is not done in time expires
 * ```ts
 * import { DeadlineQueue } from "./_deadline_queue.ts";
 * import { deepStrictEqual as assertEquals } from "node:assert/strict";
 *
 * const expired: string[] = [];
 * const deadlines = new DeadlineQueue<string>(20, (key) => expired.push(key));
 * deadlines.add("client 1");
 * deadlines.add("client 2");
 * deadlines.delete("client 2"); // done in time: it never expires
 * assertEquals(deadlines.size, 1);
 * await new Promise((resolve) => setTimeout(resolve, 60));
 * assertEquals([expired, deadlines.size], [["client 1"], 0]); // and no timer is left running
 * ```
 */
export class DeadlineQueue<K = unknown> {
  /** How long each deadline lasts, in milliseconds. */
  readonly ms: number;
  #expire: (key: K) => void;
  #entries = new Map<K, number>();
  #timer: ReturnType<typeof setInterval> | undefined;

  /**
   * Creates an empty queue.
   *
   * @param ms How long each deadline lasts, in milliseconds.
   * @param expire What to do with a key whose deadline passed.
   */
  constructor(ms: number, expire: (key: K) => void) {
    this.ms = ms;
    this.#expire = expire;
  }

  /** How many deadlines are pending. */
  get size(): number {
    return this.#entries.size;
  }

  /**
   * Starts a deadline for `key`: it expires unless deleted within `ms`.
   *
   * @param key What the deadline is for (replaces an earlier deadline for it).
   */
  add(key: K): void {
    this.#entries.delete(key);
    this.#entries.set(key, performance.now() + this.ms);
    this.#timer ??= setInterval(() => this.#check(), Math.max(10, this.ms / 4));
  }

  /**
   * Ends the deadline for `key` without firing it.
   *
   * @param key What the deadline was for.
   */
  delete(key: K): void {
    this.#entries.delete(key);
    if (this.#entries.size === 0) this.#stop();
  }

  #check(): void {
    const now = performance.now();
    for (const [key, at] of this.#entries) {
      if (at > now) break;
      this.#entries.delete(key);
      this.#expire(key);
    }
    if (this.#entries.size === 0) this.#stop();
  }

  #stop(): void {
    clearInterval(this.#timer);
    this.#timer = undefined;
  }
}
