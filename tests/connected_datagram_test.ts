import { assert, assertEquals, assertRejects, assertThrows, errorOf } from "./_assert.ts";
import { connectDatagram, ConnectedDatagram } from "../lib/net/connected_datagram.ts";
import { udpPing } from "../lib/net/udp_ping.ts";
import { NetError } from "../lib/net/errors.ts";
import { bytes, text, udpSocket } from "./_tools.ts";

Deno.test("ConnectedDatagram drops and counts datagrams from other addresses", async () => {
  using peer = udpSocket("127.0.0.1");
  using stranger = udpSocket("127.0.0.1");
  using sock = connectDatagram({ hostname: "127.0.0.1", port: peer.port });
  await sock.send(bytes("hello"));
  const [got, from] = await peer.receive(new Uint8Array(100));
  assertEquals(text(got), "hello");
  await stranger.send(bytes("not for you"), from);
  await stranger.send(bytes("nor this"), from);
  await peer.send(bytes("reply"), from);
  assertEquals(text(await sock.receive({ timeout: 2000 })), "reply");
  assertEquals(sock.ignored, 2);
});

Deno.test("ConnectedDatagram also drops the peer's host on another port", async () => {
  using peer = udpSocket("::1");
  using samehost = udpSocket("::1");
  using sock = connectDatagram({ hostname: "::1", port: peer.port });
  await sock.send(bytes("x"));
  const [, from] = await peer.receive(new Uint8Array(10));
  await samehost.send(bytes("other port"), from);
  await assertRejects(
    () => sock.receive({ timeout: 200 }),
    (e) => e instanceof NetError && e.timeout,
  );
  assertEquals(sock.ignored, 1);
});

Deno.test("ConnectedDatagram keeps a timed-out receive, so the next call loses nothing", async () => {
  using peer = udpSocket("::1");
  using sock = connectDatagram({ hostname: "::1", port: peer.port });
  await sock.send(bytes("x"));
  const [, from] = await peer.receive(new Uint8Array(10));
  const err = await sock.receive({ timeout: 50 }).catch((e) => e);
  assert(err instanceof NetError && err.timeout);
  assertEquals(err.message, `read udp [::1]:${peer.port}: timed out after 50ms`);
  await peer.send(bytes("late"), from);
  assertEquals(text(await sock.receive({ timeout: 2000 })), "late");
});

Deno.test("ConnectedDatagram accepts replies to an IPv4-mapped peer from an IPv6 socket", async () => {
  using peer = udpSocket("127.0.0.1");
  using sock = new ConnectedDatagram(
    Deno.listenDatagram({ transport: "udp", hostname: "::", port: 0 }),
    { hostname: "::ffff:127.0.0.1", port: peer.port },
  );
  await sock.send(bytes("via mapped"));
  const [got, from] = await peer.receive(new Uint8Array(100));
  assertEquals(text(got), "via mapped");
  await peer.send(bytes("back"), from);
  assertEquals(text(await sock.receive({ timeout: 2000 })), "back");
});

Deno.test("two overlapping receive() calls get the two datagrams, one each, in order", async () => {
  // Issue 18, bug 2: both calls returned the first datagram.
  using peer = udpSocket("127.0.0.1");
  using sock = connectDatagram({ hostname: "127.0.0.1", port: peer.port });
  await sock.send(bytes("hi"));
  const [, from] = await peer.receive(new Uint8Array(10));
  const first = sock.receive({ timeout: 5000 });
  const second = sock.receive({ timeout: 5000 });
  await peer.send(bytes("one"), from);
  await peer.send(bytes("two"), from);
  assertEquals([text(await first), text(await second)], ["one", "two"]);
});

Deno.test("connectDatagram() refuses a host name, which would drop every reply", () => {
  // Issue 18, bug 7: "localhost" was accepted, then compared with "127.0.0.1".
  assertThrows(
    () => connectDatagram({ hostname: "localhost", port: 4950 }),
    errorOf(TypeError, /Invalid peer hostname "localhost": expected an IP literal/),
  );
  for (const port of [0, 70000, -1, NaN]) {
    assertThrows(
      () => connectDatagram({ hostname: "127.0.0.1", port }),
      errorOf(RangeError, new RegExp(`Invalid peer port "${port}"`)),
    );
  }
});

Deno.test("receive() stops on its signal, and the next call still gets the datagram", async () => {
  using peer = udpSocket("127.0.0.1");
  using sock = connectDatagram({ hostname: "127.0.0.1", port: peer.port });
  await sock.send(bytes("hi"));
  const [, from] = await peer.receive(new Uint8Array(10));
  const stop = new AbortController();
  const waiting = sock.receive({ signal: stop.signal });
  stop.abort(new Error("Enough"));
  await assertRejects(() => waiting, errorOf(Error, /Enough/));
  await peer.send(bytes("kept"), from);
  assertEquals(text(await sock.receive({ timeout: 5000 })), "kept");
});

Deno.test("udpPing() returns as soon as its signal aborts, in the middle of a wait", async () => {
  // Issue 18, bug 8: with timeout 3000 it returned after 3 s.
  using silent = udpSocket("127.0.0.1");
  using sock = connectDatagram({ hostname: "127.0.0.1", port: silent.port });
  const stop = new AbortController();
  const timer = setTimeout(() => stop.abort(), 100);
  const started = performance.now();
  const stats = await udpPing(sock, [bytes("a"), bytes("b")], {
    interval: 10,
    timeout: 20_000,
    signal: stop.signal,
  });
  clearTimeout(timer);
  assert(performance.now() - started < 10_000, "the signal did not interrupt the wait");
  // Both requests go out on the 10 ms interval (as ping paces), then the wait is cut short.
  assertEquals([stats.sent, stats.replies], [2, 0]);
});

Deno.test("udpPing() sends an async source's payloads as they come, answering replies meanwhile", async () => {
  // The echo peer answers each request at once; the source yields its second payload only
  // after the first one's reply has come back (as a line typed after seeing the reply).
  using echo = udpSocket("127.0.0.1");
  using sock = connectDatagram({ hostname: "127.0.0.1", port: echo.port });
  const answering = (async () => {
    for (let i = 0; i < 2; i++) {
      const [data, from] = await echo.receive();
      await echo.send(data, from);
    }
  })();
  let firstAnswered!: () => void;
  const answered = new Promise<void>((r) => firstAnswered = r);
  async function* typed() {
    yield bytes("first");
    await answered; // not before the first reply was reported
    yield bytes("second");
  }
  const events: string[] = [];
  const stats = await udpPing(sock, typed(), {
    interval: 0,
    timeout: 5000,
    onSent: (seq) => events.push(`sent ${seq}`),
    onResult: (r) => {
      events.push(`reply ${r.seq} ${text(r.reply!)}`);
      if (r.seq === 1) firstAnswered();
    },
  });
  await answering;
  assertEquals(events, ["sent 1", "reply 1 first", "sent 2", "reply 2 second"]);
  assertEquals([stats.sent, stats.replies, stats.late, stats.error], [2, 2, 0, undefined]);
  // A source that yields something else, or throws, ends the run: its error beside the counts.
  const bad = await udpPing(
    sock,
    (async function* () {
      yield "not bytes" as unknown as Uint8Array;
    })(),
  );
  assert(bad.error instanceof TypeError, String(bad.error));
  assertEquals(bad.sent, 0);
});

Deno.test("udpPing(): a source that fails sends no more, and the requests in flight still get their replies", async () => {
  using echo = udpSocket("127.0.0.1");
  using sock = connectDatagram({ hostname: "127.0.0.1", port: echo.port });
  const answering = (async () => {
    const [data, from] = await echo.receive();
    await new Promise((r) => setTimeout(r, 200)); // answered after the source failed
    await echo.send(data, from);
  })();
  const failure = new Error("line too long");
  async function* lines() {
    yield bytes("first");
    await new Promise((r) => setTimeout(r, 20));
    throw failure;
  }
  const stats = await udpPing(sock, lines(), { interval: 0, timeout: 5000 });
  await answering;
  assertEquals([stats.sent, stats.replies, stats.error], [1, 1, failure]);
});

Deno.test("udpPing(): a reply after its timeout is late; a datagram that echoes no request is unmatched", async () => {
  using echo = udpSocket("127.0.0.1");
  using sock = connectDatagram({ hostname: "127.0.0.1", port: echo.port });
  const answering = (async () => {
    const [a, from] = await echo.receive();
    await echo.send(bytes("junk"), from); // echoes nothing sent
    await echo.send(a, from);
    const [b] = await echo.receive();
    await new Promise((r) => setTimeout(r, 300)); // past b's 200 ms, before c goes
    await echo.send(b, from);
  })();
  // a at 0, b at 400 (timed out at 600, answered at 700), c at 800 (never answered).
  const stats = await udpPing(sock, [bytes("a"), bytes("b"), bytes("c")], {
    interval: 400,
    timeout: 200,
  });
  await answering;
  assertEquals([stats.sent, stats.replies, stats.late, stats.unmatched], [3, 1, 1, 1]);
});

Deno.test("udpPing(): the interval is the least time between two sends, a payload that came late goes at once", async () => {
  using echo = udpSocket("127.0.0.1");
  using sock = connectDatagram({ hostname: "127.0.0.1", port: echo.port });
  const sentAt: number[] = [];
  const t0 = performance.now();
  async function* lines() {
    yield bytes("a");
    await new Promise((r) => setTimeout(r, 600)); // b comes 600 ms on: past its turn at 400
    yield bytes("b");
    yield bytes("c"); // ready at once: waits its 400 ms after b
  }
  await udpPing(sock, lines(), {
    interval: 400,
    timeout: 50,
    onSent: () => sentAt.push(performance.now() - t0),
  });
  assertEquals(sentAt.length, 3);
  const [a, b, c] = sentAt as [number, number, number];
  assert(b - a >= 590 && b - a < 790, `b went ${b - a} ms after a: at once once read`);
  assert(c - b >= 399, `c went ${c - b} ms after b: the interval is at least 400 ms`);
});

Deno.test("udpPing(): a send that fails sends no more, and the requests in flight still get their replies", async () => {
  using echo = udpSocket("127.0.0.1");
  using sock = connectDatagram({ hostname: "127.0.0.1", port: echo.port });
  const answering = (async () => {
    const [data, from] = await echo.receive();
    await new Promise((r) => setTimeout(r, 200)); // answered after the send failed
    await echo.send(data, from);
  })();
  // 70,000 bytes do not fit in one IPv4 datagram: the kernel refuses the send (EMSGSIZE).
  const stats = await udpPing(sock, [bytes("first"), new Uint8Array(70_000)], {
    interval: 0,
    timeout: 5000,
  });
  await answering;
  assertEquals([stats.sent, stats.replies], [1, 1]);
  assert(stats.error instanceof NetError, String(stats.error));
  assertEquals(stats.error.op, "write");
});
