import { assert, assertEquals, assertRejects, errorOf } from "./_assert.ts";
import { NetError, readAll, StreamReader } from "../mod.ts";
import { tcpPair } from "../testing/tcp_pair.ts";

// Sanitizers on: a timer or socket left running fails the test.
const test = (name: string, fn: () => void | Promise<void>) =>
  Deno.test({ name, fn, sanitizeOps: true, sanitizeResources: true });

const enc = (s: string) => new TextEncoder().encode(s);
const dec = (b: Uint8Array) => new TextDecoder().decode(b);

test("readAll() refuses a fractional, infinite or negative limit at once, naming it", async () => {
  // Issue 18, bug 1: 1.5 spun a core for ever; Infinity and -1 threw the runtime's words.
  using pair = await tcpPair();
  for (const limit of [1.5, Infinity, -1, NaN]) {
    await assertRejects(
      () => readAll(pair.conn, { limit, timeout: 300 }),
      errorOf(RangeError, new RegExp(`Invalid limit "${limit}": expected a whole number`)),
    );
  }
});

test("timeout 0 means no deadline; -1 and NaN are refused, naming the value", async () => {
  // Issue 18, bug 10: 0 timed out at once, -1 gave a runtime warning, NaN meant none.
  using pair = await tcpPair();
  const reading = readAll(pair.conn, { timeout: 0 });
  await pair.peer.write(enc("late but whole"));
  pair.peer.closeWrite();
  assertEquals(await reading, { bytes: enc("late but whole"), end: "eof" });
  for (const timeout of [-1, NaN]) {
    await assertRejects(
      () => readAll(pair.conn, { timeout }),
      errorOf(RangeError, new RegExp(`Invalid timeout "${timeout}": expected 0 \\(no deadline\\)`)),
    );
  }
  await assertRejects(
    () => readAll(pair.conn, { timeout: "1s" as unknown as number }),
    errorOf(TypeError, /Invalid timeout "1s"/),
  );
});

const RESET_LATER = `
import socket, struct, time
srv = socket.socket()
srv.bind(("127.0.0.1", 0))
srv.listen(1)
print(srv.getsockname()[1], flush=True)
conn, _ = srv.accept()
time.sleep(0.2)
conn.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
conn.close()
`;

test("readAll() on a reset with nothing read throws a NetError, not the runtime's error", async () => {
  // Issue 18, bug 9: a raw Deno.errors.ConnectionReset escaped. The server resets (SO_LINGER
  // 0) once the client is connected, having sent nothing.
  const server = new Deno.Command("python3", {
    args: ["-c", RESET_LATER],
    stdout: "piped",
    stderr: "null",
  }).spawn();
  const lines = server.stdout.pipeThrough(new TextDecoderStream()).getReader();
  try {
    const port = Number((await lines.read()).value?.trim());
    using conn = await Deno.connect({ hostname: "127.0.0.1", port });
    const err = await readAll(conn, { timeout: 5000 }).catch((e: unknown) => e);
    assert(err instanceof NetError, `expected a NetError, got ${JSON.stringify(err)}`);
    assert(err.cause instanceof Deno.errors.ConnectionReset);
    assertEquals([err.op, err.network, err.timeout], ["read", "tcp", false]);
    assertEquals(err.address, `127.0.0.1:${port}`);
  } finally {
    await lines.cancel();
    await server.status;
  }
});

test("StreamReader is exported: after a timed-out readAll() it gets the late bytes", async () => {
  // Issue 18, bug 6: the docs pointed to StreamReader, which was not exported.
  using pair = await tcpPair();
  assertEquals((await readAll(pair.conn, { timeout: 50 })).end, "timeout");
  await pair.peer.write(enc("late"));
  const buf = new Uint8Array(16);
  const n = await StreamReader.of(pair.conn).read(buf, { timeout: 5000 });
  assertEquals(dec(buf.subarray(0, n ?? 0)), "late");
});

test("readLine() splits \\n and \\r\\n lines that arrive in pieces, then the last unended one", async () => {
  using pair = await tcpPair();
  const reader = StreamReader.of(pair.conn);
  const lines: (string | null)[] = [];
  const reading = (async () => {
    for (let i = 0; i < 4; i++) lines.push(await reader.readLine({ timeout: 5000 }));
  })();
  for (const piece of ["one\r", "\ntw", "o\n\nthr", "ee"]) {
    await pair.peer.write(enc(piece));
    // Pacing, not a synchronisation: the pieces tend to arrive as separate reads (the
    // result is the same however they are joined).
    await new Promise((r) => setTimeout(r, 10));
  }
  pair.peer.closeWrite();
  await reading;
  assertEquals(lines, ["one", "two", "", "three"]);
  assertEquals(await reader.readLine({ timeout: 5000 }), null);
});

test("readLine() refuses a line over maxBytes and keeps its bytes; a deadline loses nothing", async () => {
  using pair = await tcpPair();
  const reader = StreamReader.of(pair.conn);
  await pair.peer.write(enc("0123456789abcdef"));
  const err = await reader.readLine({ maxBytes: 8, timeout: 5000 }).catch((e: unknown) => e);
  assert(err instanceof NetError && err.cause instanceof Deno.errors.InvalidData, String(err));
  assertEquals(err.timeout, false);
  const late = await reader.readLine({ maxBytes: 64, timeout: 50 }).catch((e: unknown) => e);
  assert(late instanceof NetError && late.timeout, String(late));
  assertEquals(
    late.message,
    `read tcp 127.0.0.1:${pair.peer.localAddr.port}: timed out after 50ms`,
  );
  await pair.peer.write(enc("!\n"));
  assertEquals(await reader.readLine({ maxBytes: 64, timeout: 5000 }), "0123456789abcdef!");
});

test("readExactly() waits for all n bytes; a close before them is UnexpectedEof", async () => {
  using pair = await tcpPair();
  const reader = StreamReader.of(pair.conn);
  const reading = reader.readExactly(6, { timeout: 5000 });
  await pair.peer.write(enc("abc"));
  await new Promise((r) => setTimeout(r, 20));
  await pair.peer.write(enc("defgh"));
  assertEquals(dec(await reading), "abcdef");
  pair.peer.closeWrite();
  const err = await reader.readExactly(4, { timeout: 5000 }).catch((e: unknown) => e);
  assert(err instanceof NetError && err.cause instanceof Deno.errors.UnexpectedEof, String(err));
  assertEquals(dec(await reader.readExactly(2, { timeout: 5000 })), "gh"); // nothing consumed
});

test("readUntil() includes the delimiter; a signal stops the wait and loses nothing", async () => {
  using pair = await tcpPair();
  const reader = StreamReader.of(pair.conn);
  const stop = new AbortController();
  const waiting = reader.readUntil(0, { signal: stop.signal });
  await pair.peer.write(enc("ab"));
  stop.abort(new Error("Gave up"));
  await assertRejects(() => waiting, errorOf(Error, /Gave up/));
  await pair.peer.write(new Uint8Array([0x63, 0, 0x64]));
  assertEquals(await reader.readUntil(0, { timeout: 5000 }), new Uint8Array([0x61, 0x62, 0x63, 0]));
  await assertRejects(() => reader.readUntil(256), errorOf(RangeError, /Invalid delimiter "256"/));
});

test("a NetError wrapping another says the inner reason once, under the outer address", () => {
  const inner = new NetError(
    "read",
    "tcp",
    "stream",
    new Deno.errors.ConnectionReset("Connection reset by peer (os error 104)"),
  );
  assertEquals(
    new NetError("read", "tcp", "127.0.0.1:1", inner).message,
    "read tcp 127.0.0.1:1: connection reset by peer",
  );
  const late = new NetError("read", "tcp", "stream", undefined, { timeout: 1500 });
  const outer = new NetError("read", "tcp", "[::1]:2", late);
  assertEquals([outer.message, outer.timeout], ["read tcp [::1]:2: timed out after 1.5s", true]);
});
