import { assert, assertEquals } from "./_assert.ts";
import { readAll, StreamReader } from "../lib/net/read_all.ts";
import { tcpPair } from "../testing/tcp_pair.ts";

// Deno 2.9 runs tests without its op and resource sanitizers unless asked: ask, so that a
// timer or socket left running fails the test.
const test = (name: string, fn: () => void | Promise<void>) =>
  Deno.test({ name, fn, sanitizeOps: true, sanitizeResources: true });

const enc = (s: string) => new TextEncoder().encode(s);
const dec = (b: Uint8Array) => new TextDecoder().decode(b);

test("readAll() keeps the read a timeout left, so the next readAll() gets every byte", async () => {
  using pair = await tcpPair();
  const first = await readAll(pair.conn, { timeout: 100 }); // the peer is silent
  assertEquals(first, { bytes: new Uint8Array(0), end: "timeout" });
  await pair.peer.write(enc("sent after the timeout"));
  pair.peer.closeWrite();
  const second = await readAll(pair.conn, { timeout: 5000 });
  assertEquals(second.end, "eof");
  assertEquals(dec(second.bytes), "sent after the timeout");
});

test("readAll() returns what came before a timeout, and the next call the rest", async () => {
  using pair = await tcpPair();
  await pair.peer.write(enc("first half, "));
  const first = await readAll(pair.conn, { timeout: 200 });
  assertEquals([dec(first.bytes), first.end], ["first half, ", "timeout"]);
  await pair.peer.write(enc("second half"));
  pair.peer.closeWrite();
  const second = await readAll(pair.conn, { timeout: 5000 });
  assertEquals([dec(second.bytes), second.end], ["second half", "eof"]);
});

test("StreamReader.read() after a timed-out readAll() gets the late bytes first", async () => {
  using pair = await tcpPair();
  const reader = StreamReader.of(pair.conn);
  assertEquals(StreamReader.of(pair.conn), reader); // one reader per stream
  assertEquals((await reader.readAll({ timeout: 100 })).end, "timeout");
  await pair.peer.write(enc("abcdef"));
  const buf = new Uint8Array(4);
  assertEquals(await reader.read(buf), 4);
  assertEquals(dec(buf), "abcd");
  assertEquals(reader.buffered, 2); // read from the socket, not yet asked for: kept
  pair.peer.closeWrite();
  assertEquals(await readAll(pair.conn, { timeout: 5000 }), { bytes: enc("ef"), end: "eof" });
  assertEquals(await reader.read(buf), null);
});

test("StreamReader.read() rejects with the signal's reason and keeps the read", async () => {
  using pair = await tcpPair();
  const reader = StreamReader.of(pair.conn);
  const controller = new AbortController();
  const buf = new Uint8Array(16);
  const waiting = reader.read(buf, { signal: controller.signal });
  controller.abort(new Error("Gave up"));
  await waiting.then(
    () => Promise.reject(new Error("read() resolved after its signal aborted")),
    (err) => assertEquals(err.message, "Gave up"),
  );
  await pair.peer.write(enc("kept"));
  const n = await reader.read(buf);
  assertEquals(dec(buf.subarray(0, n ?? 0)), "kept");
});

test("readAll() stops at the limit and keeps the bytes past it for the next call", async () => {
  using pair = await tcpPair();
  await pair.peer.write(enc("0123456789"));
  pair.peer.closeWrite();
  assertEquals(await readAll(pair.conn, { limit: 4, timeout: 5000 }), {
    bytes: enc("0123"),
    end: "limit",
  });
  assertEquals(await readAll(pair.conn, { limit: 4, timeout: 5000 }), {
    bytes: enc("4567"),
    end: "limit",
  });
  assertEquals(await readAll(pair.conn, { limit: 4, timeout: 5000 }), {
    bytes: enc("89"),
    end: "eof",
  });
});

test("readAll() ends at exactly the limit at once, without waiting for one more byte", async () => {
  // Issue 18, bug 5: it waited for a byte past the limit, then ended with "timeout".
  using pair = await tcpPair();
  await pair.peer.write(enc("1234")); // and the peer stays open, silent
  const started = performance.now();
  assertEquals(await readAll(pair.conn, { limit: 4, timeout: 5000 }), {
    bytes: enc("1234"),
    end: "limit",
  });
  assert(performance.now() - started < 2500, "it waited for the deadline");
  pair.peer.closeWrite();
  assertEquals(await readAll(pair.conn, { limit: 4, timeout: 5000 }), {
    bytes: new Uint8Array(0),
    end: "eof",
  });
});

test("readAll() reads a stream that arrives in many pieces to its end", async () => {
  using pair = await tcpPair();
  const reading = readAll(pair.conn, { limit: 200_000, timeout: 10_000 });
  const piece = new Uint8Array(7000).fill(0x61);
  for (let i = 0; i < 20; i++) {
    await pair.peer.write(piece);
    await new Promise((resolve) => setTimeout(resolve, 2));
  }
  pair.peer.closeWrite();
  const { bytes, end } = await reading;
  assertEquals([bytes.length, end], [140_000, "eof"]);
  assertEquals(bytes.every((b) => b === 0x61), true);
});
