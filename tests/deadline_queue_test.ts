import { assert, assertEquals } from "./_assert.ts";
import { DeadlineQueue } from "../lib/net/_deadline_queue.ts";

// Deno 2.9 runs tests without its op and resource sanitizers unless asked: ask, so that a
// timer or socket left running fails the test.
const test = (name: string, fn: () => void | Promise<void>) =>
  Deno.test({ name, fn, sanitizeOps: true, sanitizeResources: true });

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Timer slack on a loaded machine, on top of the documented lateness, for real-timer tests. */
const SLACK_MS = 40;

/** Resolves when `expired` has `n` entries; rejects after `ms`. */
async function untilExpired(expired: unknown[], n: number, ms = 5000): Promise<void> {
  const deadline = performance.now() + ms;
  while (expired.length < n) {
    if (performance.now() > deadline) throw new Error(`only ${expired.length} of ${n} expired`);
    await sleep(5);
  }
}

test("DeadlineQueue expires keys in the order they were added, never early", async () => {
  const ms = 100;
  const added = new Map<string, number>();
  const expired: [string, number][] = [];
  const queue = new DeadlineQueue<string>(ms, (key) => {
    expired.push([key, performance.now() - added.get(key)!]);
  });
  for (const key of ["a", "b", "c"]) {
    added.set(key, performance.now());
    queue.add(key);
    await sleep(15);
  }
  await untilExpired(expired, 3);
  assertEquals(expired.map(([key]) => key), ["a", "b", "c"]);
  for (const [key, after] of expired) {
    assert(after >= ms, `${key} expired early, after ${after.toFixed(1)} ms`);
    assert(after <= ms + ms / 4 + SLACK_MS, `${key} expired late, after ${after.toFixed(1)} ms`);
  }
  assertEquals(queue.size, 0);
});

test("DeadlineQueue.delete() prevents the expiry", async () => {
  const expired: string[] = [];
  const queue = new DeadlineQueue<string>(60, (key) => expired.push(key));
  queue.add("done in time");
  queue.add("late");
  queue.delete("done in time");
  await untilExpired(expired, 1);
  await sleep(60); // well past the deleted key's deadline, too
  assertEquals(expired, ["late"]);
});

test("DeadlineQueue.add() of a key again restarts its deadline", async () => {
  const ms = 100;
  const start = performance.now();
  const expired: number[] = [];
  const queue = new DeadlineQueue<string>(ms, () => expired.push(performance.now() - start));
  queue.add("key");
  await sleep(60);
  queue.add("key"); // restarted: now due at about 160 ms, not 100
  await untilExpired(expired, 1);
  await sleep(50);
  assertEquals(expired.length, 1);
  assert(expired[0]! >= 160, `expired after ${expired[0]!.toFixed(1)} ms, before the restart`);
});

// The two tests below end as soon as the queue is empty: Deno's sanitizer fails a test
// whose interval is still running at its end.
test("DeadlineQueue stops its interval when the last key expires", async () => {
  const expired: string[] = [];
  const queue = new DeadlineQueue<string>(40, (key) => expired.push(key));
  queue.add("only");
  await untilExpired(expired, 1);
  assertEquals(queue.size, 0);
});

test("DeadlineQueue stops its interval when the last key is deleted", () => {
  const queue = new DeadlineQueue<string>(1000, () => {
    throw new Error("Nothing should expire");
  });
  queue.add("a");
  queue.add("b");
  queue.delete("a");
  queue.delete("b");
  assertEquals(queue.size, 0);
});

/** A clock the test moves by hand: `performance.now()` and `setInterval()` follow it. */
function withFakeClock(
  fn: (clock: { tick(ms: number): void; now(): number; intervals(): number }) => void,
) {
  const realSetInterval = globalThis.setInterval;
  const realClearInterval = globalThis.clearInterval;
  const realNow = Object.getOwnPropertyDescriptor(performance, "now");
  let now = 1000;
  let nextId = 1;
  const intervals = new Map<number, { run: () => void; every: number; due: number }>();
  globalThis.setInterval = ((run: () => void, every: number) => {
    intervals.set(nextId, { run, every, due: now + every });
    return nextId++;
  }) as unknown as typeof setInterval;
  globalThis.clearInterval =
    ((id: number) => intervals.delete(id)) as unknown as typeof clearInterval;
  Object.defineProperty(performance, "now", { value: () => now, configurable: true });
  try {
    fn({
      tick(ms) {
        for (let step = 0; step < ms; step++) {
          now++;
          for (const timer of [...intervals.values()]) {
            if (timer.due <= now) {
              timer.due += timer.every;
              timer.run();
            }
          }
        }
      },
      now: () => now,
      intervals: () => intervals.size,
    });
  } finally {
    globalThis.setInterval = realSetInterval;
    globalThis.clearInterval = realClearInterval;
    if (realNow) Object.defineProperty(performance, "now", realNow);
    else delete (performance as { now?: unknown }).now;
  }
}

test("DeadlineQueue expires each key between ms and ms + max(ms/4, 10 ms) after add()", () => {
  for (const ms of [20, 100, 1000]) {
    withFakeClock((clock) => {
      const added = new Map<number, number>();
      const late: number[] = [];
      const queue = new DeadlineQueue<number>(ms, (key) => {
        const after = clock.now() - added.get(key)!;
        assert(after >= ms, `ms=${ms}: key ${key} expired early, after ${after} ms`);
        late.push(after - ms);
      });
      // One key at every phase of the check interval.
      for (let key = 0; key < ms; key++) {
        added.set(key, clock.now());
        queue.add(key);
        clock.tick(1);
      }
      clock.tick(2 * ms);
      assertEquals(late.length, ms);
      const bound = Math.max(ms / 4, 10);
      assert(Math.max(...late) <= bound, `ms=${ms}: ${Math.max(...late)} ms late > ${bound}`);
      assert(
        Math.max(...late) >= bound - 1,
        `ms=${ms}: never more than ${Math.max(...late)} ms late`,
      );
      assertEquals(clock.intervals(), 0);
    });
  }
});

test("DeadlineQueue keeps one interval for many keys, and none once they are gone", () => {
  withFakeClock((clock) => {
    const queue = new DeadlineQueue<number>(100, () => {});
    for (let key = 0; key < 1000; key++) queue.add(key);
    assertEquals(clock.intervals(), 1);
    clock.tick(200);
    assertEquals([queue.size, clock.intervals()], [0, 0]);
    queue.add(1); // a new key after the queue emptied starts a new interval
    assertEquals(clock.intervals(), 1);
    queue.delete(1);
    assertEquals(clock.intervals(), 0);
  });
});
