import { assert, assertEquals, assertRejects, assertThrows, errorOf } from "./_assert.ts";
import { type Datagram, NetError, serveDatagram } from "../mod.ts";
import { bytes, text } from "./_tools.ts";

// Sanitizers on: a socket or timer the loop leaves behind fails the test.
const test = (name: string, fn: () => void | Promise<void>) =>
  Deno.test({ name, fn, sanitizeOps: true, sanitizeResources: true });

/** A datagram socket that `using` closes. */
const disposable = (sock: Deno.DatagramConn) =>
  Object.assign(sock, { [Symbol.dispose]: () => sock.close() });
const udp = (hostname = "127.0.0.1", port = 0) =>
  disposable(Deno.listenDatagram({ transport: "udp", hostname, port }));

/** Waits up to 5 s for `cond`, polling: a regression fails here, it never hangs. */
async function until(cond: () => boolean, what: string): Promise<void> {
  const deadline = Date.now() + 5000;
  while (!cond()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

/** The next datagram on `sock`, or a failure after 5 s. */
async function receive(sock: Deno.DatagramConn): Promise<string> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  try {
    const [data] = await Promise.race([
      sock.receive(),
      new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error("no datagram within 5 s")), 5000);
      }),
    ]);
    return text(data);
  } finally {
    clearTimeout(timer);
  }
}

const echo = async ({ bytes, reply }: Datagram) => void await reply(bytes);

test("serveDatagram() answers each datagram through its handler and counts it", async () => {
  await using server = serveDatagram(udp(), { handler: echo });
  using client = udp();
  for (const word of ["one", "two"]) {
    await client.send(bytes(word), server.addr);
    assertEquals(await receive(client), word);
  }
  assertEquals(
    { ...server.stats, notReplied: undefined },
    {
      received: 2,
      datagrams: 2,
      bytes: 6,
      replied: 2,
      notReplied: undefined,
      refused: 0,
      ignored: 0,
      handlerErrors: 0,
    },
  );
});

test("the guard never answers our own port, from any address", async () => {
  await using server = serveDatagram(udp("127.0.0.1"), { handler: echo });
  const port = (server.addr as Deno.NetAddr).port;
  // Another socket on the same port (another address): an echo service would bounce.
  using twin = udp("127.0.0.2", port);
  await twin.send(bytes("loop?"), { transport: "udp", hostname: "127.0.0.1", port });
  await until(() => server.stats.notReplied.loop === 1, "the loop refusal");
  assertEquals([server.stats.replied, server.stats.datagrams], [0, 1]);
});

test("the guard limits replies per sender address; guard: false turns it off", async () => {
  using client = udp();
  const outcomes: string[] = [];
  // A fresh server whose handler records the outcome of each reply.
  await using limited = serveDatagram(udp(), {
    handler: async (d) => void outcomes.push(await d.reply(d.bytes)),
    guard: { burst: 2, rate: 0.001 },
  });
  for (let i = 0; i < 3; i++) await client.send(bytes(`${i}`), limited.addr);
  await until(() => outcomes.length === 3, "three handled datagrams");
  assertEquals(outcomes, ["sent", "sent", "rate"]);
  assertEquals(limited.stats.notReplied.rate, 1);
  await using open = serveDatagram(udp(), { handler: echo, guard: false });
  const port = (open.addr as Deno.NetAddr).port;
  using twin = udp("127.0.0.2", port); // on our own port: only the guard refuses it
  await twin.send(bytes("trusted"), open.addr);
  assertEquals(await receive(twin), "trusted");
});

test("access rules drop refused senders before the handler; family 6 ignores IPv4", async () => {
  const refused: string[] = [];
  const handled: string[] = [];
  await using server = serveDatagram(udp("::"), {
    handler: (d) => void handled.push(text(d.bytes)),
    access: { deny: ["::1"] },
    onRefused: (from) => refused.push((from as Deno.NetAddr).hostname),
  });
  const port = (server.addr as Deno.NetAddr).port;
  using v6 = udp("::1");
  using v4 = udp("127.0.0.1");
  await v6.send(bytes("denied"), { transport: "udp", hostname: "::1", port });
  await v4.send(bytes("heard"), { transport: "udp", hostname: "127.0.0.1", port });
  await until(() => server.stats.received === 2, "both datagrams");
  assertEquals([refused, handled, server.stats.refused], [["::1"], ["heard"], 1]);

  await using v6only = serveDatagram(udp("::"), { handler: () => {}, family: 6 });
  const port6 = (v6only.addr as Deno.NetAddr).port;
  await v4.send(bytes("mapped"), { transport: "udp", hostname: "127.0.0.1", port: port6 });
  await until(() => v6only.stats.ignored === 1, "the ignored IPv4 datagram");
  assertEquals(v6only.stats.datagrams, 0);
});

test("a handler that throws is counted and told; the loop goes on; count stops it", async () => {
  const errors: string[] = [];
  const server = serveDatagram(udp(), {
    handler: (d) => {
      if (text(d.bytes) === "bad") throw new Error("Handler failed");
    },
    onError: (err) => errors.push((err as Error).message),
    count: 2,
  });
  using client = udp();
  await client.send(bytes("bad"), server.addr);
  await client.send(bytes("good"), server.addr);
  const stats = await server.done; // the second datagram was the last: the socket is closed
  assertEquals([stats.datagrams, stats.handlerErrors, errors], [2, 1, ["Handler failed"]]);
});

test("the signal stops serving and closes the socket; an onError that throws ends it", async () => {
  const stop = new AbortController();
  const server = serveDatagram(udp(), { handler: () => {}, signal: stop.signal });
  stop.abort();
  assertEquals((await server.done).received, 0);

  const failing = serveDatagram(udp(), {
    handler: () => {
      throw new NetError("write", "udp", "127.0.0.1:1", new Deno.errors.NotCapable("no"));
    },
    onError: (err) => {
      throw err;
    },
  });
  using client = udp();
  await client.send(bytes("x"), failing.addr);
  await assertRejects(() => failing.done, errorOf(NetError, /permission denied/));
});

test("serveDatagram() refuses a missing handler or a bad count, naming it", () => {
  using sock = udp();
  assertThrows(
    () => serveDatagram(sock, {} as never),
    errorOf(TypeError, /Invalid handler "undefined"/),
  );
  assertThrows(
    () => serveDatagram(sock, { handler: () => {}, count: 0.5 }),
    errorOf(RangeError, /Invalid count "0.5"/),
  );
});

test("serveDatagram() serves a Unix datagram socket too, replying to the sender's path", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const path = `${dir}/server.sock`;
    await using server = serveDatagram(
      Deno.listenDatagram({ transport: "unixpacket", path }),
      { handler: echo },
    );
    using client = disposable(
      Deno.listenDatagram({ transport: "unixpacket", path: `${dir}/client.sock` }),
    );
    await client.send(bytes("over unix"), { transport: "unixpacket", path });
    assertEquals(await receive(client), "over unix");
    assert(server.stats.replied === 1);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

test("joinHostPort(), ConnectedDatagram.send() and serveDatagram() name a bad value", async () => {
  const { connectDatagram, joinHostPort } = await import("../mod.ts");
  assertThrows(() => joinHostPort("::1", 70000), errorOf(RangeError, /Invalid port "70000"/));
  assertThrows(
    () => serveDatagram({} as never, { handler: () => {} }),
    errorOf(TypeError, /Invalid socket/),
  );
  using peer = udp();
  using sock = connectDatagram({ hostname: "127.0.0.1", port: (peer.addr as Deno.NetAddr).port });
  await assertRejects(() => sock.send("hi" as never), errorOf(TypeError, /Invalid bytes "hi"/));
});
