import { assert, assertEquals, assertRejects } from "./_assert.ts";
import { connectDatagram, ConnectedDatagram } from "../lib/net/connected_datagram.ts";
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
