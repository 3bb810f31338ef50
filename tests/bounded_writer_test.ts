// The bounded writer against a fake sink whose writes the test holds and releases: which
// lines survive a reader that does not keep up (the oldest waiting are dropped, the newest
// kept), that a line is written whole or dropped whole, the ordering of the two lanes, and
// the failure policy.
import { assert, assertEquals } from "./_assert.ts";
import { BoundedWriter } from "../lib/cli/bounded_writer.ts";

/** A sink that takes at most `per` bytes a write, and holds each write until released. */
class FakeSink {
  readonly got: Uint8Array[] = [];
  #held = true;
  #waiting: (() => void)[] = [];
  constructor(readonly per = Infinity, readonly fail?: Error) {}
  write = async (p: Uint8Array): Promise<number> => {
    if (this.#held) await new Promise<void>((r) => this.#waiting.push(r));
    if (this.fail) throw this.fail;
    const n = Math.min(p.length, this.per);
    this.got.push(p.slice(0, n));
    return n;
  };
  release(): void {
    this.#held = false;
    for (const r of this.#waiting.splice(0)) r();
  }
  get text(): string {
    const all = new Uint8Array(this.got.reduce((a, b) => a + b.length, 0));
    let off = 0;
    for (const p of this.got) (all.set(p, off), off += p.length);
    return new TextDecoder().decode(all);
  }
}

const line = (i: number) => `line ${String(i).padStart(5, "0")}\n`;

Deno.test("BoundedWriter drops the oldest waiting lines and keeps the newest, counted", async () => {
  const out = new FakeSink();
  const err = new FakeSink();
  err.release();
  const w = new BoundedWriter([out, err], { maxPending: 4096 });
  const count = 2000; // 24 KB of lines against a 4 KB bound
  for (let i = 0; i < count; i++) w.put(0, line(i));
  out.release();
  await w.close(5000);
  const numbers = out.text.trimEnd().split("\n").map((l) => Number(l.slice(5)));
  // Line 0 was being written when the reader stalled: it is whole.
  assertEquals(numbers[0], 0);
  // Then one hole, then every line up to the newest, in order.
  const kept = numbers.slice(1);
  assert(kept.length > 0 && kept.length < 500, `${kept.length} lines kept: the bound did not hold`);
  assertEquals(kept, Array.from({ length: kept.length }, (_, i) => count - kept.length + i));
  assertEquals(w.dropped, count - numbers.length);
  assert(w.dropped > 1000, `${w.dropped} dropped`);
  assertEquals(err.text, "");
});

Deno.test("BoundedWriter writes a line longer than its bound whole, or drops it whole and counts it", async () => {
  // Each write takes 1,000 bytes: a 1 MB line needs a thousand writes, none may cut it.
  const out = new FakeSink(1000);
  const w = new BoundedWriter([out, new FakeSink()], { maxPending: 16 * 1024 });
  const big = (c: string) => `{"data":"${c.repeat(1 << 20)}"}\n`;
  w.put(0, big("a")); // written at once: the loop holds it
  w.put(0, big("b")); // waits, over the bound: dropped whole when the next line comes
  w.put(0, "short\n"); // within the bound once "b" is gone: kept
  w.put(0, big("c")); // the newest: kept whole
  out.release();
  await w.close(10_000);
  const lines = out.text.split("\n").slice(0, -1);
  // Which lines, by their first letter and length, then every byte.
  assertEquals(lines.map((l) => `${l.slice(9, 10)}${l.length}`), [
    `a${big("a").length - 1}`,
    "5",
    `c${big("c").length - 1}`,
  ]);
  assertEquals(lines, [big("a").trimEnd(), "short", big("c").trimEnd()]);
  assertEquals(w.dropped, 1);
});

Deno.test("BoundedWriter keeps a stderr line behind the stdout line printed before it", async () => {
  const out = new FakeSink();
  const err = new FakeSink();
  err.release();
  const w = new BoundedWriter([out, err], {});
  w.put(0, "first\n");
  w.put(1, "second\n");
  // Stdout's write is held (for less than the 200 ms that count as a hang): a deliberate
  // window in which stderr must not go ahead, not a synchronisation.
  await new Promise((r) => setTimeout(r, 50));
  assertEquals(err.text, "");
  out.release();
  await w.close(2000);
  assertEquals([out.text, err.text], ["first\n", "second\n"]);
});

Deno.test("BoundedWriter gives up a failed stdout once, counting its lines, and keeps stderr", async () => {
  const failures: unknown[] = [];
  const out = new FakeSink(Infinity, new Deno.errors.NotSupported("disk full"));
  const err = new FakeSink();
  err.release();
  const w = new BoundedWriter([out, err], { onStdoutFailure: (e) => failures.push(e) });
  w.put(0, "one\ntwo\n");
  out.release();
  await w.close(2000);
  w.put(0, "three\n");
  w.put(1, "still here\n");
  await w.close(2000);
  assertEquals([failures.length, w.failed, w.closed, w.dropped], [1, true, false, 3]);
  assertEquals(err.text, "still here\n");
  // A reader that left (a broken pipe) is no failure: nothing is said.
  const gone = new FakeSink(Infinity, new Deno.errors.BrokenPipe("gone"));
  const w2 = new BoundedWriter([gone, err], { onStdoutFailure: (e) => failures.push(e) });
  w2.put(0, "x\n");
  gone.release();
  await w2.close(2000);
  assertEquals([failures.length, w2.closed, w2.failed, w2.dropped], [1, true, false, 1]);
});

Deno.test("BoundedWriter counts the lines it drops, not the pieces: a record of 1,000 lines is 1,000", async () => {
  const out = new FakeSink(4096);
  const w = new BoundedWriter([out, new FakeSink()], { maxPending: 4096 });
  // Ten records of 1,000 lines of 100 bytes (a hex dump of a large datagram is such a record).
  const record = (r: number) =>
    Array.from({ length: 1000 }, (_, i) => `${r}:${String(i).padStart(4, "0")}:${"x".repeat(92)}\n`)
      .join("");
  for (let r = 0; r < 10; r++) w.put(0, record(r));
  out.release();
  await w.close(5000);
  const lines = out.text.split("\n").slice(0, -1);
  assert(lines.every((l) => l.length === 99), "a line was cut");
  const records = [...new Set(lines.map((l) => l.split(":")[0]))];
  assertEquals(records, ["0", "9"]); // the one being written, and the newest
  assertEquals(lines.length + w.dropped, 10_000);
});
