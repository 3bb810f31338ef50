import { assert, assertEquals } from "./_assert.ts";
import { serveStream, type ServeStreamOptions } from "../lib/net/serve_stream.ts";
import type { StreamConn } from "../lib/net/stream_conn.ts";
import { greeting } from "../lib/net/stream_handlers.ts";
import { StreamReader } from "../lib/net/reader.ts";
import { NetError } from "../lib/net/errors.ts";
import { fetchAll, text } from "./_tools.ts";

const HELLO = new TextEncoder().encode("Hello, world!");

/** Runs serveStream on a free loopback port; stops it and returns the stats when fn ends. */
async function withServer(
  options: Partial<ServeStreamOptions> & { message?: Uint8Array },
  fn: (port: number) => Promise<void>,
) {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const stop = new AbortController();
  const { message = HELLO, handler = greeting(message), ...rest } = options;
  const done = serveStream(listener, {
    handler,
    ...rest,
    signal: stop.signal,
  });
  try {
    await fn(listener.addr.port);
  } finally {
    stop.abort();
  }
  return await done;
}

/** Reads with a deadline; undefined when nothing came in time. A read that timed out stays
 * pending and is taken over by the next call on the same connection. */
const pending = new WeakMap<Deno.Conn, Promise<number | null>>();
async function readWithin(conn: Deno.Conn, ms: number): Promise<number | null | undefined> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const read = pending.get(conn) ?? conn.read(new Uint8Array(1024));
  pending.set(conn, read);
  const result = await Promise.race([
    read,
    new Promise<undefined>((r) => timer = setTimeout(() => r(undefined), ms)),
  ]);
  clearTimeout(timer);
  if (result !== undefined) pending.delete(conn);
  else read.catch(() => {});
  return result;
}

Deno.test("serveStream() keeps serving others while a client never reads, then drops it", async () => {
  const big = new Uint8Array(16 * 1024 * 1024).fill(0x61);
  const stats = await withServer({ message: big, writeTimeout: 500 }, async (port) => {
    const staller = await Deno.connect({ hostname: "127.0.0.1", port });
    try {
      const t0 = performance.now();
      const other = await fetchAll("127.0.0.1", port);
      assertEquals(other.length, big.length);
      assert(performance.now() - t0 < 5000);
      await new Promise((r) => setTimeout(r, 800));
    } finally {
      staller.close();
    }
  });
  assertEquals(stats.served, 1);
  assertEquals(stats.dropped, 1);
});

Deno.test("serveStream() with maxConnections 2: the third client waits until a slot frees", async () => {
  const stats = await withServer(
    { maxConnections: 2, lingerTimeout: 10_000 },
    async (port) => {
      // Each held client has its greeting but keeps its side open, so it keeps its slot.
      const a = await Deno.connect({ hostname: "127.0.0.1", port });
      const b = await Deno.connect({ hostname: "127.0.0.1", port });
      assertEquals(await readWithin(a, 2000), 13);
      assertEquals(await readWithin(b, 2000), 13);
      const c = await Deno.connect({ hostname: "127.0.0.1", port });
      try {
        assertEquals(await readWithin(c, 300), undefined, "third client served while full");
        a.close();
        assertEquals(await readWithin(c, 2000), 13, "third client not served after a slot freed");
      } finally {
        b.close();
        c.close();
      }
    },
  );
  assertEquals(stats.served, 3);
});

Deno.test("serveStream() drains clients in flight on stop, then closes the rest", async () => {
  const big = new Uint8Array(16 * 1024 * 1024);
  let conn: Deno.TcpConn | undefined;
  const t0 = performance.now();
  const stats = await withServer({ message: big, drainTimeout: 300 }, async (port) => {
    conn = await Deno.connect({ hostname: "127.0.0.1", port });
    await readWithin(conn, 200);
  });
  conn?.close();
  assert(performance.now() - t0 < 3000);
  assertEquals(stats.dropped, 1);
  assertEquals(stats.served, 0);
});

Deno.test("serveStream() sends the whole message to a client that reads it in small pieces", async () => {
  const big = new Uint8Array(4 * 1024 * 1024).map((_, i) => i & 255);
  await withServer({ message: big }, async (port) => {
    using conn = await Deno.connect({ hostname: "127.0.0.1", port });
    const buf = new Uint8Array(777);
    let total = 0, n: number | null, ok = true;
    while ((n = await conn.read(buf)) !== null) {
      for (let i = 0; i < n; i++) if (buf[i] !== ((total + i) & 255)) ok = false;
      total += n;
    }
    assertEquals(total, big.length);
    assert(ok, "bytes arrived out of order or changed");
  });
});

Deno.test("serveStream() with a lingering close ends cleanly for a client that sent data first", async () => {
  await withServer({ lingerTimeout: 1000 }, async (port) => {
    for (let i = 0; i < 20; i++) {
      using conn = await Deno.connect({ hostname: "127.0.0.1", port });
      await conn.write(new TextEncoder().encode("GET / HTTP/1.0\r\n\r\n".repeat(100)));
      const buf = new Uint8Array(64);
      let got = "";
      let n: number | null;
      while ((n = await conn.read(buf)) !== null) got += text(buf.subarray(0, n));
      assertEquals(got, "Hello, world!");
    }
  });
});

Deno.test("serveStream() without lingering still delivers the message to a client that sent data", async () => {
  await withServer({}, async (port) => {
    using conn = await Deno.connect({ hostname: "127.0.0.1", port });
    await conn.write(new TextEncoder().encode("GET / HTTP/1.0\r\n\r\n".repeat(100)));
    await new Promise((r) => setTimeout(r, 100)); // the server has closed by now
    const buf = new Uint8Array(64);
    const n = await conn.read(buf);
    assertEquals(text(buf.subarray(0, n ?? 0)), "Hello, world!");
    // What follows is the reset the unread request caused (or EOF): never more data.
    const after = await conn.read(buf).catch((e) => e);
    assert(after === null || after instanceof Deno.errors.ConnectionReset, String(after));
  });
});

Deno.test("serveStream() survives a throwing admit and onConnection: each client is closed and counted, the loop goes on", async () => {
  let calls = 0;
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const stop = new AbortController();
  const serving = serveStream(listener, {
    handler: greeting(HELLO),
    signal: stop.signal,
    admit: () => {
      if (++calls === 1) throw new Error("admit bug");
      return true;
    },
    onConnection: () => {
      if (calls === 2) throw new Error("onConnection bug");
    },
  });
  const got: string[] = [];
  for (let i = 0; i < 3; i++) got.push(text(await fetchAll("127.0.0.1", listener.addr.port)));
  stop.abort();
  const stats = await serving; // resolves: the hooks' throws are the clients' failures
  assertEquals(got, ["", "", "Hello, world!"]);
  assertEquals([stats.refused, stats.failed, stats.served], [1, 1, 1]);
});

Deno.test("serveStream() counts a throwing handler as failed, closes its client, and serves the next", async () => {
  const errors: string[] = [];
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const stop = new AbortController();
  let n = 0;
  const serving = serveStream(listener, {
    handler: async (conn) => {
      if (++n === 1) throw new RangeError("handler bug");
      await conn.write(HELLO);
    },
    signal: stop.signal,
    onHandlerError: (_peer, err) => errors.push(String(err)),
  });
  const first = await fetchAll("127.0.0.1", listener.addr.port);
  const second = await fetchAll("127.0.0.1", listener.addr.port);
  stop.abort();
  const stats = await serving;
  assertEquals([first.length, text(second)], [0, "Hello, world!"]);
  assertEquals([stats.failed, stats.served, errors], [1, 1, ["RangeError: handler bug"]]);
});

Deno.test("serveStream() puts a handler's every read under the idle deadline: a silent client is dropped", async () => {
  const t0 = performance.now();
  let conn: Deno.Conn | undefined;
  const stats = await withServer({
    handler: async (c) => {
      await c.read(new Uint8Array(16)); // the client never sends
      await c.write(HELLO);
    },
    idleTimeout: 300,
  }, async (port) => {
    conn = await Deno.connect({ hostname: "127.0.0.1", port });
    const end = await readWithin(conn, 3000);
    assertEquals(end, null, "the silent client was not dropped");
  });
  conn?.close();
  assert(performance.now() - t0 < 3000);
  assertEquals([stats.dropped, stats.served], [1, 0]);
});

/** A handler's error, recorded, then thrown again (so the client counts as dropped). */
function recording(errors: unknown[], fn: (c: StreamConn) => Promise<unknown>) {
  return async (c: StreamConn) => {
    try {
      await fn(c);
    } catch (err) {
      errors.push(err);
      throw err;
    }
  };
}

Deno.test("serveStream() rejects a read whose idle deadline passed with TimedOut, naming it", async () => {
  const errors: unknown[] = [];
  const stats = await withServer({
    handler: recording(errors, (c) => c.read(new Uint8Array(16))), // the client never sends
    idleTimeout: 500,
  }, async (port) => {
    using conn = await Deno.connect({ hostname: "127.0.0.1", port });
    assertEquals(await readWithin(conn, 5000), null, "the silent client was not dropped");
  });
  assertEquals(stats.dropped, 1);
  assertEquals(errors.length, 1);
  const err = errors[0] as Error;
  assert(err instanceof Deno.errors.TimedOut, `${err.name}: ${err.message}`);
  assertEquals(err.message, "idle deadline: nothing received for 500ms");
});

Deno.test("serveStream() rejects a write whose write deadline passed with TimedOut, naming it", async () => {
  const errors: unknown[] = [];
  const big = new Uint8Array(16 * 1024 * 1024);
  const stats = await withServer({
    handler: recording(errors, (c) => c.write(big)), // the client never reads
    writeTimeout: 500,
  }, async (port) => {
    using _conn = await Deno.connect({ hostname: "127.0.0.1", port });
    const t0 = performance.now();
    while (errors.length === 0 && performance.now() - t0 < 5000) {
      await new Promise((r) => setTimeout(r, 20)); // polls for the handler's failure
    }
  });
  assertEquals(stats.dropped, 1);
  assertEquals(errors.length, 1);
  const err = errors[0] as Error;
  assert(err instanceof Deno.errors.TimedOut, `${err.name}: ${err.message}`);
  assertEquals(err.message, "write deadline: the client took no write for 500ms");
});

Deno.test("serveStream(): a StreamReader line read past the idle deadline is a NetError with timeout true", async () => {
  const errors: unknown[] = [];
  const stats = await withServer({
    handler: recording(errors, (c) => StreamReader.of(c).readLine()),
    idleTimeout: 500,
  }, async (port) => {
    using conn = await Deno.connect({ hostname: "127.0.0.1", port });
    await conn.write(new TextEncoder().encode("half a line"));
    assertEquals(await readWithin(conn, 5000), null, "the client was not dropped");
  });
  assertEquals(stats.dropped, 1);
  const err = errors[0] as NetError;
  assert(err instanceof NetError, String(err));
  assertEquals([err.timeout, err.op], [true, "read"]);
  assert(err.cause instanceof Deno.errors.TimedOut, String(err.cause));
  assert(err.message.endsWith(": idle deadline: nothing received for 500ms"), err.message);
});

Deno.test("serveStream(): a read cut by the end of the drain is Interrupted, not a timeout", async () => {
  const errors: unknown[] = [];
  let conn: Deno.Conn | undefined;
  const stats = await withServer({
    handler: recording(errors, (c) => c.read(new Uint8Array(16))),
    drainTimeout: 100,
  }, async (port) => {
    conn = await Deno.connect({ hostname: "127.0.0.1", port });
    await readWithin(conn, 200); // the session is running: nothing comes
  });
  conn?.close();
  assertEquals(stats.dropped, 1);
  const err = errors[0] as Error;
  assert(err instanceof Deno.errors.Interrupted, `${err.name}: ${err.message}`);
  assertEquals(err.message, "server stopped");
});

Deno.test("serveStream() serves a Unix socket listener the same way", async () => {
  const dir = await Deno.makeTempDir();
  const path = `${dir}/s.sock`;
  try {
    const listener = Deno.listen({ transport: "unix", path });
    const stop = new AbortController();
    const peers: string[] = [];
    const serving = serveStream(listener, {
      handler: greeting(HELLO),
      signal: stop.signal,
      onConnection: (peer) => peers.push(peer.transport),
    });
    const conn = await Deno.connect({ transport: "unix", path });
    const buf = new Uint8Array(64);
    let got = "", n: number | null;
    while ((n = await conn.read(buf)) !== null) got += text(buf.subarray(0, n));
    conn.close();
    stop.abort();
    assertEquals([got, (await serving).served, peers], ["Hello, world!", 1, ["unix"]]);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
